"""`policybot add-report` and `policybot remove-report`: a report in or out in one command."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import NoReturn

import click

from bot.cli.common import MODEL, settings_or_exit
from bot.knowledge.catalogue import CatalogueError, NewReport
from bot.knowledge.problems import KnowledgeError

# Problems listed when a change is refused; the rest are counted.
SHOWN_PROBLEMS = 20
ROOT = click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The project (default: $POLICYBOT_ROOT); with it, the curators' answers are not read.",
)


def _years(_: click.Context, __: click.Parameter, value: str) -> tuple[int, ...]:
    try:
        years = tuple(int(y) for y in value.replace(",", " ").split())
    except ValueError:
        raise click.BadParameter("years as 2021,2022") from None
    if not years or any(not 1949 <= y <= 2100 for y in years):
        raise click.BadParameter("years as 2021,2022")
    return years


def _refused(error: CatalogueError | KnowledgeError) -> NoReturn:
    """Say why nothing changed, and exit 1."""
    if isinstance(error, KnowledgeError):
        for problem in error.problems[:SHOWN_PROBLEMS]:
            click.echo(str(problem), err=True)
        more = len(error.problems) - SHOWN_PROBLEMS
        if more > 0:
            click.echo(f"... and {more} more problem(s)", err=True)
    else:
        click.echo(f"error: {error}", err=True)
    click.echo("nothing was changed.", err=True)
    sys.exit(1)


def _where(root: Path | None) -> tuple[Path, list[Path]]:
    """The project, and the curators' file to validate with it (not with --root)."""
    if root is not None:
        return root, []
    settings = settings_or_exit()
    return settings.root, [settings.curated_path]


def _finish(root: Path, model: str | None, changed: dict[str, bool]) -> None:
    from bot.cli.main import compute_vectors

    for name, wrote in changed.items():
        click.echo(f"{'wrote' if wrote else 'unchanged'} faq/{name}")
    compute_vectors(root, model)
    click.echo("check: ok. A running bot answers from it after /reload or SIGHUP.")


@click.command("add-report")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--street", required=True, help="Street id (pingshan); a new one needs the next two.")
@click.option("--street-name", default=None, help="The street's name (坪山街道), for a new street.")
@click.option("--district", default=None, help="Its district (坪山区), for a new street.")
@click.option("--street-alias", "aliases", multiple=True, help="Another name (坪山); repeatable.")
@click.option("--title", required=True, help="The report's title, as published.")
@click.option(
    "--date", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD (default: none)."
)
@click.option(
    "--years", required=True, callback=_years, help="Years it reviews or plans: 2021,2022."
)
@click.option("--period", default=None, help="What it covers, in words (default: the years).")
@click.option(
    "--not-in-force", is_flag=True, help="No longer in force (a page saying 文件已失效 is)."
)
@click.option("--channel", "channels", multiple=True, help="A place it names for in-person help.")
@click.option("--id", "report_id", default=None, help="Report id (default: street-year).")
@click.option("--id-prefix", default=None, help="Prefix of its generated ids (default: short).")
@ROOT
@MODEL
def add_report(
    file: Path,
    street: str,
    street_name: str | None,
    district: str | None,
    aliases: tuple[str, ...],
    title: str,
    date: dt.datetime | None,
    years: tuple[int, ...],
    period: str | None,
    not_in_force: bool,
    channels: tuple[str, ...],
    report_id: str | None,
    id_prefix: str | None,
    root: Path | None,
    model: str | None,
) -> None:
    """Add the report in FILE (.txt, .html saved from the web, .pdf, .docx): its text goes
    to data/reports/, its metadata to data/reports.yaml; then build, vectors and check.
    Anything wrong leaves the knowledge as it was."""
    from bot.knowledge.catalogue import add_report as add

    root, curated = _where(root)
    new = NewReport(
        street=street,
        title=title,
        years=years,
        date=date.date() if date else None,
        street_name=street_name,
        district=district,
        street_aliases=aliases,
        period=period,
        not_in_force=not_in_force,
        channels=channels,
        id=report_id,
        id_prefix=id_prefix,
    )
    try:
        added = add(root, file, new, curated)
    except (CatalogueError, KnowledgeError) as error:
        _refused(error)
    status = "in force" if added.in_force else "not in force"
    glossary = ", with a glossary (附:名词解释)" if added.glossary else ""
    click.echo(
        f"added {added.id} ({status}): data/{added.file}, {added.sections} sections{glossary}"
    )
    _finish(root, model, added.changed)


@click.command("remove-report")
@click.argument("report_id")
@ROOT
@MODEL
def remove_report(report_id: str, root: Path | None, model: str | None) -> None:
    """Remove report REPORT_ID: its text, its metadata and what was generated from it. Refused
    (nothing changed) while hand-written or curated entries still cite it."""
    from bot.knowledge.catalogue import remove_report as remove

    root, curated = _where(root)
    try:
        changed = remove(root, report_id, curated)
    except (CatalogueError, KnowledgeError) as error:
        _refused(error)
    click.echo(f"removed {report_id}")
    _finish(root, model, changed)
