"""The labelled query set of ``bench/search_quality.py``: big enough, and every label names a demo category."""

from __future__ import annotations

import json
from pathlib import Path

from bench.search_quality import QUERIES, load_queries

CATALOGUE = Path(__file__).parents[3] / "demo" / "data" / "catalogue.json"


def test_the_set_holds_at_least_150_distinct_queries_labelled_with_demo_categories():
    roots = json.loads(CATALOGUE.read_text(encoding="utf-8"))["roots"]
    names = {root["name"] for root in roots} | {leaf["name"] for root in roots for leaf in root["leaves"]}
    queries = load_queries(QUERIES)
    assert len({query for query, _, _ in queries}) == len(queries) >= 150
    assert all(categories and categories <= names for _, categories, _ in queries)
