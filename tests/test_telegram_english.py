"""English in Telegram, end to end against the fake Bot API: an English question, /lang
(kept across a restart), a user whose Telegram is in English, the English command menu,
and /term and inline mode by a term's English name."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fake_bot_api import Call, FakeBotApi, running

from bot.config import Settings
from bot.engine import messages, messages_en
from bot.engine.answering import Engine
from bot.store.question_log import Store
from bot.telegram.application import build_application

pytestmark = pytest.mark.slow  # bots end to end

RESIDENT = 2002
FIRMS = "坪山街道整治了多少家散乱污企业"
ROAD_CHIEF = "gh-term-08"


async def say(api: FakeBotApi, text: str, language_code: str = "zh-hans") -> Call:
    return await api.say(text, user_id=RESIDENT, language_code=language_code)


async def test_an_english_question_is_answered_in_english_beside_the_chinese(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    reply = await say(fake_api, "Is there childcare for a two-year-old?")
    text = reply.plain
    assert messages_en.TRANSLATION_LABEL in text and messages_en.ORIGINAL_LABEL in text
    assert messages_en.SOURCE_PREFIX in text and messages.SOURCE_PREFIX in text
    assert messages_en.VOTE_UP in reply.labels
    # Related questions under it are in English, and answered in English when tapped.
    related = [(label, data) for label, data in reply.buttons if data.startswith("a:")]
    assert related and all(data.endswith(":e") for _, data in related)
    mark = fake_api.mark()
    fake_api.tap(related[0][1], fake_api.bot_message(reply), user_id=RESIDENT)
    tapped = await fake_api.wait_for("sendMessage", after=mark)
    assert messages_en.SOURCE_PREFIX in tapped.plain


async def test_lang_switches_and_is_kept_across_a_restart(
    tg_settings: Settings, tg_engine: Engine, fake_api: FakeBotApi
) -> None:
    store = Store(tg_settings.db_path).open()
    async with running(build_application(tg_settings, tg_engine, store)):
        assert messages_en.SOURCE_PREFIX not in (await say(fake_api, FIRMS)).plain
        menu = await say(fake_api, "/lang")
        assert [label for label, _ in menu.buttons] == ["中文", "English"]
        mark = fake_api.mark()
        fake_api.tap(menu.data_for("English"), fake_api.bot_message(menu), user_id=RESIDENT)
        confirmed = await fake_api.wait_for("sendMessage", after=mark)
        assert confirmed.plain == messages_en.LANGUAGE_SET
        assert messages_en.SOURCE_PREFIX in (await say(fake_api, FIRMS)).plain
    store = Store(tg_settings.db_path).open()  # a new process opens it afresh
    async with running(build_application(tg_settings, tg_engine, store)):
        after = await say(fake_api, FIRMS)
        assert messages_en.TRANSLATION_LABEL in after.plain and "194" in after.plain
        assert (await say(fake_api, "/lang zh")).plain == messages.LANGUAGE_SET
        back = await say(fake_api, FIRMS)
        assert messages_en.SOURCE_PREFIX not in back.plain
        # An English question is still answered in English.
        english = await say(fake_api, "How many polluting firms did Pingshan fix?")
        assert re.match(r"[A-Za-z]", english.plain), english.plain[:80]
    with store.reader() as db:
        (row,) = list(db.query("SELECT user_key, language FROM languages"))
    assert row["language"] == "zh" and str(RESIDENT) not in row["user_key"]


async def test_a_user_whose_telegram_is_in_english_gets_the_english_commands(
    stored_bot: Any, fake_api: FakeBotApi, tg_engine: Engine
) -> None:
    welcome = await say(fake_api, "/start", language_code="en-GB")
    assert welcome.plain.startswith("Hello!") and tg_engine.english.streets() in welcome.plain
    assert all(data.endswith(":e") for _, data in welcome.buttons)
    assert (await say(fake_api, "/help", language_code="en")).plain.startswith("How to use")
    assert (await say(fake_api, "/about", language_code="en")).plain.startswith("Sources")
    # Chinese stays the default; a question in Chinese is answered in Chinese.
    assert "政策问答助手" in (await say(fake_api, "/start")).plain
    answer = await say(fake_api, FIRMS, language_code="en")
    assert messages_en.SOURCE_PREFIX not in answer.plain


async def test_the_command_menu_is_published_in_english_too(
    stored_bot: Any, fake_api: FakeBotApi
) -> None:
    menus = {
        call.params.get("language_code"): call.params for call in fake_api.requests("setMyCommands")
    }
    assert set(menus) == {None, "en"}
    assert "lang" in str(menus[None]["commands"]) and "Look up a term" in str(
        menus["en"]["commands"]
    )


async def test_term_and_inline_mode_find_a_term_by_its_english_name(
    stored_bot: Any, fake_api: FakeBotApi, tg_engine: Engine
) -> None:
    entry = tg_engine.kb.entries[ROAD_CHIEF]
    assert entry.answer_en is not None
    explained = (await say(fake_api, "/term road chief")).plain
    assert entry.answer_en[:40] in explained and entry.answer in explained
    mark = fake_api.mark()
    fake_api.inline("road chief", user_id=RESIDENT)
    answer = await fake_api.wait_for("answerInlineQuery", after=mark)
    first = answer.params["results"][0]
    assert first["id"] == ROAD_CHIEF and first["title"] == entry.question_en
    assert messages_en.TRANSLATION_LABEL in first["input_message_content"]["message_text"]
    # The Chinese name still works, in Chinese.
    assert entry.answer in (await say(fake_api, "/term 路长制")).plain
