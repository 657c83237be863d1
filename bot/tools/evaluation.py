"""`policybot eval`: answer quality on a labeled question set.

A label says what a correct reply does, not which entry id it comes from, so the same set
keeps measuring the bot when entries are split, merged or renamed:

* ``expect: answer`` with ``quote``: the reply answers and quotes that text of the report
  (a list: every quote, e.g. one from each street);
* ``expect: intent`` with ``intent``: the conversation intent recognised;
* ``expect: miss``: the bot does not answer (clarify counts as not answering, but is not
  a correct miss).

A labeled question that is, after normalisation, one of the ways of asking an entry
measures memory, not understanding: it is set aside and does not count. Each set is held
to floors (``tests/eval/floors.yaml``) in each mode, and ``policybot eval`` exits 1 when
one does not hold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.engine.answering import Engine, Reply
from bot.engine.languages import EN
from bot.engine.textnorm import content, fold
from bot.engine.wording import reads_as_english

# The labeled question sets, under a project root: tests' data that the tools read (as
# files; nothing under bot/ imports tests/).
LABELED_SETS = Path("tests") / "eval"
DEFAULT_SET = "questions.yaml"
FLOORS_FILE = "floors.yaml"


def labeled_sets(root: Path) -> Path:
    """The folder of the labeled question sets of the project at ``root``."""
    return root / LABELED_SETS


MODES = ("faq", "generated")  # with the hand-written FAQ files; generated-only


@dataclass(frozen=True)
class Labeled:
    question: str
    category: str
    expect: str
    quotes: tuple[str, ...] = ()
    intent: str | None = None


@dataclass(frozen=True)
class Outcome:
    item: Labeled
    reply: Reply
    correct: bool


@dataclass
class EvalReport:
    outcomes: list[Outcome] = field(default_factory=list)
    set_aside: list[Labeled] = field(default_factory=list)  # phrasings of an entry

    @property
    def accuracy(self) -> float:
        return _share(self.outcomes)

    @property
    def out_of_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.item.expect == "miss"]

    @property
    def false_answer_rate(self) -> float:
        """Share of out-of-scope questions that got an answer (or an intent reply)."""
        oos = self.out_of_scope
        return sum(o.reply.answered for o in oos) / len(oos) if oos else 0.0

    @property
    def in_scope_wrong_answers(self) -> list[Outcome]:
        """In-scope questions answered with something that does not contain the answer."""
        return [
            o
            for o in self.outcomes
            if o.item.expect == "answer" and o.reply.outcome == "answer" and not o.correct
        ]

    def by_category(self) -> dict[str, list[Outcome]]:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            groups[outcome.item.category].append(outcome)
        return dict(sorted(groups.items()))

    def summary(self) -> dict[str, Any]:
        return {
            "questions": len(self.outcomes),
            "accuracy": round(self.accuracy, 4),
            "out_of_scope": len(self.out_of_scope),
            "false_answer_rate": round(self.false_answer_rate, 4),
            "wrong_answers_in_scope": len(self.in_scope_wrong_answers),
            "clarify": sum(o.reply.outcome == "clarify" for o in self.outcomes),
            "set_aside": len(self.set_aside),
            "categories": {
                name: {"questions": len(items), "accuracy": round(_share(items), 4)}
                for name, items in self.by_category().items()
            },
        }


def _share(outcomes: list[Outcome]) -> float:
    return sum(o.correct for o in outcomes) / len(outcomes) if outcomes else 0.0


def load_questions(path: Path) -> list[Labeled]:
    """Read a labeled set; raises ValueError naming the first malformed item."""
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [labeled_item(item, n, f"{path}: item") for n, item in enumerate(items, start=1)]


def labeled_item(item: object, number: int, where: str, category: str = "uncategorised") -> Labeled:
    """One labeled question (``where`` and ``number`` name it in an error); a dialog's
    turns are labeled the same way (bot/tools/dialogs.py)."""
    if not isinstance(item, dict) or "q" not in item or "expect" not in item:
        raise ValueError(f"{where} {number} needs 'q' and 'expect'")
    quotes = item.get("quote") or ()
    if isinstance(quotes, str):
        quotes = (quotes,)
    expect = str(item["expect"])
    if expect == "answer" and not quotes:
        raise ValueError(f"{where} {number} expects an answer but has no quote")
    if expect not in ("answer", "intent", "miss"):
        raise ValueError(f"{where} {number}: unknown expect {expect!r}")
    return Labeled(
        question=str(item["q"]),
        category=str(item.get("category", category)),
        expect=expect,
        quotes=tuple(str(q) for q in quotes),
        intent=item.get("intent"),
    )


def is_correct(item: Labeled, reply: Reply) -> bool:
    """Whether a reply is what the label asks: a miss, the intent, or an answer quoting
    every labeled quote; a question asked in English is answered in English too (the
    Chinese original is then in the blocks beside the rendering)."""
    if reads_as_english(item.question) and reply.language != EN:
        return False
    if item.expect == "miss":
        return reply.outcome == "miss"
    if item.expect == "intent":
        return reply.outcome == "intent" and (item.intent is None or reply.intent == item.intent)
    if reply.outcome != "answer":
        return False
    quoted = fold("".join(block.body for block in reply.blocks))
    return all(fold(quote) in quoted for quote in item.quotes)


def phrasings_of(engine: Engine) -> set[str]:
    """Every way of asking an entry, normalised as questions are compared."""
    return {
        content(text)
        for entry in engine.kb.entries.values()
        for text in (entry.question, *entry.phrasings)
    }


def evaluate(engine: Engine, items: list[Labeled]) -> EvalReport:
    """Ask every labeled question; those that are an entry's own phrasing are set aside."""
    report = EvalReport()
    known = phrasings_of(engine)
    for item in items:
        if item.expect == "answer" and content(item.question) in known:
            report.set_aside.append(item)
            continue
        reply = engine.ask(item.question)
        report.outcomes.append(Outcome(item, reply, is_correct(item, reply)))
    return report


@dataclass(frozen=True)
class Floor:
    accuracy: float
    false_answers: float  # share of the questions to decline that may be answered

    def holds(self, report: EvalReport) -> bool:
        return (
            report.accuracy >= self.accuracy - 1e-9
            and report.false_answer_rate <= self.false_answers + 1e-9
        )


def load_floors(eval_dir: Path) -> dict[tuple[str, str], Floor]:
    """Floors by (set file name, mode) from ``floors.yaml`` beside the sets."""
    path = eval_dir / FLOORS_FILE
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    floors = {}
    for name, modes in (data.get("sets") or {}).items():
        for mode, values in (modes or {}).items():
            floors[(str(name), str(mode))] = Floor(
                float(values["accuracy"]), float(values["false_answers"])
            )
    return floors


def format_report(report: EvalReport, failures: bool = False, floor: Floor | None = None) -> str:
    lines = [f"{'category':<16}{'questions':>10}{'correct':>9}{'accuracy':>10}"]
    for name, items in report.by_category().items():
        correct = sum(o.correct for o in items)
        lines.append(f"{name:<16}{len(items):>10}{correct:>9}{_share(items):>10.1%}")
    total = len(report.outcomes)
    correct = sum(o.correct for o in report.outcomes)
    lines.append(f"{'overall':<16}{total:>10}{correct:>9}{report.accuracy:>10.1%}")
    lines.append("")
    lines.append(
        f"out-of-scope questions answered: {report.false_answer_rate:.1%} "
        f"({sum(o.reply.answered for o in report.out_of_scope)} of {len(report.out_of_scope)})"
    )
    lines.append(
        f"in-scope questions answered with the wrong text: {len(report.in_scope_wrong_answers)}"
    )
    lines.append(f"set aside (an entry's own phrasing, not counted): {len(report.set_aside)}")
    if floor:
        lines.append(
            f"floor: accuracy >= {floor.accuracy:.1%}, out-of-scope answered <= "
            f"{floor.false_answers:.1%}: {'holds' if floor.holds(report) else 'DOES NOT HOLD'}"
        )
    else:
        lines.append("floor: none set for this set and mode")
    if failures:
        lines.append("")
        for outcome in report.outcomes:
            if not outcome.correct:
                reply = outcome.reply
                got = reply.entry_id or reply.intent or ",".join(s.id for s in reply.candidates[:3])
                lines.append(
                    f"[{outcome.item.category}] {outcome.item.question!r}: expected "
                    f"{outcome.item.expect} {outcome.item.quotes or outcome.item.intent or ''}, "
                    f"got {reply.outcome} {got} ({reply.score}; {reply.reason_label})"
                )
    return "\n".join(lines)


def ablation_table(
    baseline: dict[str, EvalReport], without: dict[str, dict[str, EvalReport]]
) -> str:
    """What each rule earns: accuracy and declines answered on every set, with the rule
    on, and the change when it is switched off."""
    names = list(baseline)
    header = f"{'rule off':<18}" + "".join(f"{n[:22]:>24}" for n in names)
    lines = [header]
    row = f"{'(none)':<18}"
    for name in names:
        report = baseline[name]
        row += f"{report.accuracy:>14.1%} oos {report.false_answer_rate:>5.1%}"
    lines.append(row)
    for rule, reports in without.items():
        row = f"{rule:<18}"
        for name in names:
            delta = reports[name].accuracy - baseline[name].accuracy
            oos = reports[name].false_answer_rate - baseline[name].false_answer_rate
            row += f"{delta:>+14.1%} oos {oos:>+5.1%}"
        lines.append(row)
    lines.append("")
    lines.append(
        "A rule earns its place when switching it off costs accuracy or lets declines be "
        "answered on some set."
    )
    return "\n".join(lines)
