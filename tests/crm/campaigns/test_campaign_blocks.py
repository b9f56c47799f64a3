"""The block editor (issue 18): every block type renders to balanced, table-based e-mail HTML with the plain-text
part derived from the same blocks; product cards carry the price of the moment of sending; bad blocks (unknown
type, a javascript: link, too many or too long) are refused in Russian with a 400 and change nothing; saved
templates start new campaigns; the preview shows a computer and a phone width."""

from __future__ import annotations

import email
import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.campaigns.block_form import apply_action, blocks_from_form
from crm.campaigns.blocks import (
    MAX_BLOCKS,
    BlocksRefused,
    blocks_from_json,
    load_cards,
    render_blocks,
    validate_blocks,
)
from crm.campaigns.models import Campaign, CampaignTemplate, PromoMode
from crm.campaigns.rendering import SAMPLE_CONTEXT
from crm.campaigns.sending import send_due
from crm.campaigns.services import schedule_campaign
from storefront.catalog.models import Product, ProductStatus
from storefront.db import utcnow
from tests.support import factories
from tests.support.web import crm_csrf, crm_sign_in_as

VOID = {"meta", "br", "img", "hr", "input", "link", "area", "base", "col", "embed", "source", "track", "wbr"}


class _Balance(HTMLParser):
    """Every opened element closed, in order (void elements excepted)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else '—'}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _balanced(html: str) -> _Balance:
    parser = _Balance()
    parser.feed(html)
    parser.close()
    assert parser.errors == [] and parser.stack == [], (parser.errors, parser.stack)
    return parser


def _product(session: Session, title: str, price: str) -> Product:
    product = factories.create_product(
        session, factories.create_category(session), factories.create_supplier(session), title=title
    )
    product.price_rub_from = Decimal(price)
    session.flush()
    return product


def _every_block(product_ids: list[int]) -> list[dict[str, Any]]:
    return [
        {"type": "heading", "text": "{{ buyer.first_name }}, зима <близко>"},
        {"type": "text", "text": "Первый абзац,\nвторая строка.\n\nВторой абзац & «кавычки»."},
        {"type": "button", "label": "В каталог", "url": "https://mostik.example/catalog/obuv"},
        {"type": "products", "ids": product_ids},
        {"type": "image", "url": "/media/pictures/ab12cd-800.webp", "alt": "Зимняя коллекция"},
        {"type": "image", "url": "https://cdn.example.ru/banner.png", "alt": ""},
        {"type": "promo", "text": "Ваш промокод на скидку 10 %"},
        {"type": "divider"},
    ]


def test_every_block_type_renders_balanced_table_html_and_a_text_part_with_the_prices(
    app: Flask, session: Session
) -> None:
    boots = _product(session, "Ботинки зимние <мужские>", "4990.00")
    scarf = _product(session, "Шарф шерстяной", "1234.50")
    blocks = validate_blocks(_every_block([boots.id, scarf.id]))
    with app.test_request_context():
        cards = load_cards(session, [boots.id, scarf.id], "https://mostik.example")
        html, text = render_blocks(blocks, cards, SAMPLE_CONTEXT, "https://mostik.example", "Тема")
    parsed = _balanced(html)
    assert html.count("<table") >= 5 and 'style="max-width:600px' in html  # table-based, one column ≤ 600 px
    assert "<script" not in html and "<близко>" not in html and "&lt;близко&gt;" in html  # texts are escaped
    assert "Иван, зима &lt;близко&gt;" in html  # the sample buyer's name through the sandbox
    assert "Первый абзац,<br>вторая строка." in html and html.count('<p style="margin:0 0 12px 0;">') == 2
    assert 'href="https://mostik.example/catalog/obuv"' in html
    assert f'href="https://mostik.example/product/{boots.id}-' in html
    assert 'src="https://mostik.example/media/pictures/ab12cd-800.webp"' in html  # our picture, made absolute
    assert "SAMPLE10" in html and "border-top:1px solid" in html
    assert "4\xa0990,00\xa0₽" in html and "1\xa0234,50\xa0₽" in html  # through the rouble filter
    assert "Шарф шерстяной" in "".join(parsed.text)
    for expected in (
        "Иван, зима <близко>",
        "Первый абзац,\nвторая строка.",
        "Второй абзац & «кавычки».",
        "В каталог: https://mostik.example/catalog/obuv",
        "Ботинки зимние <мужские>\nот 4\xa0990,00\xa0₽",
        "Шарф шерстяной\nот 1\xa0234,50\xa0₽",
        "[Зимняя коллекция]",
        "Ваш промокод на скидку 10 %\nПромокод: SAMPLE10",
    ):
        assert expected in text


@pytest.mark.parametrize(
    "block",
    [
        {"type": "heading", "text": "Привет"},
        {"type": "text", "text": "Абзац один\n\nАбзац два"},
        {"type": "button", "label": "Купить", "url": "https://mostik.example/"},
        {"type": "image", "url": "https://cdn.example.ru/a.png", "alt": "Картинка"},
        {"type": "promo", "text": ""},
        {"type": "divider"},
        {"type": "products", "ids": []},
    ],
)
def test_each_block_alone_is_balanced(app: Flask, block: dict[str, Any]) -> None:
    with app.test_request_context():
        html, text = render_blocks(validate_blocks([block]), {}, SAMPLE_CONTEXT, "https://mostik.example")
    _balanced(html)
    assert text.endswith("\n")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{"type": "script", "text": "x"}], "Блок 1: неизвестный тип блока."),
        (
            [{"type": "button", "label": "x", "url": "javascript:alert(1)"}],
            "Блок 1: ссылка должна начинаться с https://.",
        ),
        ([{"type": "button", "label": "x", "url": "http://mostik.example/"}], "ссылка должна начинаться с https://"),
        ([{"type": "image", "url": "javascript:alert(1)", "alt": ""}], "адрес картинки должен начинаться"),
        ([{"type": "image", "url": "/media/../../etc/passwd", "alt": ""}], "адрес картинки должен начинаться"),
        ([{"type": "heading", "text": "x" * 201}], "Блок 1: текст длиннее 200 символов."),
        ([{"type": "divider"}] * (MAX_BLOCKS + 1), "В письме может быть не больше 40 блоков."),
        ([{"type": "products", "ids": [1, 2, 3, 4, 5, 6, 7]}], "не больше 6 товаров"),
        ({"type": "divider"}, "Блоки не удалось прочитать."),
    ],
)
def test_invalid_blocks_are_refused_in_russian(app: Flask, raw: Any, message: str) -> None:
    with app.test_request_context(headers={"Accept-Language": "ru"}), pytest.raises(BlocksRefused) as refused:
        validate_blocks(raw)
    assert message in str(refused.value)


def test_json_is_bounded_before_it_is_parsed(app: Flask) -> None:
    with app.test_request_context():
        with pytest.raises(BlocksRefused):
            blocks_from_json("[" * 5000 + "]" * 5000)
        with pytest.raises(BlocksRefused):
            blocks_from_json(json.dumps([{"type": "text", "text": "я" * 4000}] * 20))
        assert blocks_from_json('[{"type": "divider", "extra": 1}]') == [{"type": "divider"}]


def test_form_actions_add_move_delete_and_add_a_product(app: Flask) -> None:
    with app.test_request_context():
        blocks = blocks_from_form({"count": "2", "b0-type": "heading", "b0-text": "А", "b1-type": "products",
                                   "b1-ids": "5, 7"})  # fmt: skip
        assert blocks == [{"type": "heading", "text": "А"}, {"type": "products", "ids": [5, 7]}]
        moved, focus = apply_action(blocks, "up:1")
        assert [b["type"] for b in moved] == ["products", "heading"] and focus == 0
        added, focus = apply_action(blocks, "add:divider")
        assert added[-1] == {"type": "divider"} and focus == 2
        with_product, _focus = apply_action(blocks, "addproduct:1:9")
        assert with_product[1]["ids"] == [5, 7, 9]
        deleted, _focus = apply_action(blocks, "delete:0")
        assert deleted == [{"type": "products", "ids": [5, 7]}]
        for bad in ("up:9", "add:script", "explode", "addproduct:0:1"):
            with pytest.raises(BlocksRefused):
                apply_action(blocks, bad)
        with pytest.raises(BlocksRefused):
            blocks_from_form({"count": "1", "b0-type": "products", "b0-ids": "1; drop"})
        with pytest.raises(BlocksRefused):
            blocks_from_form({"count": "100000"})


# --- the pages --------------------------------------------------------------------------------------------------


def _block_campaign(client: FlaskClient, session: Session, **fields: str) -> Campaign:
    segment = factories.create_segment(session)
    session.commit()
    csrf = crm_csrf(client, "/crm/campaigns/new")
    response = client.post(
        "/crm/campaigns/new",
        data={"csrf_token": csrf, "name": "Зима", "segment_id": str(segment.id), "subject": "Зима близко",
              "body_mode": "blocks", "promo_mode": "shared", "promo_percent": "10", "promo_valid_days": "14",
              "shared_code": "ZIMA10", "control_percent": "0", **fields},
    )  # fmt: skip
    campaign = session.scalars(select(Campaign).order_by(Campaign.id.desc())).first()
    assert campaign is not None
    assert response.status_code == 302 and response.location.endswith(f"/crm/campaigns/{campaign.id}/blocks")
    assert campaign.body_blocks == []
    return campaign


def _post_blocks(client: FlaskClient, campaign: Campaign, blocks: list[dict[str, Any]], action: str, **extra: str):
    csrf = crm_csrf(client, f"/crm/campaigns/{campaign.id}/blocks")
    data = {"csrf_token": csrf, "count": str(len(blocks)), "action": action, **extra}
    for index, block in enumerate(blocks):
        for key, value in block.items():
            data[f"b{index}-{key}"] = ", ".join(map(str, value)) if key == "ids" else value
    return client.post(f"/crm/campaigns/{campaign.id}/blocks", data=data)


def test_a_marketer_builds_a_block_message_that_is_sent_with_the_prices_of_the_moment(
    app: Flask, session: Session, client: FlaskClient, mailbox
) -> None:
    crm_sign_in_as(session, client)
    boots = _product(session, "Ботинки зимние", "4990.00")
    factories.create_recipient(session, "anna@example.ru", "Анна Смирнова")
    session.commit()
    campaign = _block_campaign(client, session)

    added = _post_blocks(client, campaign, [], "add:heading")
    assert added.status_code == 303 and added.location.endswith("#block-0")
    blocks = _every_block([boots.id])
    saved = _post_blocks(client, campaign, blocks, "save")
    assert saved.status_code == 303
    session.expire_all()
    assert campaign.body_blocks is not None and len(campaign.body_blocks) == len(blocks)
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.edit")).all()

    page = client.get(f"/crm/campaigns/{campaign.id}/blocks?q=Ботинки").get_data(as_text=True)
    assert "Ботинки зимние" in page and f'value="addproduct:3:{boots.id}"' in page and "4\xa0990,00\xa0₽" in page

    preview = client.get(f"/crm/campaigns/{campaign.id}/preview")
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="preview-desktop"' in body and 'id="preview-phone"' in body
    assert "SAMPLE10" in body  # the sample buyer's code, as in the HTML mode

    boots.price_rub_from = Decimal("3990.00")  # the price changes after the message was written
    session.commit()
    schedule_campaign(session, campaign, utcnow(), utcnow())
    session.commit()
    with app.app_context():
        result = send_due(session, factories.sender_settings(app, cap_messages=100))
    assert result.sent == 1
    message = email.message_from_string(mailbox.messages[-1].as_string(), policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    _balanced(html)
    assert "3\xa0990,00\xa0₽" in html and "4\xa0990" not in html
    assert "от 3\xa0990,00\xa0₽" in text and "Анна, зима <близко>" in text and "Промокод: ZIMA10" in text
    assert "/c/c/" in html  # links click-tracked as in the HTML mode
    assert re.search(r"Отписаться", html)


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([{"type": "quote", "text": "x"}], "Блок 2: неизвестный тип блока."),
        ([{"type": "button", "label": "Жми", "url": "javascript:alert(1)"}], "ссылка должна начинаться с https://"),
        ([{"type": "text", "text": "я" * 5001}], "текст длиннее 5000 символов"),
        ([{"type": "text", "text": "{{ config.SECRET_KEY }}"}], "«config» недоступно"),
        ([{"type": "products", "ids": [987654]}], "В каталоге нет товара № 987654."),
    ],
)
def test_invalid_blocks_on_the_page_are_a_400_in_russian_and_save_nothing(
    session: Session, client: FlaskClient, blocks: list[dict[str, Any]], message: str
) -> None:
    crm_sign_in_as(session, client)
    campaign = _block_campaign(client, session)
    assert _post_blocks(client, campaign, [{"type": "heading", "text": "Было"}], "save").status_code == 303
    refused = _post_blocks(client, campaign, [{"type": "heading", "text": "Стало"}, *blocks], "save")
    assert refused.status_code == 400
    assert message in refused.get_data(as_text=True)
    session.expire_all()
    assert campaign.body_blocks == [{"type": "heading", "text": "Было"}]


def test_too_many_blocks_and_oversized_json_are_refused(session: Session, client: FlaskClient) -> None:
    crm_sign_in_as(session, client)
    campaign = _block_campaign(client, session)
    refused = _post_blocks(client, campaign, [{"type": "divider"}] * MAX_BLOCKS, "add:divider")
    assert refused.status_code == 400 and "не больше 40 блоков" in refused.get_data(as_text=True)
    huge = json.dumps([{"type": "text", "text": "я" * 5000}] * 12, ensure_ascii=False)
    refused = _post_blocks(client, campaign, [], "json", json=huge)
    assert refused.status_code == 400 and "Письмо слишком длинное." in refused.get_data(as_text=True)
    session.expire_all()
    assert campaign.body_blocks == []


def test_a_promo_block_needs_a_campaign_promo_code(session: Session, client: FlaskClient) -> None:
    crm_sign_in_as(session, client)
    campaign = _block_campaign(client, session, promo_mode="none", shared_code="")
    refused = _post_blocks(client, campaign, [{"type": "promo", "text": "Скидка"}], "save")
    assert refused.status_code == 400 and "блок промокода" in refused.get_data(as_text=True)


def test_a_saved_template_starts_a_new_campaign(session: Session, client: FlaskClient) -> None:
    crm_sign_in_as(session, client)
    campaign = _block_campaign(client, session)
    blocks = [{"type": "heading", "text": "Новинки недели"}, {"type": "divider"}]
    assert _post_blocks(client, campaign, blocks, "template", template_name="  ").status_code == 400
    assert session.scalars(select(CampaignTemplate)).all() == []
    assert _post_blocks(client, campaign, blocks, "template", template_name="Еженедельная").status_code == 303
    template = session.scalars(select(CampaignTemplate)).one()
    assert template.name == "Еженедельная" and template.blocks == blocks
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.template")).all()

    form = client.get("/crm/campaigns/new").get_data(as_text=True)
    assert "Еженедельная" in form
    csrf = crm_csrf(client, "/crm/campaigns/new")
    client.post(
        "/crm/campaigns/new",
        data={"csrf_token": csrf, "name": "Из шаблона", "segment_id": str(campaign.segment_id), "subject": "Тема",
              "body_mode": "blocks", "template_id": str(template.id), "promo_mode": "none", "promo_percent": "0",
              "promo_valid_days": "14", "control_percent": "0"},
    )  # fmt: skip
    started = session.scalars(select(Campaign).where(Campaign.name == "Из шаблона")).one()
    assert started.body_blocks == blocks


def test_html_mode_stays_for_experts_and_needs_both_bodies(session: Session, client: FlaskClient) -> None:
    crm_sign_in_as(session, client)
    segment = factories.create_segment(session)
    session.commit()
    csrf = crm_csrf(client, "/crm/campaigns/new")
    base = {"csrf_token": csrf, "name": "HTML", "segment_id": str(segment.id), "subject": "Тема",
            "body_mode": "html", "promo_mode": "none", "promo_percent": "0", "promo_valid_days": "14",
            "control_percent": "0"}  # fmt: skip
    refused = client.post("/crm/campaigns/new", data=base)
    assert refused.status_code == 400 and "Заполните это поле в режиме HTML." in refused.get_data(as_text=True)
    created = client.post("/crm/campaigns/new", data={**base, "body_html": "<p>Привет</p>", "body_text": "Привет"})
    assert created.status_code == 302
    campaign = session.scalars(select(Campaign)).one()
    assert campaign.body_blocks is None and campaign.promo_mode == PromoMode.NONE
    page = client.get(f"/crm/campaigns/{campaign.id}/blocks")
    assert page.status_code == 200 and "Письмо этой рассылки — HTML-шаблон." in page.get_data(as_text=True)
    assert _post_blocks(client, campaign, [{"type": "heading", "text": "Теперь блоки"}], "save").status_code == 303
    session.expire_all()
    assert campaign.body_blocks == [{"type": "heading", "text": "Теперь блоки"}]
    assert campaign.body_html == "<p>Привет</p>"  # kept for switching back


def test_a_hidden_product_is_left_out_when_sending(app: Flask, session: Session) -> None:
    shown = _product(session, "Видимый", "100.00")
    hidden = _product(session, "Скрытый", "200.00")
    hidden.status = ProductStatus.ARCHIVED
    session.flush()
    with app.test_request_context():
        cards = load_cards(session, [shown.id, hidden.id], "https://mostik.example")
        html, text = render_blocks(validate_blocks([{"type": "products", "ids": [hidden.id, shown.id]}]), cards,
                                   SAMPLE_CONTEXT, "https://mostik.example")  # fmt: skip
    assert "Видимый" in text and "Скрытый" not in text and "Скрытый" not in html
