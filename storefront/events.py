"""The few named domain signals other parts subscribe to (the CRM through ``crm.init_app``).

They are sent (sender None) after the transaction that made the fact true has committed, with ids and plain
values only, so a receiver can load what it needs in its own session.

- ``buyer_registered``: ``buyer_id``.
- ``order_placed``: ``order_id``, ``number``.
- ``order_status_changed``: ``order_id``, ``number``, ``from_status``, ``to_status``.
  The payment issue's paid-order event is this signal with ``to_status == "paid"``.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

buyer_registered = signals.signal("buyer-registered")
order_placed = signals.signal("order-placed")
order_status_changed = signals.signal("order-status-changed")
