"""The documents name only what exists: every path, module and code name in ARCHITECTURE.md and
docs/decisions.md is checked against the tree, so a move or a rename that forgets the document fails here."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ("ARCHITECTURE.md", "docs/decisions.md", "README.md")
CODE_SUFFIXES = {".py", ".html", ".js", ".css", ".txt", ".cfg", ".toml", ".lua", ".json", ".xml", ".sql"}
TOP_LEVEL = {"storefront", "crm", "devtools", "demo", "bench", "tests", "migrations", "translations", "static", "docs"}
_TOKEN = re.compile(r"`([^`\n]+)`")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DOTTED = re.compile(r"^(storefront|crm|devtools|demo|bench)(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def _existing_part(token: str) -> Path:
    """The path a token names; for a pattern such as ``tests/crm/<area>/``, the folder the pattern lies in."""
    if "<" in token:
        return ROOT / token.split("<", 1)[0].rsplit("/", 1)[0]
    return ROOT / token.rstrip("/")


#: Folders git ignores hold what the tools write (bench/work/ …); documents may name files there.
IGNORED = tuple(
    line for line in (ROOT / ".gitignore").read_text().splitlines() if line.endswith("/") and "/" in line[:-1]
)


def _is_path(token: str) -> bool:
    head = token.split("/", 1)[0]
    return ("/" in token and head in TOP_LEVEL) or (
        "/" not in token and Path(token).suffix in CODE_SUFFIXES | {".md"} and " " not in token
    )


def _is_code_name(token: str) -> bool:
    """An identifier that reads as code (has an underscore, capitals inside, or is all capitals)."""
    if not _IDENTIFIER.match(token) or len(token) < 3:
        return False
    return "_" in token or token[1:] != token[1:].lower() or token.isupper()


def _files_under(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return [p for p in path.rglob("*") if p.is_file() and p.suffix in CODE_SUFFIXES]


def _all_source() -> str:
    texts = []
    for top in TOP_LEVEL - {"docs", "translations", "static"}:
        texts += [p.read_text(encoding="utf-8", errors="replace") for p in _files_under(ROOT / top)]
    texts += [(ROOT / name).read_text() for name in ("wsgi.py", "Makefile", "setup.cfg")]
    return "\n".join(texts)


def _lines(document: str) -> list[tuple[int, str]]:
    return list(enumerate((ROOT / document).read_text(encoding="utf-8").splitlines(), start=1))


@pytest.fixture(scope="module")
def all_source() -> str:
    return _all_source()


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_path_a_document_names_exists(document: str) -> None:
    missing = [
        f"{document}:{number}: {token}"
        for number, line in _lines(document)
        for token in _TOKEN.findall(line)
        if _is_path(token) and "/" in token and not token.startswith(IGNORED) and not _existing_part(token).exists()
    ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_dotted_name_a_document_names_imports(document: str) -> None:
    missing = []
    for number, line in _lines(document):
        for token in _TOKEN.findall(line):
            if not _DOTTED.match(token):
                continue
            parts = token.split(".")
            for cut in range(len(parts), 0, -1):  # the longest importable prefix, then attributes
                try:
                    target: object = importlib.import_module(".".join(parts[:cut]))
                except ModuleNotFoundError:
                    continue
                for attribute in parts[cut:]:
                    target = getattr(target, attribute, None)
                if target is None:
                    missing.append(f"{document}:{number}: {token}")
                break
            else:
                missing.append(f"{document}:{number}: {token}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("document", ("ARCHITECTURE.md", "docs/decisions.md"))
def test_every_code_name_is_in_the_files_its_line_names(document: str, all_source: str) -> None:
    """`name` on a line that names files must occur in one of them; on other lines, somewhere in the code."""
    missing = []
    for number, line in _lines(document):
        tokens = _TOKEN.findall(line)
        named = [_existing_part(t) for t in tokens if _is_path(t) and "/" in t and _existing_part(t).exists()]
        texts = [p.read_text(encoding="utf-8", errors="replace") for path in named for p in _files_under(path)]
        haystack = "\n".join(texts) if texts else all_source
        for token in tokens:
            if _is_code_name(token) and not re.search(rf"\b{re.escape(token)}\b", haystack):
                missing.append(f"{document}:{number}: {token}")
    assert not missing, "\n".join(missing)


def test_the_documents_point_at_nothing_outside_the_repository() -> None:
    """No references to documents or trackers that a reader of the repository cannot open."""
    for document in DOCUMENTS:
        text = (ROOT / document).read_text(encoding="utf-8")
        assert not re.search(r"(?<![/\w])DESIGN\.md", text), document
        assert not re.search(r"\bissue #?\d+", text, re.IGNORECASE), document


def test_architecture_is_short_enough_to_read_in_five_minutes() -> None:
    words = len((ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8").split())
    assert words <= 1500, f"ARCHITECTURE.md has {words} words; keep the codemap to one line a row"
