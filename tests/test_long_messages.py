"""Long HTML messages are split into parts Telegram accepts: never inside an entity
(``&amp;``) or a tag, every tag closed in the part that opens it.

End to end through the fake Bot API (which refuses what Telegram refuses): a resident's
question of 3,000 '&' in a curator's /missed, and in the notification its asker gets.
"""

from __future__ import annotations

import re
from html import escape, unescape
from typing import Any

import pytest
from fake_bot_api import CURATOR_ID, MESSAGE_LIMIT, Call, FakeBotApi, html_problems
from test_curation_telegram import say

from bot.engine.rendering import split_message
from bot.store.question_log import Store

CURATOR, RESIDENT = CURATOR_ID, 2002
AMPERSANDS = "&" * 3000
# Words the entries do not cover (so it is missed) and that leave a notification possible.
LONG_QUESTION = "谁帮我白天照看小娃娃" + AMPERSANDS


TAG = re.compile(r"<[^<>]*>")


def visible(html: str) -> str:
    """The text a reader sees: tags dropped, entities read."""
    return unescape(TAG.sub("", html))


SPLIT_CASES = {
    "ampersands": escape(AMPERSANDS * 2),
    "ampersands-after-one-char": "x" + escape(AMPERSANDS * 2),
    "mixed-entities": escape("<&>\"'" * 2000),
    "long-bold": "<b>" + escape("托育&服务" * 1500) + "</b>",
    "nested-tags": "<b>标题<i>" + escape("a&b" * 3000) + "</i>尾</b>\n正文",
    "tags-every-few-chars": "".join(f"<b>{n}&amp;</b>" for n in range(3000)),
    "lines-and-paragraphs": "\n\n".join(
        "\n".join(f"<i>{escape(f'第{n}段 & 第{k}行')}</i>" for k in range(40)) for n in range(20)
    ),
    "one-long-line-between-short-ones": "短\n" + escape("&" * 9000) + "\n短",
}


@pytest.mark.parametrize("text", SPLIT_CASES.values(), ids=SPLIT_CASES.keys())
def test_split_parts_are_valid_html_and_keep_every_character(text: str) -> None:
    parts = split_message(text)
    assert len(parts) > 1
    for part in parts:
        assert len(part) <= MESSAGE_LIMIT
        assert html_problems(part) == [], part[:80]
    # Nothing lost or added but the line breaks where it was split.
    read = "".join(visible(part) for part in parts)
    assert read.replace("\n", "") == visible(text).replace("\n", "")


def test_short_text_is_one_part_as_it_is() -> None:
    text = "<b>" + escape("托育&服务") + "</b>\n\n" + escape("x" * 4000)
    assert split_message(text) == [text]


def messages(api: FakeBotApi, chat_id: int, after: int) -> list[Call]:
    """The messages sent to ``chat_id`` since ``after`` (a mark)."""
    calls = api.requests()[after:]
    return [c for c in calls if c.method == "sendMessage" and c.params["chat_id"] == chat_id]


async def handled(api: FakeBotApi, chat_id: int) -> None:
    """Return once everything sent in ``chat_id`` so far is handled: a chat's updates are
    handled in order, so once the reply to a /help sent now is out."""
    mark = api.mark()
    api.message("/help", user_id=chat_id)
    await api.wait_for(
        "sendMessage", lambda c: c.params["chat_id"] == chat_id and "怎么用" in c.text, after=mark
    )


async def test_missed_shows_a_question_of_3000_ampersands_every_time(
    curator_bot: Any, fake_api: FakeBotApi
) -> None:
    await say(fake_api, LONG_QUESTION, RESIDENT)
    assert curator_bot.bot_data.store.flush()
    for _ in range(2):  # once broken, every later /missed failed
        mark = fake_api.mark()
        fake_api.message("/missed", user_id=CURATOR)
        await handled(fake_api, CURATOR)
        shown = "".join(visible(c.text) for c in messages(fake_api, CURATOR, mark))
        assert LONG_QUESTION in shown.replace("\n", "")
        assert fake_api.bad_requests == []


@pytest.mark.slow
async def test_notification_of_a_long_question_is_delivered(
    curator_bot: Any, fake_api: FakeBotApi
) -> None:
    store: Store = curator_bot.bot_data.store
    missed = await say(fake_api, LONG_QUESTION, RESIDENT)
    notify = next(data for _, data in missed.buttons if data.startswith("n:"))
    mark = fake_api.mark()
    fake_api.tap(notify, fake_api.bot_message(missed), user_id=RESIDENT)
    await fake_api.wait_for("answerCallbackQuery", after=mark)
    assert store.flush()

    mark = fake_api.mark()
    fake_api.message("/missed", user_id=CURATOR)
    group = await fake_api.wait_for(
        "sendMessage", lambda c: any(d.startswith("m:a:") for _, d in c.buttons), after=mark
    )
    attach = next(data for _, data in group.buttons if data.startswith("m:a:"))
    mark = fake_api.mark()
    fake_api.tap(attach, fake_api.bot_message(group), user_id=CURATOR)
    preview = await fake_api.wait_for(  # the entry's answer first, then the confirming tap
        "sendMessage", lambda c: any(d.startswith("m:c:") for _, d in c.buttons), after=mark
    )
    confirm = next(data for _, data in preview.buttons if data.startswith("m:c:"))
    mark = fake_api.mark()
    fake_api.tap(confirm, fake_api.bot_message(preview), user_id=CURATOR)
    await handled(fake_api, CURATOR)  # the tap sends the notifications before it ends
    entry_id = attach.rsplit(":", 1)[1]
    answer = curator_bot.bot_data.engine.kb.entries[entry_id].answer

    # The resident is told, whole, in as many parts as it takes.
    told = "".join(visible(c.text) for c in messages(fake_api, RESIDENT, mark))
    assert told.startswith("您之前问过") and LONG_QUESTION in told.replace("\n", "")
    assert answer.replace("\n", "") in told.replace("\n", "")
    assert fake_api.bad_requests == []
    assert store.pending_notifications() == []
    # The curator sees the result under the preview, whose buttons are gone.
    result = fake_api.requests("editMessageText")[-1]
    assert "已归入" in result.text
    assert "reply_markup" not in fake_api.bot_message(preview)
