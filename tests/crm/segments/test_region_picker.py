"""The builder's schema groups the regions by federal district (every region in exactly one) and suggests the
cities of saved addresses, most frequent first."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm.segments.queries import builder_schema
from storefront.shipping.regions import FEDERAL_DISTRICTS, REGIONS, regions_by_district
from tests.crm.segments.test_segments_web import _world


def test_every_region_is_in_exactly_one_federal_district() -> None:
    codes = [code for codes in FEDERAL_DISTRICTS.values() for code in codes]
    assert sorted(codes) == sorted(REGIONS) and len(FEDERAL_DISTRICTS) == 8
    grouped = dict(regions_by_district())
    assert grouped["Северо-Западный"][0] == ("78", "Санкт-Петербург")  # the capital first
    assert ("66", "Свердловская область") in grouped["Уральский"]


def test_the_schema_groups_regions_and_suggests_cities(session: Session) -> None:
    _world(session)
    session.flush()
    fields = {field["key"]: field for field in builder_schema(session)["fields"]}
    regions = fields["region"]["options"]
    assert len(regions) == len(REGIONS)
    assert {"value": "78", "label": "Санкт-Петербург (78)", "group": "Северо-Западный"} in regions
    assert fields["city"]["suggestions"] == ["Санкт-Петербург"]
