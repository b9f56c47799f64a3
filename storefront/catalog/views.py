"""Catalogue pages. Thin: parse the request, call queries, render."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from storefront.catalog import bp, seo, sitemap
from storefront.catalog.facets import ListingFacets, attribute_facet_names, listing_facets
from storefront.catalog.forms import (
    KIND_LABELS,
    MOQ_LABELS,
    SORT_LABELS,
    ListingArgsForm,
    active_chips,
    query_args,
    rating_arg,
    rating_label,
)
from storefront.catalog.pricing import next_break
from storefront.catalog.queries import (
    ListingFilters,
    cached_category_tree,
    get_product,
    list_popular_products,
    list_products,
)
from storefront.catalog.text import category_name, product_title
from storefront.extensions import db
from storefront.fx.services import MissingRate, current_pricing
from storefront.i18n import format_rub
from storefront.pictures.images import ZOOM
from storefront.pictures.queries import list_ready_pictures


@bp.get("/")
def home() -> str:
    tree = cached_category_tree(db.session())
    return render_template(
        "catalog/home.html",
        roots=tree.roots,
        tree=tree,
        popular=list_popular_products(db.session()),
        canonical_url=f"{_base_url()}/",
    )


@bp.get("/catalog/<slug>")
def category(slug: str) -> str:
    tree = cached_category_tree(db.session())
    current = tree.by_slug(slug)
    if current is None:
        abort(404)
    category_ids = tree.descendant_ids(current.id)
    # Price first (it decides which attributes are facets), then every filter, then the counts.
    priced = ListingArgsForm(request.args, None).filters()
    form = ListingArgsForm(request.args, None, attribute_facet_names(db.session(), category_ids, priced))
    filters = form.filters()
    facets = listing_facets(db.session(), category_ids, filters)
    per_page = current_app.config["PRODUCTS_PER_PAGE"]
    listing = list_products(db.session(), category_ids, filters, per_page, total=facets.total)
    low, moq = seo.category_summary(db.session(), category_ids)
    name = category_name(current)
    if low is not None and moq is not None:
        description = _(
            "%(category)s wholesale from Chinese factories on Mostik: prices from %(price)s apiece, "
            "minimum order from %(moq)s pcs.",
            category="{title}",
            price=format_rub(low),
            moq=moq,
        )
    else:
        description = _("%(category)s wholesale from Chinese factories on Mostik.", category="{title}")
    return render_template(
        "catalog/category.html",
        category=current,
        breadcrumbs=tree.ancestors(current),
        subcategories=tree.children.get(current.id, []),
        listing=listing,
        filters=filters,
        form=form,
        **facet_context(facets, filters),
        sort_labels=SORT_LABELS,
        canonical_url=seo.category_canonical(_base_url(), current.slug, listing.page),
        noindex=seo.is_filtered(filters),
        meta_description=seo.fit(description, name),
    )


def facet_context(facets: ListingFacets, filters: ListingFilters) -> dict[str, Any]:
    """What ``catalog/category.html`` needs to show the facets and the active filters' chips."""
    return {
        "facets": facets,
        "cities": facets.cities,
        "chips": active_chips(filters),
        "filter_args": query_args(filters),
        "moq_labels": MOQ_LABELS,
        "kind_labels": KIND_LABELS,
        "rating_arg": rating_arg,
        "rating_label": rating_label,
    }


@bp.get("/product/<int:product_id>-<slug>")
@bp.get("/product/<int:product_id>")
def product_detail(product_id: int, slug: str | None = None) -> str | Response:
    product = get_product(db.session(), product_id)
    if slug != product.slug:
        return redirect(url_for("catalog.product_detail", product_id=product.id, slug=product.slug), code=301)
    tree = cached_category_tree(db.session())
    pricing = current_pricing(db.session())
    try:
        rub_breaks = [(b.min_quantity, pricing.to_rub(b.unit_price, product.currency)) for b in product.price_breaks]
    except MissingRate:
        rub_breaks = []
    saving = None
    if rub_breaks:
        step = next_break(product.price_breaks, max(product.moq, rub_breaks[0][0]))
        if step is not None:
            saving = (step.min_quantity, pricing.to_rub(step.unit_price, product.currency))
    url = seo.product_canonical(_base_url(), product.id, product.slug)
    category = tree.by_id.get(product.category_id)
    prices = [price for _quantity, price in rub_breaks]
    if prices:
        description = _(
            "%(title)s wholesale from China: from %(price)s apiece, minimum order %(moq)s pcs. %(category)s on Mostik.",
            title="{title}",
            price=format_rub(min(prices)),
            moq=product.moq,
            category=category_name(category) if category else _("Catalogue"),
        )
    else:
        description = _(
            "%(title)s wholesale from China, minimum order %(moq)s pcs. %(category)s on Mostik.",
            title="{title}",
            moq=product.moq,
            category=category_name(category) if category else _("Catalogue"),
        )
    brand = (product.attributes or {}).get(seo.BRAND)
    pictures = list_ready_pictures(db.session(), product.id)
    # Our own copies when downloaded (the supplier's host may refuse hotlinks or vanish), else the feed's URLs.
    image_urls = [
        _base_url() + url_for("pictures.picture_file", name=picture.name(ZOOM)) for picture in pictures
    ] or list(product.picture_urls or [])
    json_ld = seo.product_json_ld(
        product,
        product_title(product),
        url,
        seo.shorten(seo.plain_text(product.description), 5000),
        prices,
        image_urls,
        str(brand) if brand else None,
    )
    return render_template(
        "catalog/product.html",
        canonical_url=url,
        meta_description=seo.fit(description, product_title(product)),
        json_ld=json_ld,
        product=product,
        pictures=pictures,
        breadcrumbs=tree.ancestors(tree.by_id[product.category_id]) if product.category_id in tree.by_id else [],
        rub_breaks=rub_breaks,
        saving=saving,
        archived=product.status != "active",
        typed_quantity=request.args.get("quantity", type=int),
    )


PALETTE = ("#e8f1fb", "#fdf0e6", "#eaf7ee", "#f5ecfa", "#fff6d9", "#e9f6f7", "#fbe9ee")
INK = ("#1f5fa8", "#b3541e", "#23844a", "#7a3aa3", "#9a7400", "#1b7f86", "#a8324f")


@bp.get("/media/placeholder/<int:product_id>.svg")
def placeholder_image(product_id: int) -> Response:
    """A generated product picture: a tinted tile with the product's initials. Cached a day."""
    product = get_product(db.session(), product_id)
    shade = int(hashlib.sha1(str(product.category_id).encode()).hexdigest(), 16) % len(PALETTE)
    words = [word for word in product.title.split() if word[:1].isalpha()]
    initials = "".join(word[0] for word in words[:2]).upper() or "М"
    svg = render_template(
        "catalog/placeholder.svg", background=PALETTE[shade], ink=INK[shade], initials=initials, label=_("Photo")
    )
    response = current_app.response_class(svg, mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


#: Search engines re-read sitemaps at their own pace; an hour like the YML feed.
SITEMAP_MAX_AGE = 3600
#: Paths crawlers are kept out of: buyer and staff pages, search query pages, campaign links.
ROBOTS_DISALLOW = ("/cart", "/checkout", "/account", "/orders", "/crm", "/payments", "/search", "/c/")


def _base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def _xml(pieces: Callable[[], Iterator[str]], etag: str | None = None) -> Response:
    """A streamed XML response cached like the YML feed (public, an hour, an ETag when one is
    cheap). ``pieces`` runs while streaming and looks the Session up then (the view's Session is
    removed when the view returns)."""

    def encoded() -> Iterator[bytes]:
        for piece in pieces():
            yield piece.encode("utf-8")

    if etag is not None and etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(stream_with_context(encoded()), mimetype="application/xml")
    if etag is not None:
        response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = SITEMAP_MAX_AGE
    return response


@bp.get("/sitemap.xml")
def sitemap_index() -> Response:
    files, base_url = sitemap.product_file_count(db.session()), _base_url()
    return _xml(
        lambda: sitemap.write_index(files, base_url),
        etag=f"index-{files}-{hashlib.sha1(base_url.encode()).hexdigest()[:8]}",
    )


@bp.get("/sitemaps/categories.xml")
def sitemap_categories() -> Response:
    base_url = _base_url()
    return _xml(lambda: sitemap.write_categories(db.session(), cached_category_tree(db.session()), base_url))


@bp.get("/sitemaps/products-<int:number>.xml")
def sitemap_products(number: int) -> Response:
    if not 1 <= number <= sitemap.product_file_count(db.session()):
        abort(404)
    base_url = _base_url()
    etag = f"products-{number}-{sitemap.product_file_version(db.session(), number)}"
    return _xml(lambda: sitemap.write_products(db.session(), number, base_url), etag=etag)


@bp.get("/robots.txt")
def robots_txt() -> Response:
    lines = ["User-agent: *", "Allow: /", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    lines += ["", f"Sitemap: {_base_url()}/sitemap.xml", ""]
    response = current_app.response_class("\n".join(lines), mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = SITEMAP_MAX_AGE
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page links; answer with the ICO from ``static/``."""
    response = send_from_directory(
        Path(current_app.static_folder or "static") / "storefront", "favicon.ico", mimetype="image/vnd.microsoft.icon"
    )
    response.cache_control.public = True
    response.cache_control.max_age = SITEMAP_MAX_AGE
    return response
