"""The `policybot` command line."""

from __future__ import annotations

import functools
import io
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from bot.cli.common import MODEL, ConfigurationProblem, settings_or_exit
from bot.cli.curation import missed, stats, terminal_log
from bot.cli.dashboard import dashboard
from bot.cli.reports import add_report, remove_report
from bot.config import EXIT_CONFIG
from bot.engine import messages, messages_en
from bot.engine.answering import Engine, Reply, configured_model, timed_ask
from bot.engine.conversation import Conversation, dialogue
from bot.engine.rendering import render_text
from bot.engine.scoring import load_calibration
from bot.knowledge.loading import KnowledgeError, load_knowledge

NEW_CONVERSATION = ("/new", "/start")  # in the terminal chat
# How often the bot looks for answered questions whose askers asked to be told.
NOTIFY_EVERY_SECONDS = 30.0
# How soon after SIGHUP the running bot reloads the knowledge (bot/telegram/curators.py).
SIGHUP_CHECK_SECONDS = 1.0


GENERATED_ONLY = click.option(
    "--generated-only",
    is_flag=True,
    help="Only what `policybot build` generates from the reports (no hand-written FAQ).",
)


def tolerant_stdin() -> None:
    """Read standard input without failing on bytes that are not UTF-8.

    Python decodes stdin strictly under most locales (surrogateescape only under C or
    POSIX), so one stray byte ended `ask -` and `chat` with a traceback. Undecodable
    bytes become U+FFFD: the engine ignores them, and no lone surrogate travels on.
    """
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")


def load_engine(
    root: Path,
    generated_only: bool = False,
    model: str | None = None,
    disabled: tuple[str, ...] = (),
    curated: Path | None = None,
) -> Engine:
    """The engine, or a clean exit listing every problem in the knowledge files."""
    try:
        return Engine.load(
            root, generated_only=generated_only, model=model, disabled=disabled, curated=curated
        )
    except KnowledgeError as error:
        _exit_with_problems(error)


def _exit_with_problems(error: KnowledgeError) -> NoReturn:
    """List every problem on stderr and exit EXIT_CONFIG: only editing the files helps."""
    for problem in error.problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(error.problems)} problem(s) in the knowledge files.", err=True)
    sys.exit(EXIT_CONFIG)


def terminal_text(reply: Reply, logged: bool = True) -> str:
    """The reply as the terminal shows it; claims no record of a question not logged."""
    text = render_text(reply)
    # A miss tells the resident the question was recorded for the staff: with --no-log it
    # is not, so the terminal leaves that sentence out.
    if logged:
        return text
    return messages_en.RECORDED_CLAIM.sub("", messages.RECORDED_CLAIM.sub("", text))


def reply_record(
    reply: Reply, seconds: float | None = None, logged: bool = True, understood: bool = False
) -> dict:
    """One reply as the JSON object `policybot ask --json` writes; with ``understood``
    (a conversation's turns), what a follow-up was understood to ask."""
    record = {
        "question": reply.question,
        "outcome": reply.outcome,
        "answered": reply.answered,
        "reply": terminal_text(reply, logged),
        "entry_id": reply.entry_id if reply.outcome == "answer" else reply.intent,
        "score": reply.score,
        "source": reply.source,
        "suggestions": [s.question for s in reply.suggestions],
    }
    if understood:
        record["understood"] = reply.understood
    if seconds is not None:
        record["ms"] = round(seconds * 1000, 3)
    return record


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Answer questions about the street offices' public reports in data/reports.yaml."""


@main.command()
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None)
@MODEL
def build(root: Path | None, model: str | None) -> None:
    """Regenerate faq/generated-*.yaml from the reports in data/, then compute (or find
    cached) the vectors of every phrasing, answer and passage."""
    from bot.knowledge.build import build as build_files

    root = root or settings_or_exit().root
    try:
        built = build_files(root)
    except KnowledgeError as error:
        _exit_with_problems(error)
    for name, changed in built.items():
        click.echo(f"{'wrote' if changed else 'unchanged'} faq/{name}")
    compute_vectors(root, model)


def compute_vectors(root: Path, model: str | None) -> None:
    """Load the engine on ``root``, which computes (or finds cached) every vector."""
    engine = load_engine(root, model=model)
    if engine.vectors is not None:
        report = engine.vectors.report
        click.echo(
            f"vectors ({engine.model}): {report.texts} texts, {report.computed} computed "
            f"in {report.seconds:.1f} s, in {engine.vectors.path}"
        )


@main.command()
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None)
def check(root: Path | None) -> None:
    """Validate every file in faq/ and intents/, and the curators' answers (without --root:
    POLICYBOT_CURATED, default next to the database); exit 1 listing each problem."""
    curated = [] if root else [settings_or_exit().curated_path]
    root = root or settings_or_exit().root
    try:
        kb = load_knowledge(root, curated)
        load_calibration(root, configured_model())
    except KnowledgeError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(error.problems)} problem(s).", err=True)
        sys.exit(1)
    from bot.knowledge.build import stale_files

    stale = stale_files(root)
    if stale:
        for name in stale:
            click.echo(f"faq/{name}:1: out of date with data/: run `policybot build`", err=True)
        sys.exit(1)
    faq = sum(1 for e in kb.entries.values() if e.kind == "faq")
    english = sum(1 for e in kb.entries.values() if e.answer_en)
    click.echo(
        f"ok: {len(kb.entries)} entries ({faq} hand-written, {len(kb.glossary)} terms, "
        f"{english} in English), {len(kb.passages)} passages, {len(kb.intents)} intents"
    )


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@click.option("--no-log", is_flag=True, help="Do not record the questions.")
@click.option(
    "--conversation",
    is_flag=True,
    help="With -: the lines are turns of one conversation; a blank line starts the next.",
)
@GENERATED_ONLY
@MODEL
def ask(
    question: str,
    as_json: bool,
    no_log: bool,
    conversation: bool,
    generated_only: bool,
    model: str | None,
) -> None:
    """Answer QUESTION once; with "-" read one question a line from standard input."""
    if conversation and question != "-":
        raise click.UsageError("--conversation reads the turns from standard input: give -")
    settings = settings_or_exit()
    engine = load_engine(settings.root, generated_only, model, curated=settings.curated_path)
    if question == "-":
        tolerant_stdin()
    if conversation:
        with terminal_log(settings, enabled=not no_log) as log:
            ask_conversations(engine, log, as_json, logged=not no_log)
        return
    questions = sys.stdin if question == "-" else [question]
    with terminal_log(settings, enabled=not no_log) as log:
        for line in questions:
            line = line.rstrip("\n")
            reply, seconds = timed_ask(engine, line)
            log(reply, seconds)
            if as_json:
                record = reply_record(reply, seconds, logged=not no_log)
                click.echo(json.dumps(record, ensure_ascii=False))
            else:
                click.echo(terminal_text(reply, logged=not no_log))
                if question == "-":
                    click.echo()


def ask_conversations(
    engine: Engine, log: Callable[[Reply, float], None], as_json: bool, logged: bool
) -> None:
    """Standard input's lines as turns of conversations, a blank line between two; one
    reply for each turn (bot.engine.conversation.dialogue, as `eval --dialogs` grades)."""
    for turn in dialogue(engine, sys.stdin):
        if turn is None:
            continue
        reply, seconds = turn
        log(reply, seconds)
        if as_json:
            record = reply_record(reply, seconds, logged=logged, understood=True)
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            click.echo(terminal_text(reply, logged=logged))
            click.echo()


@main.command()
@click.option("--no-log", is_flag=True, help="Do not record the questions.")
def chat(no_log: bool) -> None:
    """Chat in the terminal. Type a question; /quit or Ctrl-D ends."""
    tolerant_stdin()
    settings = settings_or_exit()
    engine = load_engine(settings.root, curated=settings.curated_path)
    click.echo(messages.chat_banner([s.name for s in engine.kb.streets.values()]))
    click.echo(messages.CHAT_SOURCES + engine.about())
    with terminal_log(settings, enabled=not no_log) as log:
        chat_loop(engine, log, logged=not no_log)


def chat_loop(engine: Engine, log: Callable[[Reply, float], None], logged: bool) -> None:
    """Answer each line typed as a turn of one conversation, recording it with ``log``,
    until /quit or end of input; /new or /start starts a new conversation."""
    conversation: Conversation | None = None
    while True:
        try:
            line = input(messages.CHAT_PROMPT)
        except (EOFError, KeyboardInterrupt):
            click.echo()
            break
        if line.strip() in ("/quit", "/exit", "quit", "exit"):
            break
        if not line.strip():
            click.echo(messages.CHAT_EMPTY)
            continue
        if line.strip() in NEW_CONVERSATION:
            conversation = None
            click.echo(messages.CHAT_NEW)
            continue
        if line.strip().startswith("/"):
            click.echo(messages.CHAT_UNKNOWN_COMMAND)
            continue
        start = time.perf_counter()
        reply, conversation = engine.reply(line, conversation)
        seconds = time.perf_counter() - start
        log(reply, seconds)
        click.echo(terminal_text(reply, logged))


@main.command()
@click.pass_context
def start(ctx: click.Context) -> None:
    """Run the Telegram bot if TELEGRAM_BOT_TOKEN is set, otherwise chat in the terminal."""
    settings = settings_or_exit()
    if settings.token:
        ctx.invoke(run)
    else:
        click.echo("TELEGRAM_BOT_TOKEN is not set: starting the terminal chat instead.")
        ctx.invoke(chat)


@main.command()
def run() -> None:
    """Run the Telegram bot (long polling, or a webhook if POLICYBOT_WEBHOOK_URL is set);
    SIGHUP makes it reload the knowledge, as /reload does."""
    from bot.telegram.application import run_bot
    from bot.telegram.context import JobCallback
    from bot.telegram.curators import SighupReload, curator_handlers, notify_job

    settings = settings_or_exit()
    if not settings.token:
        raise ConfigurationProblem("TELEGRAM_BOT_TOKEN is not set.")
    engine = load_engine(settings.root, curated=settings.curated_path)
    reload_on_sighup = SighupReload()
    reload_on_sighup.install()
    jobs: list[tuple[JobCallback, float]] = [
        (notify_job, NOTIFY_EVERY_SECONDS),
        (reload_on_sighup, SIGHUP_CHECK_SECONDS),
    ]
    sys.exit(run_bot(settings, engine, extra_handlers=curator_handlers(), repeating_jobs=jobs))


@main.command()
@click.option(
    "--max-age",
    type=float,
    default=None,
    help="Seconds a heartbeat stays fresh (default: three heartbeat intervals, 90 s).",
)
def health(max_age: float | None) -> None:
    """Exit 0 if the running bot is handling updates (its heartbeat is fresh), else 1
    saying why. The container's health check runs the same as `python -m bot.telegram.health`."""
    from bot.telegram.health import main as check_health

    sys.exit(check_health([] if max_age is None else ["--max-age", str(max_age)]))


@main.command(name="eval")
@click.option(
    "--questions",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    multiple=True,
    help="Labeled question set; repeat for several (default tests/eval/questions.yaml).",
)
@click.option(
    "--all", "every_set", is_flag=True, help="Every set in tests/eval/, one after another."
)
@click.option(
    "--dialogs",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    multiple=True,
    help="Labeled dialog set, graded turn by turn as conversations (repeatable).",
)
@GENERATED_ONLY
@MODEL
@click.option("--ablate", is_flag=True, help="Again with each named rule off in turn.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--failures", is_flag=True, help="List every question answered wrongly.")
def evaluate(
    questions: tuple[Path, ...],
    every_set: bool,
    dialogs: tuple[Path, ...],
    generated_only: bool,
    model: str | None,
    ablate: bool,
    as_json: bool,
    failures: bool,
) -> None:
    """Measure answer accuracy per category on labeled question sets; exit 1 when a set
    falls below its floor (tests/eval/floors.yaml) in this mode."""
    from bot.engine.matching import RULES
    from bot.tools.evaluation import (
        DEFAULT_SET,
        FLOORS_FILE,
        ablation_table,
        format_report,
        labeled_sets,
        load_floors,
        load_questions,
    )
    from bot.tools.evaluation import evaluate as run_eval

    settings = settings_or_exit()
    engine = load_engine(settings.root, generated_only, model)
    if dialogs:
        load = functools.partial(load_engine, settings.root, generated_only, model)
        grade_dialog_sets(engine, dialogs, failures, load if ablate else None)
        if not (questions or every_set):
            return
    eval_dir = labeled_sets(settings.root)
    paths = list(questions)
    if every_set:
        paths += sorted(
            p for p in eval_dir.glob("*.yaml") if p not in paths and p.name != FLOORS_FILE
        )
    paths = paths or [eval_dir / DEFAULT_SET]
    sets = {path.name: load_questions(path) for path in paths}
    reports = {name: run_eval(engine, items) for name, items in sets.items()}
    mode = "generated" if generated_only else "faq"
    floors = load_floors(eval_dir)
    failing = [
        name
        for name, report in reports.items()
        if (name, mode) in floors and not floors[(name, mode)].holds(report)
    ]
    if as_json:
        summaries = {name: report.summary() for name, report in reports.items()}
        only = len(summaries) == 1
        click.echo(
            json.dumps(
                next(iter(summaries.values())) if only else summaries, ensure_ascii=False, indent=2
            )
        )
    else:
        click.echo(
            f"mode: {'generated only' if generated_only else 'with the FAQ files'}, "
            f"model: {engine.model}"
        )
        for name, report in reports.items():
            if len(reports) > 1:
                click.echo(f"\n== {name}")
            click.echo(format_report(report, failures=failures, floor=floors.get((name, mode))))
    if ablate:
        without = {}
        for rule in RULES:
            ablated = load_engine(settings.root, generated_only, model, (rule,))
            without[rule] = {name: run_eval(ablated, items) for name, items in sets.items()}
        click.echo("")
        click.echo(ablation_table(reports, without))
    if failing:
        click.echo(f"\nbelow the floor: {', '.join(failing)}", err=True)
        sys.exit(1)


def grade_dialog_sets(
    engine: Engine,
    paths: tuple[Path, ...],
    failures: bool,
    ablated: Callable[[tuple[str, ...]], Engine] | None = None,
) -> None:
    """Grade each labeled dialog set (bot.tools.dialogs) and print its figures; with
    ``ablated`` (an engine without the given rules), again with each follow-up rule off."""
    from bot.engine.conversation import FOLLOW_UP_RULES
    from bot.tools.dialogs import dialog_ablation_table, format_dialog_report, grade, load_dialogs

    for path in paths:
        try:
            dialogs = load_dialogs(path)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--dialogs") from error
        click.echo(f"== dialogs: {path.name}")
        report = grade(engine, dialogs)
        click.echo(format_dialog_report(report, failures=failures))
        if ablated is not None:
            without = {rule: grade(ablated((rule,)), dialogs) for rule in FOLLOW_UP_RULES}
            click.echo(dialog_ablation_table(report, without))


@main.command()
@MODEL
def calibrate(model: str | None) -> None:
    """Fit the probability that an answer is right on the labeled training sets (both
    modes) and write data/calibration.yaml; the held-out sets are never read."""
    from bot.engine.answering import configured_model
    from bot.tools.calibrate import HELD_OUT, TRAINING_SETS
    from bot.tools.calibrate import calibrate as fit_calibration
    from bot.tools.evaluation import labeled_sets

    settings = settings_or_exit()
    model = model or configured_model()
    path, summary = fit_calibration(settings.root, model, labeled_sets(settings.root))
    click.echo(f"wrote {path.relative_to(settings.root)} for model {model}")
    click.echo(f"trained on {', '.join(TRAINING_SETS)}; held out {', '.join(HELD_OUT)}")
    click.echo(f"{summary['candidates']} candidates, {summary['right']} right")
    validation = summary["cross_validated"]
    click.echo(
        f"cross-validated: candidates log loss {validation['log_loss']}, brier "
        f"{validation['brier']}; answers log loss {validation['answer_log_loss']}"
    )
    click.echo("answering with the first candidate, predicted against observed:")
    for band in validation["answer_by_band"]:
        click.echo(
            f"  p {band['band']}: {band['candidates']:>5} questions, predicted "
            f"{band['predicted']:.2f}, observed {band['observed']:.2f}"
        )


@main.command()
@click.option("--rounds", default=3, show_default=True, help="Passes over the question set.")
@click.option(
    "--scale",
    "scales",
    type=int,
    multiple=True,
    default=(10, 20),
    show_default=True,
    help="Size of a synthetic base, in times the real one (repeatable).",
)
@MODEL
@click.option(
    "--compare",
    multiple=True,
    default=("e5",),
    show_default=True,
    help="Other models measured on the real base (repeatable).",
)
def bench(
    rounds: int, scales: tuple[int, ...], model: str | None, compare: tuple[str, ...]
) -> None:
    """Time per question (p50, p99) and memory on the real and synthetic larger bases,
    each in a fresh process, for the chosen model and the others on the real base; the
    cold build of the vector cache; start-up time. The end-to-end load is
    `make bench-load`."""
    from bot.engine.answering import configured_model
    from bot.tools.benchmark import run_benchmark

    chosen = model or configured_model()
    others = tuple(m for m in compare if m != chosen)
    click.echo(
        run_benchmark(
            settings_or_exit().root, rounds=rounds, scales=scales, model=chosen, compare=others
        )
    )


main.add_command(missed)
main.add_command(stats)
main.add_command(dashboard)
main.add_command(add_report)
main.add_command(remove_report)

if __name__ == "__main__":
    main()
