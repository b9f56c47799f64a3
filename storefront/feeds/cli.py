"""``flask --app wsgi catalog import FILE``: load a YML or CSV feed, report each bad offer."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from storefront.extensions import db
from storefront.feeds.reader import NotAFeed
from storefront.feeds.services import ImportReport, OfferProblem, Problem, import_feed

catalog_group = AppGroup("catalog", help="Catalogue feeds: import YML or CSV.")


def problem_text(problem: OfferProblem) -> str:
    """One line of the report, in the administrator's language."""
    messages = {
        Problem.BROKEN: _("the offer is not valid XML (%(detail)s)"),
        Problem.TOO_LARGE: _("the offer is longer than %(detail)s characters"),
        Problem.NO_ID: _("the offer has no id"),
        Problem.NO_NAME: _("the offer has no name"),
        Problem.BAD_PRICE: _("the price «%(detail)s» is not a positive number"),
        Problem.UNKNOWN_CURRENCY: _("unknown currency «%(detail)s»: use RUB, USD or CNY"),
        Problem.UNKNOWN_CATEGORY: _("category «%(detail)s» is not in the feed's category list"),
        Problem.BAD_QUANTITY: _("the quantity «%(detail)s» is not a whole number"),
        Problem.BAD_BREAKS: _("the price breaks are inconsistent (%(detail)s)"),
        Problem.NO_SUPPLIER: _("no supplier: the feed has no shop company; pass --supplier"),
    }
    text = messages[problem.problem] % {"detail": problem.detail}
    return _(
        "Line %(line)s, offer %(offer)s: %(problem)s. Skipped.",
        line=problem.line,
        offer=problem.offer_id or "—",
        problem=text,
    )


@catalog_group.command("import")
@click.argument("file_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "kind", type=click.Choice(["auto", "yml", "csv"]), default="auto", show_default=True)
@click.option("--supplier", help="Supplier name for offers whose feed names none (CSV files).")
def import_command(file_path: Path, kind: str, supplier: str | None) -> None:
    """Import a YML (Yandex Market Language) or CSV feed: new offers are added, known ones updated."""
    if not file_path.is_file():
        click.echo(_("File not found: %(path)s", path=str(file_path)), err=True)
        sys.exit(1)
    if kind == "auto":
        kind = "csv" if file_path.suffix.lower() in (".csv", ".txt") else "yml"

    def progress(report: ImportReport) -> None:
        click.echo(_("Offers processed: %(count)s", count=report.processed), err=True)

    try:
        with file_path.open("rb") as stream:
            report = import_feed(db.session(), stream, kind, supplier, progress)
    except NotAFeed as exc:
        db.session.rollback()
        click.echo(_("This file is not a catalogue feed, nothing was imported: %(reason)s", reason=str(exc)), err=True)
        sys.exit(1)
    for problem in report.problems:
        click.echo(problem_text(problem), err=True)
    click.echo(
        _(
            "Import finished: %(created)s added, %(updated)s updated, %(skipped)s skipped.",
            created=report.created,
            updated=report.updated,
            skipped=len(report.problems),
        )
    )
    if report.problems:
        sys.exit(2)
