"""The Telegram front end: python-telegram-bot handlers around the answer engine.

Handlers are thin: they read the engine from ``bot_data["engine"]`` on every update (the
curators' /reload swaps it there), ask it, and turn the reply into a message with buttons.
Every handler is registered in ``register_handlers``, in the order PTB tries them.

Callback data (at most 64 bytes, checked again when it comes back):

    a:<entry_id>              answer for an entry (candidate, related question, example)
    t:<entry_id>              a glossary entry
    v:u:<qid>:<entry_id>      👍 on the answer to question <qid>  (v:d: for 👎)
    x:<qid>                   "都不是": none of the candidates
    n:<qid>                   "有答案时通知我"
    p:<page>                  a page of the /term list

Other prefixes belong to ``extra_handlers`` (the curation commands use "m:").
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import sys
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.config import EXIT_CONFIG, EXIT_UNAVAILABLE, Settings, mask_token
from bot.engine.answering import Engine, Reply, Suggestion
from bot.engine.matching import Reason
from bot.engine.rendering import render_html, split_message
from bot.engine.textnorm import clean, content
from bot.privacy import mask_log_line
from bot.store.records import QuestionRecord
from bot.telegram.delivery import (
    AckAfterHandling,
    Ledger,
    LedgerProcessor,
    TrackShown,
    shown_so_far,
    start_tracking,
)
from bot.telegram.health import Beat, Heartbeat, heartbeat_interval, heartbeat_path
from bot.telegram.inbox import InboxUpdater

if TYPE_CHECKING:
    import concurrent.futures

    from bot.store.files import InstanceLock
    from bot.store.question_log import Store

# What JobQueue.run_repeating accepts: an async function of the context.
JobCallback = Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[Any]]

logger = logging.getLogger(__name__)

# Only what the handlers use: Telegram then does not send (and we do not parse) the rest.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "inline_query"]

COMMANDS = [
    BotCommand("start", "开始:能问什么"),
    BotCommand("help", "使用说明"),
    BotCommand("about", "资料来源和日期"),
    BotCommand("term", "查名词解释,例如 /term 六零"),
]

ENTRY_ID = re.compile(r"[a-z0-9-]{1,40}")
QUESTION_ID = re.compile(r"[0-9a-f]{12}")
CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback_data
OWN_PREFIXES = r"^(a|t|v|x|n|p):"
TERMS_PER_PAGE = 10
INLINE_RESULTS = 10
# How long a handler waits for the store to confirm a write it depends on (an update's
# claim, a question written before its answer). A healthy store takes milliseconds; past
# this, or while the store is failing, the bot answers anyway: answering comes first.
STORE_WAIT = 1.0
ECHO_CHARS = 20  # of a /term word that was not found, quoted back to the user

WELCOME = (
    "您好!我是<b>坪山街道、观湖街道政策问答助手</b>。\n"
    "我只根据两个街道公开的工作报告回答,每条回答都注明出处:\n\n"
    "{about}\n\n"
    "直接发文字问题就行,也可以点下面的例子。/help 查看更多用法。"
)
HELP = (
    "<b>怎么用</b>\n"
    "· 直接发送问题,例如“孩子两岁有托育服务吗”。\n"
    "· /term 六零:直接查名词解释;只发 /term 会列出全部名词。\n"
    "· /about:资料来源和日期。\n"
    "· 在任何聊天里输入 @{username} 加关键词,可以把答案转发给别人。\n"
    "· 在群里,请 @我 或回复我的消息来提问。\n\n"
    "回答都摘自报告原文;报告没有写到的内容,我不会编。"
)
ABOUT = (
    "<b>资料来源</b>\n{about}\n\n"
    "回答逐字摘自上面两份公开报告,并注明章节;报告之后的变化我不知道,办事前请向街道核实。"
)
NOT_TEXT = "我只能回答文字问题,看不懂{kind}。请用文字提问,例如“六零行动是什么”。"
CAPTION_NOTE = "我看不懂{kind},下面只回答您写的文字:"
EDITED = "我只回答新发送的消息,修改过的消息不会再回答。请把问题重新发一遍。"
UNKNOWN_COMMAND = "没有这个命令。可用的命令:/start /help /about /term。也可以直接发文字问题。"
FLOOD = "您发消息太快了,我先暂停回复半分钟,请稍后再问。"
SORRY = "抱歉,处理您的消息时出了点问题,请稍后再试。"
TAMPERED = "这个按钮无法识别,请重新提问。"
STALE = "这个按钮对应的内容已经更新,请重新提问。"
NO_STORE = "暂时无法记录,请稍后再试。"
VOTE_THANKS = {"up": "谢谢您的反馈!", "down": "谢谢,已记下,供工作人员改进回答。"}
NONE_OF_THESE = "好的,这个问题已记下,供工作人员补充。\n您可以换个说法再问,或者看看下面这些问题:"
NOTIFY_OK = "好的,有答案时会通知您。"
TERM_NOT_FOUND = "没有找到“{word}”这个名词。下面是报告里解释过的名词,点一个查看:"
TERM_LIST = "报告里解释过的名词(共 {count} 个,第 {page}/{pages} 页),点一个查看:"

# (attribute of Message, what to call it): animation before document and venue before
# location, because an animation also carries a document and a venue a location.
NON_TEXT_KINDS = (
    ("sticker", "贴纸"),
    ("photo", "图片"),
    ("voice", "语音"),
    ("video_note", "视频消息"),
    ("animation", "动图"),
    ("video", "视频"),
    ("audio", "音频"),
    ("document", "文件"),
    ("venue", "地点"),
    ("location", "位置"),
    ("contact", "联系人名片"),
    ("poll", "投票"),
    ("dice", "骰子"),
)


class StartupError(Exception):
    """The bot cannot start; the message is the one line shown to the operator.

    ``code`` is the exit code: a service manager restarts on EXIT_UNAVAILABLE but not on
    EXIT_CONFIG (see deploy/policybot.service).
    """

    def __init__(self, message: str, code: int = EXIT_CONFIG):
        super().__init__(message)
        self.code = code


# --- callback data -------------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    """A parsed callback: what was tapped, before it is checked against the engine."""

    kind: str  # "answer" | "term" | "vote" | "none" | "notify" | "page"
    entry_id: str | None = None
    question_id: str | None = None
    vote: str | None = None
    page: int = 0


def parse_callback(data: str | None) -> Button | None:
    """The button ``data`` names, or None if it is not data this module made."""
    # Everything this module makes is ASCII; checking that first also keeps .encode()
    # from raising on a forged lone surrogate ("\ud800" is valid JSON).
    if not data or not data.isascii() or len(data) > CALLBACK_LIMIT:
        return None
    parts = data.split(":")
    kind, args = parts[0], parts[1:]

    def entry(value: str) -> bool:
        return ENTRY_ID.fullmatch(value) is not None

    def question(value: str) -> bool:
        return QUESTION_ID.fullmatch(value) is not None

    if kind in ("a", "t") and len(args) == 1 and entry(args[0]):
        return Button("answer" if kind == "a" else "term", entry_id=args[0])
    is_vote = kind == "v" and len(args) == 3 and args[0] in ("u", "d")
    if is_vote and question(args[1]) and entry(args[2]):
        vote = "up" if args[0] == "u" else "down"
        return Button("vote", entry_id=args[2], question_id=args[1], vote=vote)
    if kind in ("x", "n") and len(args) == 1 and question(args[0]):
        return Button("none" if kind == "x" else "notify", question_id=args[0])
    if kind == "p" and len(args) == 1 and args[0].isdigit() and len(args[0]) <= 3:
        return Button("page", page=int(args[0]))
    return None


def _button(text: str, data: str) -> InlineKeyboardButton | None:
    """A callback button, or None (logged) if the data would not fit Telegram's limit."""
    if len(data.encode()) > CALLBACK_LIMIT or parse_callback(data) is None:
        logger.warning("skipping a button whose callback data is invalid: %r", data)
        return None
    return InlineKeyboardButton(text, callback_data=data)


def _rows(*rows: Sequence[InlineKeyboardButton | None]) -> list[list[InlineKeyboardButton]]:
    """Rows without the buttons that could not be made, and without empty rows."""
    kept = [[b for b in row if b is not None] for row in rows]
    return [row for row in kept if row]


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup(rows) if rows else None


def new_question_id() -> str:
    """A question id for replies that are not stored, in the same shape as the store's."""
    return secrets.token_hex(6)


# --- keyboards -----------------------------------------------------------------------


def term_label(engine: Engine, suggestion: Suggestion) -> str:
    """A glossary entry's short name for a button ("“六零”行动"), else its question."""
    entry = engine.kb.entries.get(suggestion.id)
    return (entry.term if entry is not None and entry.term else None) or suggestion.question


def suggestion_rows(suggestions: Sequence[Suggestion]) -> list[list[InlineKeyboardButton]]:
    return _rows(*([_button(s.question, f"a:{s.id}")] for s in suggestions))


def can_notify(reply: Reply) -> bool:
    """Whether "有答案时通知我" makes sense: not for an empty message, another place or a
    service neither report mentions, which no curated answer (a quote) will ever cover."""
    return reply.question.strip() != "" and reply.reason not in (
        Reason.EMPTY,
        Reason.OTHER_PLACE,
        Reason.UNCOVERED_TOPIC,
    )


def reply_keyboard(
    engine: Engine, reply: Reply, question_id: str, stored: bool
) -> InlineKeyboardMarkup | None:
    """The buttons under a reply: votes and related questions, candidates, or examples.

    Buttons that record something (votes, 通知我) are only offered when there is a store.
    """
    rows: list[list[InlineKeyboardButton]] = []
    if reply.outcome == "answer":
        if stored and reply.entry_id:
            rows += _rows(
                [
                    _button("👍 有帮助", f"v:u:{question_id}:{reply.entry_id}"),
                    _button("👎 没帮助", f"v:d:{question_id}:{reply.entry_id}"),
                ]
            )
        rows += suggestion_rows(reply.suggestions)
        terms = [_button(f"📖 {term_label(engine, s)}", f"t:{s.id}") for s in reply.terms]
        rows += _rows(*(terms[i : i + 2] for i in range(0, len(terms), 2)))
    elif reply.outcome == "clarify":
        rows += suggestion_rows(reply.suggestions)
        rows += _rows([_button("都不是", f"x:{question_id}")])
    elif reply.outcome == "miss":
        rows += suggestion_rows(reply.suggestions)
        if stored and can_notify(reply):
            rows += _rows([_button("🔔 有答案时通知我", f"n:{question_id}")])
    else:  # intent: greetings and "what can you do" come with examples
        rows += suggestion_rows(reply.suggestions)
    return _markup(rows)


def term_page(engine: Engine, page: int) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """Text and buttons for one page of the glossary, or None if there is no such page."""
    glossary = engine.glossary()
    pages = max(1, -(-len(glossary) // TERMS_PER_PAGE))
    if not 0 <= page < pages:
        return None
    shown = glossary[page * TERMS_PER_PAGE : (page + 1) * TERMS_PER_PAGE]
    buttons = [_button(term_label(engine, s), f"t:{s.id}") for s in shown]
    rows = _rows(*(buttons[i : i + 2] for i in range(0, len(buttons), 2)))
    nav = []
    if page > 0:
        nav.append(_button("« 上一页", f"p:{page - 1}"))
    if page < pages - 1:
        nav.append(_button("下一页 »", f"p:{page + 1}"))
    rows += _rows(nav)
    text = TERM_LIST.format(count=len(glossary), page=page + 1, pages=pages)
    return text, _markup(rows)


def without_buttons(markup: InlineKeyboardMarkup | None, prefix: str) -> InlineKeyboardMarkup:
    """``markup`` minus the buttons whose data starts with ``prefix`` (an empty keyboard
    removes the keyboard)."""
    rows = []
    for row in markup.inline_keyboard if markup else ():
        kept = [b for b in row if not (b.callback_data or "").startswith(prefix)]
        if kept:
            rows.append(kept)
    return InlineKeyboardMarkup(rows)


# --- looking things up ---------------------------------------------------------------


def _plain(text: str) -> str:
    return re.sub(r"[\s“”‘’\"'「」《》]", "", text).lower()


def find_term(engine: Engine, word: str) -> str | None:
    """The glossary entry for ``word``: its name, then a keyword, then the best match."""
    wanted = _plain(word)
    if not wanted:
        return None
    glossary = engine.kb.glossary
    for entry in glossary:
        if _plain(entry.term or "") == wanted:
            return entry.id
    for entry in glossary:
        if wanted in {_plain(k) for k in entry.keywords}:
            return entry.id
    # Below, any glossary entry among twenty search results would do, so junk and words
    # the reports never use ("公积金", "%s{0}") borrowed a term ("公厕革命", "“六零”行动").
    # What the engine itself declines has no term.
    if engine.ask(word).outcome == "miss":
        return None
    ids = {entry.id for entry in glossary}
    for suggestion in engine.search(word, limit=20):
        if suggestion.id in ids:
            return suggestion.id
    return None


def echo(word: str) -> str:
    """``word`` fit to quote back: without control, zero-width, bidi or surrogate
    characters (a lone surrogate cannot even be sent), and short."""
    cleaned = clean(word)
    return cleaned if len(cleaned) <= ECHO_CHARS else cleaned[: ECHO_CHARS - 1] + "…"


def known_answer_id(engine: Engine, entry_id: str) -> bool:
    """An id a vote may name: an entry, or a report passage the engine quoted."""
    return entry_id in engine.kb.entries or any(p.id == entry_id for p in engine.kb.passages)


# --- the flood guard -----------------------------------------------------------------


class FloodGuard:
    """Per-user limit: more than ``limit`` updates in ``window`` seconds gets one notice,
    then silence for ``pause`` seconds. In memory, on a monotonic clock.

    An update costs the same however many users there are: users are kept in the order
    they were last seen (and silenced users in the order their pause ends), so those
    quiet for a window are all at the front and are forgotten from there, each once.
    """

    def __init__(
        self,
        limit: int = 8,
        window: float = 10.0,
        pause: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit = limit
        self.window = window
        self.pause = pause
        self.clock = clock
        self._seen: OrderedDict[int, deque[float]] = OrderedDict()  # least recent first
        self._silenced_until: OrderedDict[int, float] = OrderedDict()  # first to end first

    @property
    def tracked(self) -> int:
        """Users held in memory: those seen within the window, and those silenced."""
        return len(self._seen) + len(self._silenced_until)

    def check(self, user_id: int) -> str:
        """Count one update: "ok", "notice" (the first one over the limit) or "silent"."""
        now = self.clock()
        self._forget(now)
        if user_id in self._silenced_until:
            return "silent"
        seen = self._seen.get(user_id)
        if seen is None:
            seen = self._seen[user_id] = deque()
        else:
            self._seen.move_to_end(user_id)
        while seen and now - seen[0] >= self.window:  # at most limit + 1 entries
            seen.popleft()
        seen.append(now)
        if len(seen) > self.limit:
            del self._seen[user_id]
            self._silenced_until[user_id] = now + self.pause
            return "notice"
        return "ok"

    def _forget(self, now: float) -> None:
        """Drop users quiet for a window and pauses that are over, from the front only."""
        while self._seen:
            user_id, seen = next(iter(self._seen.items()))
            if now - seen[-1] < self.window:
                break
            del self._seen[user_id]
        while self._silenced_until:
            user_id, until = next(iter(self._silenced_until.items()))
            if until > now:
                break
            del self._silenced_until[user_id]


# --- who is being addressed ----------------------------------------------------------


def _mention(username: str) -> re.Pattern[str]:
    # Usernames are ASCII: a Chinese character right before or after still ends the
    # mention ("六零@bot是什么"), but "@bot_2" or "x@bot" is someone or something else.
    return re.compile(rf"(?<![A-Za-z0-9_@])@{re.escape(username)}(?![A-Za-z0-9_])", re.I)


def addressed_to_bot(message: Message, bot_id: int, username: str | None) -> bool:
    """Private chats always; in groups only a mention of the bot or a reply to it."""
    if message.via_bot is not None and message.via_bot.id == bot_id:
        return False  # an inline result someone sent: it is our own answer, not a question
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    text = message.text or message.caption or ""
    return bool(username) and _mention(username or "").search(text) is not None


def strip_mention(text: str, username: str | None) -> str:
    return _mention(username).sub(" ", text).strip() if username else text


class _AddressedToBot(filters.MessageFilter):
    """Messages meant for the bot (see ``addressed_to_bot``)."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        return addressed_to_bot(message, bot.id, bot.username)


ADDRESSED = _AddressedToBot(name="addressed_to_bot")


# --- helpers the handlers share ------------------------------------------------------


def _engine(context: ContextTypes.DEFAULT_TYPE) -> Engine:
    return context.bot_data["engine"]


def _store(context: ContextTypes.DEFAULT_TYPE) -> Store | None:
    return context.bot_data.get("store")


def log_question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, seconds: float
) -> str:
    """The question's id from the store, or a fresh one when there is no store.

    A failing store must not stop the answer, so errors are logged and swallowed.
    """
    store = _store(context)
    if store is None:
        return new_question_id()
    chat, user = update.effective_chat, update.effective_user
    try:
        kind = chat.type if chat else "unknown"
        record = QuestionRecord.of(
            reply, normalize=content, channel="telegram", chat_kind=kind, seconds=seconds
        )
        return store.log_question(
            record, user_id=user.id if user else None, update_id=update.update_id
        )
    except Exception:
        logger.exception("could not log a question; answering anyway")
        return new_question_id()


async def send(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send ``text`` (HTML) to the update's chat, split to fit; buttons on the last part.

    A message is replied to (quoted in groups, by PTB's default); a tapped button's answer
    goes to the same chat and topic as the message that carried the button.
    """
    if update.callback_query is not None:
        carrier = update.callback_query.message
        origin = carrier if isinstance(carrier, Message) else None
        quote: bool | None = False
    else:
        origin = update.effective_message
        quote = None
    chat = update.effective_chat
    parts = split_message(text) if text.strip() else [escape("(没有内容)")]
    sent = None
    for number, part in enumerate(parts, start=1):
        buttons = markup if number == len(parts) else None
        if origin is not None:
            sent = await origin.reply_text(part, reply_markup=buttons, do_quote=quote)
        elif chat is not None:
            sent = await chat.send_message(part, reply_markup=buttons)
    return sent


async def send_reply(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    reply: Reply,
    seconds: float,
    note: str = "",
) -> None:
    """Log ``reply`` and send it rendered (after ``note``, plain text), with the buttons
    for its outcome.

    The question is written before the answer goes out, so that after a crash an update
    with no question on record is known to be unanswered (see ``claim_update``).
    """
    engine = _engine(context)
    question_id = log_question(update, context, reply, seconds)
    store = _store(context)
    stored = store is not None
    if store is not None:
        await wait_for_store(store, store.durable(), "the question to be written")
    logger.debug(
        "reply: outcome=%s entry=%s reason=%s", reply.outcome, reply.entry_id, reply.reason_label
    )
    text = (escape(note) + "\n\n" if note else "") + render_html(reply)
    await send(update, text, reply_keyboard(engine, reply, question_id, stored))


async def _edit_markup(update: Update, markup: InlineKeyboardMarkup) -> None:
    """Replace the tapped message's buttons; a message that is gone or unchanged is fine."""
    try:
        await update.callback_query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as error:
        logger.debug("could not edit the buttons: %s", error)


async def wait_for_store(
    store: Store, future: concurrent.futures.Future[Any], what: str
) -> Any | None:
    """The store's result for ``future``, or None if it is failing or slow to answer.

    Gives up as soon as the store reports a failed write (a locked or full database),
    not only after STORE_WAIT.
    """
    if store.failing:
        return None
    waiting = asyncio.wrap_future(future)
    deadline = asyncio.get_running_loop().time() + STORE_WAIT
    while not store.failing:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            logger.warning("the store did not confirm %s in %.0f s; going on", what, STORE_WAIT)
            break
        # asyncio.wait neither cancels nor raises: the writer still resolves the future.
        done, _ = await asyncio.wait({waiting}, timeout=min(remaining, 0.05))
        if done:
            return waiting.result()
    return None


def _is_question(update: Update) -> bool:
    """A new text message that is not a command: what ``ask`` answers (if addressed)."""
    message = update.message
    return message is not None and bool(message.text) and not message.text.startswith("/")


# --- handlers ------------------------------------------------------------------------


async def track_shown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start recording what this update shows its sender (read by ``on_error``)."""
    start_tracking()


async def claim_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Do not handle again an update that was handled before a crash.

    Telegram redelivers every update the bot had not confirmed when it died
    (bot/telegram/delivery.py confirms only handled ones), and some of those were
    answered. Each update id is claimed in the store, and the claim is on disk before
    anything is sent: here for most
    updates, and for text questions in ``send_reply``, which writes the question before
    answering (one wait per update, not two). An update an earlier process claimed is
    skipped, except a text question that logged no question: that one was never answered.
    """
    store = _store(context)
    if store is None:
        return
    claim = store.claim_update(update.update_id)
    if not claim.new:
        if claim.question_id is None and _is_question(update):
            logger.info("update %d was cut short by a restart; answering it", update.update_id)
        else:
            logger.info("update %d was handled before a restart; not again", update.update_id)
            raise ApplicationHandlerStop
    if not _is_question(update):
        await wait_for_store(store, claim.written, "an update's claim")


async def guard_flood(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop updates from a user who sends too much, with one polite notice."""
    user = update.effective_user
    if user is None or update.inline_query is not None:
        return  # inline queries arrive per keystroke; Telegram already throttles them
    message = update.effective_message
    query = update.callback_query
    if query is None:
        if message is None:
            return
        is_command = (message.text or "").startswith("/")
        if not (is_command or addressed_to_bot(message, context.bot.id, context.bot.username)):
            return  # group chatter that is not for us does not count
    verdict = context.bot_data["flood_guard"].check(user.id)
    if verdict == "ok":
        return
    if query is not None:
        await query.answer(FLOOD if verdict == "notice" else None)
    elif verdict == "notice":
        await message.reply_text(escape(FLOOD))
    raise ApplicationHandlerStop


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome: what the bot knows, and example questions to tap."""
    engine = _engine(context)
    text = WELCOME.format(about=escape(engine.about()))
    await send(update, text, _markup(suggestion_rows(engine.examples())))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How to ask, in private chats, groups and inline mode."""
    await send(update, HELP.format(username=escape(context.bot.username or "bot")))


async def about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The reports the answers come from, with their dates."""
    await send(update, ABOUT.format(about=escape(_engine(context).about())))


async def term(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/term 词: straight to the glossary entry; without a word, the list to tap."""
    engine = _engine(context)
    # Cleaned first: a word of zero-width, control or surrogate characters is no word.
    word = clean(" ".join(context.args or ()))
    entry_id = find_term(engine, word) if word else None
    if entry_id is not None:
        started = time.perf_counter()
        reply = engine.entry_reply(entry_id)
        if reply is not None:
            await send_reply(update, context, reply, time.perf_counter() - started)
            return
    page = term_page(engine, 0)
    assert page is not None  # page 0 always exists
    text, markup = page
    if word:
        text = TERM_NOT_FOUND.format(word=escape(echo(word)))
    await send(update, text, markup)


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text: the engine's reply, with buttons for what to do next."""
    message = update.effective_message
    text = message.text or ""
    if message.chat.type != ChatType.PRIVATE:
        text = strip_mention(text, context.bot.username)
    started = time.perf_counter()
    reply = _engine(context).ask(text)  # pure CPU, about a millisecond: fine on the loop
    await send_reply(update, context, reply, time.perf_counter() - started)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tapped button, checked against the current engine before anything is done."""
    query = update.callback_query
    button = parse_callback(query.data)
    if button is None:
        await query.answer(TAMPERED)
        return
    engine, store = _engine(context), _store(context)
    user, chat = update.effective_user, update.effective_chat
    if button.kind in ("answer", "term"):
        assert button.entry_id is not None
        allowed = {e.id for e in engine.kb.glossary} if button.kind == "term" else engine.kb.entries
        if button.entry_id not in allowed:
            await query.answer(STALE)
            return
        started = time.perf_counter()
        reply = engine.entry_reply(button.entry_id)
        if reply is None:
            await query.answer(STALE)
            return
        await query.answer()
        await send_reply(update, context, reply, time.perf_counter() - started)
    elif button.kind == "vote":
        assert button.entry_id is not None and button.vote is not None
        if not known_answer_id(engine, button.entry_id):
            await query.answer(STALE)
            return
        if store is None:
            await query.answer(NO_STORE)
            return
        store.log_vote(
            question_id=button.question_id,
            user_id=user.id if user else None,
            entry_id=button.entry_id,
            vote=button.vote,
        )
        await query.answer(VOTE_THANKS[button.vote])
        await _edit_markup(update, without_buttons(_carried_markup(update), "v:"))
    elif button.kind == "none":
        if store is not None:
            store.log_vote(
                question_id=button.question_id,
                user_id=user.id if user else None,
                entry_id=None,
                vote="none",
            )
        await query.answer()
        await _edit_markup(update, without_buttons(_carried_markup(update), "x:"))
        rows = suggestion_rows(engine.examples())
        if store is not None:
            rows += _rows([_button("🔔 有答案时通知我", f"n:{button.question_id}")])
        await send(update, escape(NONE_OF_THESE), _markup(rows))
    elif button.kind == "notify":
        if store is None or chat is None or user is None:
            await query.answer(NO_STORE)
            return
        assert button.question_id is not None
        store.request_notification(question_id=button.question_id, user_id=user.id, chat_id=chat.id)
        await query.answer(NOTIFY_OK)
        await _edit_markup(update, without_buttons(_carried_markup(update), "n:"))
    else:  # page
        page = term_page(engine, button.page)
        if page is None:
            await query.answer(STALE)
            return
        await query.answer()
        await _edit_markup(update, page[1] or InlineKeyboardMarkup([]))


def _carried_markup(update: Update) -> InlineKeyboardMarkup | None:
    message = update.callback_query.message if update.callback_query else None
    return message.reply_markup if isinstance(message, Message) else None


async def on_unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Callback data nobody claimed: old or forged; say so instead of spinning."""
    await update.callback_query.answer(TAMPERED)


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot 词 in any chat: matching entries, each sending its quoted answer."""
    query = update.inline_query
    engine = _engine(context)
    words = query.query.strip()
    found = engine.search(words, limit=INLINE_RESULTS) if words else list(engine.examples())
    results = []
    for suggestion in found:
        reply = engine.entry_reply(suggestion.id)
        if reply is None:
            continue
        body = reply.blocks[0].body if reply.blocks else ""
        results.append(
            InlineQueryResultArticle(
                id=suggestion.id,
                title=suggestion.question,
                description=body[:80],
                # One message is all an inline result can send: the first part.
                input_message_content=InputTextMessageContent(
                    split_message(render_html(reply))[0], parse_mode=ParseMode.HTML
                ),
            )
        )
    button = InlineQueryResultsButton(text="打开对话提问", start_parameter="inline")
    await query.answer(results, cache_time=60, button=button)


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, files, locations…: only text can be answered, so a photo
    whose caption asks something gets that answered, and anything else a polite no."""
    message = update.effective_message
    kind = next(
        (name for attribute, name in NON_TEXT_KINDS if getattr(message, attribute, None)),
        "这类消息",
    )
    caption = message.caption or ""
    if message.chat.type != ChatType.PRIVATE:
        caption = strip_mention(caption, context.bot.username)
    if caption.strip() and not caption.lstrip().startswith("/"):
        started = time.perf_counter()
        reply = _engine(context).ask(caption)
        if reply.outcome != "miss" or reply.reason is not Reason.EMPTY:
            note = CAPTION_NOTE.format(kind=kind)
            await send_reply(update, context, reply, time.perf_counter() - started, note)
            return
    await message.reply_text(escape(NOT_TEXT.format(kind=kind)))


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message: ask to send it again rather than answering twice."""
    await update.effective_message.reply_text(escape(EDITED))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have."""
    await update.effective_message.reply_text(escape(UNKNOWN_COMMAND))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error and tell the user something went wrong; the bot keeps running."""
    error = context.error
    if isinstance(error, Conflict):
        logger.error("another process is polling with this bot token; stop one of them")
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        # Telegram or the network hiccuped (PTB retries polling by itself): no traceback,
        # and no apology, which could not be delivered either.
        logger.warning("network problem talking to the Bot API: %s", error)
        return
    logger.error("error while handling an update", exc_info=error)
    if not isinstance(update, Update):
        return
    shown = shown_so_far()
    if shown is not None and shown.message:
        # The reply (or part of it) went out: an apology after it would contradict it.
        logger.info("update %d had its reply delivered; no apology", update.update_id)
        return
    answered = shown is not None and shown.callback_answered
    try:
        if update.callback_query is not None and not answered:
            await update.callback_query.answer(SORRY)
        elif update.effective_chat is not None:  # a query is answered once: say it instead
            await update.effective_chat.send_message(escape(SORRY))
    except TelegramError as failure:
        logger.warning("could not tell the user about the error: %s", failure)


def register_handlers(application: Application, extra_handlers: Sequence[BaseHandler] = ()) -> None:
    """Every handler, in the order PTB tries them (the first match in a group wins)."""
    # Groups -3 to -1 run first; -2 and -1 may stop the update (ApplicationHandlerStop).
    application.add_handler(TypeHandler(Update, track_shown), group=-3)
    application.add_handler(TypeHandler(Update, claim_update), group=-2)
    application.add_handler(TypeHandler(Update, guard_flood), group=-1)
    new_message = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("start", start, filters=new_message))
    application.add_handler(CommandHandler("help", help_command, filters=new_message))
    application.add_handler(CommandHandler("about", about, filters=new_message))
    application.add_handler(CommandHandler("term", term, filters=new_message))
    application.add_handler(CallbackQueryHandler(on_button, pattern=OWN_PREFIXES))
    application.add_handler(InlineQueryHandler(inline_query))
    # Other modules' handlers (curator commands, "m:" buttons) come before the catch-alls,
    # so their commands are not "unknown" and their buttons not "tampered".
    for handler in extra_handlers:
        application.add_handler(handler)
    application.add_handler(CallbackQueryHandler(on_unknown_button))
    application.add_handler(
        MessageHandler(new_message & filters.TEXT & ~filters.COMMAND & ADDRESSED, ask)
    )
    application.add_handler(
        MessageHandler(
            new_message & filters.COMMAND & (filters.ChatType.PRIVATE | ADDRESSED),
            unknown_command,
        )
    )
    application.add_handler(
        MessageHandler(
            new_message & ~filters.TEXT & ~filters.StatusUpdate.ALL & ADDRESSED, non_text
        )
    )
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & ADDRESSED, edited))
    application.add_error_handler(on_error)


# --- talking to the Bot API ---------------------------------------------------------


class RetryingRateLimiter(AIORateLimiter):
    """PTB's rate limiter, which also waits out a 429 (``retry_after``) and tries again,
    plus retries after a 5xx, a timeout or a dropped connection.

    PTB itself never repeats a request that failed on the network, so without this a
    resident's answer is lost on the first hiccup. A retry can duplicate a message when
    Telegram did deliver it and only the response was lost: the Bot API has no
    idempotency key, and an answer shown twice is better than none. 400s (BadRequest),
    403s and 401s are not retried: they will fail the same way again.
    getUpdates never comes here: PTB's updater retries it itself.
    """

    def __init__(self, *, network_retries: int = 3, backoff: float = 0.5, max_retries: int = 3):
        super().__init__(max_retries=max_retries)
        self.network_retries = network_retries
        self.backoff = backoff
        self.retried = 0  # network retries made, for tests and diagnostics

    async def process_request(
        self,
        callback: Callable[..., Any],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        attempt = 0
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except NetworkError as error:  # TimedOut included
                if isinstance(error, BadRequest) or attempt >= self.network_retries:
                    raise
                attempt += 1
                self.retried += 1
                kind = "timed out" if isinstance(error, TimedOut) else "failed"
                logger.warning(
                    "%s %s (%s); retry %d of %d",
                    endpoint,
                    kind,
                    error,
                    attempt,
                    self.network_retries,
                )
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))


# --- life cycle ----------------------------------------------------------------------


def open_bot_store(settings: Settings) -> Store:
    """The store ``settings`` name, opened; StartupError if it cannot be.

    A file that can never hold the log (not SQLite, damaged, a directory) is EXIT_CONFIG:
    a restart would meet it again, and answering without a log would lose every question.
    """
    from bot.store.files import UnusableDatabase
    from bot.store.question_log import open_store

    try:
        return open_store(settings)
    except UnusableDatabase as error:
        raise StartupError(
            f"the database cannot be used: {error}; move it aside or set POLICYBOT_DB "
            "to another file."
        ) from error
    except Exception as error:
        raise StartupError(
            f"cannot open the database {settings.db_path}: {error}", EXIT_UNAVAILABLE
        ) from error


def hold_instance_lock(settings: Settings) -> InstanceLock:
    """The database's instance lock, held; StartupError if another bot holds it.

    EXIT_UNAVAILABLE: the other one may be on its way out (a restart that overlaps, a
    container still flushing), so a later retry may well start.
    """
    from bot.store.files import AlreadyRunning, InstanceLock, UnusableDatabase

    lock = InstanceLock(settings.db_path)
    try:
        lock.acquire()
    except AlreadyRunning as error:
        raise StartupError(str(error), EXIT_UNAVAILABLE) from error
    except UnusableDatabase as error:
        raise StartupError(f"the database cannot be used: {error}") from error
    return lock


async def post_init(application: Application) -> None:
    """Take the database (unless a store was given) and publish the command menu."""
    settings: Settings = application.bot_data["settings"]
    if application.bot_data.get("store") is None:
        # Before anything is read: a second bot must not load claims the first is writing.
        application.bot_data["instance_lock"] = hold_instance_lock(settings)
        application.bot_data["store"] = await asyncio.to_thread(open_bot_store, settings)
    try:
        await application.bot.set_my_commands(COMMANDS)
    except TelegramError as error:
        # A self-hosted or restricted Bot API may refuse; the bot works without the menu.
        logger.warning("setMyCommands was refused (%s); continuing without a command menu", error)
    logger.info("bot @%s is up", application.bot.username)


async def post_shutdown(application: Application) -> None:
    """Flush and close the store (off the event loop: it waits for its writer), then let
    another bot take the database."""
    store = application.bot_data.get("store")
    if store is not None:
        await asyncio.to_thread(store.close)
    lock = application.bot_data.pop("instance_lock", None)
    if lock is not None:
        lock.release()


def file_url_for(base_url: str) -> str:
    """The file endpoint matching a Bot API ``base_url`` (…/bot -> …/file/bot)."""
    base = base_url.rstrip("/")
    return base[: -len("bot")] + "file/bot" if base.endswith("/bot") else base + "/file"


def quiet_http_logging() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the token."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


class RedactToken(logging.Filter):
    """Replaces the bot token (or another secret) with its masked form in any record
    (defence in depth)."""

    def __init__(self, token: str, masked: str | None = None):
        super().__init__()
        self.token = token
        self.masked = mask_token(token) if masked is None else masked

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the formatter's problem, not ours
            return True
        if self.token in message:
            record.msg, record.args = message.replace(self.token, self.masked), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, self.masked)
        if record.stack_info and self.token in record.stack_info:
            record.stack_info = record.stack_info.replace(self.token, self.masked)
        return True


# Loggers known to write the token: PTB's Bot logs "Set Bot API URL: …/bot<token>" at
# DEBUG when it is created; httpx logs request URLs (silenced above, filtered anyway).
TOKEN_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "httpx", "httpcore")


def protect_token(token: str, masked: str | None = None) -> None:
    """Mask ``token`` in records of the loggers that write it and in every root handler.

    A logger's filter sees its records wherever they go (pytest's capture included); a
    root handler's filter catches any other record that reaches the log output.
    ``masked`` replaces it (default: the token's masked form).
    """
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in TOKEN_LOGGERS]
    targets += logging.getLogger().handlers
    for target in targets:
        if not any(isinstance(f, RedactToken) and f.token == token for f in target.filters):
            target.addFilter(RedactToken(token, masked))


class MaskPersonalData(logging.Filter):
    """Masks phone, 身份证 and bank card numbers (bot.privacy) in a record's message,
    also where a JSON body hides them in \\uXXXX escapes (the message is then decoded)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the formatter's problem, not ours
            return True
        masked = mask_log_line(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


# At DEBUG, PTB logs every update (Application: "Processing update …", the webhook
# handler: its raw body, the Bot: getUpdates' result) and every call's parameters:
# residents' text, with whatever numbers they typed.
PERSONAL_DATA_LOGGERS = (
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.Updater",
    "telegram.ext",
)


def protect_personal_data() -> None:
    """Mask personal data in the records of PTB's loggers and of every root handler."""
    targets: list[logging.Filterer] = [logging.getLogger(n) for n in PERSONAL_DATA_LOGGERS]
    targets += logging.getLogger().handlers
    for target in targets:
        if not any(isinstance(f, MaskPersonalData) for f in target.filters):
            target.addFilter(MaskPersonalData())


WEBHOOK_SECRET_MASK = "(webhook secret)"


def protect_secrets(settings: Settings) -> None:
    """The token; the webhook secret (PTB logs setWebhook's parameters, secret_token
    included, at DEBUG); residents' personal data."""
    if settings.token:
        protect_token(settings.token)
    if settings.webhook_secret:
        protect_token(settings.webhook_secret, WEBHOOK_SECRET_MASK)
    protect_personal_data()


def build_application(
    settings: Settings,
    engine: Engine,
    store: Store | None = None,
    extra_handlers: Sequence[BaseHandler] = (),
    *,
    repeating_jobs: Sequence[tuple[JobCallback, float]] = (),
    rate_limited: bool = True,
    http_timeout: float | None = None,
) -> Application:
    """The Application with every handler registered; nothing is started or contacted.

    With ``store=None`` the store named by ``settings.db_path`` is opened in post_init.
    ``repeating_jobs`` are (callback, seconds) pairs for the job queue, e.g. the curation
    module's notification job. ``rate_limited=False`` drops the limiter that keeps the
    bot within Telegram's flood limits, and with it the retries of failed calls: only
    for a Bot API that has neither limits nor faults (load tests and benchmarks against
    the fake server on loopback). ``http_timeout`` (seconds) replaces PTB's 5 s read and
    write timeouts (for getUpdates, what is added to the long-poll time); tests use a
    short one to meet a stalled server quickly.
    """
    if not settings.token:
        raise StartupError("TELEGRAM_BOT_TOKEN is not set.")
    quiet_http_logging()
    protect_secrets(settings)  # before build(): creating the Bot logs its URL
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        allow_sending_without_reply=True,  # the question may be deleted before we answer
    )
    ledger = Ledger()
    timeouts = (
        {}
        if http_timeout is None
        else {"read_timeout": http_timeout, "write_timeout": http_timeout}
    )
    builder = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(file_url_for(settings.base_url))
        .defaults(defaults)
        # Both request objects are ours, so the timeouts go to them, not to the builder.
        .get_updates_request(AckAfterHandling(ledger, **timeouts))
        .request(TrackShown(**timeouts))
        .concurrent_updates(LedgerProcessor(ledger))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if rate_limited:
        builder = builder.rate_limiter(RetryingRateLimiter())
    application = builder.build()
    # The same Updater for polling; for a webhook, a server that stores each update
    # before Telegram is told 200 (bot/telegram/inbox.py).
    application.updater = InboxUpdater(
        application.bot, application.update_queue, ledger, settings.db_path
    )
    application.bot_data.update(
        engine=engine, settings=settings, store=store, flood_guard=FloodGuard()
    )

    async def flush(timeout: float) -> bool:
        current: Store | None = application.bot_data.get("store")
        if current is None or current.failing:
            # Nothing to wait for, or nothing worth waiting for: a failing store keeps
            # its records in memory and says so itself, once a minute.
            return True
        return await asyncio.to_thread(current.flush, timeout, unless_failing=True)

    ledger.flush = flush
    register_handlers(application, extra_handlers)
    install_heartbeat(application, settings, ledger)
    for callback, seconds in repeating_jobs:
        if application.job_queue is None:
            raise StartupError("the job queue is missing: install python-telegram-bot[job-queue]")
        application.job_queue.run_repeating(callback, interval=seconds, first=seconds)
    return application


def install_heartbeat(application: Application, settings: Settings, ledger: Ledger) -> None:
    """A beat through the update queue every $POLICYBOT_HEARTBEAT_SECONDS (30 s), written
    beside the database once handled: the container's health check reads it
    (bot/telegram/health.py)."""
    if application.job_queue is None:
        return  # no job queue, no beats: the health check then reports the bot down
    heartbeat = Heartbeat(heartbeat_path(settings.db_path), lambda: ledger.last_poll)
    application.add_handler(TypeHandler(Beat, heartbeat.handle), group=-3)
    application.job_queue.run_repeating(heartbeat.queue, interval=heartbeat_interval(), first=0)


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the configured level, never showing the token."""
    level = logging.getLevelName(settings.log_level)
    if not isinstance(level, int):
        level = logging.INFO
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    logging.getLogger().setLevel(level)
    # The job queue logs two lines at INFO for every run of a repeating job.
    logging.getLogger("apscheduler").setLevel(logging.WARNING if level > logging.DEBUG else level)
    quiet_http_logging()
    protect_secrets(settings)


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Arguments for run_webhook/start_webhook; refuses a webhook without a usable secret."""
    if not settings.webhook_url:
        raise StartupError("POLICYBOT_WEBHOOK_URL is not set.")
    parts = urlsplit(settings.webhook_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StartupError(f"POLICYBOT_WEBHOOK_URL is not an http(s) URL: {settings.webhook_url}")
    secret = settings.webhook_secret
    if not secret:
        raise StartupError(
            "POLICYBOT_WEBHOOK_SECRET must be set in webhook mode: Telegram sends it with "
            "every update, and requests without it are refused."
        )
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise StartupError(
            "POLICYBOT_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -."
        )
    return {
        "listen": settings.listen,
        "port": settings.port,
        "url_path": parts.path.strip("/"),
        "secret_token": secret,
        "webhook_url": settings.webhook_url,
        "allowed_updates": ALLOWED_UPDATES,
    }


async def check_token(settings: Settings) -> None:
    """Ask the Bot API who we are; StartupError (token masked) if that fails.

    Done before run_polling/run_webhook because their start-up logs a rejected token with
    a traceback, and the operator should get one clear line instead.
    """
    token = settings.token or ""
    masked = mask_token(token)
    bot = Bot(token, base_url=settings.base_url, base_file_url=file_url_for(settings.base_url))
    try:
        async with bot:
            logger.info("the Bot API accepted the token of @%s", bot.username)
    except InvalidToken as error:
        message = f"Telegram rejected the bot token {masked}; check TELEGRAM_BOT_TOKEN."
        raise StartupError(message) from error
    except NetworkError as error:  # TimedOut included
        reason = str(error).replace(token, masked) if token else str(error)
        message = f"cannot reach the Bot API at {settings.base_url}: {reason}"
        raise StartupError(message, EXIT_UNAVAILABLE) from error
    except TelegramError as error:
        reason = str(error).replace(token, masked) if token else str(error)
        message = f"the Bot API refused to start the bot: {reason}"
        raise StartupError(message, EXIT_UNAVAILABLE) from error


def _fail(error: StartupError) -> int:
    print(f"error: {error}", file=sys.stderr)
    return error.code


def run_bot(
    settings: Settings,
    engine: Engine,
    store: Store | None = None,
    extra_handlers: Sequence[BaseHandler] = (),
    *,
    repeating_jobs: Sequence[tuple[JobCallback, float]] = (),
    rate_limited: bool = True,
) -> int:
    """Serve the bot until Ctrl-C or SIGTERM; the exit code.

    0 after a clean stop; EXIT_CONFIG or EXIT_UNAVAILABLE, with one line on stderr, when
    it cannot start. Long polling, or a webhook when ``settings.webhook_url`` is set.
    ``rate_limited`` as in ``build_application`` (False only for a fake Bot API).
    """
    configure_logging(settings)
    try:
        if not settings.token:
            raise StartupError("TELEGRAM_BOT_TOKEN is not set.")
        options = webhook_options(settings) if settings.webhook_url else None
        asyncio.run(check_token(settings))  # first: nothing else is logged before it
        application = build_application(
            settings,
            engine,
            store,
            extra_handlers,
            repeating_jobs=repeating_jobs,
            rate_limited=rate_limited,
        )
    except StartupError as error:
        return _fail(error)
    # run_polling/run_webhook use the current loop and close it at the end; give them a
    # fresh one (asyncio.run above has closed and unset its own).
    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        if options is not None:
            logger.info("webhook mode: listening on %s:%s", settings.listen, settings.port)
            application.run_webhook(**options)
        else:
            logger.info("long polling")
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except StartupError as error:  # from post_init
        return _fail(error)
    except InvalidToken:  # revoked between the check and the start
        return _fail(StartupError(f"Telegram rejected the bot token {mask_token(settings.token)}."))
    except OSError as error:  # the webhook port is taken or not ours to bind
        where = f"{settings.listen}:{settings.port}"
        return _fail(StartupError(f"cannot listen on {where}: {error}", EXIT_UNAVAILABLE))
    finally:
        asyncio.set_event_loop(None)
    return 0
