"""A staff reply turned into an answer entry from /missed, end to end against the fake Bot
API: a resident's missed question handed over, the staff's reply, then the curator's
/missed, "用工作人员答复生成答案", "都不对" (nothing written), a passage picked (curated.yaml
written, quoting the report), and the resident told, with the real Application and a real
SQLite store."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import yaml
from fake_bot_api import CURATOR_ID, Call, FakeBotApi
from test_handover import STAFF_CHAT, STAFF_MEMBER, hand_over, staff_group

from bot.config import Settings
from bot.curation.service import missed_groups
from bot.engine import messages as texts
from bot.engine.answering import Engine
from bot.store.question_log import Store

pytestmark = pytest.mark.slow  # a resident, the staff and a curator end to end

RESIDENT = 2002
QUESTION = "谁帮我白天照看小娃娃,我电话13812345678"
REPLY = "您好,街道成立了互助式婴幼儿托育服务中心,可以带孩子去看看,有事打13912345678。"


@pytest.fixture
def curator_settings(curator_settings: Settings) -> Settings:
    """The curator bot of conftest, with a staff chat to hand questions over to."""
    return replace(curator_settings, staff_chat=STAFF_CHAT)


async def tap(
    api: FakeBotApi, data: str, carrier: Call, method: str, user: int, timeout: float = 5.0
) -> Call:
    """Tap a button as ``user`` and wait for the bot's ``method`` call in that chat."""
    mark = api.mark()
    api.tap(data, api.bot_message(carrier), user_id=user)
    return await api.wait_for(
        method, lambda c: c.params.get("chat_id", user) == user, after=mark, timeout=timeout
    )


async def missed_with_a_staff_reply(api: FakeBotApi) -> Call:
    """/missed, and the group that shows a staff reply."""
    mark = api.mark()
    api.message("/missed", user_id=CURATOR_ID)
    return await api.wait_for(
        "sendMessage", lambda c: any(d.startswith("m:r:") for _, d in c.buttons), after=mark
    )


async def test_a_staff_reply_becomes_an_answer_quoting_the_report(
    curator_bot: Any, fake_api: FakeBotApi, curator_settings: Settings
) -> None:
    store: Store = curator_bot.bot_data.store
    curated = curator_settings.curated_path

    # A resident's missed question, to be told about, handed over; the staff reply.
    missed = await fake_api.say(QUESTION, user_id=RESIDENT)
    await tap(fake_api, missed.data_for("通知我"), missed, "answerCallbackQuery", RESIDENT)
    _, posted = await hand_over(fake_api, missed, share=False)
    mark = fake_api.mark()
    fake_api.message(
        REPLY, user_id=STAFF_MEMBER, chat=staff_group(), reply_to=fake_api.bot_message(posted)
    )
    await fake_api.wait_for("sendMessage", lambda c: c.text == texts.HANDOVER_RELAYED, after=mark)
    assert store.flush()

    # /missed shows the reply, masked, with its button; the tap offers report texts.
    group = await missed_with_a_staff_reply(fake_api)
    assert "托育服务中心" in group.plain and "13912345678" not in group.text
    offered = await tap(
        fake_api, group.data_for(texts.FROM_REPLY_BUTTON), group, "sendMessage", CURATOR_ID
    )
    assert "托育服务中心" in offered.plain and "坪山街道" in offered.plain
    assert offered.labels[-1] == texts.NONE_FITS_BUTTON and 2 <= len(offered.buttons) <= 4

    # "都不对": nothing is written, and the question stays missed.
    declined = await tap(
        fake_api, offered.data_for(texts.NONE_FITS_BUTTON), offered, "editMessageText", CURATOR_ID
    )
    assert texts.REPLY_UNSUPPORTED in declined.plain and "reply_markup" not in declined.params
    assert not curated.exists() and len(missed_groups(store)) == 1

    # The first report text picked: curated.yaml quotes it, the reply kept as provenance.
    group = await missed_with_a_staff_reply(fake_api)
    offered = await tap(
        fake_api, group.data_for(texts.FROM_REPLY_BUTTON), group, "sendMessage", CURATOR_ID
    )
    mark = fake_api.mark()
    # Writing validates the whole knowledge base and loads a fresh engine: seconds on a
    # busy machine.
    pick = offered.data_for("用第 1 段")
    done = await tap(fake_api, pick, offered, "editMessageText", CURATOR_ID, timeout=60)
    assert "已用报告原文生成答案" in done.plain
    (entry,) = yaml.safe_load(curated.read_text(encoding="utf-8"))["entries"]
    assert entry["answer"] in offered.plain and "托育服务中心" in entry["answer"]
    assert (
        entry["staff_reply"]["text"].startswith("您好")
        and "13912345678" not in entry["staff_reply"]["text"]
    )
    assert missed_groups(store) == []

    # The resident is told once, with the report's words, not the staff's.
    told = await fake_api.wait_for(
        "sendMessage", lambda c: c.params.get("chat_id") == RESIDENT, after=mark
    )
    assert "现在有答案了" in told.plain and entry["answer"][:20] in told.plain
    assert "您好" not in told.plain

    # A fresh engine answers the question with that passage.
    fresh = Engine.load(curator_settings.root, curated=curated)
    answered = fresh.ask(QUESTION)
    assert answered.outcome == "answer" and answered.blocks[0].body == entry["answer"]
