"""`policybot missed …` and `policybot stats`: curation from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from bot.cli.common import ConfigurationProblem, settings_or_exit
from bot.config import Settings
from bot.curation.service import (
    FITS_AT,
    MAX_PROPOSALS,
    CurationError,
    MissedGroup,
    NewEntry,
    Outcome,
    Proposal,
    answer_from_reply,
    answer_group,
    export_csv,
    find_group,
    fit,
    ignore_group,
    missed_groups,
    nearest_entries,
    parse_source,
    propose,
    reply_of,
    shortened,
    statistics,
    waiting_notifications,
)
from bot.engine.answering import Engine, Reply
from bot.engine.textnorm import content
from bot.knowledge.loading import KnowledgeError
from bot.store.files import UnusableDatabase
from bot.store.handovers import Handover
from bot.store.question_log import Store, open_store
from bot.store.records import QuestionRecord


def _open_store(settings: Settings) -> Store:
    """The question log, or one line (exit 1) for a file that can never hold it."""
    try:
        return open_store(settings)
    except UnusableDatabase as error:
        raise ConfigurationProblem(
            f"the database cannot be used: {error}; move it aside or set POLICYBOT_DB "
            "to another file."
        ) from error


@contextmanager
def _store(settings: Settings) -> Iterator[Store]:
    store = _open_store(settings)
    try:
        yield store
    finally:
        store.close()


def _engine(settings: Settings) -> Engine:
    try:
        return Engine.load(settings.root, curated=settings.curated_path)
    except KnowledgeError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(error.problems)} problem(s) in the knowledge files.", err=True)
        sys.exit(2)


def _fail(error: CurationError) -> NoReturn:
    click.echo(f"error: {error}", err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


def _day_time(iso_time: str) -> str:
    return iso_time[:16].replace("T", " ")


def _print_group(group: MissedGroup, examples: list[str]) -> None:
    click.echo(
        f"{group.id}  ×{group.count}  {_day_time(group.first_seen)} … "
        f"{_day_time(group.last_seen)} UTC"
    )
    for text in examples:
        click.echo(f"    “{text}”")
    for nearest in group.nearest:
        click.echo(f"    → {nearest.entry_id} ({nearest.score:.0f}) {nearest.question}")
    for handover in group.staff_replies:
        click.echo(
            f"    ✍ staff reply #{handover.id} ({_day_time(handover.replied_at or '')} UTC): "
            f"“{shortened(handover.reply or '')}”  (policybot missed from-reply {handover.id})"
        )


# --- policybot missed ----------------------------------------------------------------------


@click.group()
def missed() -> None:
    """Questions the bot could not answer, grouped by similarity, for curators.

    A question is missed when the bot found no answer, or when the asker tapped 都不是 on
    what it offered. Answer a group with `missed answer`; it then leaves this list and
    the residents who asked to be told receive the answer in Telegram.
    """


@missed.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the groups as a JSON array.")
@click.option("--limit", default=20, show_default=True, help="Show at most this many groups.")
def list_groups(as_json: bool, limit: int) -> None:
    """Open groups of missed questions, most asked first.

    Each group shows its id (for `missed show/answer/ignore`), how often it was asked,
    first and last time, up to three examples, and the nearest existing entries.
    """
    settings = settings_or_exit()
    engine = _engine(settings)
    with _store(settings) as store:
        groups = missed_groups(store, engine, nearest_for=limit)
    shown = groups[:limit]
    if as_json:
        click.echo(json.dumps([g.summary() for g in shown], ensure_ascii=False, indent=2))
        return
    if not groups:
        click.echo("No missed questions waiting.")
        return
    for group in shown:
        _print_group(group, group.examples)
    if len(groups) > limit:
        click.echo(f"… and {len(groups) - limit} more group(s): use --limit.")


@missed.command()
@click.argument("group_id", metavar="GROUP")
@click.option("--json", "as_json", is_flag=True, help="Print the group as JSON.")
def show(group_id: str, as_json: bool) -> None:
    """Every distinct question of GROUP, with the nearest entries."""
    settings = settings_or_exit()
    with _store(settings) as store:
        try:
            group = find_group(store, group_id)
        except CurationError as error:
            _fail(error)
    group.nearest = nearest_entries(_engine(settings), group)
    if as_json:
        summary = group.summary()
        summary["questions"] = [
            {"id": q.id, "time": q.time, "channel": q.channel, "text": q.text}
            for q in group.questions
        ]
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    _print_group(group, group.texts)


@missed.command(short_help="Attach GROUP to an entry (--entry) or to a new one (--new).")
@click.argument("group_id", metavar="GROUP")
@click.option("--entry", "entry_id", metavar="ENTRY_ID", help="Attach to this existing entry.")
@click.option("--new", "is_new", is_flag=True, help="Create a new entry instead.")
@click.option("--question", help="--new, required: the canonical question (shown on buttons).")
@click.option(
    "--answer", help="--new, required: a VERBATIM quote of the report; fragments joined by ……"
)
@click.option(
    "--source",
    metavar="REPORT:SECTION",
    help="--new, required: where the quote is, e.g. pingshan-2020:3.4",
)
@click.option(
    "--street",
    metavar="STREET",
    help="--new: a street id of data/reports.yaml (default: the report's).",
)
@click.option("--id", "new_id", help="--new: the entry id (default curated-<group>).")
@click.option(
    "--keyword", "keywords", multiple=True, help="--new: a distinctive word (repeatable)."
)
@click.option(
    "--yes",
    "-y",
    "assume_yes",
    is_flag=True,
    help="--entry: attach without asking, even to an entry the group shares little with.",
)
def answer(
    group_id: str,
    entry_id: str | None,
    is_new: bool,
    question: str | None,
    answer: str | None,
    source: str | None,
    street: str | None,
    new_id: str | None,
    keywords: tuple[str, ...],
    assume_yes: bool,
) -> None:
    """Answer GROUP: with --entry, its questions become phrasings of that entry; with
    --new, they become a new entry.

    --entry first prints the entry's answer and how well it fits the group (the engine's
    probability of answering the group's questions right with it); when they share
    little, it asks before attaching (--yes: attach anyway).

    A new entry's --answer must be a verbatim quote of the report section given by
    --source (see faq/README.md): the bot only ever quotes the reports, so a curator
    quotes them too. Everything is written to the curated file (POLICYBOT_CURATED, default
    curated.yaml next to the database) and the whole knowledge base is validated; on any
    problem the file is left as it was and the problems are listed (exit 1). Run /reload
    in Telegram (or restart) for the running bot to use it.
    """
    if bool(entry_id) == is_new:
        raise click.UsageError("give either --entry ENTRY_ID or --new")
    new = None
    if is_new:
        missing = [
            f"--{name}"
            for name, value in (("question", question), ("answer", answer), ("source", source))
            if not value
        ]
        if missing:
            raise click.UsageError(f"--new needs {', '.join(missing)}")
        try:
            report, section = parse_source(source or "")
        except CurationError as error:
            raise click.UsageError(str(error)) from error
        new = NewEntry(
            question=question or "",
            answer=answer or "",
            report=report,
            section=section,
            street=street,
            id=new_id,
            keywords=keywords,
        )
    settings = settings_or_exit()
    with _store(settings) as store:
        if entry_id and not _entry_confirmed(settings, store, group_id, entry_id, assume_yes):
            click.echo("error: nothing attached: answer y at the prompt, or pass --yes", err=True)
            sys.exit(1)
        try:
            outcome = answer_group(
                settings.root,
                store,
                group_id,
                curated=settings.curated_path,
                entry_id=entry_id,
                new=new,
            )
        except CurationError as error:
            _fail(error)
        waiting = waiting_notifications(store, outcome.group)
    _report_answer(outcome, waiting, settings.curated_path)


def _entry_confirmed(
    settings: Settings, store: Store, group_id: str, entry_id: str, assume_yes: bool
) -> bool:
    """Print the entry's answer and how well it fits the group; ask if they share little."""
    engine = _engine(settings)
    try:
        group = find_group(store, group_id)
    except CurationError as error:
        _fail(error)
    entry = engine.kb.entries.get(entry_id)
    if entry is None:
        _fail(CurationError(f"no entry {entry_id!r}"))
    probability = fit(engine, group, entry_id)
    click.echo(f"{entry_id}: {entry.question}")
    click.echo(f"  answer: {entry.answer}")
    click.echo(
        f"  fit: the engine answers the group's questions right with it at p={probability:.2f}"
        " at best"
    )
    if probability >= FITS_AT:
        return True
    click.echo(
        f"  they share little (below p={FITS_AT:.2f}): every question of {group.id} "
        "would get the answer above"
    )
    if assume_yes:
        return True
    try:
        return click.confirm(f"Attach {group.id} to {entry_id} anyway?", default=False)
    except click.Abort:  # nobody to answer (no terminal, stdin closed)
        click.echo()
        return False


def _report_answer(outcome: Outcome, waiting: int, curated: Path) -> None:
    group = outcome.group
    click.echo(f"{group.id}: {group.count} question(s) → {outcome.entry_id}")
    if outcome.added:
        click.echo(f"  wrote {len(outcome.added)} phrasing(s) to {curated}:")
        for text in outcome.added:
            click.echo(f"    + {text}")
    for text in outcome.skipped:
        click.echo(f"  skipped “{text}”: another entry already has this wording")
    for text in outcome.still_missed:
        click.echo(f"  note: “{text}” is still not answered with {outcome.entry_id}")
    if waiting:
        click.echo(f"  {waiting} asker(s) will be notified once the bot has reloaded.")


UNSUPPORTED = (
    "nothing written: a staff reply the reports do not support cannot become an answer "
    "(the bot only quotes the reports); the question stays in `missed list`."
)


@missed.command("from-reply", short_help="Answer a group with the report text a staff reply names.")
@click.argument("reference", metavar="GROUP|TAG")
@click.option(
    "--pick",
    type=click.IntRange(0, MAX_PROPOSALS),
    help="The proposal to use (1-3), or 0 when none says what the staff said; asked if absent.",
)
def from_reply(reference: str, pick: int | None) -> None:
    """Turn a staff reply to a handed-over question into an answer entry, grounded in the
    reports.

    GROUP|TAG is a group of `missed list` with a staff reply (its newest), or the reply's
    tag (#h1a2b3c4d). The report texts nearest the reply and its question are listed, at
    most three, each with its source; the one chosen becomes a new entry in the curated
    file: the question handed over, the group's wordings as phrasings, the report's text
    verbatim as the answer, and the staff reply (masked) as its `staff_reply`, never shown
    to residents. When none says what the staff said (0), nothing is written.
    """
    settings = settings_or_exit()
    engine = _engine(settings)
    with _store(settings) as store:
        try:
            group, handover = reply_of(store, reference)
        except CurationError as error:
            _fail(error)
        proposals = propose(engine, handover.question, handover.reply or "")
        _print_proposals(group, handover, proposals)
        choice = pick if pick is not None else _chosen(len(proposals))
        if choice is not None and choice > len(proposals):
            raise click.UsageError(f"--pick {choice}: there are {len(proposals)} proposal(s)")
        if not choice:
            click.echo(UNSUPPORTED, err=choice is None)
            sys.exit(1 if choice is None else 0)
        try:
            outcome = answer_from_reply(
                settings.root,
                store,
                engine,
                handover.id,
                proposals[choice - 1].id,
                curated=settings.curated_path,
            )
        except CurationError as error:
            _fail(error)
        waiting = waiting_notifications(store, outcome.group)
    _report_answer(outcome, waiting, settings.curated_path)
    click.echo(f"  staff reply #{handover.id} kept as the entry's staff_reply (never shown)")


def _print_proposals(group: MissedGroup, handover: Handover, proposals: list[Proposal]) -> None:
    click.echo(f"{group.id}: “{handover.question}”")
    click.echo(f"  staff reply #{handover.id}: “{handover.reply or ''}”")
    if not proposals:
        click.echo("  no report text is near this reply.")
    for number, proposal in enumerate(proposals, start=1):
        click.echo(f"  {number}. {proposal.text}")
        click.echo(f"     {proposal.report}:{proposal.section}  {proposal.citation}")


def _chosen(count: int) -> int | None:
    """The proposal the curator types (0: none fits); None with nobody to answer."""
    if not count:
        return 0
    try:
        return int(
            click.prompt(
                f"Which one says what the staff said (1-{count}, 0: none)",
                type=click.IntRange(0, count),
            )
        )
    except click.Abort:  # no terminal, stdin closed
        click.echo()
        return None


@missed.command()
@click.argument("group_id", metavar="GROUP")
def ignore(group_id: str) -> None:
    """Hide GROUP for good (out of scope, not in the reports, abuse)."""
    settings = settings_or_exit()
    with _store(settings) as store:
        try:
            group = ignore_group(store, group_id)
        except CurationError as error:
            _fail(error)
    click.echo(f"{group.id}: {group.count} question(s) ignored")


@missed.command()
@click.option(
    "--csv",
    "csv_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False, writable=True),
    help="The file to write (UTF-8 with BOM, so spreadsheets read Chinese).",
)
def export(csv_path: Path) -> None:
    """Write every open missed question, with its group, to a CSV file."""
    settings = settings_or_exit()
    engine = _engine(settings)
    with _store(settings) as store:
        groups = missed_groups(store, engine)
    rows = export_csv(groups, csv_path)
    click.echo(f"wrote {rows} question(s) in {len(groups)} group(s) to {csv_path}")


# --- policybot stats ------------------------------------------------------------------------


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--top", default=10, show_default=True, help="Rows in each top list.")
def stats(as_json: bool, top: int) -> None:
    """Questions per day, answer/clarify/miss rates, most asked entries, biggest missed
    groups and votes per entry, from the question log."""
    settings = settings_or_exit()
    engine = _engine(settings)
    with _store(settings) as store:
        figures = statistics(store, engine, top=top)
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        click.echo(format_statistics(figures))


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def format_statistics(figures: dict[str, Any]) -> str:
    """The statistics as text for the terminal."""
    lines = [
        f"questions: {figures['questions']}  "
        + "  ".join(f"{channel}: {n}" for channel, n in sorted(figures["channels"].items())),
        f"answered: {_percent(figures['answer_rate'])}  clarify: "
        f"{_percent(figures['clarify_rate'])}  missed: {_percent(figures['miss_rate'])}",
        "",
        "per day (UTC)      questions  answered  clarify  miss",
    ]
    for day in figures["per_day"]:
        lines.append(
            f"{day['day']}  {day['questions']:>15}  {day['answered'] or 0:>8}  "
            f"{day['clarify'] or 0:>7}  {day['miss'] or 0:>4}"
        )
    lines += ["", "most asked entries:"]
    for row in figures["top_entries"]:
        lines.append(f"  {row['questions']:>5}  {row['entry_id']}  {row['question'] or ''}")
    lines += ["", "biggest missed groups:"]
    for group in figures["missed_groups"]:
        lines.append(f"  {group['count']:>5}  {group['id']}  “{group['example']}”")
    lines += ["", "votes per entry (👍 👎 都不是):"]
    for row in figures["votes"]:
        lines.append(
            f"  {row['up'] or 0:>3} {row['down'] or 0:>3} {row['none'] or 0:>3}  "
            f"{row['entry_id'] or '(none)'}  {row['question'] or ''}"
        )
    notifications = figures["notifications"]
    lines += [
        "",
        f"notifications: {notifications['sent']} sent of {notifications['requested']} requested",
    ]
    return "\n".join(lines)


# --- logging the terminal's questions ----------------------------------------------------


@contextmanager
def terminal_log(
    settings: Settings, enabled: bool = True
) -> Iterator[Callable[[Reply, float], None]]:
    """A function recording one terminal question (a no-op when ``enabled`` is False).

    The store is opened on entry and flushed and closed on exit. A database that cannot
    be written is logged by the store; the terminal keeps answering.
    """
    if not enabled:
        yield lambda reply, seconds: None
        return
    store = _open_store(settings)

    def log_reply(reply: Reply, seconds: float) -> None:
        record = QuestionRecord.of(
            reply, normalize=content, channel="terminal", chat_kind="terminal", seconds=seconds
        )
        store.log_question(record, user_id=None)

    try:
        yield log_reply
    finally:
        store.close()
