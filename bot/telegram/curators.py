"""Curators in Telegram: /missed, /reload (or SIGHUP), the "m:" buttons, and notifying askers.

Wiring (bot.telegram.application): pass ``curator_handlers()`` as ``extra_handlers`` and
schedule ``notify_job`` with ``repeating_jobs``, and a ``SighupReload`` (installed first)
with them. The handlers read the engine, the store
and the settings from ``context.bot_data``; the "m:" buttons follow the one callback
protocol (bot.telegram.callbacks).

Database reads, curated-file writes and knowledge reloads run in threads: the event loop
keeps answering residents meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from html import escape
from types import FrameType

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

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
from bot.engine.languages import ZH
from bot.engine.messages import (
    ATTACH,
    ATTACH_ANYWAY,
    ATTACHED,
    CANCEL,
    ENTRY_BUTTON,
    FIT_CHANCE,
    GROUP_EXAMPLE,
    GROUP_HEADER,
    GROUP_WITHOUT_NEAREST,
    IGNORE_BUTTON,
    IGNORED,
    INVALID_BUTTON,
    LISTED,
    MISSED_HEADER,
    NO_LOG,
    NOT_ATTACHED,
    NOT_DONE,
    NOTHING_MISSED,
    POOR_FIT,
    PREVIEW_HEADER,
    PRIVATE_ONLY,
    REFUSAL,
    RELOAD_PROBLEMS,
    RELOADED,
    STILL_MISSED,
)
from bot.engine.rendering import render_html, split_message
from bot.knowledge.loading import KnowledgeError, Problem
from bot.store.question_log import Notification, Store
from bot.telegram import callbacks
from bot.telegram.context import BotData, Context
from bot.telegram.curator_chat import CuratorStep, close_buttons, say
from bot.telegram.keyboards import button, rows, texts_in
from bot.telegram.language import texts_for
from bot.telegram.limits import LABEL_CHARS, TOP_GROUPS
from bot.telegram.replying import query_of
from bot.telegram.staff_entries import (
    STAFF_REPLY_STEPS,
    staff_reply_buttons,
    staff_reply_lines,
)

logger = logging.getLogger(__name__)


def is_curator(settings: Settings, update: Update) -> bool:
    user = update.effective_user
    return user is not None and user.id in settings.curators


def in_private_chat(update: Update) -> bool:
    """Whether the update comes from a private chat (for a button: the message's chat).

    Curation shows residents' questions: only ever in the curator's own chat with the bot.
    """
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def _refusal(update: Update, settings: Settings) -> str | None:
    """Why this update may not use curation, or None if it may."""
    if not is_curator(settings, update):
        return REFUSAL
    if not in_private_chat(update):
        return PRIVATE_ONLY
    return None


async def _command_allowed(update: Update, context: Context) -> bool:
    """Whether a curator command may run for this update; if not, says why."""
    refusal = _refusal(update, context.bot_data.settings)
    if refusal == REFUSAL:  # a resident trying a curator command: in their language
        refusal = texts_for(update, context).REFUSAL
    if refusal is not None:
        await say(update, escape(refusal))
    return refusal is None


def _listed(items: list[str]) -> str:
    return "\n".join(LISTED.format(item=escape(item)) for item in items)


# --- /missed -----------------------------------------------------------------------------


def _label(question: str) -> str:
    short = question if len(question) <= LABEL_CHARS else question[: LABEL_CHARS - 1] + "…"
    return ENTRY_BUTTON.format(question=short)


def group_markup(group: MissedGroup) -> InlineKeyboardMarkup:
    """One button per suggested entry, one per staff reply, then 忽略."""
    entries = [
        [button(_label(n.question), callbacks.preview_data(group.id, n.entry_id))]
        for n in group.nearest
    ]
    ignore = [button(IGNORE_BUTTON, callbacks.ignore_data(group.id))]
    return InlineKeyboardMarkup(rows(*entries, *staff_reply_buttons(group), ignore))


def group_text(group: MissedGroup) -> str:
    when = escape(group.last_seen[:16].replace("T", " "))
    lines = [GROUP_HEADER.format(group=escape(group.id), count=group.count, when=when)]
    lines += [GROUP_EXAMPLE.format(text=escape(text)) for text in group.examples]
    if not group.nearest:
        lines.append(GROUP_WITHOUT_NEAREST)
    return "\n".join([*lines, *staff_reply_lines(group)])


async def missed_command(update: Update, context: Context) -> None:
    """/missed: the most asked open groups, each with its buttons (curators, in private)."""
    if not await _command_allowed(update, context):
        return
    store = context.bot_data.store
    if store is None:
        await say(update, escape(NO_LOG))
        return
    groups = await asyncio.to_thread(missed_groups, store, context.bot_data.engine, TOP_GROUPS)
    if not groups:
        await say(update, escape(NOTHING_MISSED))
        return
    await say(update, MISSED_HEADER.format(total=len(groups), shown=min(len(groups), TOP_GROUPS)))
    for group in groups[:TOP_GROUPS]:
        await say(update, group_text(group), group_markup(group))


# --- /reload -----------------------------------------------------------------------------


async def reload_engine(bot_data: BotData) -> list[Problem]:
    """Load the knowledge base again; swap it in only if it has no problem.

    Returns the problems (empty on success); on any problem the old engine stays.
    """
    settings = bot_data.settings
    try:
        engine = await asyncio.to_thread(Engine.load, settings.root, curated=settings.curated_path)
    except KnowledgeError as error:
        return list(error.problems)
    bot_data.engine = engine
    return []


def problems_text(problems: list[Problem]) -> str:
    # One problem a line and no <pre>: a long list is split across messages at line
    # breaks, and a tag left open in one part would make Telegram refuse it.
    return RELOAD_PROBLEMS.format(count=len(problems), listed=_listed([str(p) for p in problems]))


async def reload_command(update: Update, context: Context) -> None:
    """/reload: re-read intents/, faq/ and the curated answers without a restart (curators,
    in private)."""
    if not await _command_allowed(update, context):
        return
    problems = await reload_engine(context.bot_data)
    if problems:
        await say(update, problems_text(problems))
        return
    await say(update, RELOADED.format(entries=len(context.bot_data.engine.kb.entries)))
    await notify_pending(context)


class SighupReload:
    """A job that reloads the engine after the process gets SIGHUP (`policybot add-report`
    then `kill -HUP`), as /reload does. The signal only sets a flag: the job, every
    second or so on the event loop, loads the knowledge in a thread and swaps
    the engine in, so updates go on being answered by the old one until then, and none is
    dropped; a knowledge base with problems is logged and the old engine stays."""

    def __init__(self) -> None:
        self.requested = False

    def install(self) -> None:
        """Catch SIGHUP (by default it ends the process); before the bot starts."""
        signal.signal(signal.SIGHUP, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True

    async def __call__(self, context: Context) -> None:
        if not self.requested:
            return
        self.requested = False
        problems = await reload_engine(context.bot_data)
        if problems:
            logger.error(
                "SIGHUP: the knowledge has %d problem(s), the old engine stays: %s",
                len(problems),
                "; ".join(str(p) for p in problems[:5]),
            )
            return
        logger.info("SIGHUP: reloaded, %d entries", len(context.bot_data.engine.kb.entries))
        await notify_pending(context)


# --- the "m:" buttons --------------------------------------------------------------------


async def curator_button(update: Update, context: Context) -> None:
    """A tap on an "m:" button: preview an entry for a group, attach, cancel or ignore."""
    query = query_of(update)
    tapped = callbacks.parse_callback(query.data)
    step = CURATOR_STEPS.get(tapped.kind) if tapped is not None else None
    if tapped is None or step is None:
        await query.answer(INVALID_BUTTON)
        return
    store = context.bot_data.store
    refusal = _refusal(update, context.bot_data.settings) or (NO_LOG if store is None else None)
    if refusal is not None or store is None:
        await query.answer(refusal, show_alert=True)
        return
    await query.answer()
    try:
        result = await step(update, context, store, tapped)
    except CurationError as error:
        lines = [NOT_DONE.format(error=escape(str(error))), _listed(list(error.problems))]
        await say(update, "\n".join(line for line in lines if line))
        return
    if result is not None:
        await close_buttons(update, result)
        await notify_pending(context)


async def _preview(
    update: Update, context: Context, store: Store, tapped: callbacks.Button
) -> str | None:
    """The entry's answer, how well it fits the group, and buttons to attach or not."""
    engine = context.bot_data.engine
    group_id, entry_id = tapped.group_id or "", tapped.entry_id or ""
    entry = engine.kb.entries.get(entry_id)
    if entry is None:  # gone since the listing (a /reload)
        raise CurationError(f"no entry {entry_id!r}")
    group = await asyncio.to_thread(find_group, store, group_id)
    probability = await asyncio.to_thread(fit, engine, group, entry_id)
    await say(
        update,
        preview_text(group, entry.question, entry.answer, probability),
        preview_markup(group.id, entry_id, probability),
    )
    return None


def preview_text(group: MissedGroup, question: str, answer: str, probability: float) -> str:
    header = PREVIEW_HEADER.format(
        group=escape(group.id), count=group.count, question=escape(question)
    )
    chance = FIT_CHANCE.format(probability=probability)
    verdict = POOR_FIT.format(chance=chance) if probability < FITS_AT else chance
    return "\n".join([header, "", escape(answer), "", verdict])


def preview_markup(group_id: str, entry_id: str, probability: float) -> InlineKeyboardMarkup:
    attach = ATTACH_ANYWAY if probability < FITS_AT else ATTACH
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(attach, callback_data=callbacks.attach_data(group_id, entry_id))],
            [InlineKeyboardButton(CANCEL, callback_data=callbacks.cancel_data(group_id))],
        ]
    )


async def _attach(
    update: Update, context: Context, store: Store, tapped: callbacks.Button
) -> str | None:
    """Attach the group to the entry: its phrasings go to the curated file, then reload."""
    settings = context.bot_data.settings
    outcome = await asyncio.to_thread(
        answer_group,
        settings.root,
        store,
        tapped.group_id or "",
        curated=settings.curated_path,
        entry_id=tapped.entry_id,
    )
    # The file was validated by loading it: that engine is the reload.
    context.bot_data.engine = outcome.engine
    entry = outcome.engine.kb.entries[outcome.entry_id]
    text = ATTACHED.format(question=entry.question, added=len(outcome.added))
    if outcome.still_missed:
        text += STILL_MISSED.format(count=len(outcome.still_missed))
    return text


async def _cancel(
    update: Update, context: Context, store: Store, tapped: callbacks.Button
) -> str | None:
    """Do not attach: say so under the preview and take its buttons away."""
    await close_buttons(update, NOT_ATTACHED, "✖")
    return None


async def _ignore(
    update: Update, context: Context, store: Store, tapped: callbacks.Button
) -> str | None:
    """Ignore the group: its questions leave /missed."""
    group = await asyncio.to_thread(ignore_group, store, tapped.group_id or "")
    return IGNORED.format(group=group.id, count=group.count)


async def _show(
    update: Update, context: Context, store: Store, tapped: callbacks.Button
) -> str | None:
    """The group as /missed shows it, with its buttons (from the weekly digest)."""
    group = await asyncio.to_thread(
        find_group, store, tapped.group_id or "", context.bot_data.engine
    )
    await say(update, group_text(group), group_markup(group))
    return None


CURATOR_STEPS: dict[str, CuratorStep] = {
    "preview": _preview,
    "attach": _attach,
    "cancel": _cancel,
    "ignore": _ignore,
    "group": _show,
    **STAFF_REPLY_STEPS,
}


# --- closing the loop --------------------------------------------------------------------


def notification_text(engine: Engine, notification: Notification) -> str | None:
    """The answer to a question asked before, in the asker's language; None if the
    engine does not know its entry yet."""
    reply = engine.entry_reply(notification.entry_id, language=notification.language or ZH)
    if reply is None:
        return None
    said = texts_in(reply.language)
    question = notification.question
    asked = said.ASKED_BEFORE.format(question=escape(question)) if question else ""
    return str(said.NOW_ANSWERED.format(asked=asked, answer=render_html(reply)))


async def notify_pending(context: Context) -> int:
    """Send every pending notification once; the number sent."""
    store = context.bot_data.store
    if store is None:
        return 0
    # One sender at a time: the job and a curator's tap must not send the same one twice.
    async with context.bot_data.notify_lock:
        pending = await asyncio.to_thread(store.pending_notifications)
        sent = 0
        for notification in pending:
            outcome = await _send_notification(context, store, notification)
            if outcome is None:
                break  # Telegram is unreachable or throttling: try again next run
            sent += outcome
        return sent


async def _send_notification(
    context: Context, store: Store, notification: Notification
) -> int | None:
    """1 if sent, 0 if skipped or undeliverable, None if sending should stop for now."""
    text = notification_text(context.bot_data.engine, notification)
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


async def notify_job(context: Context) -> None:
    """JobQueue callback: tell askers their question was answered (reloads nothing)."""
    await notify_pending(context)


# --- registration ------------------------------------------------------------------------


async def stats_command(update: Update, context: Context) -> None:
    """/stats: the weekly digest now (curators, in private; bot.telegram.digest)."""
    from bot.telegram.digest import send_digest

    if not await _command_allowed(update, context):
        return
    chat = update.effective_chat
    if chat is not None and not await send_digest(context, [chat.id]):
        await say(update, escape(NO_LOG))


def curator_handlers() -> list[BaseHandler[Update, Context, None]]:
    """The curator commands and buttons, for ``extra_handlers``."""
    return [
        CommandHandler("missed", missed_command),
        CommandHandler("reload", reload_command),
        CommandHandler("stats", stats_command),
        CallbackQueryHandler(curator_button, pattern=f"^{callbacks.CURATOR_PREFIX}"),
    ]
