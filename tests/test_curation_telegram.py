"""End to end, against the fake Bot API: one missed question from the resident's message
to the curator's answer to the resident's notification, with the real Application, the
real Store (SQLite in tmp_path) and a copy of the knowledge files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import CURATOR_ID, Call, FakeBotApi

from bot.config import Settings
from bot.curation import missed_groups
from bot.storage import Store

ROOT = Path(__file__).resolve().parents[1]
CURATOR, RESIDENT = CURATOR_ID, 2002
QUESTION = "谁帮我白天照看小娃娃"


@pytest.fixture
def settings(curator_settings: Settings) -> Settings:
    return curator_settings


@pytest.fixture
def bot(curator_bot: Any) -> Any:
    return curator_bot


async def say(api: FakeBotApi, text: str, user: int) -> Call:
    mark = api.mark()
    api.message(text, user_id=user)
    return await api.wait_for("sendMessage", after=mark)


async def test_missed_question_to_curator_answer_to_notification(
    bot: Any, fake_api: FakeBotApi, settings: Settings
) -> None:
    store: Store = bot.bot_data["store"]

    # 1. A resident asks something the reports' entries do not cover, and asks to be told.
    missed = await say(fake_api, QUESTION, RESIDENT)
    notify = next(data for _, data in missed.buttons if data.startswith("n:"))
    mark = fake_api.mark()
    fake_api.tap(notify, fake_api.bot_message(missed), user_id=RESIDENT)
    await fake_api.wait_for("answerCallbackQuery", after=mark)
    assert store.flush()

    # 2. Someone who is not a curator cannot see the list.
    refused = await say(fake_api, "/missed", RESIDENT)
    assert "只供内容维护人员" in refused.text

    # 3. The curator lists the missed groups and attaches this one to a suggested entry.
    mark = fake_api.mark()
    fake_api.message("/missed", user_id=CURATOR)
    group = await fake_api.wait_for(
        "sendMessage", lambda c: any(d.startswith("m:a:") for _, d in c.buttons), after=mark
    )
    assert QUESTION in group.text
    attach = next(data for _, data in group.buttons if data.startswith("m:a:"))
    entry_id = attach.rsplit(":", 1)[1]
    mark = fake_api.mark()
    fake_api.tap(attach, fake_api.bot_message(group), user_id=CURATOR)
    edited = await fake_api.wait_for("editMessageText", after=mark)
    assert "已归入" in edited.text

    # 4. The resident is told, once, with the entry's answer.
    told = await fake_api.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == RESIDENT, after=mark
    )
    answer = bot.bot_data["engine"].kb.entries[entry_id].answer
    assert "现在有答案了" in told.text and answer[:20] in told.text
    assert missed_groups(store) == []

    # 5. The same question is now answered, by the engine the curator's tap swapped in.
    again = await say(fake_api, QUESTION, RESIDENT)
    assert answer[:20] in again.text
    assert len([c for c in fake_api.sent(RESIDENT) if "现在有答案了" in c.text]) == 1
    assert store.pending_notifications() == []
