"""The request log and the operator block every export starts with."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storefront.privacy.models import DataRequest, RequestKind
from storefront.seller import Seller


def record_request(
    session: Session, buyer_id: int, kind: RequestKind, staff_id: int | None = None, reason: str = ""
) -> DataRequest:
    """Log an export or an erasure (who: the buyer, or ``staff_id``). Flushes; the caller commits."""
    request = DataRequest(buyer_id=buyer_id, kind=kind, staff_id=staff_id, reason=reason.strip()[:500])
    session.add(request)
    session.flush()
    return request


def operator_block(seller: Seller) -> dict[str, str]:
    """Who holds the data (the export names its operator, 152-FZ art. 14 part 7)."""
    return {
        "name": seller.full_name,
        "inn": seller.inn,
        "ogrn": seller.ogrn,
        "address": seller.address,
        "email": seller.email,
        "phone": seller.phone,
    }
