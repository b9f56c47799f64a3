"""The load test: buyers and staff on the production configuration for a set time, p95 per step, errors, and which
process ran out of CPU first.

    python -m bench.load                                   # PostgreSQL (BENCH_DATABASE_URL), 10 minutes
    python -m bench.load --engine sqlite --duration 60 --users 12

A throwaway database gets the demo data (``make demo-data``: catalogue, buyers with two years of orders, staff),
then the mail sink, the YooKassa stand-in and ``gunicorn -w 2`` (MOSTIK_ENV=production) serve it, and locust
(``bench/locustfile.py``) runs headless. CPU seconds of each group of processes (the app's workers, PostgreSQL,
the stand-in and mail sink, locust itself) are read from /proc before and after: the group nearest to its share
of the machine's cores is what saturates first. Figures go to ``bench/results/<date>-load-<engine>.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from bench.databases import throwaway_database

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _processes() -> dict[int, tuple[str, int, float]]:
    """pid → (command name, parent pid, CPU seconds) for every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        found[int(entry.name)] = (f"{name} {cmdline}", int(fields[1]), cpu)
    return found


def _group(command: str) -> str | None:
    if "yookassa_standin" in command or "mailsink" in command:  # their command lines name gunicorn too
        return "stand-in and mail sink"
    if "gunicorn" in command:
        return "app (gunicorn workers)"
    if command.startswith("postgres"):
        return "PostgreSQL"
    return None


def _cpu_by_group() -> dict[str, float]:
    totals: dict[str, float] = {}
    for command, _parent, cpu in _processes().values():
        group = _group(command)
        if group:
            totals[group] = totals.get(group, 0.0) + cpu
    return totals


def _seed(url: str, products: int, buyers: int, log) -> None:
    env = {**os.environ, "DATABASE_URL": url, "MOSTIK_INSTANCE_PATH": str(ROOT / "instance")}
    log(f"demo data: {products} products, {buyers} buyers …")
    subprocess.run(
        ["make", "--no-print-directory", "demo-data", f"DEMO_PRODUCTS={products}", f"DEMO_BUYERS={buyers}"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _scalar(url: str, statement: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        value = connection.scalar(sa.text(statement))
    engine.dispose()
    return int(value or 0)


PICKUP_METHOD = "SELECT id FROM shipping_methods WHERE code = 'cdek-pickup'"
ORDERS_PLACED = "SELECT count(*) FROM orders WHERE email LIKE 'load%@example.ru'"
ORDERS_PAID = ORDERS_PLACED + " AND payment_status = 'paid'"


def _wait_until_up(base: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the app exited; see its log")
        try:
            with urllib.request.urlopen(base + "/", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise RuntimeError("the app did not answer in time")


def _read_stats(prefix: Path) -> dict[str, dict[str, float]]:
    steps = {}
    with (prefix.parent / f"{prefix.name}_stats.csv").open(encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            steps[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 2),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
            }
    return steps


def run(args: argparse.Namespace, log) -> dict:
    work_dir = args.work_dir
    work_dir.mkdir(parents=True, exist_ok=True)
    with throwaway_database(args.engine, work_dir, "load") as url:
        if url is None:
            raise SystemExit("PostgreSQL needs BENCH_DATABASE_URL (or use --engine sqlite)")
        _seed(url, args.products, args.buyers, log)
        app_port, standin_port, mail_port = _free_port(), _free_port(), _free_port()
        base = f"http://127.0.0.1:{app_port}"
        env = {
            **os.environ,
            "MOSTIK_ENV": "production",
            "SECRET_KEY": secrets.token_hex(16),
            "DATABASE_URL": url,
            "PUBLIC_BASE_URL": base,
            "LOG_TO_STDOUT": "1",
            "MOSTIK_INSTANCE_PATH": str(ROOT / "instance"),
            # Every simulated buyer comes from 127.0.0.1: the per-address anti-hoarding limits would stop them all.
            "CHECKOUT_LIMIT_PER_IP": "1000000 per hour",
            "UNPAID_ORDERS_PER_CLIENT": "0",
        }
        command = [
            str(BIN / "python"), "-m", "devtools.mailsink", "--port", str(mail_port), "--",
            str(BIN / "python"), "-m", "devtools.yookassa_standin", "--port", str(standin_port),
            "--notify-url", f"{base}/payments/yookassa/notifications", "--",
            str(BIN / "gunicorn"), "-w", str(args.workers), "-k", "sync", "-b", f"127.0.0.1:{app_port}",
            "wsgi:create_app()",
        ]  # fmt: skip
        log_path = work_dir / f"load-app-{args.engine}.log"
        with log_path.open("w") as app_log:
            server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=app_log, stderr=subprocess.STDOUT)
            try:
                _wait_until_up(base, server)
                prefix = work_dir / f"load-{args.engine}"
                locust_env = {
                    **env,
                    "LOAD_STANDIN_URL": f"http://127.0.0.1:{standin_port}",
                    "LOAD_STAFF_PASSWORD": args.staff_password,
                    "LOAD_SHIPPING_METHOD_ID": str(
                        _scalar(url, "SELECT id FROM shipping_methods WHERE code = 'cdek-pickup'")
                    ),
                }
                log(f"locust: {args.users} users for {args.duration} s against {base} …")
                before, started = _cpu_by_group(), time.monotonic()
                children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run(
                    [
                        str(BIN / "locust"), "-f", str(BENCH_DIR / "locustfile.py"), "--headless",
                        "-u", str(args.users), "-r", str(max(1, args.users // 10)), "-t", f"{args.duration}s",
                        "--host", base, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
                    ],
                    cwd=ROOT, env=locust_env, check=False,
                )  # fmt: skip
                elapsed, after = time.monotonic() - started, _cpu_by_group()
                children = resource.getrusage(resource.RUSAGE_CHILDREN)  # locust: the only child that ended
                after["locust (the load generator)"] = (
                    children.ru_utime + children.ru_stime - children_before.ru_utime - children_before.ru_stime
                )
            finally:
                server.terminate()
                server.wait(timeout=60)
        cores = os.cpu_count() or 1
        cpu = {
            group: round(100 * (after.get(group, 0.0) - before.get(group, 0.0)) / elapsed, 1)
            for group in sorted(set(before) | set(after))
            if group != "PostgreSQL" or args.engine == "postgresql"
        }
        steps = _read_stats(prefix)
        placed, paid = _scalar(url, ORDERS_PLACED), _scalar(url, ORDERS_PAID)
        errors_in_log = log_path.read_text(errors="replace").count('"level": "ERROR"') + log_path.read_text(
            errors="replace"
        ).count("Traceback")
        return {
            "engine": args.engine,
            "products": args.products,
            "buyers": args.buyers,
            "users": args.users,
            "duration_s": args.duration,
            "server": f"gunicorn -w {args.workers} -k sync, MOSTIK_ENV=production",
            "machine": {"cores": cores, "python": platform.python_version()},
            "steps": steps,
            "orders_placed": placed,
            "orders_paid_through_the_stand_in": paid,
            "failures": sum(step["failures"] for name, step in steps.items() if name != "Aggregated"),
            "errors_in_app_log": errors_in_log,
            "cpu_percent_of_one_core": cpu,
            "saturates_first": max(cpu, key=lambda group: cpu[group]) if cpu else None,
        }


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--duration", type=int, default=600, help="seconds of load (default 600)")
    parser.add_argument("--users", type=int, default=24, help="simulated users, 9 buyers to 1 staff member")
    parser.add_argument("--products", type=int, default=20000)
    parser.add_argument("--buyers", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--staff-password", default="mostik-demo-admin", help="the demo admin's (make demo-data)")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "instance" / "bench")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(f"[load] {message}", file=sys.stderr, flush=True)

    result = run(args, log)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = BENCH_DIR / "results" / f"{stamp}-load-{args.engine}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{'step':<18} {'requests':>9} {'failures':>9} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for name, step in result["steps"].items():
        print(
            f"{name:<18} {step['requests']:>9} {step['failures']:>9} {step['rps']:>7} "
            f"{step['p50_ms']:>8.0f} {step['p95_ms']:>8.0f}"
        )
    print(f"orders placed {result['orders_placed']}, paid {result['orders_paid_through_the_stand_in']}")
    print(f"CPU (% of one core): {result['cpu_percent_of_one_core']}; saturates first: {result['saturates_first']}")
    print(f"written to {path}")
    return path


if __name__ == "__main__":
    main()
