"""`policybot eval --dialogs`: conversations graded turn by turn.

A dialog set is YAML: a list of ``{id, category, turns: [{q, expect, quote?, intent?,
street?}]}``. Each turn is labeled as a single question is (bot/tools/evaluation.py) and
is right as one would be; with ``street`` (a street id of data/reports.yaml), an answer
must also quote that street's report and no other. The dialogs go through the same code
path as `policybot ask --conversation -` (bot.engine.conversation.dialogue).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.engine.answering import Engine, Reply
from bot.engine.conversation import dialogue
from bot.tools.evaluation import Labeled, is_correct, labeled_item


@dataclass(frozen=True)
class Turn:
    item: Labeled
    street: str | None = None


@dataclass(frozen=True)
class Dialog:
    id: str
    category: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Graded:
    dialog: Dialog
    replies: tuple[Reply, ...]
    right: tuple[bool, ...]


@dataclass
class DialogReport:
    graded: list[Graded] = field(default_factory=list)

    def turns(self, follow_ups: bool = False) -> tuple[int, int]:
        """(right, total) over every turn, or over the 2nd and later turns only."""
        marks = [r for g in self.graded for r in (g.right[1:] if follow_ups else g.right)]
        return sum(marks), len(marks)

    def dialogs(self) -> tuple[int, int]:
        return sum(all(g.right) for g in self.graded), len(self.graded)

    def follow_ups_by_kind(self) -> dict[str, tuple[int, int]]:
        """(right, total) of the 2nd and later turns, by the dialogs' category, in the
        order the set first names each."""
        kinds: dict[str, tuple[int, int]] = {}
        for graded in self.graded:
            right, total = kinds.get(graded.dialog.category, (0, 0))
            marks = graded.right[1:]
            kinds[graded.dialog.category] = (right + sum(marks), total + len(marks))
        return kinds


def load_dialogs(path: Path) -> list[Dialog]:
    """Read a dialog set; raises ValueError naming the first malformed dialog or turn."""
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(items, list):
        raise ValueError(f"{path}: a dialog set is a list of dialogs")
    dialogs = []
    for number, item in enumerate(items, start=1):
        turns = item.get("turns") if isinstance(item, dict) else None
        if not isinstance(turns, list) or not turns:
            raise ValueError(f"{path}: dialog {number} needs 'turns'")
        category = str(item.get("category", "uncategorised"))
        where = f"{path}: dialog {item.get('id', number)}, turn"
        dialogs.append(
            Dialog(
                id=str(item.get("id", number)),
                category=category,
                turns=tuple(
                    Turn(labeled_item(turn, n, where, category), _street(turn))
                    for n, turn in enumerate(turns, start=1)
                ),
            )
        )
    return dialogs


def _street(turn: object) -> str | None:
    street = turn.get("street") if isinstance(turn, dict) else None
    return str(street) if street else None


def turn_right(engine: Engine, turn: Turn, reply: Reply) -> bool:
    """A turn is right as a single labeled question is; with a street, an answer quotes
    only that street's report."""
    if not is_correct(turn.item, reply):
        return False
    if turn.street is None or reply.outcome != "answer":
        return True
    streets = {engine.followups.street_of_doc(block.id) for block in reply.blocks}
    return streets == {turn.street}


def grade(engine: Engine, dialogs: list[Dialog]) -> DialogReport:
    """Every dialog as one conversation, a blank line between two, graded turn by turn."""
    lines: list[str] = []
    for dialog in dialogs:
        lines += [turn.item.question for turn in dialog.turns] + [""]
    replies = [turn[0] for turn in dialogue(engine, lines) if turn is not None]
    report = DialogReport()
    position = 0
    for dialog in dialogs:
        got = tuple(replies[position : position + len(dialog.turns)])
        position += len(dialog.turns)
        right = tuple(turn_right(engine, t, r) for t, r in zip(dialog.turns, got, strict=True))
        report.graded.append(Graded(dialog, got, right))
    return report


def format_dialog_report(report: DialogReport, failures: bool = False) -> str:
    lines = []
    for label, (right, total) in (
        ("turns right", report.turns()),
        ("follow-up turns right (2nd and later)", report.turns(follow_ups=True)),
        ("dialogs fully right", report.dialogs()),
    ):
        share = right / total if total else 0.0
        lines.append(f"{label}: {right} / {total} ({share:.1%})")
    kinds = [
        f"{kind} {right} / {total}"
        for kind, (right, total) in report.follow_ups_by_kind().items()
        if total
    ]
    if kinds:
        lines.append("follow-up turns by kind: " + ", ".join(kinds))
    if failures:
        for graded in report.graded:
            for number, (turn, reply, right) in enumerate(
                zip(graded.dialog.turns, graded.replies, graded.right, strict=True), start=1
            ):
                if not right:
                    lines.append(_failure(graded.dialog, number, turn, reply))
    return "\n".join(lines)


def _failure(dialog: Dialog, number: int, turn: Turn, reply: Reply) -> str:
    item = turn.item
    got = reply.entry_id or reply.intent or ",".join(s.id for s in reply.candidates[:3])
    expected = f"{item.expect} {item.quotes or item.intent or ''}".strip()
    street = f" on {turn.street}" if turn.street else ""
    return (
        f"[{dialog.category}] {dialog.id} turn {number} {item.question!r}: expected "
        f"{expected}{street}, got {reply.outcome} {got} ({reply.reason_label}); understood "
        f"{reply.understood!r}"
    )


def dialog_ablation_table(baseline: DialogReport, without: dict[str, DialogReport]) -> str:
    """What each follow-up rule earns: follow-up turns and whole dialogs right with every
    rule on, and the change when one is switched off."""
    # as wide as the longest rule's name ("unstated_detail_of_it"), the columns aligned
    width = max([18, *(len(rule) + 2 for rule in without)])
    lines = [f"{'rule off':<{width}}{'follow-up turns':>18}{'dialogs':>12}"]

    def shares(report: DialogReport) -> tuple[float, float]:
        (turns, of_turns), (dialogs, of_dialogs) = report.turns(follow_ups=True), report.dialogs()
        return turns / max(of_turns, 1), dialogs / max(of_dialogs, 1)

    turns, dialogs = shares(baseline)
    lines.append(f"{'(none)':<{width}}{turns:>18.1%}{dialogs:>12.1%}")
    for rule, report in without.items():
        rule_turns, rule_dialogs = shares(report)
        change = f"{rule_turns - turns:>+18.1%}{rule_dialogs - dialogs:>+12.1%}"
        lines.append(f"{rule:<{width}}{change}")
    lines.append("A rule earns its place when switching it off costs follow-up turns or dialogs.")
    return "\n".join(lines)
