"""Keeping the search synonyms (the storefront's ``SearchSynonym`` rows). Flushes; the view records the audit
entry, commits once and then makes this process forget its cached rows (``forget_synonyms``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.errors import MessageError
from storefront.search.models import SearchSynonym
from storefront.search.normalise import fold, words

MAX_ALTERNATIVES = 20
MAX_ALTERNATIVE_CHARS = 100
MAX_ALTERNATIVE_WORDS = 5


class SynonymError(MessageError):
    """A synonym group refused, with the reason in Russian."""


@dataclass(frozen=True)
class SynonymData:
    word: str
    #: As typed: one alternative per line or separated by commas.
    alternatives: str
    is_disabled: bool = False


def _clean_word(raw: str) -> str:
    found = words(raw)
    if not found:
        raise SynonymError(_l("Enter the word buyers type, for example «айфон»."))
    if len(found) > 1 or fold(raw.strip()) != found[0]:
        raise SynonymError(
            _l("The word must be one word of letters and digits: a phrase cannot be looked up word by word.")
        )
    if len(found[0]) > 100:
        raise SynonymError(_l("The word is too long: at most 100 characters."))
    return found[0]


def split_alternatives(raw: str) -> list[str]:
    """The alternatives typed in the form: one per line or separated by commas, folded, without repeats."""
    found: dict[str, None] = {}
    for line in raw.replace(",", "\n").splitlines():
        value = " ".join(fold(line).split())
        if value:
            found[value] = None
    return list(found)


def _clean_alternatives(word: str, raw: str, disabled: bool) -> list[str]:
    values = [value for value in split_alternatives(raw) if value != word]
    if not values and not disabled:
        raise SynonymError(_l("Give at least one alternative, or switch the built-in entry off."))
    if len(values) > MAX_ALTERNATIVES:
        raise SynonymError(_l("At most %(num)d alternatives in one group.", num=MAX_ALTERNATIVES))
    for value in values:
        if len(value) > MAX_ALTERNATIVE_CHARS:
            raise SynonymError(_l("«%(value)s» is too long: at most 100 characters.", value=value[:40]))
        parts = words(value)
        if not parts:
            raise SynonymError(_l("«%(value)s» has no letters or digits.", value=value))
        if len(parts) > MAX_ALTERNATIVE_WORDS:
            raise SynonymError(_l("«%(value)s» has too many words: at most 5.", value=value[:40]))
    return values


def _taken(session: Session, word: str, synonym_id: int | None) -> bool:
    query = select(SearchSynonym.id).where(SearchSynonym.word == word)
    if synonym_id is not None:
        query = query.where(SearchSynonym.id != synonym_id)
    return session.scalar(query) is not None


def create_synonym(session: Session, data: SynonymData) -> SearchSynonym:
    """A new group (or an override of the built-in entry of the same word). ``SynonymError`` when refused."""
    word = _clean_word(data.word)
    values = _clean_alternatives(word, data.alternatives, data.is_disabled)
    if _taken(session, word, None):
        raise SynonymError(_l("The word «%(word)s» already has a group: edit that one.", word=word))
    synonym = SearchSynonym(word=word, alternatives=values, is_disabled=data.is_disabled)
    session.add(synonym)
    try:
        session.flush()
    except IntegrityError as exc:  # the same word saved concurrently (the caller rolls back)
        raise SynonymError(_l("The word «%(word)s» already has a group: edit that one.", word=word)) from exc
    return synonym


def update_synonym(session: Session, synonym: SearchSynonym, data: SynonymData) -> SearchSynonym:
    word = _clean_word(data.word)
    values = _clean_alternatives(word, data.alternatives, data.is_disabled)
    if _taken(session, word, synonym.id):
        raise SynonymError(_l("The word «%(word)s» already has a group: edit that one.", word=word))
    synonym.word, synonym.alternatives, synonym.is_disabled = word, values, data.is_disabled
    try:
        session.flush()
    except IntegrityError as exc:
        raise SynonymError(_l("The word «%(word)s» already has a group: edit that one.", word=word)) from exc
    return synonym


def delete_synonym(session: Session, synonym: SearchSynonym) -> None:
    """Remove a CRM group: the built-in entry of the word (if any) is in force again."""
    session.delete(synonym)
    session.flush()


def describe(word: str, values: Sequence[str], disabled: bool) -> str:
    """The audit detail of a group."""
    return f"{word}: off" if disabled else f"{word} → {', '.join(values)}"
