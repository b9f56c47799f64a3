"""Segments compile to one SQL query that selects exactly what the Python reference filter selects."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.buyers.models import BuyerProfile
from crm.segments.compiler import MAX_CONDITIONS, InvalidSegment, compile_segment
from crm.segments.fields import CHOICE_OPS, FIELDS, LIST_OPERATORS, NO_VALUE_OPERATORS, Field, in_rows, one_of
from crm.staff.models import StaffUser
from storefront import models as shop_models
from tests.support.database import empty_all_tables
from tests.support.segment_world import CITIES, MOSCOW, REGIONS, UTM_SOURCES, World, build_world, reference_filter

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _samples(world: World, field: str) -> list[Any]:
    """Values worth trying for a field: the ones buyers have (boundaries), and some nobody has."""
    facts = world.facts
    if field == "tier":
        return [*world.tier_codes, "nobody"]
    if field == "region":
        return [*REGIONS, "01"]
    if field == "city":
        return [*CITIES, "Пет", "ин", "Тверь"]
    if field == "kind":
        return ["person", "company"]
    if field in ("spend_12m", "spend_total"):
        amounts = {getattr(f, field) for f in facts} | {0, 100_000, 2_500_000}
        # Exact kopecks as strings (boundaries), whole roubles as numbers.
        return [f"{k / 100:.2f}" if k % 100 else k // 100 for k in sorted(amounts)]
    if field == "order_count":
        return [0, 1, 2, 3, 5]
    if field == "days_since_last_order":
        days = {(world.now - f.last_paid_at).days for f in facts if f.last_paid_at}
        return sorted(days | {0, 30, 365, 1000})
    if field == "categories":
        return sorted(world.categories)
    if field == "manager":
        return [*world.manager_ids, 999_999]
    if field == "marketing_consent":
        return [True, False]
    if field == "registered":
        days = {f.created_at.astimezone(MOSCOW).date() for f in facts}
        days |= {day + timedelta(days=1) for day in list(days)}
        return [day.isoformat() for day in sorted(days)]
    if field == "utm_source":
        return [*UTM_SOURCES, "yan", "OZON"]
    if field == "reorder_status":
        return ["new", "active", "due", "overdue", "lapsed"]
    raise AssertionError(field)


def _value(rng: random.Random, world: World, field: str, op: str) -> Any:
    samples = _samples(world, field)
    if op in NO_VALUE_OPERATORS:
        return None
    if op in LIST_OPERATORS:
        return rng.sample(samples, k=min(len(samples), rng.randint(1, 3)))
    if op == "between":
        low, high = sorted(rng.sample(range(len(samples)), k=2))
        return [samples[low], samples[high]]
    if field == "city" and op == "contains":
        return rng.choice(["Пет", "ин", "Москва", "х"])
    return rng.choice(samples)


def _selected(session: Session, world: World, definition: dict[str, Any]) -> set[int]:
    return set(session.scalars(compile_segment(definition, now=world.now)))


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session, seed=20261126)


def test_every_field_and_operator_matches_the_reference(session: Session, world: World) -> None:
    rng = random.Random(8)
    checked = 0
    for key, field in FIELDS.items():
        for op in field.operators:
            for _ in range(4 if op not in NO_VALUE_OPERATORS else 1):
                definition = {
                    "op": "and",
                    "conditions": [{"field": key, "operator": op, "value": _value(rng, world, key, op)}],
                }
                assert _selected(session, world, definition) == reference_filter(world, definition), definition
                checked += 1
    assert checked > 100
    # The world is varied enough that the conditions are not all trivially empty or full.
    assert (
        0
        < len(
            reference_filter(world, {"op": "and", "conditions": [{"field": "spend_12m", "operator": "gt", "value": 0}]})
        )
        < len(world.facts)
    )


@st.composite
def definitions(draw: st.DrawFn, world: World, depth: int = 1) -> dict[str, Any]:
    items: list[Any] = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if depth < 3 and draw(st.booleans()) and draw(st.booleans()):
            items.append(draw(definitions(world, depth + 1)))
            continue
        key = draw(st.sampled_from(sorted(FIELDS)))
        op = draw(st.sampled_from(FIELDS[key].operators))
        rng = random.Random(draw(st.integers(min_value=0, max_value=10_000)))
        items.append({"field": key, "operator": op, "value": _value(rng, world, key, op)})
    return {"op": draw(st.sampled_from(("and", "or"))), "conditions": items}


def test_random_nested_definitions_match_the_reference(session: Session, world: World) -> None:
    @FAST
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        definition = data.draw(definitions(world))
        assert _selected(session, world, definition) == reference_filter(world, definition), definition

    check()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**20))
def test_random_buyers_match_the_reference(session: Session, seed: int) -> None:
    """A fresh random world for each example (hypothesis picks its seed), one condition per field."""
    empty_all_tables(session)
    picks = random.Random(seed)
    world = build_world(session, seed=seed, buyers=15)
    for key, field in FIELDS.items():
        op = picks.choice(field.operators)
        definition = {
            "op": "or",
            "conditions": [{"field": key, "operator": op, "value": _value(picks, world, key, op)}],
        }
        assert _selected(session, world, definition) == reference_filter(world, definition), definition


def test_one_query_for_the_whole_definition(app: Flask, session: Session, world: World) -> None:
    """Many conditions, nested groups: still one statement that the database answers in one round trip."""
    definition = {
        "op": "and",
        "conditions": [
            {"field": "spend_12m", "operator": "gte", "value": "1"},
            {"field": "spend_12m", "operator": "lte", "value": "900000"},
            {
                "op": "or",
                "conditions": [
                    {"field": "order_count", "operator": "gte", "value": 1},
                    {"field": "days_since_last_order", "operator": "lt", "value": 400},
                ],
            },
        ],
    }
    sql = str(compile_segment(definition, now=world.now))
    assert sql.count("SELECT buyers.id") == 1  # one statement; the facts are subqueries inside it
    count = session.scalar(select(func.count()).select_from(compile_segment(definition, now=world.now).subquery()))
    assert count == len(reference_filter(world, definition))


def test_an_empty_definition_selects_every_buyer(session: Session, world: World) -> None:
    assert _selected(session, world, {"op": "and", "conditions": []}) == {f.id for f in world.facts}


INVALID = [
    ({"op": "xor", "conditions": []}, "сегмент: группа должна иметь «op»"),
    ([], "сегмент: группа должна иметь «op»"),
    (
        {"op": "and", "conditions": [{"field": "shoe_size", "operator": "eq", "value": 42}]},
        "условие 1: неизвестное поле «shoe_size»",
    ),
    (
        {
            "op": "and",
            "conditions": [
                {"field": "city", "operator": "eq", "value": "Москва"},
                {"field": "city", "operator": "eq", "value": "Химки"},
                {"field": "spend_12m", "operator": "contains", "value": 5},
            ],
        },
        "условие 3: поле «сумма за 12 месяцев» не поддерживает оператор «содержит»",
    ),
    (
        {"op": "and", "conditions": [{"field": "order_count", "operator": "gt", "value": "много"}]},
        "условие 1: поле «число заказов», оператор «больше»: ожидается целое число от 0 до 1000000",
    ),
    (
        {"op": "and", "conditions": [{"field": "spend_total", "operator": "gte", "value": -5}]},
        "условие 1: поле «сумма за всё время»",
    ),
    (
        {"op": "and", "conditions": [{"field": "registered", "operator": "eq", "value": "31.12.2026"}]},
        "ожидается дата в формате ГГГГ-ММ-ДД",
    ),
    ({"op": "and", "conditions": [{"field": "region", "operator": "in", "value": []}]}, "условие 1: поле «регион»"),
    (
        {"op": "and", "conditions": [{"field": "order_count", "operator": "between", "value": [5, 1]}]},
        "«от» не больше «до»",
    ),
    (
        {"op": "and", "conditions": [{"field": "marketing_consent", "operator": "eq", "value": "yes"}]},
        "условие 1: поле «согласие на рассылку»",
    ),
    ({"op": "and", "conditions": [{"field": "tier", "operator": "is_empty", "value": "gold"}]}, "без значения"),
    (
        {
            "op": "and",
            "conditions": [{"op": "or", "conditions": [{"field": "tier", "operator": "frobnicate", "value": "gold"}]}],
        },
        "условие 1.1: поле «уровень»: неизвестный оператор «frobnicate»",
    ),
    (
        {
            "op": "and",
            "conditions": [{"op": "or", "conditions": [{"op": "and", "conditions": [{"op": "or", "conditions": []}]}]}],
        },
        "условие 1.1.1: группы можно вкладывать не глубже 3 уровней",
    ),
    (
        {"op": "and", "conditions": [{"field": "order_count", "operator": "gte", "value": 1}] * (MAX_CONDITIONS + 1)},
        "не больше 30 условий",
    ),
    ({"op": "and", "conditions": "all"}, "сегмент: «conditions» должен быть списком"),
]


@pytest.mark.parametrize(("definition", "message"), INVALID)
def test_invalid_definitions_are_refused_naming_the_part(app: Flask, definition: Any, message: str) -> None:
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        with pytest.raises(InvalidSegment) as refused:
            compile_segment(definition)
        assert message in str(refused.value)


def test_tables_used_are_only_read(session: Session, world: World) -> None:
    """Compiling and counting writes nothing (no profiles created, no staff touched)."""
    before = (
        session.scalar(select(func.count()).select_from(BuyerProfile)),
        session.scalar(select(func.count()).select_from(StaffUser)),
    )
    session.scalars(
        compile_segment({"op": "and", "conditions": [{"field": "manager", "operator": "is_empty"}]}, now=world.now)
    ).all()
    after = (
        session.scalar(select(func.count()).select_from(BuyerProfile)),
        session.scalar(select(func.count()).select_from(StaffUser)),
    )
    assert before == after
    assert shop_models  # the model import registers every table used above


def test_a_new_field_is_one_registry_entry(session: Session, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """How the reorder-status field of issue 7 plugs in: a per-buyer table column and a fixed list of values."""
    reason = Field(
        "manual_reason",
        "manual reason",
        "choice",
        CHOICE_OPS,
        one_of("contract", "promo"),
        sql=lambda op, value, s: in_rows(BuyerProfile.buyer_id, BuyerProfile.manual_reason, op, value),
    )
    monkeypatch.setitem(FIELDS, "manual_reason", reason)
    buyer_id = session.scalar(select(BuyerProfile.buyer_id).order_by(BuyerProfile.buyer_id).limit(1))
    session.execute(
        BuyerProfile.__table__.update().where(BuyerProfile.buyer_id == buyer_id).values(manual_reason="contract")
    )
    session.commit()
    condition = {"field": "manual_reason", "operator": "eq", "value": "contract"}
    both = {"op": "and", "conditions": [condition, {"field": "manager", "operator": "is_empty"}]}
    sql = str(compile_segment(both))
    assert sql.count("FROM crm_buyer_profiles") == 2
    selected = set(session.scalars(compile_segment({"op": "and", "conditions": [condition]})))
    assert selected == {buyer_id}
    with pytest.raises(InvalidSegment):
        compile_segment({"op": "and", "conditions": [{**condition, "value": "other"}]})
