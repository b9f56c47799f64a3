"""What staff read about a statement: its problems by line, the review reasons, the states (CLI and CRM alike)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from storefront.banking.models import DocumentState, ReviewReason
from storefront.banking.parser import MAX_DOCUMENTS, LineProblem, Problem, StatementRejected

REASON_LABELS = {
    ReviewReason.NO_ORDER: _l("no order of ours in the purpose"),
    ReviewReason.SEVERAL_ORDERS: _l("the purpose names several orders"),
    ReviewReason.PARTIAL: _l("less than the order total"),
    ReviewReason.OVERPAID: _l("more than the order total"),
    ReviewReason.OTHER_PAYER: _l("the payer's INN is not the buyer's"),
    ReviewReason.NOT_PAYABLE: _l("the order is already paid or canceled"),
}

STATE_LABELS = {
    DocumentState.MATCHED: _l("matched"),
    DocumentState.REVIEW: _l("to review"),
    DocumentState.MATCHED_BY_HAND: _l("matched by hand"),
    DocumentState.NOT_OURS: _l("not our payment"),
}


def reason_label(reason: str | None) -> str:
    if reason is None:
        return ""
    return str(REASON_LABELS.get(ReviewReason(reason), reason))


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(DocumentState(state), state))


def problem_message(problem: LineProblem) -> str:
    """A problem of the file in words, with its line."""
    text = {
        Problem.EMPTY: _("the file is empty"),
        Problem.ENCODING: _("the file is neither UTF-8 nor windows-1251"),
        Problem.NOT_EXCHANGE: _(
            "this is not a 1C client-bank exchange file: the first line must be 1CClientBankExchange"
        ),
        Problem.BAD_LINE: _("the line «%(value)s» is not like Name=value", value=problem.value),
        Problem.NESTED: _("a new section starts before the previous one ended"),
        Problem.END_WITHOUT_START: _("«%(value)s» ends a section that was not started", value=problem.value),
        Problem.NOT_CLOSED: _("the section «%(value)s» is not closed", value=problem.value),
        Problem.NO_END_OF_FILE: _("the file does not end with КонецФайла: it may be cut short"),
        Problem.AFTER_END: _("there is text after КонецФайла"),
        Problem.MISSING_FIELD: _("the document has no %(field)s", field=problem.field),
        Problem.BAD_DATE: _(
            "%(field)s «%(value)s» is not a date like 09.12.2026", field=problem.field, value=problem.value
        ),
        Problem.BAD_AMOUNT: _(
            "%(field)s «%(value)s» is not an amount like 12354.00", field=problem.field, value=problem.value
        ),
        Problem.TOO_LONG: _("%(field)s is too long", field=problem.field or "…"),
        Problem.TOO_MANY_DOCUMENTS: _("more than %(max)s documents: split the statement by period", max=MAX_DOCUMENTS),
    }[problem.problem]
    return _("Line %(line)s: %(problem)s", line=problem.line, problem=text)


def rejection_messages(rejected: StatementRejected) -> list[str]:
    messages = [problem_message(problem) for problem in rejected.problems]
    if rejected.more:
        messages.append(_("…and %(num)s more problems.", num=rejected.more))
    return messages
