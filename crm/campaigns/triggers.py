"""Automatic campaigns ("triggers") marketers switch on and tune in /crm/campaigns/triggers.

Each trigger is one Campaign row (``Campaign.trigger`` = its kind) plus one *finder* function here that says
which buyers it fires for now and on what occasion (``cart:<id>:<since>``, ``tier:<change id>``,
``reorder:<expected date>``, ``winback:<expected date>``). The queue job
adds a recipient row per (buyer, occasion) — the unique key makes a trigger fire once per occasion — and the
ordinary sender mails it, respecting consent and the per-buyer frequency cap; quiet hours (Moscow) defer it.

Adding a trigger is one finder plus one ``TRIGGERS`` entry. Reorder reminder and win-back read the
expected-next-order statistics of ``crm.reorder`` (``BuyerStats``); a buyer's episode is one expected date, so a
new paid order (a new expected date) starts a new episode.

Default links are written ``{shop}/path``; ``TriggerSpec.message`` puts the app's ``PUBLIC_BASE_URL`` there when
the campaign row is created, so the sender's click tracking sees ordinary absolute links.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from crm.campaigns.audience import has_marketing_consent
from crm.campaigns.models import Campaign, CampaignRecipient, CampaignStatus
from crm.campaigns.rendering import validate_templates
from crm.campaigns.sender_settings import SenderSettings
from crm.campaigns.sending import quiet_hours_end
from crm.campaigns.services import InvalidTemplate
from crm.reorder.models import BuyerStats
from crm.reorder.queries import AT_RISK, status_condition
from crm.tiers.models import TierChange
from storefront.account.models import Buyer, Tier
from storefront.cart.models import Cart, CartLine

logger = logging.getLogger(__name__)

#: A finder returns (buyer id, email, occasion) rows for ``now``; ``since`` = when the trigger was switched on.
Finder = Callable[[Session, dict[str, Any], datetime, datetime], list[tuple[int, str, str]]]


@dataclass(frozen=True)
class TriggerSpec:
    label: Any
    find: Finder
    default_params: dict[str, Any]
    subject: str
    body_html: str
    body_text: str

    def message(self, base_url: str) -> tuple[str, str, str]:
        """Default (subject, HTML body, text) with links on the shop at ``base_url``."""
        base = base_url.rstrip("/")
        return self.subject, self.body_html.replace("{shop}", base), self.body_text.replace("{shop}", base)


def _find_abandoned_carts(
    session: Session, params: dict[str, Any], now: datetime, since: datetime
) -> list[tuple[int, str, str]]:
    """Signed-in buyers whose cart has had no new line for ``hours`` hours; once per filling of the cart."""
    idle = now - timedelta(hours=int(params.get("hours") or 24))
    rows = session.execute(
        select(Cart.id, Buyer.id, Buyer.email, func.min(CartLine.added_at), func.max(CartLine.added_at))
        .join(CartLine, CartLine.cart_id == Cart.id)
        .join(Buyer, Buyer.id == Cart.buyer_id)
        .where(Buyer.is_active.is_(True), has_marketing_consent())
        .group_by(Cart.id, Buyer.id, Buyer.email)
        .having(func.max(CartLine.added_at) <= idle, func.max(CartLine.added_at) >= since)
    ).all()
    return [
        (buyer_id, email, f"cart:{cart_id}:{int(first.timestamp())}") for cart_id, buyer_id, email, first, _last in rows
    ]


def _find_tier_upgrades(
    session: Session, params: dict[str, Any], now: datetime, since: datetime
) -> list[tuple[int, str, str]]:
    """Buyers moved to a higher tier since the trigger was switched on (within the last week)."""
    old, new = aliased(Tier), aliased(Tier)
    rows = session.execute(
        select(TierChange.id, Buyer.id, Buyer.email)
        .join(Buyer, Buyer.id == TierChange.buyer_id)
        .join(new, new.id == TierChange.new_tier_id)
        .outerjoin(old, old.id == TierChange.old_tier_id)
        .where(
            TierChange.created_at >= max(since, now - timedelta(days=7)),
            new.threshold_amount > 0,
            (old.id.is_(None)) | (new.position > old.position),
            Buyer.is_active.is_(True),
            has_marketing_consent(),
        )
    ).all()
    return [(buyer_id, email, f"tier:{change_id}") for change_id, buyer_id, email in rows]


def _find_reorder_due(
    session: Session, params: dict[str, Any], now: datetime, since: datetime
) -> list[tuple[int, str, str]]:
    """Buyers whose expected next order date is within the next ``days`` days; once per expected date."""
    horizon = now + timedelta(days=int(params.get("days") or 7))
    rows = session.execute(
        select(Buyer.id, Buyer.email, BuyerStats.expected_next_at)
        .join(BuyerStats, BuyerStats.buyer_id == Buyer.id)
        .where(
            BuyerStats.expected_next_at > now,
            BuyerStats.expected_next_at <= horizon,
            Buyer.is_active.is_(True),
            has_marketing_consent(),
        )
    ).all()
    return [
        (buyer_id, email, f"reorder:{int(expected.timestamp())}")
        for buyer_id, email, expected in rows
        if expected is not None  # always: the WHERE compares it
    ]


def _find_win_back(
    session: Session, params: dict[str, Any], now: datetime, since: datetime
) -> list[tuple[int, str, str]]:
    """Overdue or lapsed buyers whose expected date passed after the trigger was switched on; once per date.

    Buyers already overdue when it is switched on are not mailed (no backlog, like the abandoned cart).
    """
    rows = session.execute(
        select(Buyer.id, Buyer.email, BuyerStats.expected_next_at)
        .join(BuyerStats, BuyerStats.buyer_id == Buyer.id)
        .where(
            status_condition(list(AT_RISK)),
            BuyerStats.expected_next_at >= since,
            BuyerStats.expected_next_at <= now,
            Buyer.is_active.is_(True),
            has_marketing_consent(),
        )
    ).all()
    return [
        (buyer_id, email, f"winback:{int(expected.timestamp())}")
        for buyer_id, email, expected in rows
        if expected is not None  # always: the WHERE compares it
    ]


TRIGGERS: dict[str, TriggerSpec] = {
    "abandoned_cart": TriggerSpec(
        label=_l("Abandoned cart"),
        find=_find_abandoned_carts,
        default_params={"hours": 24},
        subject="{{ buyer.first_name }}, товары ждут вас в корзине",
        body_html="<p>Здравствуйте, {{ buyer.first_name }}!</p><p>Вы оставили товары в корзине. "
        '<a href="{shop}/cart">Вернуться к заказу</a></p>',
        body_text="Здравствуйте, {{ buyer.first_name }}!\n\nВы оставили товары в корзине: {shop}/cart",
    ),
    "tier_upgrade": TriggerSpec(
        label=_l("Tier upgrade congratulation"),
        find=_find_tier_upgrades,
        default_params={},
        subject="Поздравляем: ваш уровень теперь {{ tier.name }}",
        body_html="<p>{{ buyer.first_name }}, поздравляем с уровнем «{{ tier.name }}»!</p>"
        '<p><a href="{shop}/">Посмотреть новые цены</a></p>',
        body_text="{{ buyer.first_name }}, поздравляем с уровнем «{{ tier.name }}»!\n{shop}/",
    ),
    "reorder_reminder": TriggerSpec(
        label=_l("Reorder reminder"),
        find=_find_reorder_due,
        default_params={"days": 7},
        subject="{{ buyer.first_name }}, пора пополнить запасы",
        body_html="<p>Здравствуйте, {{ buyer.first_name }}!</p><p>Судя по прошлым заказам, скоро вам понадобится "
        'новая партия. <a href="{shop}/account/orders">Повторить заказ</a></p>',
        body_text="Здравствуйте, {{ buyer.first_name }}!\n\nСудя по прошлым заказам, скоро вам понадобится новая "
        "партия. Повторить заказ: {shop}/account/orders",
    ),
    "win_back": TriggerSpec(
        label=_l("Win-back"),
        find=_find_win_back,
        default_params={},
        subject="{{ buyer.first_name }}, мы скучаем по вашим заказам",
        body_html="<p>Здравствуйте, {{ buyer.first_name }}!</p><p>Давно не видели вас в Мостике. "
        'Загляните в каталог: там много новинок. <a href="{shop}/">Смотреть каталог</a></p>',
        body_text="Здравствуйте, {{ buyer.first_name }}!\n\nДавно не видели вас в Мостике. Загляните в каталог: "
        "там много новинок. {shop}/",
    ),
}


def ensure_trigger_campaigns(session: Session, base_url: str) -> dict[str, Campaign]:
    """One (switched-off) campaign row per trigger kind, created on first use (in a savepoint: a concurrent
    request that created them first wins). Flushes; the caller commits.

    ``base_url`` (the app's ``PUBLIC_BASE_URL``) goes into the default message's links.
    """
    existing = {c.trigger: c for c in session.scalars(select(Campaign).where(Campaign.trigger.is_not(None)))}
    missing = [kind for kind in TRIGGERS if kind not in existing]
    if not missing:
        return existing  # type: ignore[return-value]
    try:
        with session.begin_nested():
            for kind in missing:
                spec = TRIGGERS[kind]
                subject, body_html, body_text = spec.message(base_url)
                campaign = Campaign(
                    name=str(spec.label),
                    slug=f"trigger-{kind.replace('_', '-')}",
                    subject=subject,
                    body_html=body_html,
                    body_text=body_text,
                    status=CampaignStatus.DRAFT,
                    trigger=kind,
                    trigger_enabled=False,
                    trigger_params=dict(spec.default_params),
                )
                session.add(campaign)
                existing[kind] = campaign
    except IntegrityError:  # created by a concurrent request
        return {c.trigger: c for c in session.scalars(select(Campaign).where(Campaign.trigger.is_not(None)))}  # type: ignore[misc]
    return existing  # type: ignore[return-value]


def update_trigger(
    session: Session,
    kind: str,
    *,
    enabled: bool,
    hours: int | None,
    subject: str,
    body_html: str,
    body_text: str,
    now: datetime,
    base_url: str,
    days: int | None = None,
) -> Campaign:
    """Switch a trigger on/off and edit its message. Switching on starts from ``now`` (no backlog). Flushes; the
    caller records the audit entry and commits."""
    errors = validate_templates(subject, body_html, body_text)
    if errors:
        raise InvalidTemplate(errors)
    campaign = ensure_trigger_campaigns(session, base_url)[kind]
    params = dict(campaign.trigger_params or {})
    if hours is not None:
        params["hours"] = hours
    if days is not None:
        params["days"] = days
    if enabled and not campaign.trigger_enabled:
        params["enabled_at"] = now.isoformat()
    campaign.trigger_params = params
    campaign.trigger_enabled = enabled
    campaign.subject, campaign.body_html, campaign.body_text = subject, body_html, body_text
    session.flush()
    return campaign


def queue_triggers(session: Session, settings: SenderSettings, now: datetime) -> int:
    """Add a recipient row for every new occasion of every switched-on trigger. Commits each row."""
    added = 0
    not_before = quiet_hours_end(now, settings)
    for campaign in session.scalars(
        select(Campaign).where(Campaign.trigger.is_not(None), Campaign.trigger_enabled.is_(True))
    ).all():
        spec = TRIGGERS.get(campaign.trigger or "")
        if spec is None:
            continue
        params = campaign.trigger_params or {}
        since = datetime.fromisoformat(params["enabled_at"]) if params.get("enabled_at") else now
        for buyer_id, email, occasion in spec.find(session, params, now, since):
            exists_already = session.scalar(
                select(CampaignRecipient.id).where(
                    CampaignRecipient.campaign_id == campaign.id,
                    CampaignRecipient.buyer_id == buyer_id,
                    CampaignRecipient.occasion == occasion,
                )
            )
            if exists_already is not None:
                continue
            session.add(
                CampaignRecipient(
                    campaign_id=campaign.id,
                    buyer_id=buyer_id,
                    email=email,
                    occasion=occasion,
                    not_before=not_before,
                    created_at=now,
                )
            )
            try:
                session.commit()
            except IntegrityError:  # the same occasion queued by a concurrent run
                session.rollback()
                continue
            added += 1
    return added
