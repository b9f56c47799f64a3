"""Account managers' workspace: notes and tasks on buyers, «Мои клиенты»."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("workspace", __name__)
