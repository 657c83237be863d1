"""A scratch question log for the dashboard and digest tests: a few hundred questions over
four weeks (answered, clarified, missed in groups), 👎 votes, user keys and chat ids."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlite_utils

from bot.store.question_log import Store

MISSED = [
    ["社保怎么交", "社保怎么缴费", "社保怎么交费"],
    ["打疫苗去哪", "疫苗接种点在哪", "哪里打疫苗"],
    ["公积金怎么提取", "怎么提取公积金"],
    ["养狗要办证吗"],
]
ANSWERED = [("ps-childcare-centre", "托儿所在哪"), ("gh-p-parking", "观湖有没有停车场")]
SECRET_CHAT_ID = 987654321  # must appear on no page
PHONE = "13812345678"  # logged masked, as the bot logs it: never shown unmasked


def fill(path: Path, questions: int = 300, now: datetime | None = None) -> Path:
    """The log at ``path`` with ``questions`` questions spread over the last 28 days."""
    Store(path).open().close()  # the schema
    now = now or datetime.now(timezone.utc)
    rng = random.Random(16)
    db = sqlite_utils.Database(path)
    rows, votes = [], []
    for number in range(questions):
        when = now - timedelta(days=rng.random() * 27.5)
        roll = rng.random()
        if roll < 0.55:
            entry, text = rng.choice(ANSWERED)
            outcome = "answer"
        elif roll < 0.7:
            entry, text, outcome = None, "补贴", "clarify"
        else:
            # the most recent days lean on the first group: it tops the week
            group = MISSED[0] if when > now - timedelta(days=7) and rng.random() < 0.5 else None
            entry, text, outcome = None, rng.choice(group or rng.choice(MISSED)), "miss"
        question_id = f"{number:04x}" + "a" * 28
        rows.append(
            {
                "id": question_id,
                "time": when.isoformat(timespec="milliseconds"),
                "channel": "telegram",
                "chat_kind": "private",
                "user_key": f"u{number % 40:03d}",
                "text": text,
                "normalized": text,
                "outcome": outcome,
                "entry_id": entry,
                "reason": "low score" if outcome == "miss" else None,
            }
        )
        if outcome == "answer" and number % 9 == 0:
            votes.append(
                {
                    "id": f"v{number}",
                    "time": rows[-1]["time"],
                    "question_id": question_id,
                    "user_key": rows[-1]["user_key"],
                    "entry_id": entry,
                    "vote": "down",
                }
            )
    db.table("questions").insert_all(rows)
    db.table("votes").insert_all(votes)
    db.table("notifications").insert(
        {
            "id": "n1",
            "time": rows[0]["time"],
            "question_id": rows[0]["id"],
            "user_key": "u000",
            "chat_id": SECRET_CHAT_ID,
            "sent_at": None,
        }
    )
    db.close()
    return path
