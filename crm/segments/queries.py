"""Reading segments: counts, the preview a marketer sees while editing, the builder's field schema."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.segments.compiler import compile_segment
from crm.segments.fields import FIELDS, OPERATORS
from crm.segments.models import Segment
from crm.staff.models import Role, StaffUser
from storefront.account.models import Address, Buyer, Tier
from storefront.account.queries import main_address
from storefront.catalog.models import Category
from storefront.shipping.regions import region_name, regions_by_district

PREVIEW_SIZE = 20


def segment_count(session: Session, definition: dict[str, Any], now: datetime | None = None) -> int:
    """How many buyers the definition selects (one COUNT over the compiled query)."""
    return session.execute(select(func.count()).select_from(compile_segment(definition, now).subquery())).scalar_one()


@dataclass(frozen=True)
class PreviewRow:
    """What a marketer may see of a buyer here: no e-mail, no phone."""

    name: str
    city: str | None
    tier: str | None


def segment_preview(session: Session, definition: dict[str, Any], limit: int = PREVIEW_SIZE) -> list[PreviewRow]:
    ids = compile_segment(definition).subquery()
    rows = session.execute(
        select(Buyer.name, Buyer.company_name, main_address(Address.city), Tier.name)
        .outerjoin(Tier, Tier.id == Buyer.tier_id)
        .where(Buyer.id.in_(select(ids.c.id)))
        .order_by(Buyer.id)
        .limit(limit)
    )
    return [PreviewRow(company or name, city, tier) for name, company, city, tier in rows]


@dataclass(frozen=True)
class SegmentRow:
    segment: Segment
    count: int


def segment_rows(session: Session) -> list[SegmentRow]:
    """Every saved segment with its live count (a definition saved before a field changed counts as 0)."""
    rows = []
    for segment in session.scalars(select(Segment).order_by(Segment.name, Segment.id)):
        rows.append(SegmentRow(segment, segment_count(session, segment.definition)))
    return rows


def builder_schema(session: Session) -> dict[str, Any]:
    """Fields, their operators and the options of the fields that pick from a list, for ``segments.js``."""
    options: dict[str, list[dict[str, Any]]] = {
        "tier": [
            {"value": code, "label": name}
            for code, name in session.execute(select(Tier.code, Tier.name).order_by(Tier.threshold_amount))
        ],
        # Grouped by federal district: the builder shows a box of checkboxes per district with a filter.
        "region": [
            {"value": code, "label": f"{name} ({code})", "group": district}
            for district, regions in regions_by_district()
            for code, name in regions
        ],
        "manager": [
            {"value": staff_id, "label": name or email}
            for staff_id, name, email in session.execute(
                select(StaffUser.id, StaffUser.name, StaffUser.email)
                .where(StaffUser.role.in_((Role.ACCOUNT_MANAGER, Role.ADMIN)))
                .order_by(StaffUser.name, StaffUser.email)
            )
        ],
        "categories": _category_options(session),
    }
    fields = []
    for key, field in FIELDS.items():
        entry: dict[str, Any] = {
            "key": key,
            "label": str(field.label),
            "type": field.type,
            "operators": [{"key": op, "label": str(OPERATORS[op])} for op in field.operators],
        }
        if field.choices:
            entry["options"] = [{"value": value, "label": str(label)} for value, label in field.choices]
        elif field.type in options:
            entry["options"] = options[field.type]
        if key == "city":
            entry["suggestions"] = city_suggestions(session)
        fields.append(entry)
    return {"fields": fields}


def _category_options(session: Session) -> list[dict[str, Any]]:
    """The tree flattened with «—» per level, parents first (a parent includes its subcategories)."""
    rows = session.execute(
        select(Category.id, Category.parent_id, Category.name).order_by(Category.position, Category.name)
    ).all()
    children: dict[int | None, list[tuple[int, str]]] = {}
    for category_id, parent_id, name in rows:
        children.setdefault(parent_id, []).append((category_id, name))
    flat: list[dict[str, Any]] = []

    def walk(parent: int | None, depth: int) -> None:
        for category_id, name in children.get(parent, []):
            flat.append({"value": category_id, "label": "— " * depth + name})
            if depth < 5:
                walk(category_id, depth + 1)

    walk(None, 0)
    return flat


def segment_export_rows(
    session: Session, definition: dict[str, Any], with_contacts: bool
) -> Iterator[tuple[object, ...]]:
    """The segment's buyers for the CSV export, by id: number, name (the company's when set), kind, region, city,
    tier — and e-mail and phone only ``with_contacts`` (never for marketers). Read in batches."""
    ids = compile_segment(definition).subquery()
    columns: list[Any] = [
        Buyer.id,
        func.coalesce(Buyer.company_name, Buyer.name),
        Buyer.kind,
        main_address(Address.region_code),
        main_address(Address.city),
        Tier.name,
    ]
    if with_contacts:
        columns += [Buyer.email, Buyer.phone]
    result = session.execute(
        select(*columns)
        .outerjoin(Tier, Tier.id == Buyer.tier_id)
        .where(Buyer.id.in_(select(ids.c.id)))
        .order_by(Buyer.id)
        .execution_options(yield_per=1000)
    )
    for row in result:
        buyer_id, name, kind, region_code, city, tier, *contacts = row
        yield (buyer_id, name, kind, region_name(region_code) if region_code else "", city or "", tier or "", *contacts)


def city_suggestions(session: Session, limit: int = 500) -> list[str]:
    """The cities of saved addresses, most frequent first (the city field's search suggestions)."""
    rows = session.execute(
        select(Address.city).group_by(Address.city).order_by(func.count().desc(), Address.city).limit(limit)
    )
    return [city for (city,) in rows if city]
