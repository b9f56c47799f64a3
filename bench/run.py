"""One command for the benchmark: build N products, serve with gunicorn, load with wrk, report.

    python -m bench.run                          # N = 1,000,000 on SQLite, and PostgreSQL if BENCH_DATABASE_URL
    python -m bench.run --products 100000 --duration 10 --engines sqlite

Per engine: build (or reuse) the catalogue, start ``gunicorn -w 2 -k sync`` (2 sync workers on
this 2-core machine: a CPU-bound page gains nothing from threads), warm each URL up for 2 s,
then run ``wrk -t2 -c8 -d<duration>s`` against home, a category page (page 1 and page 200), a
product, search (50 queries in rotation), search_uncached (a stream of new queries made from the
catalogue's words, none repeated: ``bench.query_stream``), search_floor (the same stream, each query's index match
alone and then a repeated query's page: ``bench.app``), suggest (their prefixes) and ``/__ceiling`` (the
category template from memory). Prints req/s, p50/p95/p99, the ratio to the ceiling, the query
plans of the hot queries, and writes everything to ``bench/results/<date>-<engine>-<N>.json``.
PostgreSQL data goes to a schema named ``bench`` in BENCH_DATABASE_URL (dropped and rebuilt).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.orm import Session

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PAGES = (
    "home", "category_page_1", "category_page_200", "category_filtered", "category_filtered_uncached", "product",
    "search", "search_uncached", "search_floor", "suggest", "ceiling",
)  # fmt: skip
#: New queries for ``search_uncached`` (``bench.query_stream``): more than a run's requests, so none repeats.
UNCACHED_QUERIES = 12_000
#: Product titles the new queries' words are taken from (spread over the catalogue).
QUERY_TITLES = 20_000
#: Price floors (in kopecks: 0,01–50,00 ₽) for ``category_filtered_uncached``: every URL is a new cache key.
CATEGORY_UNCACHED_VARIANTS = 5000
#: Pages fed the stream of new queries: the long-tail target compares them with ``search``.
NEW_QUERY_PAGES = ("search_uncached", "search_floor")
#: An uncached page warms up on its cached twin, so its own URLs stay cold.
WARMUP_FROM = {"search_uncached": "search", "search_floor": "search", "category_filtered_uncached": "category_filtered"}


def repeated_queries() -> list[str]:
    """The ``search`` line's queries, in rotation (``bench/queries.txt``)."""
    return [line.strip() for line in (BENCH_DIR / "queries.txt").read_text().splitlines() if line.strip()]


def _schema_url(base_url: str, schema: str) -> str:
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}"


def database_url(engine: str, products: int, work_dir: Path) -> str | None:
    if engine == "sqlite":
        return f"sqlite:///{work_dir / f'bench-{products}.db'}"
    base = os.environ.get("BENCH_DATABASE_URL")
    return _schema_url(base, "bench") if base else None


def _app(url: str):
    import wsgi

    return wsgi.create_app({"SQLALCHEMY_DATABASE_URI": url, "MOSTIK_ENV": "production", "SECRET_KEY": "bench"})


def prepare(engine: str, url: str, products: int, rebuild: bool, log) -> dict:
    """Build the catalogue unless an identical one is already there; return the URL targets."""
    from bench.build import build_catalogue, targets
    from storefront.catalog.models import Product
    from storefront.extensions import db

    if engine == "postgresql":
        admin = sa.create_engine(os.environ["BENCH_DATABASE_URL"])
        with admin.begin() as connection:
            connection.execute(sa.text("CREATE SCHEMA IF NOT EXISTS bench"))
        admin.dispose()
    app = _app(url)
    with app.app_context():
        with Session(db.engine) as session:
            try:
                existing = session.scalar(sa.select(sa.func.count()).select_from(Product))
            except sa.exc.DBAPIError:
                existing = None
        found: dict[str, Any] = {}
        if existing == products and not rebuild:
            log(f"[{engine}] reusing the catalogue of {products} products")
            with Session(db.engine) as session:
                found.update(targets(session))
        else:
            db.engine.dispose()
            if engine == "sqlite":
                Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            else:
                admin = sa.create_engine(os.environ["BENCH_DATABASE_URL"])
                with admin.begin() as connection:
                    connection.execute(sa.text("DROP SCHEMA IF EXISTS bench CASCADE"))
                    connection.execute(sa.text("CREATE SCHEMA bench"))
                admin.dispose()
            upgrade()
            started = time.monotonic()
            with Session(db.engine) as session:
                found.update(build_catalogue(session, products, progress=lambda message: log(f"[{engine}] {message}")))
            found["build_seconds"] = round(time.monotonic() - started, 1)
            log(f"[{engine}] built {products} products in {found['build_seconds']} s")
        with Session(db.engine) as session:
            from bench.explain import hot_query_plans

            found["plans"] = hot_query_plans(session, found["category_id"], found["product_id"])
        db.engine.dispose()
    return found


def _wait_until_up(base: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited; see its log")
        try:
            with urllib.request.urlopen(base + "/__ceiling", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")


def _wrk(url: str, concurrency: int, seconds: int, paths_file: Path | None) -> dict:
    env = dict(os.environ)
    if paths_file is not None:
        env["BENCH_PATHS"] = str(paths_file)
    command = [
        "wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", str(BENCH_DIR / "report.lua"), url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    found = re.search(r"BENCH_JSON (\{.*\})", output)
    if not found:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    return json.loads(found.group(1))


def _paths(work_dir: Path, targets: dict) -> dict[str, tuple[str, Path | None]]:
    queries = repeated_queries()
    search_file, suggest_file = work_dir / "search-paths.txt", work_dir / "suggest-paths.txt"
    search_file.write_text("".join(f"/search?q={urllib.parse.quote(q)}\n" for q in queries))
    # A stream of new queries made from the catalogue's words, none repeated and none of the repeated set:
    # what the long tail of buyers' queries costs.
    uncached_file = work_dir / "search-uncached-paths.txt"
    uncached_file.write_text("".join(f"/search?q={urllib.parse.quote(q)}\n" for q in targets["new_queries"]))
    # The same stream read from its end for the floor page, so its queries are new to the database's caches too.
    floor_file = work_dir / "search-floor-paths.txt"
    floor_queries = reversed(targets["new_queries"])
    floor_file.write_text("".join(f"/__search_floor?q={urllib.parse.quote(q)}\n" for q in floor_queries))
    # A category with two filters (the category's commonest supplier city, in stock), and the same page
    # with a new price floor each time: what a listing costs when no count or facet is cached.
    category = f"/catalog/{targets['category_slug']}"
    filtered = f"{category}?city={urllib.parse.quote(targets['category_city'])}&in_stock=y"
    category_uncached_file = work_dir / "category-uncached-paths.txt"
    category_uncached_file.write_text(
        "".join(
            f"{category}?in_stock=y&price_min={floor // 100}.{floor % 100:02d}\n"
            for floor in range(1, CATEGORY_UNCACHED_VARIANTS + 1)
        )
    )
    prefixes = [q[: max(3, len(q) // 2)] for q in queries]  # what a buyer has typed halfway through
    suggest_file.write_text("".join(f"/search/suggest?q={urllib.parse.quote(p)}\n" for p in prefixes))
    return {
        "home": ("/", None),
        "category_page_1": (f"/catalog/{targets['category_slug']}", None),
        "category_page_200": (f"/catalog/{targets['category_slug']}?page=200", None),
        "category_filtered": (filtered, None),
        "category_filtered_uncached": (category, category_uncached_file),
        "product": (f"/product/{targets['product_id']}-{targets['product_slug']}", None),
        "search": ("/search", search_file),
        "search_uncached": ("/search", uncached_file),
        "search_floor": ("/__search_floor", floor_file),
        "suggest": ("/search/suggest", suggest_file),
        "ceiling": ("/__ceiling", None),
    }


def measure(engine: str, url: str, targets: dict, args, log) -> dict:
    """Serve the app with gunicorn and run wrk against every page; returns {page: figures}."""
    port = args.port
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url, SECRET_KEY=secrets.token_hex(16), MOSTIK_ENV="production", LOG_TO_STDOUT="0",
        BENCH_CATEGORY_ID=str(targets["category_id"]), PYTHONPATH=str(ROOT),
    )  # fmt: skip
    gunicorn = [
        str(Path(sys.executable).with_name("gunicorn")), "-w", str(args.workers), "-k", "sync",
        "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "bench.app:app",
    ]  # fmt: skip
    log_path = args.work_dir / f"gunicorn-{engine}.log"
    with log_path.open("w") as server_log:
        process = subprocess.Popen(gunicorn, env=env, stdout=server_log, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(base, process)
            results = {}
            pages = _paths(args.work_dir, targets)
            for page, (path, paths_file) in pages.items():
                if page not in args.pages:
                    continue
                first = path if paths_file is None else paths_file.read_text().splitlines()[0]
                with urllib.request.urlopen(base + first, timeout=30) as response:
                    if response.status != 200:
                        raise RuntimeError(f"{first} answered {response.status}")
                if args.warmup:  # an uncached run warms up on its cached twin: its own URLs must stay cold
                    warm_path, warmup_file = pages[WARMUP_FROM[page]] if page in WARMUP_FROM else (path, paths_file)
                    _wrk(base + warm_path, args.concurrency, args.warmup, warmup_file)
                results[page] = _wrk(base + path, args.concurrency, args.duration, paths_file)
                if page in NEW_QUERY_PAGES and paths_file is not None:
                    # Each wrk thread walks its own half of the list: more requests than that would repeat queries.
                    distinct = len(paths_file.read_text().splitlines())
                    results[page]["distinct_queries"] = distinct
                    if results[page]["requests"] > distinct:
                        log(f"[{engine}] {page}: {results[page]['requests']} requests repeated queries")
                log(f"[{engine}] {page}: {results[page]['rps']:.0f} req/s, p95 {results[page]['p95_ms']:.1f} ms")
        finally:
            process.terminate()
            process.wait(timeout=30)
    ceiling = (results["ceiling"]["rps"] or 1) if "ceiling" in results else 0
    for figures in results.values():
        figures["ratio_to_ceiling"] = round(figures["rps"] / ceiling, 2) if ceiling else None
    return results


def table(engine: str, products: int, results: dict) -> str:
    lines = [
        f"{engine}, {products:,} products".replace(",", " "),
        f"{'page':<28}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'× ceiling':>11}",
    ]
    for page in [page for page in PAGES if page in results]:
        r = results[page]
        ratio = "" if r["ratio_to_ceiling"] is None else f"{r['ratio_to_ceiling']:.2f}"
        lines.append(f"{page:<28}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['p99_ms']:>9.1f}{ratio:>11}")
    # The long-tail target (≥ 0.7 and p95 ≤ 2×), and the most any change after the index match can reach.
    for page in NEW_QUERY_PAGES:
        if "search" in results and page in results:
            cached, new = results["search"], results[page]
            lines.append(
                f"{page} / search: {new['rps'] / (cached['rps'] or 1):.2f} of the throughput, "
                f"p95 {new['p95_ms'] / (cached['p95_ms'] or 1):.1f}×"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per URL")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per URL (0: none)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--pages", default=",".join(PAGES), help=f"which pages to load, comma-separated (default: all of {PAGES})"
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the catalogue even if one of size N exists")
    parser.add_argument(
        "--build-only", action="store_true", help="build (or check) the catalogue and its plans, serve and load nothing"
    )
    parser.add_argument("--work-dir", type=Path, default=ROOT / "instance" / "bench")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    args.pages = [page.strip() for page in args.pages.split(",") if page.strip()]
    if unknown := set(args.pages) - set(PAGES):
        parser.error(f"unknown pages: {sorted(unknown)}")
    if shutil.which("wrk") is None and not args.build_only:
        sys.exit("wrk is not installed: sudo apt-get install -y wrk (or: make bench, which installs it)")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    args.results_dir.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    written = []
    for engine in [name.strip() for name in args.engines.split(",") if name.strip()]:
        url = database_url(engine, args.products, args.work_dir)
        if url is None:
            log(f"[{engine}] skipped: set BENCH_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
            continue
        targets = prepare(engine, url, args.products, args.rebuild, log)
        if args.build_only:
            log(f"[{engine}] catalogue ready at {url}")
            continue
        targets.update(_slugs(url, targets))
        load_before = os.getloadavg()
        results = measure(engine, url, targets, args, log)
        print(table(engine, args.products, results))
        for page, plans in targets["plans"].items():
            for plan in plans:
                print(f"  plan [{page}] {plan['sql'][:90]}…\n    " + plan["plan"].replace("\n", "\n    "))
        now = datetime.now(UTC)
        record = {
            "date": now.isoformat(timespec="seconds"),
            "engine": engine,
            "products": args.products,
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
            "server": f"gunicorn -w {args.workers} -k sync",
            "load": f"wrk -t2 -c{args.concurrency} -d{args.duration}s (warm-up {args.warmup}s)",
            "build_seconds": targets.get("build_seconds"),
            # Other work on the machine skews every figure: the load average before and after the run.
            "load_average": {"start": list(load_before), "end": list(os.getloadavg())},
            "results": results,
            "plans": targets["plans"],
        }
        path = args.results_dir / f"{now:%Y%m%dT%H%M%S}-{engine}-{args.products}.json"
        path.write_text(json.dumps(record, ensure_ascii=False, indent=2))
        log(f"[{engine}] results written to {path}")
        written.append(path)
    return written


def _slugs(url: str, targets: dict) -> dict:
    from bench.query_stream import new_queries
    from storefront.catalog.models import Category, Product, Supplier
    from storefront.extensions import db

    app = _app(url)
    with app.app_context(), Session(db.engine) as session:
        city = session.execute(
            sa.select(Supplier.city)
            .join(Product, Product.supplier_id == Supplier.id)
            .where(Product.category_id == targets["category_id"], Supplier.city != "")
            .group_by(Supplier.city)
            .order_by(sa.func.count().desc(), Supplier.city)
            .limit(1)
        ).scalar_one()
        found: dict[str, Any] = {
            "category_slug": session.get_one(Category, targets["category_id"]).slug,
            "product_slug": session.get_one(Product, targets["product_id"]).slug,
            "category_city": city,
        }
        step = max(1, (session.scalar(sa.select(sa.func.max(Product.id))) or 0) // QUERY_TITLES)
        titles = session.scalars(sa.select(Product.title).where(Product.id % step == 0).limit(QUERY_TITLES)).all()
        names = session.scalars(sa.select(Category.name)).all()
        repeated = repeated_queries()
        found["new_queries"] = new_queries(titles, names, UNCACHED_QUERIES, exclude=repeated)
        db.engine.dispose()
    return found


if __name__ == "__main__":
    main()
