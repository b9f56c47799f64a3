"""Import a generated N-offer YML feed, then re-import it with 5 % of the offers changed; compare with the reader alone.

    .venv/bin/python -m bench.feed_import --offers 1000000 --engines sqlite,postgresql

Two feeds are written to --work-dir, streamed (never held in memory): the first, and the same offers with every
20th one changed (price, stock, name or pictures in turn). One offer in 1,000 is bad (a negative price or no
name) so per-offer problem reporting stays on the measured path. Each engine gets a fresh database (SQLite file
in --work-dir; PostgreSQL: a new schema on BENCH_DATABASE_URL, dropped afterwards).

Every phase runs in its own process, so its peak RSS (VmHWM: the app and all) is its own: the reader alone over the
first and the changed file (``read_yml``, every offer parsed), the first import, the re-import (``import_feed``,
committed per batch as the ``catalog import`` command does). Times are measured inside the process, from opening
the file to the last commit (interpreter and app start-up excluded), as wall time and as the process's CPU time
(which varies less on a shared machine; on PostgreSQL it leaves out the server's share). ``ratio`` = re-import
wall time / reader wall time over the same (changed) file, the reader run just before: the target is ≤ 3, with
peak RSS ≤ 300 MB. Absolute times depend on the machine and on what else runs on it (the 1-minute load average is
recorded); the ratios are the figures to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.databases import throwaway_database
from bench.run import BENCH_DIR

RATES = {"USD": "80.0000", "CNY": "11.0000"}
CATEGORIES = 60
SUPPLIERS = 40
#: Every CHANGE_EVERY-th offer differs in the second feed (5 %).
CHANGE_EVERY = 20
#: Every BAD_EVERY-th offer is rejected by the import (a reported problem, in both feeds).
BAD_EVERY = 1000
WORDS = (
    "кроссовки рюкзак сумка чехол кружка игрушка фонарь зарядка кабель наушники термос кепка шарф носки "
    "перчатки зонт лампа коврик подушка плед"
).split()
COLOURS = "чёрный белый красный синий зелёный серый бежевый розовый".split()
MATERIALS = "хлопок полиэстер кожа пластик металл стекло дерево силикон".split()


def _parent(category: int) -> str:
    """Six top categories, the others under them."""
    return f' parentId="{category % 6 + 1}"' if category > 6 else ""


def _head(offers: int) -> str:
    categories = "\n".join(f'<category id="{c}"{_parent(c)}>Категория {c}</category>' for c in range(1, CATEGORIES + 1))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="2026-12-06 10:00">\n<shop>\n'
        f"<name>Бенчмарк {offers}</name>\n<company>Иу Бенчмарк Трейдинг</company>\n<url>https://bench.example.cn/</url>\n"
        '<currencies><currency id="RUR" rate="1"/><currency id="USD" rate="CBRF"/><currency id="CNY" rate="CBRF"/>'
        f"</currencies>\n<categories>\n{categories}\n</categories>\n<offers>\n"
    )


def offer_xml(n: int, changed: bool) -> str:
    """Offer ``n`` of the feed; ``changed``: its 5 %-changed variant (what changes rotates with ``n``)."""
    kind = (n // CHANGE_EVERY) % 4 if changed and n % CHANGE_EVERY == 0 else -1
    word = WORDS[n % len(WORDS)]
    name = f"{word.capitalize()} {COLOURS[n % len(COLOURS)]} модель {n}" + (" новинка" if kind == 2 else "")
    if n % BAD_EVERY == 7:
        name = ""
    stock = (n * 7) % 5000 + (13 if kind == 1 else 0)
    pictures = "".join(
        f"<picture>https://img.bench.example.cn/{n}/{p}{'v2' if kind == 3 else ''}.jpg</picture>"
        for p in range(1 + n % 3)
    )
    base = 100 + n % 900
    if n % 3 == 0:  # wholesale breaks in USD
        price = (base + (5 if kind == 0 else 0)) / 100
        money = (
            '<currencyId>USD</currencyId><price-breaks currency="USD">'
            f'<break min-quantity="1">{price:.2f}</break><break min-quantity="100">{price * 0.9:.2f}</break>'
            f'<break min-quantity="1000">{price * 0.8:.2f}</break></price-breaks>'
        )
        price_tag = f"<price>{price:.2f}</price>"
    else:
        price_tag = f"<price>{'-' if n % BAD_EVERY == 500 else ''}{base * 10 + (50 if kind == 0 else 0)}</price>"
        money = "<currencyId>RUR</currencyId>"
    supplier = n % SUPPLIERS
    description = (
        f"<description><![CDATA[<p>{name}: {MATERIALS[n % len(MATERIALS)]}, упаковка по {10 + n % 40} шт.</p>"
        "<ul><li>Отгрузка со склада в Иу</li><li>Образцы по запросу</li></ul>]]></description>"
        if n % 2
        else f"<description>{word} из материала {MATERIALS[n % len(MATERIALS)]}, отгрузка со склада</description>"
    )
    return (
        f'<offer id="B{n}" available="true">\n<name>{name}</name>\n{price_tag}{money}\n'
        f"<categoryId>{1 + n % CATEGORIES}</categoryId>\n{pictures}\n<vendor>Бренд {n % 300}</vendor>"
        f"<vendorCode>VC-{n}</vendorCode>\n{description}\n"
        f'<param name="Цвет">{COLOURS[n % len(COLOURS)]}</param><param name="Материал">{MATERIALS[n % 8]}</param>'
        f'<param name="Вес" unit="г">{50 + n % 950}</param>\n'
        f"<min-quantity>{1 + n % 10}</min-quantity><stock>{stock}</stock>\n"
        f'<supplier city="Иу">Поставщик {supplier}</supplier>\n</offer>\n'
    )


def _pieces(offers: int, changed: bool) -> Iterator[str]:
    yield _head(offers)
    for n in range(offers):
        yield offer_xml(n, changed)
    yield "</offers>\n</shop>\n</yml_catalog>\n"


def write_feed(path: Path, offers: int, changed: bool) -> Path:
    """Write the feed to ``path`` a few hundred offers at a time (the file is never built in memory)."""
    if path.exists():
        return path
    partial = path.with_suffix(".part")
    with partial.open("w", encoding="utf-8") as out:
        buffer: list[str] = []
        for piece in _pieces(offers, changed):
            buffer.append(piece)
            if len(buffer) >= 500:
                out.write("".join(buffer))
                buffer.clear()
        out.write("".join(buffer))
    partial.rename(path)
    return path


def expected(offers: int) -> dict[str, int]:
    bad = sum(1 for n in range(offers) if n % BAD_EVERY in (7, 500) and not (n % BAD_EVERY == 500 and n % 3 == 0))
    return {"good": offers - bad, "bad": bad, "changed": sum(1 for n in range(offers) if n % CHANGE_EVERY == 0)}


# --- phases, each run in a child process -----------------------------------------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak RSS. Linux keeps ``ru_maxrss`` across fork and exec (the child would report the
    parent's peak when that was higher), so the address space's own high-water mark (VmHWM) is read first."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # kilobytes on Linux


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def phase_reader(path: Path) -> dict[str, Any]:
    from storefront.feeds.reader import read_yml

    started, cpu = time.perf_counter(), _cpu_seconds()
    count = broken = 0
    with path.open("rb") as stream:
        _head, offers = read_yml(stream)
        for offer in offers:
            count += 1
            broken += offer.broken is not None
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(_cpu_seconds() - cpu, 2),
        "offers": count,
        "peak_rss_mb": _peak_rss_mb(),
    }


def phase_import(url: str, path: Path, profile: Path | None) -> dict[str, Any]:
    import wsgi
    from storefront.extensions import db
    from storefront.feeds.services import import_feed

    app = wsgi.create_app({"SQLALCHEMY_DATABASE_URI": url, "MOSTIK_ENV": "production", "SECRET_KEY": "bench"})
    with app.app_context():
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started, cpu = time.perf_counter(), _cpu_seconds()
        with path.open("rb") as stream:
            report = import_feed(db.session(), stream)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        if profiler and profile:
            profiler.disable()
            profiler.dump_stats(profile)
        db.session.remove()
        db.engine.dispose()
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "created": report.created,
        "updated": report.updated,
        "problems": len(report.problems),
        "first_problem_lines": [problem.line for problem in report.problems[:3]],
        "peak_rss_mb": _peak_rss_mb(),
    }


def _run_phase(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.feed_import", "--phase", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"phase {args[0]} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _prepare(url: str) -> None:
    from flask_migrate import upgrade

    import wsgi
    from storefront.extensions import db
    from storefront.fx.cbr import RateQuote, RateSheet
    from storefront.fx.services import store_rates

    quotes = {code: RateQuote(code, 1, Decimal(v), Decimal(v), None, None, None) for code, v in RATES.items()}
    app = wsgi.create_app({"SQLALCHEMY_DATABASE_URI": url, "MOSTIK_ENV": "production", "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        store_rates(db.session(), RateSheet(date(2026, 11, 25), quotes), "bench")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def measure(url: str, first: Path, changed: Path, profile_dir: Path | None, engine: str) -> dict[str, Any]:
    _prepare(url)
    reader_first = _run_phase("reader", str(first))
    load_average = os.getloadavg()[0]
    profile = [] if profile_dir is None else ["--profile-to", str(profile_dir / f"{engine}-first.prof")]
    first_import = _run_phase("import", str(first), "--url", url, *profile)
    reader_changed = _run_phase("reader", str(changed))
    profile = [] if profile_dir is None else ["--profile-to", str(profile_dir / f"{engine}-reimport.prof")]
    reimport = _run_phase("import", str(changed), "--url", url, *profile)
    return {
        "reader_first": reader_first,
        "first_import": first_import,
        "reader_changed": reader_changed,
        "reimport_5pc": reimport,
        "ratio": round(reimport["seconds"] / reader_changed["seconds"], 2),
        # This process's CPU only: the whole import on SQLite, the client's share on PostgreSQL.
        "cpu_ratio": round(reimport["cpu_seconds"] / max(reader_changed["cpu_seconds"], 0.01), 2),
        "first_import_ratio": round(first_import["seconds"] / reader_first["seconds"], 2),
        "peak_rss_mb": max(first_import["peak_rss_mb"], reimport["peak_rss_mb"]),
        "load_average_1m": [round(load_average, 1), round(os.getloadavg()[0], 1)],
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--label", default="", help="added to the result file's name (e.g. «before»)")
    parser.add_argument("--profile", action="store_true", help="cProfile each import into --work-dir")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        if args.phase == "reader":
            result = phase_reader(args.file)
        else:
            result = phase_import(args.url, args.file, args.profile_to)
        print(json.dumps(result))
        return [result]
    args.work_dir.mkdir(parents=True, exist_ok=True)
    first = write_feed(args.work_dir / f"feed-{args.offers}.yml", args.offers, changed=False)
    changed = write_feed(args.work_dir / f"feed-{args.offers}-changed.yml", args.offers, changed=True)
    records = []
    for engine in args.engines.split(","):
        with throwaway_database(engine, args.work_dir, f"feed-import-{args.offers}") as url:
            if url is None:
                print(f"{engine}: skipped (set BENCH_DATABASE_URL)")
                continue
            figures = measure(url, first, changed, args.work_dir if args.profile else None, engine)
        record = {
            "engine": engine,
            "offers": args.offers,
            "feed_mb": round(first.stat().st_size / 2**20, 1),
            "expected": expected(args.offers),
            **figures,
        }
        print(
            f"{engine} {args.offers} offers: reader {figures['reader_changed']['seconds']} s, first import "
            f"{figures['first_import']['seconds']} s, re-import (5 % changed) {figures['reimport_5pc']['seconds']} s, "
            f"ratio {figures['ratio']}, peak RSS {figures['peak_rss_mb']} MB"
        )
        args.results_dir.mkdir(parents=True, exist_ok=True)
        suffix = f"-{args.label}" if args.label else ""
        out = args.results_dir / f"feed-import-{engine}-{args.offers}{suffix}.json"
        out.write_text(json.dumps(record, indent=2, ensure_ascii=False))
        records.append(record)
    return records


if __name__ == "__main__":
    main()
