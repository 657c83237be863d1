"""Follow-up questions in Telegram, end to end against the fake Bot API: the real
Application and a real SQLite store, so that a conversation survives a restart."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fake_bot_api import FakeBotApi, running

from bot.config import Settings
from bot.engine.answering import Engine
from bot.store.question_log import Store
from bot.telegram.application import build_application

pytestmark = pytest.mark.slow  # bots end to end

RESIDENT, NEIGHBOUR = 2002, 2003
FIRST = "坪山街道整治了多少家散乱污企业"


async def test_another_street_is_asked_of_its_report_and_says_what_was_understood(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    first = await fake_api.say(FIRST, user_id=RESIDENT)
    assert "194家" in first.text
    second = await fake_api.say("那观湖呢", user_id=RESIDENT)
    text = second.plain
    assert text.startswith("观湖街道：") and "194家" not in text  # never 坪山's answer


async def test_a_street_mistyped_by_its_sound_is_that_street(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    await fake_api.say("坪山垃圾分类做得怎么样", user_id=RESIDENT)
    second = await fake_api.say("那观胡的呢", user_id=RESIDENT)
    # 观湖 as the input method offered it: understood, and answered from 观湖's report.
    assert second.plain.startswith("观湖街道：垃圾分类做得怎么样")
    assert "237个" not in second.text and "没有找到" not in second.text


async def test_a_number_after_a_clarify_picks_that_option(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    clarify = await fake_api.say("公园", user_id=RESIDENT)
    (label, _), *_ = clarify.buttons
    picked = await fake_api.say("1", user_id=RESIDENT)
    assert picked.plain.startswith(label)  # what was understood comes first
    assert "没有找到" not in picked.text


async def test_a_tapped_option_is_what_the_next_follow_up_is_about(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    clarify = await fake_api.say("公园", user_id=RESIDENT)
    mark = fake_api.mark()
    fake_api.tap(clarify.buttons[0][1], fake_api.bot_message(clarify), user_id=RESIDENT)
    await fake_api.wait_for("sendMessage", after=mark)
    detail = await fake_api.say("具体有哪些", user_id=RESIDENT)
    assert detail.plain.startswith("观湖要建哪些新公园")


async def test_in_a_group_each_member_has_their_own_conversation(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    group = FakeBotApi.group()
    mention = f"@{stored_bot.bot.username} "
    await fake_api.say(mention + FIRST, user_id=RESIDENT, chat=group)
    stranger = await fake_api.say(mention + "那观湖呢", user_id=NEIGHBOUR, chat=group)
    assert not stranger.plain.startswith("观湖街道：")
    asker = await fake_api.say(mention + "那观湖呢", user_id=RESIDENT, chat=group)
    assert asker.plain.startswith("观湖街道：")


async def test_start_begins_a_new_conversation(stored_bot: Any, fake_api: FakeBotApi) -> None:
    await fake_api.say(FIRST, user_id=RESIDENT)
    await fake_api.say("/start", user_id=RESIDENT)
    after = await fake_api.say("那观湖呢", user_id=RESIDENT)
    assert not after.plain.startswith("观湖街道：")


async def test_a_conversation_survives_a_restart(
    tg_settings: Settings, tg_engine: Engine, fake_api: FakeBotApi
) -> None:
    store = Store(tg_settings.db_path).open()
    async with running(build_application(tg_settings, tg_engine, store)):
        await fake_api.say(FIRST, user_id=RESIDENT)
    store = Store(tg_settings.db_path).open()  # a new process would open it afresh
    async with running(build_application(tg_settings, tg_engine, store)):
        after = await fake_api.say("那观湖呢", user_id=RESIDENT)
    assert after.plain.startswith("观湖街道：")
    with store.reader() as db:
        (row,) = list(db.query("SELECT key, state FROM conversations"))
    assert str(RESIDENT) not in row["key"]
    assert "观湖" in row["state"]
    # The follow-up is logged as it was understood, for the curators.
    with store.reader() as db:
        texts = [r["text"] for r in db.query("SELECT text FROM questions ORDER BY time")]
    assert texts[-1].startswith("观湖街道：")


async def test_a_conversation_quiet_for_ten_minutes_starts_afresh(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    await fake_api.say(FIRST, user_id=RESIDENT)
    store: Store = stored_bot.bot_data.store
    key = f"p:{store.user_key(RESIDENT)}"
    state = json.loads(store.conversation(key) or "{}")
    assert state["question"] == FIRST
    state["time"] -= 11 * 60  # as if the resident had gone quiet eleven minutes ago
    store.save_conversation(key, json.dumps(state, ensure_ascii=False))
    after = await fake_api.say("那观湖呢", user_id=RESIDENT)
    assert not after.plain.startswith("观湖街道：")


async def test_a_plan_asked_as_a_whole_offers_its_parts_as_buttons(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    outline = await fake_api.say("坪山2021年计划做什么", user_id=RESIDENT)
    labels = [label for label, _ in outline.buttons]
    assert "2021年工作计划" in outline.plain  # where it is told
    assert labels[0] == "慎终如始,毫不松懈抓好常态化疫情防控工作"  # as the report heads it
    mark = fake_api.mark()
    fake_api.tap(outline.buttons[1][1], fake_api.bot_message(outline), user_id=RESIDENT)
    part = await fake_api.wait_for("sendMessage", after=mark)
    # the part's headline, and the sentence after it that says what it is
    assert "一是加快拓展城市发展优质空间" in part.text and "征收拆迁" in part.text


async def test_a_report_passage_offered_by_a_clarify_can_be_tapped(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    # Tapping a passage had answered "this button's content has been updated": the button
    # handler knew only hand-written entries.
    clarify = await fake_api.say("坪山街道有几个党群服务中心", user_id=RESIDENT)
    tapped = next(data for _, data in clarify.buttons if data.startswith("a:psg-"))
    mark = fake_api.mark()
    fake_api.tap(tapped, fake_api.bot_message(clarify), user_id=RESIDENT)
    sent = await fake_api.wait_for("sendMessage", after=mark)
    assert "来源:坪山街道" in sent.plain and "e家党群服务中心" in sent.plain
