"""The retention page reads a snapshot of its figures, taken nightly, instead of computing them per visit.

The four retention queries scan every paid order (about 12 s at 100,000 buyers and 1,000,000 orders), and the
figures move slowly, so the ``crm-retention-snapshot`` job computes them once a day and the page and its CSV
exports read the newest snapshot, saying when it was taken. Staff may take a fresh one by hand; the first visit
to an empty database takes one. Older snapshots beyond ``KEEP`` are deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm.reorder.analytics import (
    BucketRow,
    CohortRow,
    RepeatRate,
    YearRow,
    cohort_retention,
    orders_per_buyer_per_year,
    repeat_purchase_rate,
    time_to_second_order,
)
from crm.reorder.models import RetentionSnapshot
from storefront.jobs import periodic

#: Snapshots kept (a week of nightly runs plus hand-taken ones).
KEEP = 10


@dataclass(frozen=True)
class RetentionFigures:
    taken_at: datetime
    repeat: RepeatRate
    years: list[YearRow]
    second: list[BucketRow]
    cohorts: list[CohortRow]

    @property
    def cohort_width(self) -> int:
        """Columns of the cohort table: the longest cohort's months."""
        return max((len(row.active) for row in self.cohorts), default=0)


def compute_figures(session: Session, now: datetime) -> RetentionFigures:
    return RetentionFigures(
        taken_at=now,
        repeat=repeat_purchase_rate(session),
        years=orders_per_buyer_per_year(session),
        second=time_to_second_order(session),
        cohorts=cohort_retention(session, now),
    )


def figures_to_json(figures: RetentionFigures) -> dict[str, Any]:
    return {
        "repeat": [figures.repeat.buyers, figures.repeat.repeat_buyers],
        "years": [[row.year, row.buyers, row.orders] for row in figures.years],
        "second": [[row.label, row.buyers, str(row.percent)] for row in figures.second],
        "cohorts": [[row.month, row.size, row.active] for row in figures.cohorts],
    }


def figures_from_json(taken_at: datetime, data: dict[str, Any]) -> RetentionFigures:
    buyers, repeat_buyers = data["repeat"]
    return RetentionFigures(
        taken_at=taken_at,
        repeat=RepeatRate(buyers, repeat_buyers),
        years=[YearRow(year, buyers, orders) for year, buyers, orders in data["years"]],
        second=[BucketRow(label, count, Decimal(percent)) for label, count, percent in data["second"]],
        cohorts=[CohortRow(month, size, list(active)) for month, size, active in data["cohorts"]],
    )


def take_snapshot(session: Session, now: datetime) -> RetentionFigures:
    """Compute the figures, store them, drop the oldest snapshots beyond ``KEEP``; flushes."""
    figures = compute_figures(session, now)
    session.add(RetentionSnapshot(taken_at=now, figures=figures_to_json(figures)))
    session.flush()
    kept = select(RetentionSnapshot.id).order_by(RetentionSnapshot.taken_at.desc(), RetentionSnapshot.id.desc())
    session.execute(delete(RetentionSnapshot).where(RetentionSnapshot.id.not_in(kept.limit(KEEP).scalar_subquery())))
    return figures


def latest_figures(session: Session) -> RetentionFigures | None:
    snapshot = session.scalars(
        select(RetentionSnapshot).order_by(RetentionSnapshot.taken_at.desc(), RetentionSnapshot.id.desc()).limit(1)
    ).first()
    return figures_from_json(snapshot.taken_at, snapshot.figures) if snapshot is not None else None


@periodic("crm-retention-snapshot", every=timedelta(days=1), lease=timedelta(hours=1))
def retention_snapshot_job(session: Session, now: datetime) -> str:
    figures = take_snapshot(session, now)
    session.commit()
    return f"buyers {figures.repeat.buyers}, cohorts {len(figures.cohorts)}"
