"""The few named domain signals other parts subscribe to (the CRM through ``crm.init_app``).

They are sent (sender None) after the transaction that made the fact true has committed, with ids and plain
values only, so a receiver can load what it needs in its own session.

- ``buyer_registered``: ``buyer_id``.
- ``order_placed``: ``order_id``, ``number``.
- ``order_status_changed``: ``order_id``, ``number``, ``from_status``, ``to_status``.
- ``order_paid``: ``order_id``, ``number``, ``amount`` (Decimal, roubles), ``buyer_id`` (or None), ``payment_id``
  (our attempt id): sent exactly once per order, after the payment that paid it committed. The CRM subscribes
  to it for tiers and campaign attribution.
- ``order_refunded``: ``order_id``, ``number``, ``amount`` (Decimal, the refund), ``buyer_id`` (or None),
  ``refund_id``: sent once per succeeded refund, after the commit that recorded it (reorder statistics).

Four more are sent INSIDE the transaction that makes the fact true, before its commit, with that ``session``
and ids: a receiver writes in the same transaction (the settlement ledger, ``storefront.settlement``), never
commits, and an exception it raises undoes the fact. Each is sent only by the call that moved the state (a
conditional UPDATE), so once per fact:

- ``payment_captured``: ``session``, ``order_id``, ``payment_id`` (a payment attempt moved to succeeded, even
  on an order canceled meanwhile).
- ``refund_succeeded``: ``session``, ``order_id``, ``refund_id``.
- ``order_completed``: ``session``, ``order_id`` (the buyer confirmed receipt, or the order completed itself).
- ``order_delivered``: ``session``, ``order_id``, ``now`` (the goods are handed over: the closing documents,
  ``storefront.documents``).
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

buyer_registered = signals.signal("buyer-registered")
order_placed = signals.signal("order-placed")
order_status_changed = signals.signal("order-status-changed")
order_paid = signals.signal("order-paid")
order_refunded = signals.signal("order-refunded")

# Inside the transaction (see above).
payment_captured = signals.signal("payment-captured")
refund_succeeded = signals.signal("refund-succeeded")
order_completed = signals.signal("order-completed")
order_delivered = signals.signal("order-delivered")
