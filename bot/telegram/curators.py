"""Curators in Telegram: /missed, /reload, the "m:" buttons, and notifying askers.

Wiring (bot.telegram.app): pass ``curator_handlers(settings)`` as ``extra_handlers`` and
schedule ``notify_job`` with ``application.job_queue.run_repeating``. The handlers read
``bot_data["engine"]``, ``bot_data["store"]`` and ``bot_data["settings"]``.

Callback data (at most 64 bytes, validated again when it comes back):

    m:a:<group>:<entry_id>    show the entry's answer, and how well it fits the group
    m:c:<group>:<entry_id>    attach the group to the entry (from that preview)
    m:x:<group>               do not attach (from that preview)
    m:i:<group>               ignore the group

Database reads, curated-file writes and knowledge reloads run in threads: the event loop
keeps answering residents meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import MutableMapping
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.config import Settings
from bot.curation.service import (
    FITS_AT,
    CurationError,
    MissedGroup,
    answer_group,
    find_group,
    fit,
    ignore_group,
    missed_groups,
)
from bot.engine.answering import Engine
from bot.engine.rendering import TELEGRAM_LIMIT, render_html, split_message
from bot.knowledge.loading import KnowledgeError, Problem
from bot.store.question_log import Notification, Store

logger = logging.getLogger(__name__)

TOP_GROUPS = 5
CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback data
LABEL_CHARS = 28
REFUSAL = "抱歉,这个功能只供内容维护人员使用。"
PRIVATE_ONLY = "这个功能只能在与我的私聊中使用。"
NO_STORE = "没有启用问题记录(数据库未打开),无法列出未答问题。"
NOTHING_MISSED = "目前没有待处理的未答问题。"
NOT_ATTACHED = "已取消,未归入。"
CALLBACK = re.compile(
    r"^m:(?:(?P<step>[ac]):(?P<group>g[0-9a-f]{6,12}):(?P<entry>[a-z0-9][a-z0-9-]{0,39})"
    r"|i:(?P<ignored>g[0-9a-f]{6,12})|x:(?P<cancelled>g[0-9a-f]{6,12}))$"
)


def is_curator(settings: Settings, update: Update) -> bool:
    user = update.effective_user
    return user is not None and user.id in settings.curators


def in_private_chat(update: Update) -> bool:
    """Whether the update comes from a private chat (for a button: the message's chat).

    Curation shows residents' questions: only ever in the curator's own chat with the bot.
    """
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def _settings(context: ContextTypes.DEFAULT_TYPE, fallback: Settings) -> Settings:
    return context.bot_data.get("settings") or fallback


async def _say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Send HTML ``text`` to the update's chat, split to fit; buttons on the last part."""
    message = update.effective_message
    if message is None:
        return
    parts = split_message(text)
    for number, part in enumerate(parts, start=1):
        await message.reply_text(
            part, parse_mode=ParseMode.HTML, reply_markup=markup if number == len(parts) else None
        )


# --- /missed -----------------------------------------------------------------------------


def _label(question: str) -> str:
    short = question if len(question) <= LABEL_CHARS else question[: LABEL_CHARS - 1] + "…"
    return f"→ {short}"


def group_markup(group: MissedGroup) -> InlineKeyboardMarkup:
    """One button per suggested entry, then 忽略."""
    rows = []
    for nearest in group.nearest:
        data = f"m:a:{group.id}:{nearest.entry_id}"
        if len(data.encode()) <= CALLBACK_LIMIT:
            rows.append([InlineKeyboardButton(_label(nearest.question), callback_data=data)])
    rows.append([InlineKeyboardButton("忽略", callback_data=f"m:i:{group.id}")])
    return InlineKeyboardMarkup(rows)


def group_text(group: MissedGroup) -> str:
    lines = [
        f"<b>{escape(group.id)}</b> · 问了 {group.count} 次 · 最近 "
        f"{escape(group.last_seen[:16].replace('T', ' '))} UTC"
    ]
    lines += [f"“{escape(text)}”" for text in group.examples]
    if not group.nearest:
        lines.append("(没有相近的条目:请用 <code>policybot missed answer --new</code>)")
    return "\n".join(lines)


async def missed_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, settings: Settings
) -> None:
    """/missed: the most asked open groups, each with its buttons (curators, in private)."""
    if not is_curator(settings, update):
        await _say(update, escape(REFUSAL))
        return
    if not in_private_chat(update):
        await _say(update, escape(PRIVATE_ONLY))
        return
    store: Store | None = context.bot_data.get("store")
    if store is None:
        await _say(update, escape(NO_STORE))
        return
    engine: Engine = context.bot_data["engine"]
    groups = await asyncio.to_thread(missed_groups, store, engine, TOP_GROUPS)
    if not groups:
        await _say(update, escape(NOTHING_MISSED))
        return
    shown = min(len(groups), TOP_GROUPS)
    await _say(
        update,
        f"未答问题共 {len(groups)} 组,最常问的 {shown} 组(点“→”先看条目的回答,确认后才归入):",
    )
    for group in groups[:TOP_GROUPS]:
        await _say(update, group_text(group), group_markup(group))


# --- /reload -----------------------------------------------------------------------------


async def reload_engine(bot_data: MutableMapping[str, Any], settings: Settings) -> list[Problem]:
    """Load the knowledge base again; swap it in only if it has no problem.

    Returns the problems (empty on success); on any problem the old engine stays.
    """
    try:
        engine = await asyncio.to_thread(Engine.load, settings.root, curated=settings.curated_path)
    except KnowledgeError as error:
        return list(error.problems)
    bot_data["engine"] = engine
    return []


def problems_text(problems: list[Problem]) -> str:
    # One problem a line and no <pre>: a long list is split across messages at line
    # breaks, and a tag left open in one part would make Telegram refuse it.
    listed = "\n".join(f"• {escape(str(p))}" for p in problems)
    return f"知识库有 {len(problems)} 个问题,继续使用原来的版本:\n{listed}"


async def reload_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, settings: Settings
) -> None:
    """/reload: re-read intents/, faq/ and the curated answers without a restart (curators,
    in private)."""
    if not is_curator(settings, update):
        await _say(update, escape(REFUSAL))
        return
    if not in_private_chat(update):
        await _say(update, escape(PRIVATE_ONLY))
        return
    problems = await reload_engine(context.bot_data, _settings(context, settings))
    if problems:
        await _say(update, problems_text(problems))
        return
    entries = len(context.bot_data["engine"].kb.entries)
    await _say(update, f"已重新加载:{entries} 个条目。")
    await notify_pending(context)


# --- the "m:" buttons --------------------------------------------------------------------


async def curator_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, settings: Settings
) -> None:
    """A tap on an "m:" button: attach a group to an entry, or ignore it."""
    query = update.callback_query
    if query is None:
        return
    found = CALLBACK.match(query.data or "")
    if found is None:
        await query.answer("这个按钮无效。")
        return
    if not is_curator(settings, update):
        await query.answer(REFUSAL, show_alert=True)
        return
    if not in_private_chat(update):
        await query.answer(PRIVATE_ONLY, show_alert=True)
        return
    store: Store | None = context.bot_data.get("store")
    if store is None:
        await query.answer(NO_STORE, show_alert=True)
        return
    await query.answer()
    try:
        if found["cancelled"]:
            await _close_buttons(update, NOT_ATTACHED, "✖")
            return
        if found["step"] == "a":
            await _preview(update, context, store, found["group"], found["entry"])
            return
        if found["ignored"]:
            group = await asyncio.to_thread(ignore_group, store, found["ignored"])
            result = f"已忽略 {group.id}({group.count} 个问题)。"
        else:
            result = await _attach(context, store, settings, found["group"], found["entry"])
    except CurationError as error:
        lines = [f"未能处理:{escape(str(error))}", *(f"• {escape(p)}" for p in error.problems)]
        await _say(update, "\n".join(lines))
        return
    await _close_buttons(update, result)
    await notify_pending(context)


async def _preview(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    store: Store,
    group_id: str,
    entry_id: str,
) -> None:
    """The entry's answer, how well it fits the group, and buttons to attach or not."""
    engine: Engine = context.bot_data["engine"]
    entry = engine.kb.entries.get(entry_id)
    if entry is None:  # gone since the listing (a /reload)
        raise CurationError(f"no entry {entry_id!r}")
    group = await asyncio.to_thread(find_group, store, group_id)
    probability = await asyncio.to_thread(fit, engine, group, entry_id)
    await _say(
        update,
        preview_text(group, entry.question, entry.answer, probability),
        preview_markup(group.id, entry_id, probability),
    )


def preview_text(group: MissedGroup, question: str, answer: str, probability: float) -> str:
    lines = [
        f"<b>归入前请看这条回答</b>:{escape(group.id)}(问了 {group.count} 次)→“{escape(question)}”",
        "",
        escape(answer),
        "",
    ]
    chance = f"引擎估计,用它回答这组问题,答对的可能最高 {probability:.0%}。"
    if probability < FITS_AT:
        lines.append(
            f"⚠️ 这组问题和这个条目几乎没有共同之处:{chance}"
            "归入后,这组的每个问法都会得到上面的回答。"
        )
    else:
        lines.append(chance)
    return "\n".join(lines)


def preview_markup(group_id: str, entry_id: str, probability: float) -> InlineKeyboardMarkup:
    attach = "仍然归入" if probability < FITS_AT else "✅ 归入"
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(attach, callback_data=f"m:c:{group_id}:{entry_id}")],
            [InlineKeyboardButton("取消", callback_data=f"m:x:{group_id}")],
        ]
    )


async def _attach(
    context: ContextTypes.DEFAULT_TYPE,
    store: Store,
    settings: Settings,
    group_id: str,
    entry_id: str,
) -> str:
    current = _settings(context, settings)
    outcome = await asyncio.to_thread(
        answer_group,
        current.root,
        store,
        group_id,
        curated=current.curated_path,
        entry_id=entry_id,
    )
    # The file was validated by loading it: that engine is the reload.
    context.bot_data["engine"] = outcome.engine
    entry = outcome.engine.kb.entries[outcome.entry_id]
    text = f"已归入“{entry.question}”:新增 {len(outcome.added)} 个问法。"
    if outcome.still_missed:
        text += f"仍有 {len(outcome.still_missed)} 个问法未答到该条目。"
    return text


async def _close_buttons(update: Update, result: str, mark: str = "✅") -> None:
    """Show the result under the tapped message and take its buttons away."""
    query = update.callback_query
    message = query.message if query else None
    original = getattr(message, "text_html", None) or ""
    edited = f"{original}\n\n{mark} {escape(result)}"
    try:
        if len(edited) <= TELEGRAM_LIMIT:
            await query.edit_message_text(edited, parse_mode=ParseMode.HTML, reply_markup=None)
            return
        # The last part of a long group has no room left for the result: say it below.
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as error:  # the message is too old or unchanged: say it instead
        logger.debug("could not edit the /missed message: %s", error)
    await _say(update, escape(result))


# --- closing the loop --------------------------------------------------------------------


def notification_text(engine: Engine, notification: Notification) -> str | None:
    reply = engine.entry_reply(notification.entry_id)
    if reply is None:
        return None
    asked = f"您之前问过:“{escape(notification.question)}”\n" if notification.question else ""
    return f"{asked}现在有答案了:\n\n{render_html(reply)}"


async def notify_pending(context: ContextTypes.DEFAULT_TYPE) -> int:
    """Send every pending notification once; the number sent."""
    store: Store | None = context.bot_data.get("store")
    if store is None:
        return 0
    # One sender at a time: the job and a curator's tap must not send the same one twice.
    lock = context.bot_data.setdefault("notify_lock", asyncio.Lock())
    async with lock:
        pending = await asyncio.to_thread(store.pending_notifications)
        sent = 0
        for notification in pending:
            outcome = await _send_notification(context, store, notification)
            if outcome is None:
                break  # Telegram is unreachable or throttling: try again next run
            sent += outcome
        return sent


async def _send_notification(
    context: ContextTypes.DEFAULT_TYPE, store: Store, notification: Notification
) -> int | None:
    """1 if sent, 0 if skipped or undeliverable, None if sending should stop for now."""
    text = notification_text(context.bot_data["engine"], notification)
    if text is None:
        # A new entry the running engine does not know yet: sent after /reload.
        logger.info("notification %s waits for a reload", notification.id)
        return 0
    try:
        for part in split_message(text):
            await context.bot.send_message(notification.chat_id, part, parse_mode=ParseMode.HTML)
    except (Forbidden, BadRequest) as error:
        # Blocked the bot, or the chat is gone: it can never be delivered.
        logger.info("notification %s undeliverable: %s", notification.id, type(error).__name__)
        store.mark_notified(notification.id)
        return 0
    except TelegramError as error:
        logger.warning("notifications paused: %s", type(error).__name__)
        return None
    store.mark_notified(notification.id)
    return 1


async def notify_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue callback: tell askers their question was answered (reloads nothing)."""
    await notify_pending(context)


# --- registration ------------------------------------------------------------------------


def curator_handlers(settings: Settings) -> list[BaseHandler]:
    """The curator commands and buttons, for ``extra_handlers``."""

    async def on_missed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await missed_command(update, context, _settings(context, settings))

    async def on_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await reload_command(update, context, _settings(context, settings))

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await curator_button(update, context, _settings(context, settings))

    return [
        CommandHandler("missed", on_missed),
        CommandHandler("reload", on_reload),
        CallbackQueryHandler(on_button, pattern=r"^m:"),
    ]
