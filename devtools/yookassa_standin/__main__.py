"""Run the YooKassa stand-in alone::

    python -m devtools.yookassa_standin --port 8765 \\
        --notify-url http://127.0.0.1:5000/payments/yookassa/notifications

then point the shop at it: ``YOOKASSA_API_URL=http://127.0.0.1:8765/v3``, ``YOOKASSA_SHOP_ID=100500``,
``YOOKASSA_SECRET_KEY=test_standin_secret_key``. With ``--unless-real-credentials`` it exits at once
(status 0) when real credentials are in the environment, so a demo command can always call it.

Wrapping a command (the README's demo run) starts the stand-in, runs the command with
``YOOKASSA_*`` pointing at it, and stops the stand-in when the command ends; with real
credentials in the environment the command runs unchanged and no stand-in is started::

    python -m devtools.yookassa_standin --port 8765 \
        --notify-url http://127.0.0.1:5000/payments/yookassa/notifications -- flask --app wsgi run
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping

from devtools.yookassa_standin.server import DEFAULT_SECRET_KEY, DEFAULT_SHOP_ID, StandIn

LOOPBACK_PREFIXES = ("http://127.", "http://localhost", "http://[::1]")


def real_credentials_configured(environ: Mapping[str, str]) -> bool:
    """True when the environment points the shop at the real YooKassa with real credentials."""
    shop_id = environ.get("YOOKASSA_SHOP_ID", "").strip()
    secret = environ.get("YOOKASSA_SECRET_KEY", "").strip()
    api_url = environ.get("YOOKASSA_API_URL", "").strip()
    if not shop_id or not secret:
        return False
    if secret == DEFAULT_SECRET_KEY or api_url.startswith(LOOPBACK_PREFIXES):
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.yookassa_standin", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback only by design)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--notify-url", default=None, help="the shop's notification URL (POSTed on every change)")
    parser.add_argument("--shop-id", default=DEFAULT_SHOP_ID)
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    parser.add_argument("--certfile", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--keyfile", help="the certificate's private key (PEM)")
    parser.add_argument("--require-receipt", action="store_true", help="refuse payments without a 54-FZ receipt")
    parser.add_argument(
        "--ffd-version",
        choices=("1.05", "1.2"),
        default="1.2",
        help="the shop's till format: on 1.2 (as with «Чеки от ЮKassa») receipt items need measure (tag 2108)",
    )
    parser.add_argument(
        "--refund-outcome",
        choices=("succeeded", "pending", "pending_succeeded", "pending_canceled"),
        default="pending_succeeded",
        help="how refunds end: at once, pending until settled by /_fake, or pending then succeeded/canceled",
    )
    parser.add_argument(
        "--unless-real-credentials",
        action="store_true",
        help="exit without starting when real YOOKASSA_SHOP_ID/YOOKASSA_SECRET_KEY are set",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="after --: a command to run against the stand-in")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if command and real_credentials_configured(os.environ):
        print("Real YooKassa credentials are set: using the real API, the stand-in is not started.", flush=True)
        return subprocess.call(command)
    if args.unless_real_credentials and real_credentials_configured(os.environ):
        print("Real YooKassa credentials are set: the stand-in is not started.", flush=True)
        return 0
    if args.host not in {"127.0.0.1", "localhost", "::1"}:
        parser.error("the stand-in listens on loopback only")

    standin = StandIn(
        host=args.host,
        port=args.port,
        shop_id=args.shop_id,
        secret_key=args.secret_key,
        notify_url=args.notify_url,
        require_receipt=args.require_receipt,
        ffd_version=args.ffd_version,
        refund_outcome=args.refund_outcome,
        certfile=args.certfile,
        keyfile=args.keyfile,
    ).start()
    print(f"YooKassa stand-in (TEST PAYMENTS ONLY) at {standin.api_url}", flush=True)
    if command:
        environment = {
            **os.environ,
            "YOOKASSA_SHOP_ID": args.shop_id,
            "YOOKASSA_SECRET_KEY": args.secret_key,
            "YOOKASSA_API_URL": standin.api_url,
            # The stand-in sends notifications from loopback.
            "YOOKASSA_NOTIFICATION_NETWORKS": "127.0.0.1,::1",
        }
        try:
            return subprocess.call(command, env=environment)
        except KeyboardInterrupt:
            return 130
        finally:
            standin.stop()
    print(f"  YOOKASSA_API_URL={standin.api_url} YOOKASSA_SHOP_ID={args.shop_id} YOOKASSA_SECRET_KEY=…", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
