"""Handing a resident over to the street's staff, end to end against the fake Bot API: the
real Application, a real SQLite store and a staff chat (POLICYBOT_STAFF_CHAT)."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
import sqlite_utils
from fake_bot_api import STAFF_CHAT, Call, FakeBotApi, running

from bot.config import Settings
from bot.engine import messages as texts
from bot.engine.answering import Engine
from bot.store.question_log import Store
from bot.telegram.application import build_application

pytestmark = pytest.mark.slow  # several bots end to end

RESIDENT, NEIGHBOUR, STAFF_MEMBER = 2002, 2003, 3003
MISSED = "我电话13812345678,小区门口的共享单车太多了"


def staff_group() -> dict[str, Any]:
    return {"id": STAFF_CHAT, "type": "supergroup", "title": "街道工作人员群"}


@pytest.fixture
def bot(staffed_bot: Any) -> Any:
    return staffed_bot


async def say(api: FakeBotApi, text: str, user: int = RESIDENT) -> Call:
    mark = api.mark()
    api.message(text, user_id=user)
    return await api.wait_for("sendMessage", after=mark)


async def tap(api: FakeBotApi, data: str, carrier: Call, user: int = RESIDENT) -> Call:
    """Tap a button and wait for the tap's answer (the notice, if any, is its text)."""
    mark = api.mark()
    api.tap(data, api.bot_message(carrier), user_id=user)
    return await api.wait_for("answerCallbackQuery", after=mark)


async def hand_over(api: FakeBotApi, missed: Call, share: bool) -> tuple[Call, Call]:
    """From the button under a miss to the staff chat's message; (offer, staff message)."""
    mark = api.mark()
    api.tap(missed.data_for("转给工作人员"), api.bot_message(missed), user_id=RESIDENT)
    offer = await api.wait_for("sendMessage", after=mark)
    mark = api.mark()
    label = "Telegram 账号" if share else "不留联系方式"
    api.tap(offer.data_for(label), api.bot_message(offer), user_id=RESIDENT)
    posted = await api.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == STAFF_CHAT, after=mark
    )
    return offer, posted


async def test_a_missed_question_goes_to_the_staff_and_their_reply_comes_back_once(
    bot: Any, fake_api: FakeBotApi
) -> None:
    missed = await say(fake_api, MISSED)
    assert "没有找到" in missed.text
    offer, posted = await hand_over(fake_api, missed, share=False)

    # What would be passed on is shown first, masked; the staff get it masked too, with
    # no way to tell who asked.
    assert "13812345678" not in offer.text and "共享单车" in unescape(offer.text)
    assert "13812345678" not in posted.text and "共享单车" in unescape(posted.text)
    assert "tg://user" not in posted.text and "没有留下联系方式" in posted.text
    told = await fake_api.wait_for("sendMessage", lambda c: c.text == texts.HANDOVER_SENT, after=0)
    assert told.params["chat_id"] == RESIDENT

    # Someone else cannot pass the resident's question on, and the resident only once.
    notice = await tap(fake_api, offer.data_for("不留联系方式"), offer, user=NEIGHBOUR)
    assert notice.params.get("text") == texts.HANDOVER_NOT_YOURS
    notice = await tap(fake_api, offer.data_for("不留联系方式"), offer)
    assert notice.params.get("text") == texts.HANDOVER_ALREADY
    assert len(fake_api.sent(STAFF_CHAT)) == 1

    # A staff member replies to the bot's message: relayed to the resident, once.
    mark = fake_api.mark()
    fake_api.message(
        "您好,单车停放问题我们已转给社区,请留意。",
        user_id=STAFF_MEMBER,
        chat=staff_group(),
        reply_to=fake_api.bot_message(posted),
    )
    relayed = await fake_api.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == RESIDENT, after=mark
    )
    assert "已转给社区" in relayed.text and "不是报告原文" in relayed.text
    confirmed = await fake_api.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == STAFF_CHAT, after=mark
    )
    assert confirmed.text == texts.HANDOVER_RELAYED

    mark = fake_api.mark()
    fake_api.message(
        "补充一句", user_id=STAFF_MEMBER, chat=staff_group(), reply_to=fake_api.bot_message(posted)
    )
    again = await fake_api.wait_for("sendMessage", after=mark)
    assert again.params["chat_id"] == STAFF_CHAT and again.text == texts.HANDOVER_ANSWERED
    assert len([c for c in fake_api.sent(RESIDENT) if "补充一句" in c.text]) == 0

    # Both ends are on record, masked, and the resident's chat id is gone.
    store: Store = bot.bot_data.store
    with store.reader() as db:
        (row,) = list(db.query("SELECT * FROM handovers"))
    assert row["status"] == "answered" and row["delivered"] == 1 and row["chat_id"] is None
    assert "13812345678" not in row["question"] and "已转给社区" in row["reply"]
    assert row["replied_by"] and str(STAFF_MEMBER) not in row["replied_by"]


async def test_sharing_a_contact_shows_the_staff_who_asked(bot: Any, fake_api: FakeBotApi) -> None:
    missed = await say(fake_api, MISSED)
    _, posted = await hand_over(fake_api, missed, share=True)
    assert f'<a href="tg://user?id={RESIDENT}">' in posted.text


async def test_asking_for_a_person_offers_the_last_question(bot: Any, fake_api: FakeBotApi) -> None:
    first = await say(fake_api, "转人工")
    assert first.text == texts.HANDOVER_ASK_FIRST and not first.buttons
    await say(fake_api, MISSED)
    offer = await say(fake_api, "我要找工作人员")
    assert "共享单车" in unescape(offer.text) and "13812345678" not in offer.text
    assert any(data.startswith("h:s:") for _, data in offer.buttons)


async def test_the_staff_reply_button_prompts_a_reply_that_is_relayed(
    bot: Any, fake_api: FakeBotApi
) -> None:
    missed = await say(fake_api, MISSED)
    _, posted = await hand_over(fake_api, missed, share=False)
    mark = fake_api.mark()
    fake_api.tap(posted.data_for("回复居民"), fake_api.bot_message(posted), user_id=STAFF_MEMBER)
    prompt = await fake_api.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == STAFF_CHAT, after=mark
    )
    assert prompt.params["reply_markup"].get("force_reply") is True
    mark = fake_api.mark()
    fake_api.message(
        "可以到社区党群服务中心反映。",
        user_id=STAFF_MEMBER,
        chat=staff_group(),
        reply_to=fake_api.bot_message(prompt),
    )
    relayed = await fake_api.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == RESIDENT, after=mark
    )
    assert "社区党群服务中心" in relayed.text


async def test_a_staff_reply_to_an_unknown_tag_is_not_relayed(
    bot: Any, fake_api: FakeBotApi
) -> None:
    other_bot_message = {
        "message_id": 1,
        "date": 0,
        "chat": staff_group(),
        "from": {"id": 42, "is_bot": True, "first_name": "另一个机器人"},
        "text": "转交 #h0a1b2c3d",
    }
    mark = fake_api.mark()
    fake_api.message("回复", user_id=STAFF_MEMBER, chat=staff_group(), reply_to=other_bot_message)
    answer = await fake_api.wait_for("sendMessage", after=mark)
    assert answer.text == texts.HANDOVER_UNKNOWN
    assert fake_api.sent(RESIDENT) == []


async def test_without_a_staff_chat_no_person_is_promised(
    tg_settings: Settings, tg_engine: Engine, fake_api: FakeBotApi
) -> None:
    store = Store(tg_settings.db_path).open()
    async with running(build_application(tg_settings, tg_engine, store)):
        missed = await say(fake_api, MISSED)
        assert not any(data.startswith("h:") for _, data in missed.buttons)
        human = await say(fake_api, "转人工")
    assert "没有工作人员在线" in human.text and "行政服务大厅" in human.text
    assert not human.buttons or not any(d.startswith("h:") for _, d in human.buttons)
    db = sqlite_utils.Database(tg_settings.db_path)
    assert db["handovers"].count == 0
