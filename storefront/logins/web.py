"""The request side of server-side sessions: the client's facts, and a fresh session at every sign-in."""

from __future__ import annotations

from flask import request, session

from storefront.logins.services import Client

_SURVIVING: set[str] = set()


def survives_sign_in(*keys: str) -> None:
    """Declare session keys a sign-in keeps (what brought the visitor; the other side's sign-in). Called once at
    import by the module that owns each key; everything else in the session is dropped at sign-in."""
    _SURVIVING.update(keys)


def renew_session() -> None:
    """Before signing anyone in: drop the old session's data (its CSRF token among it, so Flask-WTF makes a new
    one) except the declared survivors. The cart lives in its own cookie and is merged by the buyer sign-in."""
    kept = {key: session[key] for key in _SURVIVING if key in session}
    session.clear()
    session.update(kept)


def current_client() -> Client:
    return Client(ip_address=request.remote_addr, user_agent=request.user_agent.string or "")
