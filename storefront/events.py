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
- ``dispute_changed``: ``dispute_id``, ``event`` (``opened``, ``buyer_message``, ``staff_message``, ``decided``),
  ``message_id`` (or None): the buyer's e-mails here, the staff's in the CRM (``storefront.protection``).
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

buyer_registered = signals.signal("buyer-registered")
order_placed = signals.signal("order-placed")
order_status_changed = signals.signal("order-status-changed")
order_paid = signals.signal("order-paid")
order_refunded = signals.signal("order-refunded")
dispute_changed = signals.signal("dispute-changed")
