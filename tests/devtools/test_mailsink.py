"""The demo's SMTP sink prints what the shop sends, so a newcomer sees reset links and receipts."""

import os
import subprocess
import sys

from tests.support.network import free_port

SEND = """
import os, smtplib
from email.message import EmailMessage
message = EmailMessage()
message["Subject"] = "Заказ MK-2026-000001 оплачен"
message["From"] = "shop@mostik.local"
message["To"] = "buyer@example.ru"
message.set_content("Спасибо! Ссылка: http://127.0.0.1:5000/orders/MK-2026-000001")
with smtplib.SMTP(os.environ["MAIL_SERVER"], int(os.environ["MAIL_PORT"])) as smtp:
    smtp.send_message(message)
"""


def test_the_sink_prints_each_message_in_russian():
    env = {key: value for key, value in os.environ.items() if key != "MAIL_SERVER"}
    result = subprocess.run(
        [sys.executable, "-m", "devtools.mailsink", "--port", str(free_port()), "--", sys.executable, "-c", SEND],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "mail to buyer@example.ru: Заказ MK-2026-000001 оплачен" in result.stdout
    assert "Ссылка: http://127.0.0.1:5000/orders/MK-2026-000001" in result.stdout


def test_with_a_real_relay_configured_the_command_runs_unchanged():
    env = {**os.environ, "MAIL_SERVER": "smtp.example.invalid"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "devtools.mailsink",
            "--",
            sys.executable,
            "-c",
            "import os; print(os.environ['MAIL_SERVER'])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.stdout.strip() == "smtp.example.invalid"
