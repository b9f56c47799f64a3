"""СДЭК pickup points by city, from a JSON data file the operator refreshes (``flask shipping import-points``).

No Flask here. The stored file is a JSON list of ``{code, region_code, city, address, hours}``; the package ships a
sample (``storefront/shipping/data/cdek_points.json``) used until the operator imports a file of their own. An import
reads a CSV (or JSON) file, checks every row and writes the whole list at once (a temporary file renamed over the old
one), so readers see the old list or the new one, never half of it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from storefront.errors import ShopError
from storefront.shipping.regions import REGIONS

#: Shipping methods (``ShippingMethod.code``) that deliver to a pickup point the buyer must choose.
PICKUP_METHODS = frozenset({"cdek-pickup"})
#: The sample shipped with the package.
SAMPLE_FILE = Path(__file__).resolve().parent / "data" / "cdek_points.json"
FIELDS = ("code", "region_code", "city", "address", "hours")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,19}$")
_LIMITS = {"city": 100, "address": 300, "hours": 100}


@dataclass(frozen=True)
class PickupPoint:
    code: str
    region_code: str
    city: str
    address: str
    hours: str

    def label(self) -> str:
        """What the order keeps and shows: «MSK-TVR12: Москва, ул. Тверская, д. 12 (пн–вс 10:00–22:00)»."""
        return f"{self.code}: {self.city}, {self.address} ({self.hours})"


class PickupPointRequired(ShopError):
    """The chosen method delivers to a pickup point and none (or one outside the region) was chosen."""


@dataclass(frozen=True)
class BadRow:
    line: int
    #: 'missing' (field), 'bad_code', 'duplicate', 'unknown_region', 'too_long' (field), 'columns'
    problem: str
    detail: str = ""


class PointsFileInvalid(ShopError):
    """The file cannot be imported: not CSV/JSON, no header, no rows, or bad rows (``rows``)."""

    def __init__(self, reason: str, rows: list[BadRow] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.rows = rows or []


def points_file(configured: str | None, instance_path: str) -> Path:
    """Where the operator's list lives: ``PICKUP_POINTS_FILE``, else ``cdek_points.json`` in the instance folder."""
    return Path(configured) if configured else Path(instance_path) / "cdek_points.json"


_cache: dict[Path, tuple[float, list[PickupPoint]]] = {}


def load_points(path: Path | None) -> list[PickupPoint]:
    """The operator's list when ``path`` exists, else the sample; re-read when the file changes (every worker)."""
    source = path if path is not None and path.exists() else SAMPLE_FILE
    mtime = source.stat().st_mtime
    cached = _cache.get(source)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    rows = json.loads(source.read_text(encoding="utf-8"))
    points = [PickupPoint(**{name: str(row[name]) for name in FIELDS}) for row in rows]
    _cache[source] = (mtime, points)
    return points


def points_in_region(points: list[PickupPoint], region_code: str | None) -> list[PickupPoint]:
    """The region's points, by city then address."""
    return sorted((p for p in points if p.region_code == region_code), key=lambda p: (p.city, p.address))


def find_point(points: list[PickupPoint], code: str | None, region_code: str | None) -> PickupPoint | None:
    """The point with this code in this region, or None."""
    if not code:
        return None
    return next((p for p in points if p.code == code and p.region_code == region_code), None)


def check_pickup_point(method_code: str, point: PickupPoint | None, region_code: str) -> None:
    """A pickup method needs a point in the delivery region; other methods need none."""
    if method_code in PICKUP_METHODS and (point is None or point.region_code != region_code):
        raise PickupPointRequired(method_code)


def _rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) from a JSON list or a CSV file with a header (comma or semicolon, UTF-8)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PointsFileInvalid("encoding") from exc
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise PointsFileInvalid("json") from exc
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise PointsFileInvalid("json")
        return [(number, {k: str(v) for k, v in item.items()}) for number, item in enumerate(items, start=1)]
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;")
    except csv.Error as exc:
        raise PointsFileInvalid("header") from exc
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if reader.fieldnames is None or not set(FIELDS) <= {name.strip() for name in reader.fieldnames}:
        raise PointsFileInvalid("header")
    rows = []
    for row in reader:
        if None in row:  # more cells than the header names
            rows.append((reader.line_num, {"__columns__": "extra"}))
            continue
        rows.append((reader.line_num, {key.strip(): (value or "") for key, value in row.items()}))
    return rows


def parse_points(data: bytes) -> list[PickupPoint]:
    """Every row checked; ``PointsFileInvalid`` with each bad row and its line if any is wrong."""
    rows = _rows(data)
    if not rows:
        raise PointsFileInvalid("empty")
    points: list[PickupPoint] = []
    bad: list[BadRow] = []
    seen: set[str] = set()
    for line, row in rows:
        if "__columns__" in row:
            bad.append(BadRow(line, "columns"))
            continue
        values = {name: " ".join((row.get(name) or "").split()) for name in FIELDS}
        missing = [name for name in FIELDS if not values[name]]
        if missing:
            bad.append(BadRow(line, "missing", ", ".join(missing)))
            continue
        values["code"] = values["code"].upper()
        values["region_code"] = values["region_code"].zfill(2)
        too_long = [name for name, limit in _LIMITS.items() if len(values[name]) > limit]
        if not _CODE.match(values["code"]):
            bad.append(BadRow(line, "bad_code", values["code"]))
        elif values["code"] in seen:
            bad.append(BadRow(line, "duplicate", values["code"]))
        elif values["region_code"] not in REGIONS:
            bad.append(BadRow(line, "unknown_region", values["region_code"]))
        elif too_long:
            bad.append(BadRow(line, "too_long", ", ".join(too_long)))
        else:
            seen.add(values["code"])
            points.append(PickupPoint(**values))
    if bad:
        raise PointsFileInvalid("rows", bad)
    return points


def write_points(path: Path, points: list[PickupPoint]) -> None:
    """Replace the file in one rename: readers see the old list or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps([asdict(point) for point in points], ensure_ascii=False, indent=1) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".cdek_points.", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(body)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def import_points(source: bytes, path: Path) -> list[PickupPoint]:
    """Check ``source`` and, only if every row is good, make it the list at ``path``."""
    points = parse_points(source)
    write_points(path, points)
    return points
