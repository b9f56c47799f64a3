"""Every /crm URL rule × every role and anonymous, checked against the one declaration in crm.permissions."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from crm.permissions import PERMISSIONS, PUBLIC_ENDPOINTS, has_permission, requires
from crm.staff.models import Role
from crm.tiers.services import seed_tiers, tiers_in_order
from tests.crm import campaign_support
from tests.crm.support import crm_login, make_staff
from tests.factories import create_buyer

ROLES = [None, *Role]


def _crm_rules(app: Flask):
    """The /crm rules, public ones (sign-out) last so the walk keeps its session."""
    rules = (rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/crm"))
    return sorted(rules, key=lambda rule: (rule.endpoint in PUBLIC_ENDPOINTS, rule.rule))


def test_every_crm_endpoint_declares_a_permission_or_is_public(app: Flask) -> None:
    for rule in _crm_rules(app):
        view = app.view_functions[rule.endpoint]
        permission = getattr(view, "crm_permission", None)
        assert rule.endpoint in PUBLIC_ENDPOINTS or permission in PERMISSIONS, rule.endpoint


def test_an_undeclared_permission_is_refused_at_import() -> None:
    with pytest.raises(KeyError):
        requires("buyers.delete_everything")


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
def test_every_crm_rule_answers_as_declared_for_the_role(app: Flask, session: Session, role: Role | None) -> None:
    seed_tiers(session)
    buyer = create_buyer(session)
    session.commit()
    campaign = campaign_support.campaign(session)
    values = {
        "buyer_id": buyer.id,
        "tier_id": tiers_in_order(session)[0].id,
        "campaign_id": campaign.id,
        "kind": "abandoned_cart",
    }
    client = app.test_client()
    if role is not None:
        make_staff(session, role)
        assert crm_login(client, f"{role}@mostik.local").status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for rule in _crm_rules(app):
            url = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(url, method=method)
            where = f"{method} {url} as {role or 'anonymous'}"
            if rule.endpoint in PUBLIC_ENDPOINTS:
                assert response.status_code in (200, 302), where
                continue
            permission = app.view_functions[rule.endpoint].crm_permission
            if role is None:
                assert response.status_code == 302, where
                assert response.location.startswith("/crm/login"), where
            elif has_permission(role, permission):
                # GET pages render; a POST with no form data is a 400 with the form's messages.
                assert response.status_code == (200 if method == "GET" else 400), where
            else:
                assert response.status_code == 403, where
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
