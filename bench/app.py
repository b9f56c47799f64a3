"""What gunicorn serves in the benchmark: the real app, plus ``/__ceiling`` and ``/__search_floor``.

``/__ceiling`` renders the same category template as ``/catalog/<slug>`` from objects held in
memory (loaded once per worker at start-up, then detached): no database work per request.
Its throughput is the ceiling the real pages are compared with.

``/__search_floor?q=…`` runs a new query's index match alone (``bench.floor``), then serves the page of one of
the repeated queries from the caches. Under the stream of new queries it is what a new query could be served at if
everything after its index match cost nothing: the most the long-tail target can reach without a cheaper match.
"""

from __future__ import annotations

import os
import zlib

from flask import g, render_template, request
from sqlalchemy.orm import Session
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.wrappers import Response

import wsgi
from bench.floor import search_floor_match
from bench.run import repeated_queries
from storefront.catalog.facets import listing_facets
from storefront.catalog.forms import SORT_LABELS, ListingArgsForm
from storefront.catalog.queries import ListingFilters, list_products, load_category_tree
from storefront.catalog.views import facet_context
from storefront.extensions import db
from storefront.search.views import results as search_results

app = wsgi.create_app()
CATEGORY_ID = int(os.environ.get("BENCH_CATEGORY_ID", "1"))


def _load_in_memory() -> dict:
    with app.app_context(), Session(db.engine, expire_on_commit=False) as session:
        tree = load_category_tree(session)
        category = tree.by_id[CATEGORY_ID]
        ids = tree.descendant_ids(category.id)
        listing = list_products(session, ids, ListingFilters(), app.config["PRODUCTS_PER_PAGE"])
        data = {
            "category": category,
            "breadcrumbs": tree.ancestors(category),
            "subcategories": tree.children.get(category.id, []),
            "listing": listing,
            "facets": listing_facets(session, ids, ListingFilters()),
            "roots": tree.roots,
        }
        session.expunge_all()
    return data


MEMORY = _load_in_memory()


@app.get("/__ceiling")
def ceiling() -> str:
    g.nav_categories = MEMORY["roots"]
    form = ListingArgsForm(MultiDict(), None, [name for name, _values in MEMORY["facets"].attributes])
    filters = form.filters()
    return render_template(
        "catalog/category.html",
        category=MEMORY["category"],
        breadcrumbs=MEMORY["breadcrumbs"],
        subcategories=MEMORY["subcategories"],
        listing=MEMORY["listing"],
        filters=filters,
        form=form,
        **facet_context(MEMORY["facets"], filters),
        sort_labels=SORT_LABELS,
    )


#: The repeated queries of the ``search`` line: the floor page shows one of them.
REPEATED = repeated_queries()


@app.get("/__search_floor")
def search_floor() -> Response:
    query = request.args.get("q", "")
    search_floor_match(db.session(), query)
    # The rest of the request is a repeated query's: the same page, from the same caches as the ``search`` line.
    request.args = ImmutableMultiDict({"q": REPEATED[zlib.crc32(query.encode()) % len(REPEATED)]})
    return search_results()
