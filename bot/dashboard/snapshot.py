"""The dashboard's database: a snapshot of the question log holding only what curators may
see (masked questions, outcomes, missed groups, 👎 by entry, entries never asked or not
reviewed), rebuilt from the log on a timer.

Datasette serves this file, not the log: no page and no SQL query can reach a user key,
a chat id or an unmasked number, because none is copied here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.curation.groups import MissedGroup, missed_groups
from bot.knowledge.loading import KnowledgeBase
from bot.store.dashboard_queries import dashboard_rows
from bot.store.question_log import Store

ANSWERED = ("answer", "intent")
TREND_GROUPS = 5  # the groups whose days the trend chart draws
TREND_DAYS = 28
_QUESTION = dict.fromkeys(("id", "time", "day", "channel", "chat_kind", "outcome"), str)
COLUMNS: dict[str, dict[str, type]] = {
    "questions": {
        **_QUESTION,
        **dict.fromkeys(("entry_id", "intent"), str),
        "score": float,
        **dict.fromkeys(("reason", "text", "group_id"), str),
    },
    "per_day": {
        "day": str,
        **dict.fromkeys(("questions", "answered", "clarified", "missed", "askers"), int),
        "answer_rate": float,
    },
    "missed_groups": {
        **dict.fromkeys(("id", "label"), str),
        **dict.fromkeys(("questions", "this_week", "last_week"), int),
        **dict.fromkeys(("first_seen", "last_seen", "examples"), str),
    },
    "missed_group_days": {"group_id": str, "label": str, "day": str, "questions": int},
    "down_votes": dict.fromkeys(("time", "entry_id", "question", "entry_question"), str),
    "entries": {
        **dict.fromkeys(("id", "question", "kind", "street", "report", "reviewed"), str),
        **dict.fromkeys(("days_since_review", "asked"), int),
        "last_asked": str,
        "down_votes": int,
    },
}


def _day(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).date().isoformat()


def per_day(questions: Sequence[dict[str, Any]], askers: dict[str, int]) -> list[dict[str, Any]]:
    """Questions, answered, clarified, missed and askers for each day (UTC)."""
    days: dict[str, Counter[str]] = {}
    for row in questions:
        counts = days.setdefault(row["day"], Counter())
        counts["questions"] += 1
        outcome = row["outcome"]
        counts["answered" if outcome in ANSWERED else outcome] += 1
    return [
        {
            "day": day,
            "questions": c["questions"],
            "answered": c["answered"],
            "clarified": c["clarify"],
            "missed": c["miss"],
            "askers": askers.get(day, 0),
            "answer_rate": round(c["answered"] / c["questions"], 4),
        }
        for day, c in sorted(days.items())
    ]


def group_rows(groups: Sequence[MissedGroup], now: datetime) -> list[dict[str, Any]]:
    """One row per open missed group: its label, counts this week and the week before."""
    this_week, last_week = _day(now - timedelta(days=7)), _day(now - timedelta(days=14))
    rows = []
    for group in groups:
        days = [q.time[:10] for q in group.questions]
        rows.append(
            {
                "id": group.id,
                "label": group.label,
                "questions": group.count,
                "this_week": sum(d > this_week for d in days),
                "last_week": sum(last_week < d <= this_week for d in days),
                "first_seen": group.first_seen,
                "last_seen": group.last_seen,
                "examples": " / ".join(group.examples),
            }
        )
    return rows


def trend_rows(groups: Sequence[MissedGroup], now: datetime) -> list[dict[str, Any]]:
    """Questions a day over the last four weeks for the groups most asked this week."""
    start = _day(now - timedelta(days=TREND_DAYS))
    since = _day(now - timedelta(days=7))
    recent = sorted(groups, key=lambda g: -sum(q.time[:10] > since for q in g.questions))[
        :TREND_GROUPS
    ]
    rows = []
    for group in recent:
        counts = Counter(q.time[:10] for q in group.questions if q.time[:10] > start)
        first = date.fromisoformat(start)
        for offset in range(1, TREND_DAYS + 1):
            day = (first + timedelta(days=offset)).isoformat()
            rows.append(
                {"group_id": group.id, "label": group.label, "day": day, "questions": counts[day]}
            )
    return rows


def entry_rows(
    kb: KnowledgeBase, questions: Sequence[dict[str, Any]], down: Counter[str], now: datetime
) -> list[dict[str, Any]]:
    """Every entry: how often it answered, when last, its 👎, and its report's date (the
    last time its text was reviewed against a published report)."""
    asked = Counter(q["entry_id"] for q in questions if q["outcome"] == "answer")
    last: dict[str, str] = {}
    for q in questions:
        if q["outcome"] == "answer" and q["entry_id"]:
            last[q["entry_id"]] = q["time"]
    rows = []
    for entry in kb.entries.values():
        report = kb.reports.get(entry.report)
        reviewed = report.date if report is not None else None
        age = (now.date() - date.fromisoformat(reviewed)).days if reviewed else None
        rows.append(
            {
                "id": entry.id,
                "question": entry.question,
                "kind": entry.kind,
                "street": entry.street,
                "report": entry.report,
                "reviewed": reviewed,
                "days_since_review": age,
                "asked": asked[entry.id],
                "last_asked": last.get(entry.id),
                "down_votes": down[entry.id],
            }
        )
    return rows


def build(store: Store, kb: KnowledgeBase, path: Path, now: datetime | None = None) -> Path:
    """Write the snapshot at ``path`` (replacing its tables in one transaction)."""
    now = now or datetime.now(timezone.utc)
    with store.reader() as log:
        rows = dashboard_rows(log)
    groups = missed_groups(store)
    member = {q.id: g.id for g in groups for q in g.questions}
    for row in rows["questions"]:
        row["group_id"] = member.get(row["id"])
    entries = kb.entries
    down_votes = [
        {**v, "entry_question": entries[v["entry_id"]].question if v["entry_id"] in entries else ""}
        for v in rows["down_votes"]
    ]
    askers = {r["day"]: r["askers"] for r in rows["askers"]}
    tables: dict[str, tuple[list[dict[str, Any]], str | None]] = {
        "questions": (rows["questions"], "id"),
        "per_day": (per_day(rows["questions"], askers), "day"),
        "missed_groups": (group_rows(groups, now), "id"),
        "missed_group_days": (trend_rows(groups, now), None),
        "down_votes": (down_votes, None),
        "entries": (
            entry_rows(kb, rows["questions"], Counter(v["entry_id"] for v in down_votes), now),
            "id",
        ),
    }
    _write(path, tables, now)
    return path


def _write(
    path: Path, tables: dict[str, tuple[list[dict[str, Any]], str | None]], now: datetime
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    try:
        db.execute("PRAGMA journal_mode=WAL")  # Datasette reads while the timer rewrites
        db.execute("BEGIN IMMEDIATE")  # readers see the old tables or the new, never none
        for name, (rows, pk) in tables.items():
            db.execute(f"DROP TABLE IF EXISTS [{name}]")
            # An empty table still exists with its columns: the dashboard's queries run.
            db.table(name).create(COLUMNS[name], pk=pk)
            db.table(name).insert_all(rows)
        db.execute("DROP TABLE IF EXISTS built")
        db.table("built").insert({"at": now.isoformat(timespec="seconds")})
        db.execute("COMMIT")
    except BaseException:
        db.conn.rollback()
        raise
    finally:
        db.close()
