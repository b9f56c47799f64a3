"""The consolidator's tracking CSV: parse, check every row, then apply all of it or nothing.

The file (documented for the consolidator in ``docs/tracking-csv.md``):

    трек-номер;событие;время;место;комментарий
    RA123456789CN;Прибыл в Россию;05.12.2026 14:30;Забайкальск;
    CB-2026-0042;Отправлен в путь;03.12.2026 09:00;Харбин;поезд 2026-17

- UTF-8 (with or without BOM) or windows-1251; «;» or «,» between columns (the header's decides).
- The header names the columns (any order): трек-номер, событие, время required; место, комментарий optional
  (or tracking_number, event, time, place, note).
- трек-номер: a shipment's tracking number, or a cargo batch number (CB-2026-0042: the event reaches every
  shipment in the batch).
- событие: the Russian name as the CRM shows it, or its code (received_harbin, departed, customs, arrived_russia,
  last_mile, delivered).
- время: Moscow time, «ДД.ММ.ГГГГ ЧЧ:ММ» or «ГГГГ-ММ-ДД ЧЧ:ММ».

An event is identified by the shipment (or batch), the event and the time: importing the same file again adds
nothing. Any bad row rejects the whole file; every problem names its line (the header is line 1).
"""

from __future__ import annotations

import csv
import enum
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.fulfilment.models import CargoBatch, EventKind, Shipment
from storefront.fulfilment.services import Moved, add_batch_event, add_event
from storefront.fulfilment.tracking import normalise_number
from storefront.moscow import moscow_to_utc

#: Column → the header names accepted for it.
COLUMNS = {
    "number": ("трек-номер", "трек номер", "трек", "tracking_number"),
    "event": ("событие", "event"),
    "time": ("время", "дата и время", "time"),
    "place": ("место", "place"),
    "note": ("комментарий", "примечание", "note"),
}
REQUIRED = ("number", "event", "time")

#: The names an event goes by in the file: the CRM's Russian labels and the codes.
EVENT_NAMES: dict[str, EventKind] = {
    "принят на складе в харбине": EventKind.RECEIVED_HARBIN,
    "отправлен в путь": EventKind.DEPARTED,
    "на таможне": EventKind.CUSTOMS,
    "прибыл в россию": EventKind.ARRIVED_RUSSIA,
    "передан службе доставки": EventKind.LAST_MILE,
    "доставлен": EventKind.DELIVERED,
    **{kind.value: kind for kind in EventKind},
}
TIME_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
MAX_ROWS = 20000


class Problem(enum.StrEnum):
    EMPTY = "empty"
    ENCODING = "encoding"
    NO_COLUMN = "no_column"
    TOO_MANY_ROWS = "too_many_rows"
    COLUMNS = "columns"
    NO_NUMBER = "no_number"
    UNKNOWN_NUMBER = "unknown_number"
    BAD_EVENT = "bad_event"
    BAD_TIME = "bad_time"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class RowProblem:
    line: int
    problem: Problem
    value: str = ""


class ImportRejected(Exception):
    """The file was not applied; ``problems`` lists each bad row by line."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass(frozen=True)
class EventRow:
    line: int
    number: str
    kind: EventKind
    occurred_at: datetime
    place: str
    note: str


@dataclass
class ImportResult:
    rows: int = 0
    added: int = 0
    #: Rows whose event was already there (a file imported again).
    repeated: int = 0
    moved: list[Moved] = field(default_factory=list)


def decode(data: bytes) -> str:
    """UTF-8 (a BOM dropped), else windows-1251 (every byte sequence decodes, so mojibake is caught by the header
    check)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="strict")


def _parse_time(text: str) -> datetime | None:
    for form in TIME_FORMATS:
        try:
            return moscow_to_utc(datetime.strptime(text, form))  # noqa: DTZ007  (Moscow wall-clock time)
        except ValueError:
            continue
    return None


def parse(data: bytes) -> tuple[list[EventRow], list[RowProblem]]:
    """Rows and problems, with no database: the file's own checks."""
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return [], [RowProblem(1, Problem.ENCODING)]
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return [], [RowProblem(1, Problem.EMPTY)]
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    where: dict[str, int] = {}
    for column, names in COLUMNS.items():
        for index, name in enumerate(header):
            if name in names:
                where[column] = index
    missing = [COLUMNS[column][0] for column in REQUIRED if column not in where]
    if missing:
        return [], [RowProblem(1, Problem.NO_COLUMN, ", ".join(missing))]
    rows: list[EventRow] = []
    problems: list[RowProblem] = []
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if line > MAX_ROWS + 1:
            return [], [RowProblem(line, Problem.TOO_MANY_ROWS, str(MAX_ROWS))]
        if len(cells) < len(header) and len(cells) <= max(where.values()):
            problems.append(RowProblem(line, Problem.COLUMNS, str(len(cells))))
            continue

        def cell(column: str, cells: list[str] = cells) -> str:
            return cells[where[column]].strip() if column in where and where[column] < len(cells) else ""

        number = normalise_number(cell("number"))
        kind = EVENT_NAMES.get(" ".join(cell("event").lower().split()))
        moment = _parse_time(" ".join(cell("time").split()))
        place, note = cell("place"), cell("note")
        bad = len(problems)
        if not number:
            problems.append(RowProblem(line, Problem.NO_NUMBER))
        if kind is None:
            problems.append(RowProblem(line, Problem.BAD_EVENT, cell("event")))
        if moment is None:
            problems.append(RowProblem(line, Problem.BAD_TIME, cell("time")))
        if len(number) > 64 or len(place) > 200 or len(note) > 500:
            problems.append(RowProblem(line, Problem.TOO_LONG))
        if len(problems) == bad and kind is not None and moment is not None:
            rows.append(EventRow(line, number, kind, moment, place, note))
    return rows, problems


def import_tracking_csv(
    session: Session, data: bytes, *, staff_id: int | None = None, now: datetime | None = None
) -> ImportResult:
    """Check every row (file and database), then add every event, or raise ``ImportRejected`` having written
    nothing. Flushes; the caller commits, then announces ``ImportResult.moved``."""
    now = now or utcnow()
    rows, problems = parse(data)
    numbers = {row.number for row in rows}
    shipments: dict[str, list[Shipment]] = {}
    for shipment in session.scalars(select(Shipment).where(Shipment.tracking_number.in_(numbers))):
        shipments.setdefault(shipment.tracking_number, []).append(shipment)
    batches = {
        batch.number: batch
        for batch in session.scalars(select(CargoBatch).where(CargoBatch.number.in_(numbers)))
        if batch.number
    }
    for row in rows:
        if row.number not in shipments and row.number not in batches:
            problems.append(RowProblem(row.line, Problem.UNKNOWN_NUMBER, row.number))
    if problems:
        raise ImportRejected(sorted(problems, key=lambda problem: problem.line))
    result = ImportResult(rows=len(rows))
    for row in rows:
        if row.number in batches:
            added, moved = add_batch_event(
                session, batches[row.number], row.kind, row.occurred_at, row.place, row.note, staff_id=staff_id, now=now
            )
            result.added += added
            result.repeated += 0 if added else 1
            result.moved.extend(moved)
            continue
        for shipment in shipments[row.number]:
            done, moved = add_event(
                session,
                shipment,
                row.kind,
                row.occurred_at,
                row.place,
                row.note,
                source="csv",
                staff_id=staff_id,
                now=now,
            )
            result.added += int(done)
            result.repeated += 0 if done else 1
            result.moved.extend(moved)
    return result
