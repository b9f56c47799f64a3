"""Composing one recipient's message: sandboxed templates, UTM + click-tracked links, the footer (ad marking, why
they get it, unsubscribe), the open pixel and the ``List-Unsubscribe`` headers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy.orm import Session

from crm.campaigns.blocks import ProductCard, load_cards, product_ids, render_blocks
from crm.campaigns.links import add_utm, rewrite_html, rewrite_text
from crm.campaigns.models import Campaign
from crm.campaigns.rendering import SAMPLE_CONTEXT, MessageContext, first_name, render
from crm.campaigns.sender_settings import SenderSettings
from crm.campaigns.tokens import make_click_token, make_open_token, make_unsubscribe_token
from storefront.account.models import Buyer
from storefront.mail import build_message


@dataclass(frozen=True)
class Person:
    """The buyer fields a template may show, copied out of the ORM (a commit per message must not reload them)."""

    name: str
    company: str
    tier_name: str

    @classmethod
    def of(cls, buyer: Buyer) -> Person:
        return cls(buyer.name, buyer.company_name or "", buyer.tier.name if buyer.tier is not None else "")


@dataclass(frozen=True)
class CampaignContent:
    """What composing needs from a campaign, as plain values."""

    id: int
    slug: str
    subject: str
    body_html: str
    body_text: str
    promo_code: str | None
    advertiser: str | None
    erid: str | None
    #: The block editor's body (None: the templates above); ``cards`` are its products at today's prices.
    blocks: list[dict[str, Any]] | None = None
    cards: Mapping[int, ProductCard] = field(default_factory=dict)

    @classmethod
    def of(cls, campaign: Campaign, cards: Mapping[int, ProductCard] | None = None) -> CampaignContent:
        return cls(
            campaign.id,
            campaign.slug,
            campaign.subject,
            campaign.body_html,
            campaign.body_text,
            campaign.promo_code,
            campaign.advertiser,
            campaign.erid,
            campaign.body_blocks,
            cards or {},
        )


def live_content(session: Session, campaign: Campaign, base_url: str) -> CampaignContent:
    """The campaign's content with its product cards at the prices of this moment (block bodies only)."""
    ids = product_ids(campaign.body_blocks) if campaign.body_blocks is not None else []
    return CampaignContent.of(campaign, load_cards(session, ids, base_url))


def context_for(person: Person | None, promo_code: str, unsubscribe_url: str) -> MessageContext:
    if person is None:
        return dataclasses.replace(SAMPLE_CONTEXT, unsubscribe_url=unsubscribe_url)
    return MessageContext(
        first_name=first_name(person.name),
        name=person.name,
        company=person.company,
        tier_name=person.tier_name,
        promo_code=promo_code,
        unsubscribe_url=unsubscribe_url,
    )


@dataclass
class ComposedMessage:
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FooterTexts:
    marking: str
    why: str
    unsubscribe: str


def footer_texts(campaign: CampaignContent) -> FooterTexts:
    """The Russian footer lines: ad marking (38-FZ art. 18.1) when set, why they get it, the unsubscribe label."""
    with force_locale("ru"):
        marking = ""
        if campaign.advertiser or campaign.erid:
            parts = [_("Advertisement.")]
            if campaign.advertiser:
                parts.append(_("Advertiser: %(advertiser)s.", advertiser=campaign.advertiser))
            if campaign.erid:
                parts.append(f"erid: {campaign.erid}")
            marking = " ".join(parts)
        return FooterTexts(
            marking,
            _("You receive this email because you agreed to receive offers from Mostik."),
            _("Unsubscribe"),
        )


def link_tracker(campaign: CampaignContent, settings: SenderSettings, recipient_id: int) -> Callable[[str], str | None]:
    """How a link in a message is rewritten: UTM tags, then through our click redirect (recipient 0: not)."""
    base = settings.base_url
    tracked: dict[str, str] = {}  # a link in both the HTML and the text part is signed once

    def track(url: str) -> str | None:
        if url.startswith(f"{base}/c/"):
            return None  # our own unsubscribe / tracking links stay as they are
        tagged = add_utm(url, campaign.slug)
        if not recipient_id:
            return tagged
        if tagged not in tracked:
            tracked[tagged] = f"{base}/c/c/{make_click_token(settings.secret_key, recipient_id, tagged)}"
        return tracked[tagged]

    return track


def compose_telegram(
    campaign: CampaignContent,
    settings: SenderSettings,
    recipient_id: int,
    person: Person | None,
    promo_code: str | None,
    footer: FooterTexts | None = None,
) -> str:
    """One recipient's Telegram message: the subject as its first line, the text part with tracked links, the ad
    marking and how to stop. Plain text (no parse mode), so nothing a marketer types can break the message."""
    code = promo_code or (campaign.promo_code or "")
    context = context_for(person, code, "")
    subject = " ".join(render(campaign.subject, context, html=False).split())
    if campaign.blocks is not None:
        _html, text = render_blocks(campaign.blocks, campaign.cards, context, settings.base_url, subject)
    else:
        text = render(campaign.body_text, context, html=False)
    body = rewrite_text(text, link_tracker(campaign, settings, recipient_id))
    marking = (footer or footer_texts(campaign)).marking
    with force_locale("ru"):
        stop = _("To stop these messages, send /stop.")
    return f"{subject}\n\n{body.strip()}\n\n" + (f"{marking}\n" if marking else "") + stop


def compose(
    campaign: CampaignContent,
    settings: SenderSettings,
    recipient_id: int,
    person: Person | None,
    promo_code: str | None,
    footer: FooterTexts | None = None,
) -> ComposedMessage:
    """Render one recipient's message: sandboxed templates, UTM + click-tracked links, footer, pixel, headers.

    ``recipient_id`` 0 is a preview or a test send: its links lead straight to their (UTM-tagged) targets, not
    through our click redirect, which would otherwise turn any URL a marketer types into a lasting redirect on our
    domain; the redirect refuses recipient 0.
    """
    base = settings.base_url
    unsubscribe_token = make_unsubscribe_token(settings.secret_key, recipient_id)
    unsubscribe_url = f"{base}/c/u/{unsubscribe_token}"
    code = promo_code or (campaign.promo_code or "")
    context = context_for(person, code, unsubscribe_url)
    subject = " ".join(render(campaign.subject, context, html=False).split())
    if campaign.blocks is not None:
        body_html, body_text = render_blocks(campaign.blocks, campaign.cards, context, base, subject)
    else:
        body_html = render(campaign.body_html, context, html=True)
        body_text = render(campaign.body_text, context, html=False)

    track = link_tracker(campaign, settings, recipient_id)
    body_html = rewrite_html(body_html, track)
    body_text = rewrite_text(body_text, track)
    footer = footer or footer_texts(campaign)
    marking, why, unsubscribe = footer.marking, footer.why, footer.unsubscribe
    pixel = f"{base}/c/o/{make_open_token(settings.secret_key, recipient_id)}.gif"
    footer_html = (
        '<hr><p style="font-size:12px;color:#666">'
        + (f"{escape(marking)}<br>" if marking else "")
        + f'{escape(why)} <a href="{escape(unsubscribe_url)}">{escape(unsubscribe)}</a></p>'
        + f'<img src="{escape(pixel)}" width="1" height="1" alt="">'
    )
    if "</body>" in body_html.lower():
        at = body_html.lower().rindex("</body>")
        body_html = body_html[:at] + footer_html + body_html[at:]
    else:
        body_html += footer_html
    body_text = (
        body_text.rstrip()
        + "\n\n--\n"
        + (f"{marking}\n" if marking else "")
        + f"{why}\n{unsubscribe}: {unsubscribe_url}\n"
    )
    list_unsubscribe = f"<{unsubscribe_url}>"
    if settings.unsubscribe_mailto:
        list_unsubscribe += f", <mailto:{settings.unsubscribe_mailto}?subject=unsubscribe-{unsubscribe_token}>"
    headers = {"List-Unsubscribe": list_unsubscribe, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    if campaign.erid:
        headers["X-Erid"] = campaign.erid
    return ComposedMessage(subject, body_text, body_html, headers)


def to_email(settings: SenderSettings, to: str, message: ComposedMessage) -> Message:
    return build_message(settings.mail, to, message.subject, message.text, message.html, message.headers)
