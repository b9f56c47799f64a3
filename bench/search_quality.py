"""Search quality on the demo catalogue: how everyday buyer queries fare (``python -m bench.search_quality``).

Builds the demo catalogue (``demo.catalogue.seed_demo``) on a throwaway SQLite database, runs every query of
``bench/search_queries.tsv`` through ``search_products`` in relevance order (the search page's default) and
reports the share of queries with no result, the share whose first page holds a relevant product, and
first-page precision (relevant products / products shown, averaged over queries with results). A product is
relevant when its leaf category or that category's parent is named in the query's label; the optional third
column narrows that to titles holding one of the listed words (folded, compared by prefix). Results go to
``bench/results/search-quality-<products>[-<label>].json``.

``--database URL`` measures an existing catalogue instead (a ``bench.run`` one of 1,000,000 products, either engine:
``bench.run.database_url`` gives its URL), read only; the file is then named after its engine and size.
"""

from __future__ import annotations

import argparse
import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.build import build_catalogue
from bench.databases import throwaway_database
from bench.run import BENCH_DIR
from storefront.catalog.models import Category, Product
from storefront.catalog.queries import ListingFilters, Sort
from storefront.extensions import db
from storefront.search.normalise import fold, words
from storefront.search.queries import search_products

QUERIES = Path(__file__).with_name("search_queries.tsv")
PER_PAGE = 24


def load_queries(path: Path = QUERIES) -> list[tuple[str, frozenset[str], tuple[str, ...]]]:
    """(query, relevant category names, title word prefixes or empty) for each line but comments."""
    found = []
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if not row or row[0].startswith("#"):
                continue
            categories = frozenset(name.strip() for name in row[1].split("|") if name.strip())
            title_words = tuple(fold(word) for word in row[2].split("|") if word) if len(row) > 2 else ()
            found.append((row[0], categories, title_words))
    return found


def _relevant(
    product, category_of: dict[int, int], names: dict[int, set[str]], categories: frozenset[str], title_words
) -> bool:
    if not names.get(category_of[product.id], set()) & categories:
        return False
    if not title_words:
        return True
    title = words(product.title)
    return any(word.startswith(prefix) for prefix in title_words for word in title)


def measure(session: Session, queries, per_page: int = PER_PAGE) -> dict:
    by_id = {category.id: category for category in session.scalars(select(Category))}
    names = {
        category.id: {category.name} | ({by_id[category.parent_id].name} if category.parent_id in by_id else set())
        for category in by_id.values()
    }
    unknown = {name for _, categories, _ in queries for name in categories} - {c.name for c in by_id.values()}
    if unknown:
        raise SystemExit(f"labels name unknown categories: {sorted(unknown)}")
    category_of = {row.id: row.category_id for row in session.execute(select(Product.id, Product.category_id))}
    rows = []
    for query, categories, title_words in queries:
        result = search_products(session, query, ListingFilters(sort=Sort.RELEVANCE), per_page)  # the page's default
        products = result.listing.products
        relevant = [p for p in products if _relevant(p, category_of, names, categories, title_words)]
        rows.append(
            {
                "query": query,
                "total": result.listing.total,
                "shown": len(products),
                "relevant": len(relevant),
                "precision": round(len(relevant) / len(products), 3) if products else None,
            }
        )
    answered = [row for row in rows if row["shown"]]
    return {
        "queries": len(rows),
        "zero_share": round(sum(1 for row in rows if not row["total"]) / len(rows), 4),
        "relevant_on_first_page_share": round(sum(1 for row in rows if row["relevant"]) / len(rows), 4),
        "first_page_precision": round(sum(row["precision"] for row in answered) / len(answered), 4) if answered else 0,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--label", default="", help="added to the result file name (e.g. before, after)")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--verbose", action="store_true", help="print every query that found nothing relevant")
    parser.add_argument("--database", help="measure this existing catalogue (a SQLAlchemy URL) instead of building one")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    import wsgi

    queries = load_queries()
    engine = "sqlite"
    if args.database:
        app = wsgi.create_app({"SQLALCHEMY_DATABASE_URI": args.database, "MOSTIK_ENV": "production", "SECRET_KEY": "b"})
        with app.app_context(), Session(db.engine) as session:
            engine = session.get_bind().dialect.name
            args.products = session.scalar(select(func.count()).select_from(Product)) or 0
            figures = measure(session, queries)
            session.rollback()
            db.engine.dispose()
    else:
        with throwaway_database("sqlite", args.work_dir, f"search-quality-{args.products}") as url:
            app = wsgi.create_app({"SQLALCHEMY_DATABASE_URI": url, "MOSTIK_ENV": "production", "SECRET_KEY": "bench"})
            with app.app_context():
                upgrade()
                with Session(db.engine) as session:
                    build_catalogue(session, args.products, progress=lambda message: None)
                    figures = measure(session, queries)
                db.engine.dispose()
    record = {
        "engine": engine,
        "products": args.products,
        **figures,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
    }
    if args.verbose:
        for row in figures["rows"]:
            if not row["relevant"]:
                print(f"  miss: {row['query']!r} ({row['total']} found)")
    print(
        f"{len(queries)} queries, {args.products} products: zero results {figures['zero_share']:.1%}, "
        f"relevant on page one {figures['relevant_on_first_page_share']:.1%}, "
        f"first-page precision {figures['first_page_precision']:.1%}"
    )
    args.results_dir.mkdir(parents=True, exist_ok=True)
    suffix = f"-{args.label}" if args.label else ""
    named = f"{engine}-{args.products}" if args.database else str(args.products)
    out = args.results_dir / f"search-quality-{named}{suffix}.json"
    out.write_text(json.dumps(record, indent=2, ensure_ascii=False))
    return record


if __name__ == "__main__":
    main()
