"""The buyer card page as the signed-in staff member may see it (full or summary).

Shared by the buyers' views and the workspace's note and task actions, which re-render it with their form errors.
"""

from __future__ import annotations

from flask import current_app, render_template, request

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.buyers.forms import AssignForm, MessengersForm
from crm.buyers.queries import BuyerCard, buyer_card, manager_of
from crm.permissions import has_permission, sees_buyer_in_full
from crm.reorder.queries import buyer_reorder_summary
from crm.staff.queries import account_managers
from crm.tiers.forms import ManualTierForm
from crm.tiers.reasons import reason_label
from crm.workspace.forms import NoteForm, TaskCloseForm, TaskForm, task_form_for, task_status_label
from storefront.account.tier_benefits import TierTerms, tier_outlook
from storefront.errors import NotFound
from storefront.extensions import db
from storefront.protection.services import POLICY_EXTENSION
from storefront.security import safe_next_url
from storefront.shipping.services import free_shipping_from


def render_card(
    buyer_id: int,
    note_form: NoteForm | None = None,
    task_form: TaskForm | None = None,
    status: int = 200,
    audit: bool = False,
    tier_form: ManualTierForm | None = None,
    messengers_form: MessengersForm | None = None,
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
    if full and has_permission(staff.role, "buyers.contacts") and messengers_form is None:
        messengers_form = MessengersForm(formdata=None, obj=card.buyer)
    terms = TierTerms(current_app.extensions[POLICY_EXTENSION], free_shipping_from(db.session()))
    return render_template(
        "crm/buyer.html",
        card=card,
        full=full,
        reorder=buyer_reorder_summary(db.session(), card.buyer.id) if full else None,
        tier_form=tier_form,
        outlook=tier_outlook(card.tiers, card.buyer.tier, card.spend_12m, terms),
        messengers_form=messengers_form if full else None,
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
    """The manual-tier form; before a submission it starts at the buyer's current tier."""
    form = ManualTierForm()
    form.tier.choices = [(tier.id, tier.name) for tier in card.tiers]
    if not form.is_submitted():
        form.tier.data = card.buyer.tier_id
    return form


def back_to(default: str, buyer_id: int) -> str:
    """Where a row action returns: the list page it was sent from (``next``, a CRM path), at the buyer's row;
    else ``default``."""
    target = safe_next_url(request.form.get("next"), "")
    if not target.startswith("/crm/"):
        return default
    return f"{target.split('#', 1)[0]}#buyer-{buyer_id}"
