"""The buyer card page as the signed-in staff member may see it (full or summary).

Shared by the buyers' views and the workspace's note and task actions, which re-render it with their form errors.
"""

from __future__ import annotations

from flask import render_template, request

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.buyers.forms import AssignForm
from crm.buyers.queries import BuyerCard, buyer_card, manager_of
from crm.permissions import has_permission, sees_buyer_in_full
from crm.reorder.queries import buyer_reorder_summary
from crm.staff.queries import account_managers
from crm.tiers.forms import ManualTierForm
from crm.tiers.reasons import reason_label
from crm.workspace.forms import NoteForm, TaskCloseForm, TaskForm, task_form_for, task_status_label
from storefront.errors import NotFound
from storefront.extensions import db


def render_card(
    buyer_id: int,
    note_form: NoteForm | None = None,
    task_form: TaskForm | None = None,
    status: int = 200,
    audit: bool = False,
    tier_form: ManualTierForm | None = None,
) -> tuple[str, int]:
    """The card as the signed-in staff member may see it (full or summary); also re-rendered with form errors."""
    staff = require_staff()
    manager_id = manager_of(db.session(), buyer_id)
    full = sees_buyer_in_full(staff.role, staff.id, manager_id)
    card = buyer_card(db.session(), buyer_id, full=full)
    if card is None:
        raise NotFound()
    if audit:
        record(
            db.session(),
            staff,
            AuditAction.BUYER_VIEW,
            "buyer",
            buyer_id,
            request.remote_addr,
            "full" if full else "summary",
        )
        db.session.commit()
    if tier_form is None and has_permission(staff.role, "tiers.override"):
        tier_form = manual_tier_form(card)
    if full:
        note_form = note_form or NoteForm(formdata=None)
        task_form = task_form or task_form_for(staff.id)
    return render_template(
        "crm/buyer.html",
        card=card,
        full=full,
        reorder=buyer_reorder_summary(db.session(), card.buyer.id) if full else None,
        tier_form=tier_form,
        note_form=note_form if full else None,
        task_form=task_form if full else None,
        close_form=TaskCloseForm(formdata=None),
        task_status_label=task_status_label,
        tier_change_reason=reason_label,
        assign_form=AssignForm(formdata=None) if has_permission(staff.role, "buyers.assign") else None,
        managers=account_managers(db.session(), active_only=True)
        if has_permission(staff.role, "buyers.assign")
        else [],
    ), status


def manual_tier_form(card: BuyerCard) -> ManualTierForm:
    form = ManualTierForm()
    form.tier.choices = [(tier.id, tier.name) for tier in card.tiers]
    return form
