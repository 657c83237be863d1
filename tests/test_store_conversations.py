"""Conversation state in the store (bot/store/conversations.py) on a real SQLite file:
kept across a restart, masked, forgotten; the store never reads what is inside."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.store.conversations import masked_state
from bot.store.question_log import Store

STATE = json.dumps({"v": 1, "question": "坪山垃圾分类做得怎么样", "answered": ["ps-garbage"]})


def stored(path: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT key, state FROM conversations ORDER BY key").fetchall()


def test_a_conversation_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "policybot.db"
    with Store(path) as store:
        assert store.conversation("chat:1") is None
        store.save_conversation("chat:1", STATE)
        assert json.loads(store.conversation("chat:1") or "") == json.loads(STATE)
    with Store(path) as store:
        assert json.loads(store.conversation("chat:1") or "") == json.loads(STATE)
        assert store.conversation("chat:2") is None


def test_saving_again_replaces_and_forgetting_removes(tmp_path: Path) -> None:
    path = tmp_path / "policybot.db"
    with Store(path) as store:
        store.save_conversation("k", STATE)
        store.save_conversation("k", json.dumps({"v": 1, "question": "那观湖呢"}))
        store.save_conversation("other", STATE)
        store.forget_conversation("other")
        assert store.conversation("other") is None
    assert [key for key, _ in stored(path)] == ["k"]
    with Store(path) as store:
        assert json.loads(store.conversation("k") or "")["question"] == "那观湖呢"


def test_personal_data_is_masked_before_it_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "policybot.db"
    state = json.dumps({"question": "我手机13812345678,托育中心在哪", "time": 1.7e9})
    with Store(path) as store:
        store.save_conversation("k", state)
        store.save_conversation("plain", "not json: 邮箱 a.b@example.com")
    rows = dict(stored(path))
    assert "13812345678" not in rows["k"] and json.loads(rows["k"])["time"] == 1.7e9
    assert "example.com" not in rows["plain"]


def test_masking_keeps_the_json_a_json() -> None:
    state = json.dumps({"question": "13812345678", "answered": ["x", "13912345678"], "t": 1})
    masked = json.loads(masked_state(state))
    assert "13812345678" not in masked["question"] and masked["t"] == 1
    assert masked["answered"][0] == "x" and "13912345678" not in masked["answered"][1]
