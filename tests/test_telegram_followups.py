"""Follow-up questions in Telegram, end to end against the fake Bot API: the real
Application and a real SQLite store, so that a conversation survives a restart."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from html import unescape
from typing import Any

import pytest
from fake_bot_api import Call, FakeBotApi, running

from bot.config import Settings
from bot.engine.answering import Engine
from bot.store.question_log import Store
from bot.telegram.application import build_application

pytestmark = pytest.mark.slow  # bots end to end

RESIDENT, NEIGHBOUR = 2002, 2003
FIRST = "坪山街道整治了多少家散乱污企业"


@pytest.fixture
async def bot(tg_settings: Settings, tg_engine: Engine) -> AsyncIterator[Any]:
    store = Store(tg_settings.db_path).open()
    async with running(build_application(tg_settings, tg_engine, store)) as application:
        yield application


def plain(call: Call) -> str:
    """A message's text as the user reads it (tags dropped, entities read)."""
    return unescape(re.sub(r"<[^>]+>", "", call.text))


async def say(
    api: FakeBotApi, text: str, user: int = RESIDENT, chat: dict[str, Any] | None = None
) -> Call:
    mark = api.mark()
    api.message(text, user_id=user, chat=chat)
    return await api.wait_for("sendMessage", after=mark)


async def test_another_street_is_asked_of_its_report_and_says_what_was_understood(
    bot: Any, fake_api: FakeBotApi
) -> None:
    first = await say(fake_api, FIRST)
    assert "194家" in first.text
    second = await say(fake_api, "那观湖呢")
    text = plain(second)
    assert text.startswith("观湖街道：") and "194家" not in text  # never 坪山's answer


async def test_a_number_after_a_clarify_picks_that_option(bot: Any, fake_api: FakeBotApi) -> None:
    clarify = await say(fake_api, "公园")
    (label, _), *_ = clarify.buttons
    picked = await say(fake_api, "1")
    assert plain(picked).startswith(label)  # what was understood comes first
    assert "没有找到" not in picked.text


async def test_a_tapped_option_is_what_the_next_follow_up_is_about(
    bot: Any, fake_api: FakeBotApi
) -> None:
    clarify = await say(fake_api, "公园")
    mark = fake_api.mark()
    fake_api.tap(clarify.buttons[0][1], fake_api.bot_message(clarify), user_id=RESIDENT)
    await fake_api.wait_for("sendMessage", after=mark)
    detail = await say(fake_api, "具体有哪些")
    assert plain(detail).startswith("观湖要建哪些新公园")


async def test_in_a_group_each_member_has_their_own_conversation(
    bot: Any, fake_api: FakeBotApi
) -> None:
    group = FakeBotApi.group()
    mention = f"@{bot.bot.username} "
    await say(fake_api, mention + FIRST, chat=group)
    stranger = await say(fake_api, mention + "那观湖呢", user=NEIGHBOUR, chat=group)
    assert not plain(stranger).startswith("观湖街道：")
    asker = await say(fake_api, mention + "那观湖呢", chat=group)
    assert plain(asker).startswith("观湖街道：")


async def test_start_begins_a_new_conversation(bot: Any, fake_api: FakeBotApi) -> None:
    await say(fake_api, FIRST)
    await say(fake_api, "/start")
    after = await say(fake_api, "那观湖呢")
    assert not plain(after).startswith("观湖街道：")


async def test_a_conversation_survives_a_restart(
    tg_settings: Settings, tg_engine: Engine, fake_api: FakeBotApi
) -> None:
    store = Store(tg_settings.db_path).open()
    async with running(build_application(tg_settings, tg_engine, store)):
        await say(fake_api, FIRST)
    store = Store(tg_settings.db_path).open()  # a new process would open it afresh
    async with running(build_application(tg_settings, tg_engine, store)):
        after = await say(fake_api, "那观湖呢")
    assert plain(after).startswith("观湖街道：")
    with store.reader() as db:
        (row,) = list(db.query("SELECT key, state FROM conversations"))
    assert str(RESIDENT) not in row["key"]
    assert "观湖" in row["state"]
    # The follow-up is logged as it was understood, for the curators.
    with store.reader() as db:
        texts = [r["text"] for r in db.query("SELECT text FROM questions ORDER BY time")]
    assert texts[-1].startswith("观湖街道：")


async def test_a_conversation_quiet_for_ten_minutes_starts_afresh(
    bot: Any, fake_api: FakeBotApi
) -> None:
    await say(fake_api, FIRST)
    store: Store = bot.bot_data.store
    key = f"p:{store.user_key(RESIDENT)}"
    state = json.loads(store.conversation(key) or "{}")
    assert state["question"] == FIRST
    state["time"] -= 11 * 60  # as if the resident had gone quiet eleven minutes ago
    store.save_conversation(key, json.dumps(state, ensure_ascii=False))
    after = await say(fake_api, "那观湖呢")
    assert not plain(after).startswith("观湖街道：")
