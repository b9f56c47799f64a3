"""Checkout pages. Thin: parse the form, ask ``checkout.services`` for a quote or an order, render."""

from __future__ import annotations

from collections.abc import Mapping

from flask import (
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
    wrappers,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RequestLimit
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from storefront.account.forms import EmptyForm
from storefront.account.identifiers import format_phone
from storefront.account.models import ConsentKind
from storefront.account.opt_in import pending_marketing_consent
from storefront.account.services import ConsentRecord, remember_address
from storefront.account.web import send_opt_in_mail
from storefront.cart.models import Cart
from storefront.cart.services import MAX_QUANTITY, clear_cart, price_cart
from storefront.cart.web import cart_error_message, current_cart
from storefront.checkout import bp
from storefront.checkout.buy_again import (
    NotBoughtBefore,
    QuantitiesRefused,
    add_bought_to_cart,
    check_typed_quantities,
    list_buy_again,
)
from storefront.checkout.drafts import draft_values, save_draft
from storefront.checkout.forms import CheckoutForm
from storefront.checkout.services import (
    CartEmpty,
    CartNeedsAttention,
    CheckoutQuote,
    Contact,
    Destination,
    PricesChanged,
    announce_placement,
    build_quote,
    new_placement_token,
    place_order,
    reorder,
)
from storefront.db import utcnow
from storefront.extensions import db, limiter
from storefront.fx.services import current_pricing
from storefront.i18n import format_rub
from storefront.order.attribution import click_from_session
from storefront.order.holds import HoldPolicy, PaymentMethod, PaymentMethodNotOffered, payment_hold
from storefront.order.services import (
    LinkState,
    OutOfStock,
    TooManyUnpaidOrders,
    get_order_by_number,
    make_access_token,
)
from storefront.order.web import guest_link_state, unpaid_cap_message
from storefront.promo.services import PromoInvalid, holder_key
from storefront.seller import seller_of
from storefront.shipping.points import (
    PICKUP_METHODS,
    PickupPoint,
    PickupPointRequired,
    find_point,
    load_points,
    points_file,
    points_in_region,
)
from storefront.shipping.regions import REGIONS
from storefront.shipping.services import ShippingUnavailable


def promo_message(reason: str) -> str:
    return {
        "unknown": _("There is no such promo code. Check the spelling."),
        "not_started": _("This promo code is not valid yet."),
        "expired": _("This promo code has expired."),
        "used_up": _("This promo code has been used up."),
        "buyer_used": _("You have already used this promo code as many times as it allows."),
        "account_needed": _("This promo code is for signed-in buyers: sign in or create an account to use it."),
        "min_order": _("This promo code needs a larger order."),
        "tier": _("This promo code is not available for your level."),
    }.get(reason, _("This promo code cannot be used."))


def _buyer():
    return current_user if current_user.is_authenticated else None


def _needs_consent() -> bool:
    buyer = _buyer()
    return buyer is None or not buyer.has_consent(ConsentKind.PERSONAL_DATA)


def _prefill() -> dict[str, object]:
    data: dict[str, object] = {"placement_token": new_placement_token()}
    buyer = _buyer()
    if buyer is None:
        return data
    data.update(
        email=buyer.email,
        name=buyer.name,
        phone=format_phone(buyer.phone),
        kind=buyer.kind,
        company_name=buyer.company_name,
        inn=buyer.inn,
        kpp=buyer.kpp,
        ogrn=buyer.ogrn,
        legal_address=buyer.legal_address,
    )
    if buyer.addresses:
        address = buyer.addresses[0]
        data.update(
            region_code=address.region_code,
            city=address.city,
            postcode=address.postcode,
            street=address.street,
            recipient=address.recipient,
            recipient_phone=format_phone(address.phone),
        )
    return data


def _points() -> list[PickupPoint]:
    return load_points(points_file(current_app.config["PICKUP_POINTS_FILE"], current_app.instance_path))


def _quote(region_code: str | None, shipping_method: object, promo_code: str | None) -> CheckoutQuote:
    buyer = _buyer()
    return build_quote(
        db.session(),
        current_cart(),
        current_pricing(db.session()),
        region_code=region_code,
        shipping_method_id=shipping_method if isinstance(shipping_method, int) else None,
        promo_code=promo_code,
        tier=buyer.tier if buyer is not None else None,
        now=utcnow(),
        promo_holder=holder_key(buyer.id, None) if buyer is not None else None,
        pickup_points_in_region=bool(points_in_region(_points(), region_code)),
    )


def _form_quote(form: CheckoutForm) -> CheckoutQuote:
    return _quote(form.region_code.data, form.shipping_method.data, form.promo_code.data)


def _pickup_groups(region_code: str | None, city: str | None) -> list[tuple[str, list[PickupPoint]]]:
    """The region's points by city; the city the buyer typed first."""
    groups: dict[str, list[PickupPoint]] = {}
    for point in points_in_region(_points(), region_code):
        groups.setdefault(point.city, []).append(point)
    typed = (city or "").strip().lower().replace("ё", "е")
    return sorted(groups.items(), key=lambda item: (item[0].lower().replace("ё", "е") != typed, item[0]))


def _shipping_context(
    quote: CheckoutQuote, groups: list[tuple[str, list[PickupPoint]]], pickup_point: str | None
) -> dict[str, object]:
    """What ``checkout/_shipping.html`` and ``checkout/_totals.html`` need (the page and the JSON answer)."""
    return {
        "quote": quote,
        "pickup_groups": groups,
        "pickup_methods": PICKUP_METHODS,
        "chosen_point": pickup_point or "",
    }


def _render(form: CheckoutForm, quote: CheckoutQuote, status: int = 200) -> tuple[str, int]:
    """The checkout page; after a POST that did not place the order, what was typed is kept with the cart."""
    if request.method == "POST":
        _keep_draft(request.form)
    form.cart_fingerprint.data = quote.fingerprint
    groups = _pickup_groups(form.region_code.data, form.city.data)
    return (
        render_template(
            "checkout/checkout.html",
            form=form,
            promo_error=promo_message(quote.promo_error) if quote.promo_error else None,
            saved_addresses=_buyer().addresses if _buyer() is not None else [],
            errors=form.shipping_method.errors,
            point_errors=form.pickup_point.errors,
            hold_minutes=_card_hold_minutes(),
            banking_days=current_app.config["ORDER_BANK_TRANSFER_BANKING_DAYS"],
            **_shipping_context(quote, groups, form.pickup_point.data),
        ),
        status,
    )


def _card_hold_minutes() -> int:
    """How long a card order keeps its goods, in minutes, for the page to say."""
    hold = payment_hold(PaymentMethod.CARD, HoldPolicy.from_config(current_app.config), utcnow())
    return int(hold.total_seconds() // 60)


def _bank_transfers() -> bool:
    """«Оплата по счёту» is offered only when our bank requisites are configured."""
    return seller_of(current_app).takes_bank_transfers


def _keep_draft(values: Mapping[str, str]) -> None:
    """Keep what was typed with the cart (nothing when there is no cart)."""
    cart = current_cart()
    if cart is not None and cart.lines:
        save_draft(db.session(), cart, values)
        db.session.commit()


@bp.get("/checkout")
def checkout() -> Response | tuple[str, int]:
    cart = current_cart()
    if cart is None or not cart.lines:
        flash(_("Your cart is empty: add products before checking out."), "info")
        return redirect(url_for("cart.cart_page"))
    draft = draft_values(cart)
    form = CheckoutForm(data={**_prefill(), **draft}, needs_consent=_needs_consent(), bank_transfers=_bank_transfers())
    if draft:
        flash(_("We kept what you typed last time: check it and place the order."), "info")
    return _render(form, _form_quote(form))


@bp.get("/checkout/shipping")
def shipping_options() -> Response | tuple[Response, int]:
    """Shipping options, prices and totals for the region as JSON (the page updates without a reload); the HTML
    of the two page parts comes along, rendered like the full page renders them."""
    region_code = request.args.get("region_code") or None
    if region_code is not None and region_code not in REGIONS:
        return jsonify(error=_("Choose a region from the list.")), 400
    raw_method = request.args.get("shipping_method", "")
    method = int(raw_method) if raw_method.isdigit() and len(raw_method) < 10 else None
    promo_code = (request.args.get("promo_code") or "")[:40] or None
    quote = _quote(region_code, method, promo_code)
    groups = _pickup_groups(region_code, request.args.get("city"))
    context = _shipping_context(quote, groups, request.args.get("pickup_point"))
    return jsonify(
        region_code=region_code,
        options=[
            {
                "method_id": option.method_id,
                "code": option.code,
                "name": option.name,
                "amount": str(option.amount),
                "amount_text": _("free") if option.is_free else format_rub(option.amount),
                "min_days": option.min_days,
                "max_days": option.max_days,
                "needs_pickup_point": option.code in PICKUP_METHODS,
            }
            for option in quote.shipping_options
        ],
        chosen=quote.shipping.method_id if quote.shipping else None,
        pickup_points=[
            {"code": p.code, "city": p.city, "address": p.address, "hours": p.hours}
            for _city, points in groups
            for p in points
        ],
        total=str(quote.totals.total),
        total_text=format_rub(quote.totals.total),
        html={
            "shipping": render_template("checkout/_shipping.html", errors=[], point_errors=[], **context),
            "totals": render_template("checkout/_totals.html", **context),
        },
    )


@bp.post("/checkout/draft")
def save_checkout_draft() -> Response | tuple[str, int]:
    """The page sends what was typed as the buyer goes (and when they leave); kept with the cart."""
    if not EmptyForm().validate_on_submit():
        return "", 400
    _keep_draft(request.form)
    return "", 204


def _placing() -> bool:
    """The «Place the order» button (not «Recalculate»): what the checkout limit counts."""
    return request.form.get("action") == "place"


def _checkout_throttled(limit: RequestLimit) -> wrappers.Response:
    """Too many orders from this address: the checkout page again, with what was typed and a Russian message."""
    flash(_("Too many orders from your address in a short time. Wait a while and try again."), "error")
    form = CheckoutForm(needs_consent=_needs_consent(), bank_transfers=_bank_transfers())
    page, _status = _render(form, _form_quote(form))
    return make_response(page, 429)


@bp.post("/checkout")
@limiter.limit(
    lambda: current_app.config["CHECKOUT_LIMIT_PER_IP"],
    exempt_when=lambda: not _placing(),
    on_breach=_checkout_throttled,
)
def place() -> Response | tuple[str, int]:
    form = CheckoutForm(needs_consent=_needs_consent(), bank_transfers=_bank_transfers())
    if not _placing():
        # "Recalculate": new region, method or promo code; nothing is checked or saved yet.
        form.placement_token.data = form.placement_token.data or new_placement_token()
        return _render(form, _form_quote(form))
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _render(form, _form_quote(form), 400)
    buyer = _buyer()
    try:
        result = place_order(
            db.session(),
            current_cart(),
            current_pricing(db.session()),
            placement_token=form.placement_token.data,
            seen_fingerprint=form.cart_fingerprint.data or "",
            buyer=buyer,
            contact=Contact(form.email.data, form.phone.data, form.name.data.strip(), _company(form)),
            destination=_destination(form),
            shipping_method_id=form.shipping_method.data,
            promo_code=form.promo_code.data,
            consent=ConsentRecord(request.path, request.remote_addr, bool(form.consent_marketing.data))
            if form.consent_personal_data.data
            else None,
            now=utcnow(),
            holds=HoldPolicy.from_config(current_app.config),
            payment_method=form.chosen_payment_method() or PaymentMethod.CARD,
            bank_transfers=_bank_transfers(),
            client_ip=request.remote_addr,
            campaign_click=click_from_session(session),
            pickup_point=find_point(_points(), form.pickup_point.data, form.region_code.data),
        )
    except CartEmpty:
        flash(_("Your cart is empty: add products before checking out."), "info")
        return redirect(url_for("cart.cart_page"), 303)
    except CartNeedsAttention:
        flash(_("Some products in the cart cannot be ordered as they are. Check the cart."), "error")
        return redirect(url_for("cart.cart_page"), 303)
    except PricesChanged as changed:
        flash(
            _("Prices or availability changed since you opened the cart. Check the new amounts and confirm the order."),
            "warning",
        )
        return _render(form, changed.quote, 409)
    except OutOfStock as missing:
        flash(
            ngettext(
                "Someone was quicker: only %(num)d piece of «%(title)s» is left. Change the quantity in the cart.",
                "Someone was quicker: only %(num)d pieces of «%(title)s» are left. Change the quantity in the cart.",
                missing.available,
                title=missing.title,
            ),
            "error",
        )
        return _render(form, _form_quote(form), 409)
    except TooManyUnpaidOrders as too_many:
        flash(unpaid_cap_message(too_many.cap), "error")
        return _render(form, _form_quote(form), 429)
    except PromoInvalid as invalid:
        form.promo_code.errors = [promo_message(invalid.reason)]
        return _render(form, _form_quote(form), 400)
    except ShippingUnavailable:
        form.shipping_method.errors = [_("This shipping method does not deliver to the chosen region.")]
        return _render(form, _form_quote(form), 400)
    except PaymentMethodNotOffered:  # the form checks it first; a race with the configuration ends here
        form.payment_method.errors = [_("Choose how to pay: paying by invoice is not available for this order.")]
        flash(_("Please correct the highlighted fields."), "error")
        return _render(form, _form_quote(form), 400)
    except PickupPointRequired:
        form.pickup_point.errors = [_("Choose the pickup point where you will collect the order.")]
        flash(_("Please correct the highlighted fields."), "error")
        return _render(form, _form_quote(form), 400)
    order = result.order
    if result.created and buyer is not None and form.save_address.data:
        remember_address(db.session(), buyer, form.address_data())
    db.session.commit()
    announce_placement(result)
    if result.created and form.consent_marketing.data:
        consent = pending_marketing_consent(db.session(), order.email)
        if consent is not None:
            send_opt_in_mail(consent)  # the order page's own message is enough; the e-mail explains itself
    # The confirmation e-mail was written to the outbox with the order (``place_order``); it went out at the commit.
    token = make_access_token(order, current_app.config["SECRET_KEY"])
    if order.by_invoice:  # the invoice to pay is on the order page, not the card payment page
        return redirect(url_for("order.order_detail", number=order.number, t=None if buyer else token), 303)
    return redirect(url_for("payment.pay", number=order.number, t=None if buyer else token), 303)


def _destination(form: CheckoutForm) -> Destination:
    address = form.address_data()
    return Destination(
        region_code=address.region_code,
        city=address.city,
        postcode=address.postcode,
        street=address.street,
        recipient=address.recipient,
        recipient_phone=address.phone,
    )


def _company(form: CheckoutForm) -> dict[str, str | None]:
    details = form.company_details()
    if details is None:
        return {}
    return dict(details.__dict__)


# ----- the cart already holds something: replace it or add to it ------------------------------------------------

#: The confirmation page's two answers (``cart_mode``).
REPLACE, ADD = "replace", "add"


def _cart_mode() -> str | None:
    mode = request.form.get("cart_mode")
    return mode if mode in (REPLACE, ADD) else None


def _ask_replace_or_add(cart: Cart, action: str, what: str) -> tuple[str, int]:
    """One small step, no JavaScript: the same form again with «Replace the cart» and «Add to the cart»."""
    fields = [
        (name, value) for name, value in request.form.items(multi=True) if name not in ("csrf_token", "cart_mode")
    ]
    priced = price_cart(db.session(), cart, current_pricing(db.session()))
    return (
        render_template(
            "checkout/cart_choice.html", action=action, fields=fields, cart=priced, what=what, form=EmptyForm()
        ),
        200,
    )


def _apply_cart_mode(cart: Cart, mode: str | None) -> None:
    if mode == REPLACE:
        clear_cart(db.session(), cart)


def _flash_cart_mode(mode: str | None, had_lines: bool) -> None:
    if mode == REPLACE:
        flash(_("The cart was emptied first: it now holds only these products."), "info")
    elif had_lines:
        flash(_("The products were added to what was already in the cart."), "info")


@bp.post("/orders/<number>/reorder")
def reorder_view(number: str) -> Response | tuple[str, int]:
    order = get_order_by_number(db.session(), number)
    buyer = _buyer()
    token = request.args.get("t")
    allowed = (buyer is not None and order.buyer_id == buyer.id) or guest_link_state(order, token) == LinkState.VALID
    if not allowed or not EmptyForm().validate_on_submit():
        return redirect(url_for("order.order_detail", number=number))
    cart = current_cart(create=True)
    had_lines, mode = bool(cart.lines), _cart_mode()
    if had_lines and mode is None:
        return _ask_replace_or_add(
            cart,
            url_for("checkout.reorder_view", number=number, t=token),
            _("the products of order %(number)s", number=order.number),
        )
    _apply_cart_mode(cart, mode)
    report = reorder(db.session(), order, cart, current_pricing(db.session()))
    db.session.commit()
    _flash_cart_mode(mode, had_lines)
    for line in report:
        if line.outcome == "unavailable":
            flash(_("«%(title)s» is no longer available.", title=line.title), "warning")
        elif line.outcome == "quantity_changed":
            _flash_fewer_added(line.title, line.added_quantity, line.quantity)
        elif line.outcome == "price_changed":
            flash(
                _(
                    "«%(title)s»: the price is now %(new)s apiece (was %(old)s).",
                    title=line.title,
                    new=format_rub(line.new_unit_price),
                    old=format_rub(line.old_unit_price),
                ),
                "info",
            )
    flash(_("The order's products are in the cart at today's prices."), "success")
    return redirect(url_for("cart.cart_page"), 303)


# ----- «Купить снова» ---------------------------------------------------------------------------------------


@bp.get("/account/buy-again")
@login_required
def buy_again() -> str:
    """The products the buyer bought before, with today's price and availability."""
    items = list_buy_again(db.session(), current_user.id, current_pricing(db.session()))
    return render_template("checkout/buy_again.html", items=items, form=EmptyForm(), typed={}, errors={})


def _typed_quantities(product_ids: list[int]) -> tuple[dict[int, int], dict[int, str], dict[int, str]]:
    """The quantity fields of the chosen rows (``quantity-<id>``): numbers, what was typed, and errors."""
    quantities: dict[int, int] = {}
    typed: dict[int, str] = {}
    errors: dict[int, str] = {}
    for product_id in product_ids:
        raw = request.form.get(f"quantity-{product_id}")
        if raw is None:
            continue  # an old page without the field: the last quantity, as before
        typed[product_id] = raw
        value = raw.strip()
        if not value.isdigit() or not 1 <= int(value) <= MAX_QUANTITY:
            errors[product_id] = _("Enter a whole number of pieces from 1 to 1,000,000.")
        else:
            quantities[product_id] = int(value)
    return quantities, typed, errors


@bp.post("/account/buy-again")
@login_required
def buy_again_add() -> Response | tuple[str, int]:
    """«Добавить выбранное в корзину» (ticked ``product_id``s) or «Добавить всё» (``all``), each at the quantity
    typed in its row; when the cart is not empty, asks first whether to replace it or add to it."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("checkout.buy_again"), 303)
    add_all = request.form.get("all") is not None
    raw_ids = request.form.getlist("product_id")
    if not add_all:
        if not raw_ids:
            flash(_("Tick the products to add, or press «Add everything»."), "warning")
            return _buy_again_error(400)
        if not all(value.isdigit() and len(value) < 12 for value in raw_ids):
            flash(_("The list of products is damaged; reload the page and try again."), "error")
            return _buy_again_error(400)
    product_ids = None if add_all else [int(value) for value in raw_ids]
    items = list_buy_again(db.session(), current_user.id, current_pricing(db.session()))
    chosen = product_ids if product_ids is not None else [i.product_id for i in items if i.product_id and i.can_add]
    quantities, typed, errors = _typed_quantities(chosen)
    if errors:
        flash(_("Please correct the highlighted fields."), "error")
        return _buy_again_error(400, typed, errors)
    refused = check_typed_quantities(items, quantities)
    if refused:
        flash(_("Please correct the highlighted fields."), "error")
        return _buy_again_error(400, typed, {pid: cart_error_message(error) for pid, error in refused.items()})
    cart = current_cart(create=True)
    had_lines, mode = bool(cart.lines), _cart_mode()
    if had_lines and mode is None:
        return _ask_replace_or_add(cart, url_for("checkout.buy_again_add"), _("the chosen products"))
    _apply_cart_mode(cart, mode)
    try:
        report = add_bought_to_cart(
            db.session(), current_user.id, cart, product_ids, current_pricing(db.session()), quantities
        )
    except NotBoughtBefore:
        db.session.rollback()
        flash(_("Some of the chosen products are not among your purchases; reload the page and try again."), "error")
        return _buy_again_error(400)
    except QuantitiesRefused as too_many:  # with what the cart already holds
        messages = {product_id: cart_error_message(error) for product_id, error in too_many.refused.items()}
        db.session.rollback()
        flash(_("Please correct the highlighted fields."), "error")
        return _buy_again_error(400, typed, messages)
    db.session.commit()
    _flash_cart_mode(mode, had_lines)
    added = sum(1 for line in report if line.added)
    for line in report:
        if line.outcome == "unavailable":
            flash(_("«%(title)s» cannot be added: it is not available now.", title=line.title), "warning")
        elif line.outcome == "quantity_changed":
            _flash_fewer_added(line.title, line.added, line.wanted)
    if not added:
        flash(_("Nothing was added to the cart."), "warning")
        return redirect(url_for("checkout.buy_again"), 303)
    flash(ngettext("%(num)s product added to the cart.", "%(num)s products added to the cart.", added), "success")
    return redirect(url_for("cart.cart_page"), 303)


def _buy_again_error(
    status: int, typed: dict[int, str] | None = None, errors: dict[int, str] | None = None
) -> tuple[str, int]:
    items = list_buy_again(db.session(), current_user.id, current_pricing(db.session()))
    page = render_template(
        "checkout/buy_again.html", items=items, form=EmptyForm(), typed=typed or {}, errors=errors or {}
    )
    return page, status


def _flash_fewer_added(title: str, added: int, wanted: int) -> None:
    """Reorder and «Купить снова» add what stock and the minimum order allow; say so when it is not all."""
    flash(
        _(
            "«%(title)s»: added %(num)s pcs instead of %(was)s (stock and minimum order).",
            title=title,
            num=added,
            was=wanted,
        ),
        "warning",
    )
