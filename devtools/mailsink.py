"""A local SMTP sink for the demo: prints every message the shop sends (order confirmations,
password-reset links) to the terminal instead of delivering it. A dev tool, never installed.

Wrapping a command, as ``make run`` does::

    python -m devtools.mailsink --port 1025 -- flask --app wsgi run

starts the sink on 127.0.0.1, runs the command with ``MAIL_SERVER``/``MAIL_PORT`` pointing at it
and stops the sink when the command ends. With ``MAIL_SERVER`` already set in the environment
(a real relay) the command runs unchanged.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller


def _text_part(message: Message) -> str:
    """The plain-text body (the HTML twin says the same)."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_content()  # type: ignore[attr-defined]
    return "(no plain-text part)"


class PrintingHandler:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=default_policy)
        print(
            f"\n===== mail to {', '.join(envelope.rcpt_tos)}: {message['Subject']}\n{_text_part(message)}\n=====",
            flush=True,
        )
        return "250 OK"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- command to run with MAIL_* set")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run after --")
    if os.environ.get("MAIL_SERVER"):
        return subprocess.call(command)
    controller = Controller(PrintingHandler(), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"Demo mail is printed here (SMTP sink on 127.0.0.1:{args.port}).", flush=True)
    try:
        env = {**os.environ, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(args.port)}
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
