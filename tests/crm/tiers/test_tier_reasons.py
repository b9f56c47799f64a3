"""Why a tier changed, in the reader's words: the stored reasons never reach a page as codes."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import force_locale

from crm.tiers import reasons


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (reasons.PAYMENT, "оплата увеличила сумму покупок за 12 месяцев"),
        (reasons.RECALC_UP, "ежедневный пересчёт: сумма покупок за 12 месяцев достигла порога уровня"),
        (reasons.RECALC_GRACE_OVER, "ежедневный пересчёт: льготный период закончился"),
        ("manual: крупный контракт", "вручную: крупный контракт"),
        ("imported", "imported"),
        ("", "—"),
        (None, "—"),
    ],
)
def test_every_stored_reason_reads_as_russian(app: Flask, stored: str | None, shown: str) -> None:
    with app.test_request_context("/crm/"), force_locale("ru"):
        assert reasons.reason_label(stored) == shown
