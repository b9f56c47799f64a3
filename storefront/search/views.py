"""Search pages. Thin: parse the query string, call ``search.queries``, render."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, make_response, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from storefront.catalog.facets import matched_cube, matched_facets
from storefront.catalog.queries import ListingFilters, cached_category_tree, list_supplier_cities
from storefront.catalog.views import facet_context
from storefront.db import utcnow
from storefront.extensions import db
from storefront.search import bp
from storefront.search.demand import count_search, demand_key, should_count
from storefront.search.fallback import zero_result_help
from storefront.search.forms import SEARCH_SORT_LABELS, SearchArgsForm
from storefront.search.queries import matched_products, matching_categories, search_products, suggest_products
from storefront.search.synonyms import current_synonyms

logger = logging.getLogger(__name__)


def _count_after_response(app: Flask, key: str, results: int) -> None:
    """Count the search once the response is out, in its own transaction; a failure is logged, never shown."""
    with app.app_context():
        try:
            count_search(db.session(), key, results, utcnow())
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            logger.warning("search demand not counted", exc_info=True)


@bp.get("/search")
def results() -> Response:
    tree = cached_category_tree(db.session())
    cities = list_supplier_cities(db.session())
    # As on category pages: the price first (it decides the matches the facets count), then every filter.
    priced = SearchArgsForm(request.args, cities)
    category_id = priced.category_id()
    chosen = tree.by_id.get(category_id) if category_id is not None else None
    category_ids = tree.descendant_ids(chosen.id) if chosen else None
    key, matches = matched_products(db.session(), priced.query(), priced.filters(), category_ids)
    form = SearchArgsForm(request.args, cities, matched_cube(db.session(), key, matches).attribute_names)
    filters = form.filters()
    result = search_products(db.session(), form.query(), filters, current_app.config["PRODUCTS_PER_PAGE"], category_ids)
    listing_facets = matched_facets(db.session(), key, matches, filters)
    category_facets = [(tree.by_id[cid], count) for cid, count in result.facets if cid in tree.by_id]
    named = [tree.by_id[cid] for cid in result.categories if cid in tree.by_id]
    total = result.listing.total
    help_ = None
    if not result.empty_query and total == 0:
        help_ = zero_result_help(
            db.session(),
            result.query,
            current_synonyms(db.session()),
            current_app.config["SEARCH_BEST_SELLER_DAYS"],
            utcnow(),
        )
    page = render_template(
        "search/results.html",
        help=help_,
        result=result,
        form=form,
        filters=filters,
        chosen=chosen,
        category_facets=category_facets,
        named=named,
        **facet_context(listing_facets, filters),
        sort_labels=SEARCH_SORT_LABELS,
    )
    response = make_response(page)
    unfiltered = chosen is None and filters == ListingFilters(sort=filters.sort, page=1)
    if unfiltered and should_count(total, current_app.config["SEARCH_DEMAND_FEW_RESULTS"]):
        if (key := demand_key(result.query)) is not None:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            response.call_on_close(lambda: _count_after_response(app, key, total))
    return response


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
