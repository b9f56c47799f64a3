"""Send a campaign to N consenting buyers through a local SMTP sink (aiosmtpd) and report messages/second.

    .venv/bin/python -m bench.campaign --recipients 10000 --engines sqlite,postgresql

Each engine gets a fresh database (SQLite file in --work-dir; PostgreSQL: a new schema on BENCH_DATABASE_URL,
dropped afterwards). Buyers and consents are bulk-inserted, the campaign is scheduled «now», then the real
sender (``crm.campaigns.sending.send_due``: claim, render in the sandbox, rewrite links, SMTP, mark sent) runs
unthrottled until every recipient is sent. The sink is ``python -m aiosmtpd`` with its discarding handler, in
its own process on 127.0.0.1.

The baseline, in the same run and to the same sink: a bare ``smtplib`` loop sending the same number of comparable
messages (the same as the sender's, rendered and built beforehand by Mostik's own code) over one connection,
interleaved with the sender's runs.
Absolute rates differ between machines; ``ratio`` (Mostik's rate over the baseline's) is the figure to compare.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import smtplib
import socket
import subprocess
import sys
import time
from email.message import Message
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bench.databases import throwaway_database
from bench.run import BENCH_DIR
from crm.campaigns.compose import Person, compose, footer_texts, live_content, to_email
from crm.campaigns.models import Campaign, CampaignRecipient, RecipientStatus
from crm.campaigns.sender_settings import SenderSettings
from crm.campaigns.sending import send_due
from crm.campaigns.services import CampaignData, save_campaign, schedule_campaign
from crm.segments.models import Segment
from storefront.account.models import Buyer, Consent
from storefront.db import utcnow
from storefront.extensions import db

BATCH = 5_000
BODY_HTML = (
    "<p>Здравствуйте, {{ buyer.first_name }}!</p><p>Скидки недели: "
    '<a href="https://shop.example.ru/catalog/obuv?sort=new">обувь</a>, '
    '<a href="https://shop.example.ru/catalog/sumki">сумки</a>.</p>'
)
BODY_TEXT = "Здравствуйте, {{ buyer.first_name }}!\nОбувь: https://shop.example.ru/catalog/obuv?sort=new\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen[bytes]:
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return sink
        except OSError:
            time.sleep(0.1)
    sink.kill()
    raise RuntimeError("the SMTP sink did not start")


class BareLoop:
    """The baseline: a plain smtplib loop over one connection sending messages built before the clock starts."""

    def __init__(self, port: int, messages: list[Message]) -> None:
        self.messages = messages
        self.smtp = smtplib.SMTP("127.0.0.1", port)
        self.sent = 0
        self.seconds = 0.0

    def send(self, count: int) -> None:
        started = time.perf_counter()
        for message in self.messages[self.sent : self.sent + count]:
            self.smtp.send_message(message)
        self.seconds += time.perf_counter() - started
        self.sent += count

    def close(self) -> None:
        self.smtp.quit()


def _prerendered(session: Session, campaign: Campaign, settings: SenderSettings, recipients: int) -> list[Message]:
    """The messages the sender will send (the same templates, tracked links, footer and headers; recipient ids
    1..N), rendered and built by Mostik's own code before the clock starts: what the bare loop sends."""
    content = live_content(session, campaign, settings.base_url)
    footer = footer_texts(content)
    return [
        to_email(
            settings,
            f"b{i}@bench.local",
            compose(content, settings, i, Person(f"Покупатель {i}", "", ""), None, footer),
        )
        for i in range(1, recipients + 1)
    ]


def _fill(session: Session, recipients: int) -> None:
    now = utcnow()
    for start in range(0, recipients, BATCH):
        ids = range(start + 1, min(start + BATCH, recipients) + 1)
        session.execute(
            insert(Buyer), [{"id": i, "email": f"b{i}@bench.local", "name": f"Покупатель {i}"} for i in ids]
        )
        session.execute(
            insert(Consent),
            [
                {"buyer_id": i, "email": f"b{i}@bench.local", "kind": "marketing", "text_version": "mk-2026-11",
                 "granted_at": now, "source_page": "/bench", "confirmed_at": now}
                for i in ids
            ],
        )  # fmt: skip
    session.commit()


def measure(url: str, recipients: int, smtp_port: int, batch_size: int) -> dict:
    import wsgi

    app = wsgi.create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "MOSTIK_ENV": "production", "SECRET_KEY": "bench", "MAIL_PORT": smtp_port}
    )
    with app.app_context():
        upgrade()
        settings = dataclasses.replace(
            SenderSettings.from_config(app.config), rate_per_second=0, batch_size=batch_size, cap_messages=10**6
        )
        with Session(db.engine) as session:
            started = time.perf_counter()
            _fill(session, recipients)
            filled = time.perf_counter() - started
            segment = Segment(name="Все", definition={"op": "and", "conditions": []})
            session.add(segment)
            session.commit()
            campaign = save_campaign(
                session,
                None,
                CampaignData("Бенчмарк", segment.id, "{{ buyer.first_name }}, скидки недели", BODY_HTML, BODY_TEXT),
                None,
            )
            schedule_campaign(session, campaign, utcnow(), utcnow())
            # Interleaved: each sender run is followed by the bare loop sending as many, so a machine that gets
            # busier or quieter during the run slows or speeds both alike.
            bare = BareLoop(smtp_port, _prerendered(session, campaign, settings, recipients))
            seconds = 0.0
            runs = 0
            while True:
                started = time.perf_counter()
                result = send_due(session, settings)
                seconds += time.perf_counter() - started
                runs += 1
                if result.sent == 0:
                    break
                bare.send(result.sent)
            bare.close()
            sent = session.execute(
                select(func.count()).where(
                    CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status == RecipientStatus.SENT.value
                )
            ).scalar_one()
        db.engine.dispose()
    return {
        "fill_seconds": round(filled, 1),
        "send_seconds": round(seconds, 2),
        "sent": sent,
        "sender_runs": runs,
        "messages_per_second": round(sent / seconds, 1) if seconds else None,
        "bare_smtplib_messages_per_second": round(bare.sent / bare.seconds, 1) if bare.seconds else None,
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1_000, help="messages per sender run")
    parser.add_argument("--engines", default="sqlite")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    sink = start_sink(port)
    records = []
    try:
        for engine in args.engines.split(","):
            with throwaway_database(engine, args.work_dir, f"campaign-{args.recipients}") as url:
                if url is None:
                    print(f"{engine}: skipped (set BENCH_DATABASE_URL)")
                    continue
                figures = measure(url, args.recipients, port, args.batch_size)
            baseline = figures["bare_smtplib_messages_per_second"]
            ratio = round(figures["messages_per_second"] / baseline, 2) if figures["messages_per_second"] else None
            record = {
                "engine": engine,
                "recipients": args.recipients,
                **figures,
                "ratio": ratio,
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
            print(
                f"{engine}: {figures['sent']} of {args.recipients} messages in {figures['send_seconds']} s = "
                f"{figures['messages_per_second']} messages/s; bare smtplib {baseline} messages/s; ratio {ratio}"
                f" (fill {figures['fill_seconds']} s)"
            )
            args.results_dir.mkdir(parents=True, exist_ok=True)
            out = args.results_dir / f"campaign-{engine}-{args.recipients}.json"
            out.write_text(json.dumps(record, indent=2))
            records.append(record)
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    return records


if __name__ == "__main__":
    main()
