"""The request side of the protection: the words for reasons, decisions, refusals and photo refusals, the
countdown, the policy from the config, and the buyer's e-mails about a dispute (into the outbox with the change).
Used by the storefront's views and, for the words, by the CRM's dispute desk."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flask import abort, current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from storefront.emails import mail_renderer, queue_templated
from storefront.extensions import db
from storefront.i18n import format_rub
from storefront.order.web import order_link
from storefront.pictures.images import ImageRefused
from storefront.protection.models import (
    Decision,
    Dispute,
    DisputeMessage,
    DisputePhoto,
    DisputeReason,
    DisputeStatus,
)
from storefront.protection.photos import (
    MAX_PHOTOS,
    NAME,
    CheckedPhoto,
    check_photo,
    photo_path,
    remove_photos,
    write_photo,
)
from storefront.protection.policy import ProtectionPolicy
from storefront.protection.services import DisputeRefused, Refusal


def current_policy() -> ProtectionPolicy:
    return ProtectionPolicy.from_config(current_app.config)


def upload_limit(policy: ProtectionPolicy) -> int:
    """The largest request a photo form may send: ten photos at their limit, plus the text fields."""
    return MAX_PHOTOS * policy.photo_max_bytes + 1_000_000


def reason_label(reason: str) -> str:
    labels: dict[str, str] = {
        DisputeReason.NOT_RECEIVED: _("Goods not received"),
        DisputeReason.WRONG_ITEM: _("Wrong item sent"),
        DisputeReason.WRONG_QUANTITY: _("Wrong quantity"),
        DisputeReason.DEFECT: _("Defect or damage"),
        DisputeReason.NOT_AS_DESCRIBED: _("Not as described"),
    }
    return labels.get(reason, reason)


def reason_choices() -> list[tuple[str, str]]:
    return [(reason.value, reason_label(reason)) for reason in DisputeReason]


def decision_label(decision: str | None) -> str:
    labels: dict[str, str] = {
        Decision.FULL_REFUND: _("Full refund"),
        Decision.PARTIAL_REFUND: _("Partial refund"),
        Decision.RETURN_REFUND: _("Return the goods, then refund"),
        Decision.REJECTED: _("Claim rejected"),
    }
    return labels.get(decision or "", "")


def dispute_status_label(dispute: Dispute) -> str:
    if dispute.status == DisputeStatus.AWAITING_RETURN:
        return _("Awaiting the return of the goods")
    if dispute.status == DisputeStatus.CLOSED:
        return _("Decided: %(decision)s", decision=decision_label(dispute.decision))
    if dispute.answered_at is None:
        return _("Open, awaiting our answer")
    return _("Open, under review")


def kind_label(kind: str) -> str:
    return _("Quality claim") if kind == "quality" else _("Dispute during inspection")


def time_left(left: timedelta) -> str:
    """«осталось 2 дня 5 часов», «осталось 7 часов», «осталось меньше часа»."""
    hours = int(left.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    if days and hours:
        return _(
            "%(days)s %(hours)s left",
            days=ngettext("%(num)d day", "%(num)d days", days),
            hours=ngettext("%(num)d hour", "%(num)d hours", hours),
        )
    if days:
        return _("%(days)s left", days=ngettext("%(num)d day", "%(num)d days", days))
    if hours:
        return _("%(hours)s left", hours=ngettext("%(num)d hour", "%(num)d hours", hours))
    return _("less than an hour left")


def refusal_message(error: DisputeRefused) -> str:
    most = error.values.get("most")
    messages: dict[str, str] = {
        Refusal.NOT_PAID: _("The order is not paid: there is nothing to dispute yet."),
        Refusal.WINDOW_CLOSED: _(
            "The time to open a dispute on this order is over: the order has been confirmed or the claim period "
            "has ended."
        ),
        Refusal.ALREADY_OPEN: _("This order already has an open dispute: write in it instead."),
        Refusal.BAD_REASON: _("Choose a reason from the list."),
        Refusal.NO_DESCRIPTION: _("Describe what is wrong (at most 5000 characters)."),
        Refusal.NO_LINES: _("Choose the goods the dispute is about and how many pieces."),
        Refusal.BAD_QUANTITY: _("The quantity must be a whole number from 1 to %(most)s.", most=most or 0),
        Refusal.TOO_MANY_PHOTOS: _("At most %(most)s photos at a time.", most=MAX_PHOTOS),
        Refusal.EMPTY_MESSAGE: _("Write a message or attach a photo (at most 5000 characters)."),
        Refusal.CLOSED: _("The dispute is closed: no more messages can be added."),
        Refusal.ALREADY_DECIDED: _("The dispute has already been decided."),
        Refusal.BAD_AMOUNT: _(
            "The refund must be greater than zero, in whole kopecks and at most %(amount)s.",
            amount=format_rub(most if isinstance(most, Decimal) else Decimal("0")),
        ),
        Refusal.LINES_AMOUNT: _(
            "A partial refund is for the disputed lines: at most %(amount)s is left of them. To return more, choose "
            "a full refund.",
            amount=format_rub(most if isinstance(most, Decimal) else Decimal("0")),
        ),
        Refusal.NO_REASON: _("Give the reason for the rejection: the buyer will read it."),
        Refusal.NOT_AWAITING_RETURN: _("The dispute is not awaiting a return."),
    }
    return messages.get(error.code, str(error.code))


def photo_refusal(name: str, error: ImageRefused, policy: ProtectionPolicy) -> str:
    shown = name[:80] or _("the file")
    if error.reason == "too_large":
        return _(
            "«%(name)s» is larger than %(size)s MB: send a smaller photo.",
            name=shown,
            size=policy.photo_max_bytes // 1_000_000,
        )
    if error.reason == "too_many_pixels":
        return _(
            "«%(name)s» has too many pixels (at most %(megapixels)s megapixels): send a smaller photo.",
            name=shown,
            megapixels=policy.photo_max_pixels // 1_000_000,
        )
    return _("«%(name)s» is not a JPEG, PNG or WebP photo.", name=shown)


@mail_renderer("dispute")
def queue_buyer_dispute_mail(session: Session, dispute_id: int, event: str, message_id: int | None) -> None:
    """The buyer's Russian e-mail, in the change's transaction: a staff reply (never an internal note), the
    decision, or that the dispute is open."""
    dispute = session.get(Dispute, dispute_id)
    message = session.get(DisputeMessage, message_id) if message_id is not None else None
    if dispute is None or event not in ("staff_message", "decided", "opened"):
        return
    if event == "staff_message" and (message is None or message.internal):
        return
    order = dispute.order
    with force_locale("ru"):
        subject = {
            "opened": _("Order %(number)s: your dispute is open", number=order.number),
            "staff_message": _("Order %(number)s: a reply to your dispute", number=order.number),
            "decided": _("Order %(number)s: the decision on your dispute", number=order.number),
        }[event]
    queue_templated(
        session,
        "dispute_buyer",
        order.email,
        subject,
        order=order,
        dispute=dispute,
        event=event,
        message=message,
        decision=decision_label(dispute.decision),
        reason=reason_label(dispute.reason),
        link=order_link(order),
    )


def checked_photos(files: list[object], policy: ProtectionPolicy) -> tuple[list[CheckedPhoto], list[str]]:
    """Each uploaded file checked (``photos.check_photo``); the Russian refusals, one per bad file. Reads at
    most one byte more than the limit of each file."""
    from werkzeug.datastructures import FileStorage

    checked: list[CheckedPhoto] = []
    errors: list[str] = []
    uploads = [item for item in files if isinstance(item, FileStorage) and item.filename]
    if len(uploads) > MAX_PHOTOS:
        return [], [_("At most %(most)s photos at a time.", most=MAX_PHOTOS)]
    for upload in uploads:
        data = upload.stream.read(policy.photo_max_bytes + 1)
        try:
            checked.append(check_photo(data, policy.photo_max_bytes, policy.photo_max_pixels))
        except ImageRefused as error:
            errors.append(photo_refusal(upload.filename or "", error, policy))
    return checked, errors


def store_photos(photos: list[CheckedPhoto]) -> list[str]:
    """Write the checked photos under the media root; their names, to take back if the commit fails."""
    media_root = Path(current_app.config["MEDIA_ROOT"])
    names: list[str] = []
    for photo in photos:
        write_photo(media_root, photo)
        names.append(photo.file_name)
    return names


def commit_with_photos(names: list[str]) -> None:
    """Commit; if it fails, the files written for it go too (no file without its row)."""
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        remove_photos(Path(current_app.config["MEDIA_ROOT"]), names)
        raise


def send_photo(photo: DisputePhoto) -> Response:
    """A dispute photo, for the buyer of the order or staff (the views check who): never cached by others."""
    path = photo_path(Path(current_app.config["MEDIA_ROOT"]), photo.file_name)
    if not path.is_file():
        abort(404)
    # Read whole (at most ``DISPUTE_PHOTO_MAX_BYTES``): no file handle outlives the request.
    response = Response(path.read_bytes(), mimetype=photo.content_type)
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def find_photo(dispute: Dispute, name: str, *, with_internal: bool) -> DisputePhoto:
    if NAME.fullmatch(name) is None:
        abort(404)
    for message in dispute.messages:
        if message.internal and not with_internal:
            continue
        for photo in message.photos:
            if photo.file_name == name:
                return photo
    abort(404)
