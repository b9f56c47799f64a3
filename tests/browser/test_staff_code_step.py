"""The staff sign-in's second step (the TOTP code, `crm/login_code.html`) as a staff member meets it, on a laptop
and a phone: Russian only, no sideways scroll; a wrong code is refused in Russian, the right one opens the CRM."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from crm.staff.models import Role
from crm.staff.totp import confirm_enrolment, new_secret
from tests.browser.conftest import assert_no_sideways_scroll, open_tab
from tests.support.factories import PASSWORD, make_staff

pytestmark = pytest.mark.browser

#: Latin words a Russian page may still show: the staff member's own address.
LATIN = re.compile(r"\b[A-Za-z]{3,}\b")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_code_step_is_russian_and_fits(browser, live_server, session, shots, width: int) -> None:
    staff = make_staff(session, Role.ADMIN, email=f"code{width}@mostik.local")
    secret = new_secret()
    confirm_enrolment(session, staff, secret, pyotp.TOTP(secret).now())
    session.commit()
    context, tab = open_tab(browser, live_server, width)
    try:
        tab.goto("/crm/login")
        tab.fill("#email", staff.email)
        tab.fill("#password", PASSWORD)
        tab.get_by_role("button", name="Войти").click()
        tab.wait_for_url("**/crm/login/code**")
        shots(tab, f"code-step-{width}")
        assert_no_sideways_scroll(tab)
        words = set(LATIN.findall(tab.inner_text("main"))) - {"code", "mostik", "local"}
        assert not words, f"English on the Russian code step: {words}"

        tab.fill("input[name=code]", "000000")
        tab.locator("main button[type=submit]").first.click()
        tab.wait_for_load_state()
        shots(tab, f"code-step-wrong-{width}")
        assert "/crm/login/code" in tab.url
        assert_no_sideways_scroll(tab)

        assert "Код неверный или уже использован" in tab.inner_text("main")
        # The enrolment used up this period's code; the next period's is accepted (one step of clock drift).
        tab.fill("input[name=code]", pyotp.TOTP(secret).at(time.time() + 30))
        tab.locator("main button[type=submit]").first.click()
        tab.wait_for_url(re.compile(r".*/crm/?$"))
        shots(tab, f"code-step-signed-in-{width}")
    finally:
        context.close()
