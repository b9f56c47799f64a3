"""Pictures of products: queue them when a feed names new URLs, download the due ones.

``sync_feed_pictures`` is set-based (one read, one delete, one update and one insert for a whole import
batch) and only flushes: the feed import commits per batch. ``download_due`` is the periodic job's body:
it claims each due picture with a conditional UPDATE (a lease, so two runners never fetch the same one) and
commits once per picture, because each one waits on a supplier's server.

A failure is recorded on the picture (``error``, ``attempts``). Refusals that another try cannot change
(an internal address, a body too large, not a picture) fail at once; others (timeouts, 5xx, DNS) wait
``retry_minutes`` × 2^(attempts−1) and give up after ``max_attempts``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from storefront.db import rowcount, utcnow
from storefront.pictures import images
from storefront.pictures.fetch import FetchError, FetchLimits, fetch
from storefront.pictures.models import PictureStatus, ProductPicture

logger = logging.getLogger(__name__)

#: How long a claimed picture is left to the runner that claimed it before another may try it.
LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class PictureSettings:
    media_root: Path
    limits: FetchLimits
    max_pixels: int
    max_attempts: int
    retry_minutes: int
    batch_size: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PictureSettings:
        allowed = frozenset(
            entry.strip() for entry in str(config["PICTURE_ALLOWED_PRIVATE_HOSTS"]).split(",") if entry.strip()
        )
        return cls(
            media_root=Path(config["MEDIA_ROOT"]),
            limits=FetchLimits(
                max_bytes=int(config["PICTURE_MAX_BYTES"]),
                timeout=float(config["PICTURE_TIMEOUT_SECONDS"]),
                max_redirects=int(config["PICTURE_MAX_REDIRECTS"]),
                allowed_private=allowed,
            ),
            max_pixels=int(config["PICTURE_MAX_PIXELS"]),
            max_attempts=int(config["PICTURE_MAX_ATTEMPTS"]),
            retry_minutes=int(config["PICTURE_RETRY_MINUTES"]),
            batch_size=int(config["PICTURE_BATCH_SIZE"]),
        )


def sync_feed_pictures(
    session: Session, urls_by_product: Mapping[int, Sequence[str]], new_products: Collection[int] = ()
) -> int:
    """Make each product's pictures the feed's URLs, in order; return how many were queued.

    A URL the product already has keeps its row (and its downloaded files), moved to its new position; URLs
    the feed no longer names are deleted; new ones are queued as pending. ``new_products`` (just created, so
    without pictures) are not looked up. Flushes only.
    """
    if not urls_by_product:
        return 0
    product_ids = [product_id for product_id in urls_by_product if product_id not in new_products]
    existing: dict[tuple[int, str], tuple[int, int]] = {}
    if product_ids:
        for picture_id, product_id, url, position in session.execute(
            select(
                ProductPicture.id, ProductPicture.product_id, ProductPicture.source_url, ProductPicture.position
            ).where(ProductPicture.product_id.in_(product_ids))
        ):
            existing[(product_id, url or "")] = (picture_id, position)
    keep: set[int] = set()
    moves: list[dict[str, int]] = []
    new_rows: list[dict[str, Any]] = []
    now = utcnow()
    for product_id, urls in urls_by_product.items():
        for position, url in enumerate(urls):
            found = existing.get((product_id, url))
            if found is None:
                new_rows.append(
                    {
                        "product_id": product_id,
                        "position": position,
                        "source_url": url,
                        "status": PictureStatus.PENDING.value,
                        "attempts": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                continue
            keep.add(found[0])
            if found[1] != position:
                moves.append({"picture_id": found[0], "new_position": position})
    gone = [picture_id for picture_id, _position in existing.values() if picture_id not in keep]
    if gone:
        session.execute(delete(ProductPicture).where(ProductPicture.id.in_(gone)))
    if moves:
        table = ProductPicture.__table__
        session.execute(
            update(table).where(table.c.id == bindparam("picture_id")).values(position=bindparam("new_position")),
            moves,
        )
    if new_rows:  # a Core insert: the ORM's bulk insert of dictionaries costs several times more per row
        session.execute(insert(ProductPicture.__table__), new_rows)
    return len(new_rows)


@dataclass
class DownloadResult:
    ready: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"ready {self.ready}, retrying {self.retrying}, failed {self.failed}"


def due_pictures(session: Session, now: datetime, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(ProductPicture.id)
            .where(
                ProductPicture.status == PictureStatus.PENDING.value,
                or_(ProductPicture.next_attempt_at.is_(None), ProductPicture.next_attempt_at <= now),
            )
            .order_by(ProductPicture.id)
            .limit(limit)
        )
    )


def claim_picture(session: Session, picture_id: int, now: datetime) -> ProductPicture | None:
    """Lease a due pending picture to this runner (one conditional UPDATE); None when it is not due any more."""
    claimed = rowcount(
        session.execute(
            update(ProductPicture)
            .where(
                ProductPicture.id == picture_id,
                ProductPicture.status == PictureStatus.PENDING.value,
                or_(ProductPicture.next_attempt_at.is_(None), ProductPicture.next_attempt_at <= now),
            )
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed != 1:
        return None
    return session.get(ProductPicture, picture_id, populate_existing=True)


def download_picture(session: Session, picture: ProductPicture, settings: PictureSettings, now: datetime) -> str:
    """Fetch, check and store one picture; record the outcome on it. Returns its new status. Flushes."""
    picture.attempts += 1
    try:
        data = fetch(picture.source_url or "", settings.limits)
        derivatives = images.make_derivatives(data, settings.max_pixels)
        images.store(settings.media_root, derivatives)
    except FetchError as exc:
        return _failed(session, picture, str(exc), exc.retry, settings, now)
    except images.ImageRefused as exc:
        return _failed(session, picture, str(exc), False, settings, now)
    picture.status = PictureStatus.READY
    picture.file_key = derivatives.key
    picture.sizes = derivatives.sizes
    picture.error = None
    picture.next_attempt_at = None
    session.flush()
    return PictureStatus.READY


def _failed(
    session: Session, picture: ProductPicture, reason: str, retry: bool, settings: PictureSettings, now: datetime
) -> str:
    picture.error = reason[:255]
    if retry and picture.attempts < settings.max_attempts:
        picture.next_attempt_at = now + timedelta(minutes=settings.retry_minutes * 2 ** (picture.attempts - 1))
        outcome = "retrying"
    else:
        picture.status = PictureStatus.FAILED
        picture.next_attempt_at = None
        outcome = PictureStatus.FAILED
    logger.info("picture %s of product %s: %s", picture.id, picture.product_id, reason)
    session.flush()
    return outcome


def download_due(session: Session, settings: PictureSettings, now: datetime | None = None) -> DownloadResult:
    """Download up to ``settings.batch_size`` due pictures; commits after each (the job's unit of work)."""
    now = now or utcnow()
    result = DownloadResult()
    for picture_id in due_pictures(session, now, settings.batch_size):
        picture = claim_picture(session, picture_id, now)
        session.commit()  # the lease is visible to other runners before the slow fetch
        if picture is None:
            continue
        outcome = download_picture(session, picture, settings, now)
        session.commit()
        if outcome == PictureStatus.READY:
            result.ready += 1
        elif outcome == PictureStatus.FAILED:
            result.failed += 1
        else:
            result.retrying += 1
    return result
