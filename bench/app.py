"""What gunicorn serves in the benchmark: the real app, plus ``/__ceiling``.

``/__ceiling`` renders the same category template as ``/catalog/<slug>`` from objects held in
memory (loaded once per worker at start-up, then detached): no database work per request.
Its throughput is the ceiling the real pages are compared with.
"""

from __future__ import annotations

import os

from flask import g, render_template
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

import wsgi
from storefront.catalog.facets import listing_facets
from storefront.catalog.forms import SORT_LABELS, ListingArgsForm
from storefront.catalog.queries import ListingFilters, list_products, load_category_tree
from storefront.catalog.views import facet_context
from storefront.extensions import db

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
