"""End to end, against the fake Bot API: one missed question from the resident's message
to the curator's answer to the resident's notification, with the real Application, the
real Store (SQLite in tmp_path) and a copy of the knowledge files.
"""

from __future__ import annotations

from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import CURATOR_ID, Call, FakeBotApi

from bot.config import Settings
from bot.curation.service import missed_groups
from bot.engine.messages import SORRY
from bot.store.question_log import Store

pytestmark = pytest.mark.slow  # curator conversations end to end

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
    store: Store = bot.bot_data.store

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
    # The tap shows the entry's answer first; the next tap attaches.
    attach = next(data for _, data in group.buttons if data.startswith("m:a:"))
    entry_id = attach.rsplit(":", 1)[1]
    preview = await curator_tap(fake_api, attach, group, "sendMessage")
    confirm = next(data for _, data in preview.buttons if data.startswith("m:c:"))
    mark = fake_api.mark()
    fake_api.tap(confirm, fake_api.bot_message(preview), user_id=CURATOR)
    edited = await fake_api.wait_for("editMessageText", after=mark)
    assert "已归入" in edited.text

    # 4. The resident is told, once, with the entry's answer.
    told = await fake_api.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == RESIDENT, after=mark
    )
    answer = bot.bot_data.engine.kb.entries[entry_id].answer
    assert "现在有答案了" in told.text and answer[:20] in told.text
    assert missed_groups(store) == []

    # The answer was written next to the database; faq/ is only read.
    assert entry_id in settings.curated_path.read_text(encoding="utf-8")
    assert settings.curated_path.parent == settings.db_path.parent
    assert not (settings.root / "faq" / "curated.yaml").exists()

    # 5. The same question is now answered, by the engine the curator's tap swapped in.
    again = await say(fake_api, QUESTION, RESIDENT)
    assert answer[:20] in again.text
    assert len([c for c in fake_api.sent(RESIDENT) if "现在有答案了" in c.text]) == 1
    assert store.pending_notifications() == []


@pytest.fixture
async def bot_that_cannot_write(curator_settings: Settings, tmp_path: Path) -> Any:
    """The curator bot with a curated file that cannot be written: its directory is a
    file (which stops root too, unlike a read-only mode)."""
    from fake_bot_api import running

    from bot.engine.answering import Engine
    from bot.telegram.application import build_application
    from bot.telegram.curators import curator_handlers

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    settings = replace(curator_settings, curated=blocker / "curated.yaml")
    store = Store(settings.db_path).open()
    application = build_application(
        settings, Engine.load(settings.root), store, extra_handlers=curator_handlers()
    )
    async with running(application):
        yield application


async def test_a_tap_that_cannot_write_says_why_once(
    bot_that_cannot_write: Any, fake_api: FakeBotApi
) -> None:
    """ "→ entry" when the curated file cannot be written: the tap is answered once, the
    curator reads what failed and what to do, no apology, and the group stays open."""
    bot = bot_that_cannot_write
    store: Store = bot.bot_data.store
    engine = bot.bot_data.engine
    await say(fake_api, QUESTION, RESIDENT)
    assert store.flush()
    mark = fake_api.mark()
    fake_api.message("/missed", user_id=CURATOR)
    group = await fake_api.wait_for(
        "sendMessage", lambda c: any(d.startswith("m:a:") for _, d in c.buttons), after=mark
    )
    attach = next(data for _, data in group.buttons if data.startswith("m:a:"))
    preview = await curator_tap(fake_api, attach, group, "sendMessage")
    confirm = next(data for _, data in preview.buttons if data.startswith("m:c:"))
    mark = fake_api.mark()
    fake_api.tap(confirm, fake_api.bot_message(preview), user_id=CURATOR)
    said = await fake_api.wait_for("sendMessage", after=mark)
    await say(fake_api, "谢谢", CURATOR)  # the curator's chat is handled in order
    assert said.text.startswith("未能处理") and "POLICYBOT_CURATED" in said.text, said.text
    assert len(fake_api.requests("answerCallbackQuery")) == 2  # the two taps, once each
    assert SORRY not in [c.text for c in fake_api.sent(CURATOR)]
    assert bot.bot_data.engine is engine
    assert len(missed_groups(store)) == 1


async def curator_listing(api: FakeBotApi) -> Call:
    mark = api.mark()
    api.message("/missed", user_id=CURATOR)
    return await api.wait_for(
        "sendMessage", lambda c: any(d.startswith("m:a:") for _, d in c.buttons), after=mark
    )


async def curator_tap(api: FakeBotApi, data: str, message: Call, method: str) -> Call:
    mark = api.mark()
    api.tap(data, api.bot_message(message), user_id=CURATOR)
    return await api.wait_for(method, after=mark)


async def test_an_unrelated_entry_is_shown_and_attached_only_once_confirmed(
    bot: Any, fake_api: FakeBotApi, settings: Settings
) -> None:
    """ "公积金怎么提取" and its first suggestion, 一园一策: the tap shows the entry's answer
    and that they share little; 取消 attaches nothing; only 仍然归入 does."""
    store: Store = bot.bot_data.store
    await say(fake_api, "公积金怎么提取", RESIDENT)
    assert store.flush()
    listing = await curator_listing(fake_api)
    attach = next(data for _, data in listing.buttons if data.startswith("m:a:"))
    entry = bot.bot_data.engine.kb.entries[attach.rsplit(":", 1)[1]]
    preview = await curator_tap(fake_api, attach, listing, "sendMessage")
    assert entry.answer in unescape(preview.text) and "几乎没有共同之处" in preview.text
    assert len(missed_groups(store)) == 1 and not settings.curated_path.exists()

    cancelled = await curator_tap(fake_api, preview.data_for("取消"), preview, "editMessageText")
    assert "未归入" in cancelled.text and "reply_markup" not in cancelled.params
    assert len(missed_groups(store)) == 1 and not settings.curated_path.exists()

    preview = await curator_tap(fake_api, attach, listing, "sendMessage")
    done = await curator_tap(fake_api, preview.data_for("仍然归入"), preview, "editMessageText")
    assert "已归入" in done.text
    assert missed_groups(store) == [] and entry.id in settings.curated_path.read_text()
    answered = [c.params["callback_query_id"] for c in fake_api.requests("answerCallbackQuery")]
    assert len(answered) == len(set(answered)) == 4  # four taps, each answered once
