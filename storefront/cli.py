"""Top-level CLI commands (``flask --app wsgi …``): fx update and policy, shipping seed and import-points, run-due.

They orchestrate several areas (rates → rouble prices), so they live above the areas.
Messages go through gettext: an administrator reads them in Russian.
"""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from storefront import jobs
from storefront.catalog.services import recompute_rouble_prices
from storefront.extensions import db
from storefront.fx.cbr import RateFeedError, fetch_daily, parse_daily
from storefront.fx.models import PriceRounding
from storefront.fx.services import current_pricing, newest_rate_date, store_rates, update_pricing_policy
from storefront.shipping.points import BadRow, PointsFileInvalid, import_points, points_file

#: CBR rates have four decimal places (more for some VunitRate values); show them all.
RATE_FORMAT = "#,##0.0000##"

fx_group = AppGroup("fx", help="Exchange rates of the Central Bank of Russia and the pricing policy.")


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@fx_group.command("update")
@click.option(
    "--file",
    "file_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A stored XML_daily file instead of downloading from cbr.ru.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Store rates older than the newest stored ones too (history); prices keep using the newest.",
)
def fx_update_command(file_path: Path | None, force: bool) -> None:
    """Load today's CBR rates and recompute every rouble price in one statement.

    Rates older than the stored ones are refused (exit code 1, nothing changed) unless ``--force``:
    prices always use the newest rates, so an old file must not look as if it had been applied.
    """
    try:
        if file_path is not None:
            if not file_path.is_file():
                _fail(_("File not found: %(path)s", path=str(file_path)))
            data, source = file_path.read_bytes(), f"file:{file_path.name}"
        else:
            url = current_app.config["CBR_DAILY_URL"]
            data, source = fetch_daily(url), url
        sheet = parse_daily(data)
    except RateFeedError as exc:
        _fail(_("The rates were not updated, the previous rates are kept: %(reason)s", reason=str(exc)))
        return
    newest = newest_rate_date(db.session())
    if newest is not None and sheet.rate_date < newest and not force:
        _fail(
            _(
                "The file has the rates for %(date)s, older than the stored rates for %(stored)s: nothing was "
                "changed. To store them anyway (as history; prices keep the newest rates), add --force.",
                date=sheet.rate_date.strftime("%d.%m.%Y"),
                stored=newest.strftime("%d.%m.%Y"),
            )
        )
    stored = store_rates(db.session(), sheet, source)
    if stored == 0:
        db.session.rollback()
        _fail(_("The feed has no USD or CNY rate; the previous rates are kept."))
    changed = recompute_rouble_prices(db.session())
    db.session.commit()
    loaded = {code: quote.unit_rate for code, quote in sheet.quotes.items()}
    click.echo(
        _(
            "Rates for %(date)s loaded: USD %(usd)s ₽, CNY %(cny)s ₽. Rouble prices recomputed: %(count)s.",
            date=sheet.rate_date.strftime("%d.%m.%Y"),
            usd=_rate(loaded, "USD"),
            cny=_rate(loaded, "CNY"),
            count=changed,
        )
    )
    if newest is not None and sheet.rate_date < newest:
        rates = current_pricing(db.session()).rates
        click.echo(
            _(
                "Prices keep using the newer rates for %(date)s: USD %(usd)s ₽, CNY %(cny)s ₽.",
                date=newest.strftime("%d.%m.%Y"),
                usd=_rate(rates, "USD"),
                cny=_rate(rates, "CNY"),
            )
        )


def _rate(rates: dict[str, Decimal], currency: str) -> str:
    return format_decimal(rates[currency], format=RATE_FORMAT) if currency in rates else "—"


@fx_group.command("policy")
@click.option("--markup", required=True, help="Markup over the converted supplier price, percent (e.g. 15 or 12,5).")
@click.option(
    "--rounding",
    type=click.Choice([r.value for r in PriceRounding]),
    required=True,
    help="How shown rouble prices are rounded.",
)
def fx_policy_command(markup: str, rounding: str) -> None:
    """Change the pricing policy and recompute rouble prices."""
    try:
        markup_percent = Decimal(markup.replace(",", "."))
        if not markup_percent.is_finite():
            raise InvalidOperation
        update_pricing_policy(db.session(), markup_percent, PriceRounding(rounding))
    except (InvalidOperation, ValueError):
        _fail(_("The markup must be a number from 0 to 1000 percent, for example 15 or 12,5."))
        return
    changed = recompute_rouble_prices(db.session())
    db.session.commit()
    click.echo(_("Pricing policy saved. Rouble prices recomputed: %(count)s.", count=changed))


@click.command("run-due")
@with_appcontext
def run_due_command() -> None:
    """Run every periodic job that is due (order expiry, tier recalculation, campaigns…)."""
    results = jobs.run_due(db.session(), app=current_app._get_current_object())  # type: ignore[attr-defined]
    if not results:
        click.echo(_("No jobs are due."))
    for name, result in results:
        click.echo(f"{name}: {result}")


shipping_group = AppGroup("shipping", help="Shipping methods, their zone rates and the СДЭК pickup points.")


@shipping_group.command("seed")
def shipping_seed_command() -> None:
    """Add the standard carriers (Почта России, СДЭК, Harbin cargo) that are missing; safe to repeat."""
    from storefront.shipping.services import seed_shipping_methods

    added = seed_shipping_methods(db.session())
    db.session.commit()
    click.echo(_("Shipping methods added: %(num)s.", num=added))


def bad_row_text(row: BadRow) -> str:
    """One line of the import report, in the administrator's language."""
    problems = {
        "missing": _("empty field: %(detail)s"),
        "bad_code": _("the code «%(detail)s» is not 2–20 Latin letters, digits, «-» or «_»"),
        "duplicate": _("the code «%(detail)s» appears twice"),
        "unknown_region": _("unknown region code «%(detail)s»"),
        "too_long": _("too long: %(detail)s"),
        "columns": _("more cells than the header names"),
    }
    return _("Line %(line)s: %(problem)s.", line=row.line, problem=problems[row.problem] % {"detail": row.detail})


@shipping_group.command("import-points")
@click.argument("file_path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_points_command(file_path: Path) -> None:
    """Replace the СДЭК pickup points with FILE (CSV with a header code,region_code,city,address,hours; or JSON).

    Every row is checked first; with one bad row nothing changes."""
    target = points_file(current_app.config["PICKUP_POINTS_FILE"], current_app.instance_path)
    try:
        points = import_points(file_path.read_bytes(), target)
    except PointsFileInvalid as invalid:
        for row in invalid.rows:
            click.echo(bad_row_text(row), err=True)
        reasons = {
            "encoding": _("the file is not UTF-8 text"),
            "json": _("the file is not a JSON list of points"),
            "header": _("the first line must name the columns code, region_code, city, address, hours"),
            "empty": _("the file has no points"),
            "rows": ngettext("%(num)d row is wrong", "%(num)d rows are wrong", len(invalid.rows)),
        }
        _fail(_("Nothing was imported: %(reason)s.", reason=reasons[invalid.reason]))
        return
    cities = len({point.city for point in points})
    click.echo(
        _(
            "Pickup points imported: %(points)s in %(cities)s.",
            points=ngettext("%(num)d point", "%(num)d points", len(points)),
            cities=ngettext("%(num)d city", "%(num)d cities", cities),
        )
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(shipping_group)
    app.cli.add_command(fx_group)
    app.cli.add_command(run_due_command)
