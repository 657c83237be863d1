"""The weekly digest in Telegram: every Monday 09:00 Asia/Shanghai each curator gets the
week's figures against the week before, the five missed groups most asked with a button
to answer each (it shows the group as /missed does), and a PNG chart; /stats sends the
same on demand (bot.telegram.curators). The content is bot.curation.digest's."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterable
from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import JobQueue

from bot.curation.digest import Digest, chart_png, digest_lines, weekly_digest
from bot.engine import messages
from bot.telegram import callbacks
from bot.telegram.context import Context
from bot.telegram.keyboards import button, rows

TIMEZONE = ZoneInfo("Asia/Shanghai")
SEND_AT = dt.time(9, 0, tzinfo=TIMEZONE)
MONDAY = 1  # PTB's run_daily counts days from Sunday = 0

logger = logging.getLogger(__name__)


def digest_text(digest: Digest) -> str:
    lines = [escape(line) for line in digest_lines(digest)]
    lines.append("")
    if not digest.groups:
        lines.append(escape(messages.DIGEST_NO_GROUPS))
    else:
        lines.append(escape(messages.DIGEST_TOP))
        for number, (group, count) in enumerate(digest.groups, start=1):
            label = escape(group.label)
            lines.append(messages.DIGEST_GROUP.format(number=number, label=label, count=count))
    return "\n".join(lines)


def digest_markup(digest: Digest) -> InlineKeyboardMarkup | None:
    """One button per group: tapping it shows the group with its answer buttons."""
    if not digest.groups:
        return None
    return InlineKeyboardMarkup(
        rows(
            *[
                [button(messages.DIGEST_ANSWER_BUTTON.format(number=n), callbacks.group_data(g.id))]
                for n, (g, _) in enumerate(digest.groups, start=1)
            ]
        )
    )


async def send_digest(context: Context, chat_ids: Iterable[int]) -> bool:
    """Send the digest (the chart, then the text with its buttons) to each chat; False
    without a question log."""
    store = context.bot_data.store
    if store is None:
        return False
    digest = await asyncio.to_thread(weekly_digest, store)
    picture = await asyncio.to_thread(chart_png, digest)
    text, markup = digest_text(digest), digest_markup(digest)
    for chat_id in chat_ids:
        try:
            await context.bot.send_photo(chat_id, picture, caption=messages.DIGEST_CHART_CAPTION)
            await context.bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except TelegramError as error:  # one curator's blocked chat stops no other
            logger.warning("the digest did not reach a curator: %s", type(error).__name__)
    return True


async def digest_job(context: Context) -> None:
    """JobQueue callback: the digest to every curator (their private chats with the bot)."""
    await send_digest(context, sorted(context.bot_data.settings.curators))


def schedule_digest(job_queue: JobQueue, at: dt.time = SEND_AT) -> None:
    """Once a week, Mondays at ``at`` (Asia/Shanghai unless ``at`` says otherwise)."""
    job_queue.run_daily(digest_job, time=at, days=(MONDAY,), name="weekly-digest")
