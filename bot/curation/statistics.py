"""The figures `policybot stats` shows: questions answered, per day and channel, top
entries, votes, open groups and notifications."""

from __future__ import annotations

from typing import Any

from bot.curation.groups import MissedGroup, missed_groups
from bot.engine.answering import Engine
from bot.store.clock import stamp
from bot.store.question_log import Store

ANSWERED = ("answer", "intent")


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def statistics(store: Store, engine: Engine | None = None, top: int = 10) -> dict[str, Any]:
    """Everything `policybot stats` shows, as one JSON-ready mapping."""
    counts = store.figures(top)
    per_day, top_entries, votes = counts["per_day"], counts["top_entries"], counts["votes"]
    total = sum(day["questions"] for day in per_day)
    answered = sum(day["answered"] or 0 for day in per_day)
    clarify = sum(day["clarify"] or 0 for day in per_day)
    miss = sum(day["miss"] or 0 for day in per_day)
    names = engine.kb.entries if engine else {}
    for row in (*top_entries, *votes):
        entry = names.get(row["entry_id"]) if row["entry_id"] else None
        row["question"] = entry.question if entry else None
    groups = missed_groups(store, None)[:top]
    return {
        "questions": total,
        "answered": answered,
        "answer_rate": _rate(answered, total),
        "clarify_rate": _rate(clarify, total),
        "miss_rate": _rate(miss, total),
        "channels": counts["channels"],
        "per_day": per_day,
        "top_entries": top_entries,
        "missed_groups": [
            {
                "id": g.id,
                "label": g.label,
                "count": g.count,
                "last_seen": g.last_seen,
                "example": g.examples[0],
            }
            for g in groups
        ],
        "votes": votes,
        "notifications": counts["notifications"],
        "generated_at": stamp(),
    }


def waiting_notifications(store: Store, group: MissedGroup) -> int:
    """How many askers in ``group`` asked to be told and have not been yet."""
    return store.waiting_notifications(q.id for q in group.questions)
