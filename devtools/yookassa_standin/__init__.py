"""YooKassa API v3 stand-in for tests and the offline demo (see ``server.py``).

    with StandIn(notify_url="http://127.0.0.1:5000/payments/yookassa/notifications") as standin:
        Configuration.configure(standin.shop_id, standin.secret_key, api_url=standin.api_url)

Run it alone with ``python -m devtools.yookassa_standin --port 8765``.
"""

from devtools.yookassa_standin.client import StandInClient
from devtools.yookassa_standin.server import DEFAULT_SECRET_KEY, DEFAULT_SHOP_ID, FAULT_KINDS, StandIn

__all__ = ["DEFAULT_SECRET_KEY", "DEFAULT_SHOP_ID", "FAULT_KINDS", "StandIn", "StandInClient"]
