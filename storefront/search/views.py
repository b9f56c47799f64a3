"""Search pages. Thin: parse the query string, call ``search.queries``, render."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request, url_for
from werkzeug.wrappers import Response

from storefront.catalog.queries import cached_category_tree, list_supplier_cities
from storefront.extensions import db
from storefront.search import bp
from storefront.search.forms import SEARCH_SORT_LABELS, SearchArgsForm
from storefront.search.queries import matching_categories, search_products, suggest_products


@bp.get("/search")
def results() -> str:
    tree = cached_category_tree(db.session())
    form = SearchArgsForm(request.args, list_supplier_cities(db.session()))
    filters = form.filters()
    category_id = form.category_id()
    chosen = tree.by_id.get(category_id) if category_id is not None else None
    result = search_products(
        db.session(),
        form.query(),
        filters,
        current_app.config["PRODUCTS_PER_PAGE"],
        tree.descendant_ids(chosen.id) if chosen else None,
    )
    facets = [(tree.by_id[cid], count) for cid, count in result.facets if cid in tree.by_id]
    named = [tree.by_id[cid] for cid in result.categories if cid in tree.by_id]
    return render_template(
        "search/results.html",
        result=result,
        form=form,
        filters=filters,
        chosen=chosen,
        facets=facets,
        named=named,
        cities=[(city, None) for city in form.known_cities],  # no per-city counts on search pages
        sort_labels=SEARCH_SORT_LABELS,
    )


@bp.get("/search/suggest")
def suggest() -> Response:
    query = (request.args.get("q") or "")[:200]
    products = suggest_products(db.session(), query)
    tree = cached_category_tree(db.session())
    categories = matching_categories(tree.by_id.values(), query, limit=5)
    response = jsonify(
        query=query,
        products=[
            {
                "id": product.id,
                "title": product.title,
                "url": url_for("catalog.product_detail", product_id=product.id, slug=product.slug),
            }
            for product in products
        ],
        categories=[
            {"name": category.name, "url": url_for("catalog.category", slug=category.slug)} for category in categories
        ],
    )
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response
