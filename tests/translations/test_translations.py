"""The Russian catalogue is complete: every string in the code is translated, plurals have
three forms, nothing is fuzzy. (pybabel compile alone accepts a two-form plural silently.)"""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
RU_PO = ROOT / "translations" / "ru" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
METHODS = [
    ("storefront/**.py", "python"),
    ("crm/**.py", "python"),
    ("demo/**.py", "python"),
    ("storefront/templates/**.html", "jinja2"),
    ("storefront/templates/**.svg", "jinja2"),
    ("crm/templates/**.html", "jinja2"),
]


def _read_catalog():
    with RU_PO.open("rb") as po_file:
        return read_po(po_file)


def _source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_the_header_has_russian_plural_rules():
    catalog = _read_catalog()
    assert catalog.num_plurals == 3
    assert "n%10==1 && n%100!=11" in catalog.plural_expr


def test_every_entry_is_translated_with_three_plural_forms_and_none_fuzzy():
    catalog = _read_catalog()
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if message.pluralizable:
            if len(message.string) != 3 or not all(message.string):
                problems.append(f"needs three plural forms: {message.id!r}")
        elif not message.string:
            problems.append(f"untranslated: {message.id!r}")
    assert problems == []


def test_every_string_in_the_code_is_in_the_catalogue():
    catalog = _read_catalog()
    known = {message.id[0] if isinstance(message.id, tuple) else message.id for message in catalog}
    missing = sorted(_source_messages() - known)
    assert missing == [], "run `make translations-update` and translate: " + "; ".join(missing)
