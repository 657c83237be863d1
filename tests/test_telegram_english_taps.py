"""After an English exchange, everything the bot itself says is English, end to end
against the fake Bot API: tap notices, a stale or forged button, the handover (the staff
side stays Chinese), a sticker, a notification sent later; a Chinese user keeps Chinese.

Taps come from a user whose Telegram is in Chinese: the English comes from the question
they asked (bot.telegram.language ``interface_language``)."""

from __future__ import annotations

from dataclasses import replace
from html import unescape
from typing import Any

import pytest
from fake_bot_api import STAFF_CHAT, Call, FakeBotApi

from bot.engine import messages, messages_en
from bot.engine.answering import Engine
from bot.store.records import Notification
from bot.telegram.callbacks import vote_data
from bot.telegram.curators import notification_text

pytestmark = pytest.mark.slow  # bots end to end

RESIDENT, STAFF_MEMBER = 2002, 3003
CHILDCARE_EN = "Is there childcare for a two-year-old?"
CHILDCARE_ZH = "孩子两岁有托育服务吗"
MISSED_EN = "Can you help me fix my broken washing machine? call me at 13812345678"
STICKER = {
    "sticker": {
        **{"file_id": "s1", "file_unique_id": "u1", "type": "regular"},
        **{"width": 512, "height": 512, "is_animated": False, "is_video": False},
    }
}


async def say(
    api: FakeBotApi, text: str | None, language_code: str = "zh-hans", **fields: Any
) -> Call:
    mark = api.mark()
    api.message(text, user_id=RESIDENT, language_code=language_code, **fields)
    return await api.wait_for("sendMessage", after=mark)


async def tap(api: FakeBotApi, data: str, carrier: Call) -> str:
    """Tap a button under ``carrier``; the notice the tap was answered with ("" if none)."""
    mark = api.mark()
    api.tap(data, api.bot_message(carrier), user_id=RESIDENT)
    answer = await api.wait_for("answerCallbackQuery", after=mark)
    return str(answer.params.get("text", ""))


async def test_an_english_user_votes_and_reads_the_thanks_in_english(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    answer = await say(fake_api, CHILDCARE_EN)
    notice = await tap(fake_api, answer.data_for(messages_en.VOTE_UP), answer)
    assert notice == messages_en.VOTE_THANKS["up"]


async def test_an_english_user_taps_a_stale_and_a_forged_button(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    answer = await say(fake_api, CHILDCARE_EN)
    question_id = answer.data_for(messages_en.VOTE_UP).split(":")[2]
    stale = vote_data("up", question_id, "ps-removed-by-a-reload")
    assert await tap(fake_api, stale, answer) == messages_en.STALE
    assert await tap(fake_api, "zz:forged", answer) == messages_en.TAMPERED


async def test_a_chinese_user_keeps_chinese_notices(stored_bot: Any, fake_api: FakeBotApi) -> None:
    answer = await say(fake_api, CHILDCARE_ZH)
    notice = await tap(fake_api, answer.data_for(messages.VOTE_UP), answer)
    assert notice == messages.VOTE_THANKS["up"]
    assert await tap(fake_api, "zz:forged", answer) == messages.TAMPERED
    sticker = await say(fake_api, None, **STICKER)
    assert sticker.plain == messages.NOT_TEXT.format(kind="贴纸")


async def test_a_sticker_is_answered_in_english_after_english_or_from_an_english_telegram(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    first = await say(fake_api, None, language_code="en-US", **STICKER)
    assert first.plain == messages_en.NOT_TEXT.format(kind="stickers")
    await say(fake_api, CHILDCARE_EN)  # a Chinese Telegram, but the question was English
    after = await say(fake_api, None, **STICKER)
    assert after.plain == messages_en.NOT_TEXT.format(kind="stickers")
    assert (await say(fake_api, "/lang zh")).plain == messages.LANGUAGE_SET
    chosen = await say(fake_api, None, language_code="en-US", **STICKER)
    assert chosen.plain == messages.NOT_TEXT.format(kind="贴纸")  # the choice comes first


async def test_an_english_handover_round_trip(staffed_bot: Any, fake_api: FakeBotApi) -> None:
    asked_first = await say(fake_api, "talk to a person")
    assert asked_first.plain == messages_en.HANDOVER_ASK_FIRST
    missed = await say(fake_api, MISSED_EN)
    mark = fake_api.mark()
    fake_api.tap(
        missed.data_for(messages_en.HANDOVER_BUTTON), fake_api.bot_message(missed), user_id=RESIDENT
    )
    offer = await fake_api.wait_for("sendMessage", after=mark)
    assert offer.plain.startswith("I can pass this question") and "13812345678" not in offer.text
    assert offer.labels == [messages_en.HANDOVER_SEND_BUTTON, messages_en.HANDOVER_SHARE_BUTTON]

    mark = fake_api.mark()
    fake_api.tap(
        offer.data_for(messages_en.HANDOVER_SEND_BUTTON),
        fake_api.bot_message(offer),
        user_id=RESIDENT,
    )
    posted = await fake_api.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == STAFF_CHAT, after=mark
    )
    assert messages.HANDOVER_STAFF_ANONYMOUS in posted.text and "居民问题" in posted.text
    sent = await fake_api.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == RESIDENT, after=mark
    )
    assert sent.plain == messages_en.HANDOVER_SENT

    mark = fake_api.mark()
    fake_api.message(
        "您好,请联系社区。",
        user_id=STAFF_MEMBER,
        chat={"id": STAFF_CHAT, "type": "supergroup", "title": "街道工作人员群"},
        reply_to=fake_api.bot_message(posted),
    )
    relayed = await fake_api.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == RESIDENT, after=mark
    )
    assert (
        relayed.plain.startswith("The subdistrict staff replied") and "请联系社区" in relayed.plain
    )
    assert "not text of the reports" in relayed.plain
    confirmed = await fake_api.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == STAFF_CHAT, after=mark
    )
    assert confirmed.text == messages.HANDOVER_RELAYED


async def test_a_notification_is_sent_in_the_askers_language(tg_engine: Engine) -> None:
    asked = Notification("n1", "q1", 1, "childcare?", "ps-childcare-centre", "g1", language="en")
    english = unescape(notification_text(tg_engine, asked) or "")
    assert english.startswith('You asked earlier: "childcare?"')
    assert messages_en.TRANSLATION_LABEL in english
    chinese = unescape(notification_text(tg_engine, replace(asked, language="")) or "")
    assert chinese.startswith("您之前问过") and messages_en.TRANSLATION_LABEL not in chinese
