"""Russian federal subjects (two-digit tax codes) and the delivery zone each falls in.

Zones group regions by distance and carrier tariffs: 1 Moscow and St Petersburg with their
oblasts; 2 the rest of Central, North-West and Volga Russia; 3 the South, the North Caucasus
and the Urals; 4 Siberia; 5 the Far East (closest to the Harbin warehouse by land).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    zone: int


_REGIONS = (
    ("01", "Республика Адыгея", 3),
    ("02", "Республика Башкортостан", 3),
    ("03", "Республика Бурятия", 5),
    ("04", "Республика Алтай", 4),
    ("05", "Республика Дагестан", 3),
    ("06", "Республика Ингушетия", 3),
    ("07", "Кабардино-Балкарская Республика", 3),
    ("08", "Республика Калмыкия", 3),
    ("09", "Карачаево-Черкесская Республика", 3),
    ("10", "Республика Карелия", 2),
    ("11", "Республика Коми", 3),
    ("12", "Республика Марий Эл", 2),
    ("13", "Республика Мордовия", 2),
    ("14", "Республика Саха (Якутия)", 5),
    ("15", "Республика Северная Осетия — Алания", 3),
    ("16", "Республика Татарстан", 2),
    ("17", "Республика Тыва", 4),
    ("18", "Удмуртская Республика", 2),
    ("19", "Республика Хакасия", 4),
    ("20", "Чеченская Республика", 3),
    ("21", "Чувашская Республика", 2),
    ("22", "Алтайский край", 4),
    ("23", "Краснодарский край", 3),
    ("24", "Красноярский край", 4),
    ("25", "Приморский край", 5),
    ("26", "Ставропольский край", 3),
    ("27", "Хабаровский край", 5),
    ("28", "Амурская область", 5),
    ("29", "Архангельская область", 2),
    ("30", "Астраханская область", 3),
    ("31", "Белгородская область", 2),
    ("32", "Брянская область", 2),
    ("33", "Владимирская область", 2),
    ("34", "Волгоградская область", 3),
    ("35", "Вологодская область", 2),
    ("36", "Воронежская область", 2),
    ("37", "Ивановская область", 2),
    ("38", "Иркутская область", 4),
    ("39", "Калининградская область", 3),
    ("40", "Калужская область", 2),
    ("41", "Камчатский край", 5),
    ("42", "Кемеровская область — Кузбасс", 4),
    ("43", "Кировская область", 2),
    ("44", "Костромская область", 2),
    ("45", "Курганская область", 3),
    ("46", "Курская область", 2),
    ("47", "Ленинградская область", 1),
    ("48", "Липецкая область", 2),
    ("49", "Магаданская область", 5),
    ("50", "Московская область", 1),
    ("51", "Мурманская область", 2),
    ("52", "Нижегородская область", 2),
    ("53", "Новгородская область", 2),
    ("54", "Новосибирская область", 4),
    ("55", "Омская область", 4),
    ("56", "Оренбургская область", 3),
    ("57", "Орловская область", 2),
    ("58", "Пензенская область", 2),
    ("59", "Пермский край", 3),
    ("60", "Псковская область", 2),
    ("61", "Ростовская область", 3),
    ("62", "Рязанская область", 2),
    ("63", "Самарская область", 2),
    ("64", "Саратовская область", 2),
    ("65", "Сахалинская область", 5),
    ("66", "Свердловская область", 3),
    ("67", "Смоленская область", 2),
    ("68", "Тамбовская область", 2),
    ("69", "Тверская область", 2),
    ("70", "Томская область", 4),
    ("71", "Тульская область", 2),
    ("72", "Тюменская область", 3),
    ("73", "Ульяновская область", 2),
    ("74", "Челябинская область", 3),
    ("75", "Забайкальский край", 5),
    ("76", "Ярославская область", 2),
    ("77", "Москва", 1),
    ("78", "Санкт-Петербург", 1),
    ("79", "Еврейская автономная область", 5),
    ("83", "Ненецкий автономный округ", 3),
    ("86", "Ханты-Мансийский автономный округ — Югра", 3),
    ("87", "Чукотский автономный округ", 5),
    ("89", "Ямало-Ненецкий автономный округ", 3),
    ("90", "Запорожская область", 3),
    ("91", "Республика Крым", 3),
    ("92", "Севастополь", 3),
    ("93", "Донецкая Народная Республика", 3),
    ("94", "Луганская Народная Республика", 3),
    ("95", "Херсонская область", 3),
)

REGIONS: dict[str, Region] = {code: Region(code, name, zone) for code, name, zone in _REGIONS}


def region_choices() -> list[tuple[str, str]]:
    """(code, name) pairs sorted by name, Moscow and St Petersburg first, for a select box."""
    first = [REGIONS["77"], REGIONS["78"]]
    rest = sorted((r for r in REGIONS.values() if r.code not in {"77", "78"}), key=lambda r: r.name)
    return [(r.code, r.name) for r in first + rest]


def zone_for(region_code: str) -> int:
    """The delivery zone of a region; raises KeyError for an unknown code."""
    return REGIONS[region_code].zone


def region_name(region_code: str) -> str:
    region = REGIONS.get(region_code)
    return region.name if region else region_code


class PostalAddress(Protocol):
    """Anything with the four address parts: an order, a saved address, a checkout draft."""

    @property
    def postcode(self) -> str: ...
    @property
    def region_code(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def street(self) -> str: ...


_CITY_PREFIX = re.compile(r"^(г\.|г |город )\s*", re.IGNORECASE)


def _same_place(region: str, city: str) -> bool:
    def plain(name: str) -> str:
        return _CITY_PREFIX.sub("", name.strip().lower().replace("ё", "е")).strip()

    return plain(region) == plain(city)


def format_address(address: PostalAddress) -> str:
    """«191186, Санкт-Петербург, Невский пр., д. 1» — the one way an address is written (pages, e-mails, CRM).

    The region is left out when it is the city itself (Москва, Санкт-Петербург, Севастополь); empty parts are
    skipped."""
    region = region_name(address.region_code) if address.region_code else ""
    city = (address.city or "").strip()
    parts = [(address.postcode or "").strip(), "" if city and _same_place(region, city) else region, city]
    parts.append((address.street or "").strip())
    return ", ".join(part for part in parts if part)


#: The federal districts (федеральные округа) and their regions' codes, west to east.
FEDERAL_DISTRICTS: dict[str, tuple[str, ...]] = {
    "Центральный": ("77", "50", "31", "32", "33", "36", "37", "40", "44", "46", "48", "57", "62", "67", "68", "69",
                    "71", "76"),
    "Северо-Западный": ("78", "47", "10", "11", "29", "35", "39", "51", "53", "60", "83"),
    "Южный": ("01", "08", "23", "30", "34", "61", "91", "92", "90", "93", "94", "95"),
    "Северо-Кавказский": ("05", "06", "07", "09", "15", "20", "26"),
    "Приволжский": ("02", "12", "13", "16", "18", "21", "43", "52", "56", "58", "59", "63", "64", "73"),
    "Уральский": ("45", "66", "72", "74", "86", "89"),
    "Сибирский": ("04", "17", "19", "22", "24", "38", "42", "54", "55", "70"),
    "Дальневосточный": ("03", "14", "25", "27", "28", "41", "49", "65", "75", "79", "87"),
}  # fmt: skip


def regions_by_district() -> list[tuple[str, list[tuple[str, str]]]]:
    """(district, [(code, name) …]) with the capitals first, then the regions by name: the grouped picker's list."""
    grouped = []
    for district, codes in FEDERAL_DISTRICTS.items():
        capitals = [code for code in codes if code in ("77", "78")]
        rest = sorted((code for code in codes if code not in capitals), key=lambda code: REGIONS[code].name)
        grouped.append((district, [(code, REGIONS[code].name) for code in capitals + rest]))
    return grouped
