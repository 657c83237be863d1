"""Building and running the Application: handlers in order, typed context, start-up checks.

``build_application`` wires everything and starts nothing; ``run_bot`` serves until
stopped (long polling, or a webhook when one is configured) and returns the exit code.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
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
from bot.engine import messages_en
from bot.engine.answering import Engine
from bot.engine.messages import COMMAND_MENU
from bot.telegram import handlers, language
from bot.telegram.addressing import ADDRESSED
from bot.telegram.buttons import BUTTON_HANDLERS, on_unknown_button
from bot.telegram.callbacks import PATTERNS
from bot.telegram.context import BotApplication, BotData, Context, JobCallback
from bot.telegram.delivery import AckAfterHandling, Ledger, LedgerProcessor, TrackShown
from bot.telegram.digest import schedule_digest
from bot.telegram.handover import RepliesToHandover, on_staff_reply
from bot.telegram.health import Beat, Heartbeat, heartbeat_interval, heartbeat_path
from bot.telegram.inbox import InboxUpdater
from bot.telegram.limits import RetryingRateLimiter
from bot.telegram.logsafety import configure_logging, protect_secrets, quiet_http_logging

if TYPE_CHECKING:
    from bot.store.files import InstanceLock
    from bot.store.question_log import Store

logger = logging.getLogger(__name__)

# Only what the handlers use: Telegram then does not send (and we do not parse) the rest.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "inline_query"]
COMMANDS = [BotCommand(command, description) for command, description in COMMAND_MENU]
# The menu users whose Telegram is in English see (setMyCommands with language_code "en").
COMMANDS_EN = [BotCommand(name, description) for name, description in messages_en.COMMAND_MENU]


class StartupError(Exception):
    """The bot cannot start; the message is the one line shown to the operator.

    ``code`` is the exit code: a service manager restarts on EXIT_UNAVAILABLE but not on
    EXIT_CONFIG (see deploy/policybot.service).
    """

    def __init__(self, message: str, code: int = EXIT_CONFIG):
        super().__init__(message)
        self.code = code


# --- life cycle ------------------------------------------------------------------------


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


async def post_init(application: BotApplication) -> None:
    """Take the database (unless a store was given) and publish the command menu."""
    data = application.bot_data
    if data.store is None:
        # Before anything is read: a second bot must not load claims the first is writing.
        data.instance_lock = hold_instance_lock(data.settings)
        data.store = await asyncio.to_thread(open_bot_store, data.settings)
    try:
        await application.bot.set_my_commands(COMMANDS)
        await application.bot.set_my_commands(COMMANDS_EN, language_code=messages_en.LANGUAGE)
    except TelegramError as error:
        # A self-hosted or restricted Bot API may refuse; the bot works without the menu.
        logger.warning("setMyCommands was refused (%s); continuing without a command menu", error)
    logger.info("bot @%s is up", application.bot.username)


async def post_shutdown(application: BotApplication) -> None:
    """Flush and close the store (off the event loop: it waits for its writer), then let
    another bot take the database."""
    data = application.bot_data
    if data.store is not None:
        await asyncio.to_thread(data.store.close)
    lock, data.instance_lock = data.instance_lock, None
    if lock is not None:
        lock.release()


def file_url_for(base_url: str) -> str:
    """The file endpoint matching a Bot API ``base_url`` (…/bot -> …/file/bot)."""
    base = base_url.rstrip("/")
    return base[: -len("bot")] + "file/bot" if base.endswith("/bot") else base + "/file"


def register_handlers(
    application: BotApplication, extra_handlers: Sequence[BaseHandler[Any, Context, Any]] = ()
) -> None:
    """Every handler, in the order PTB tries them (the first match in a group wins)."""
    # Groups -3 to -1 run first; -2 and -1 may stop the update (ApplicationHandlerStop).
    application.add_handler(TypeHandler(Update, handlers.track_shown), group=-3)
    application.add_handler(TypeHandler(Update, handlers.claim_update), group=-2)
    application.add_handler(TypeHandler(Update, handlers.guard_flood), group=-1)
    new_message = filters.UpdateType.MESSAGE
    for command, callback in (
        ("start", handlers.start),
        ("help", handlers.help_command),
        ("about", handlers.about),
        ("term", handlers.term),
        ("lang", language.lang),
    ):
        application.add_handler(CommandHandler(command, callback, filters=new_message))
    for kind, on_tap in BUTTON_HANDLERS.items():
        application.add_handler(CallbackQueryHandler(on_tap, pattern=PATTERNS[kind]))
    application.add_handler(InlineQueryHandler(handlers.inline_query))
    # Other modules' handlers (curator commands, "m:" buttons) come before the catch-alls,
    # so their commands are not "unknown" and their buttons not "tampered".
    for handler in extra_handlers:
        application.add_handler(handler)
    application.add_handler(CallbackQueryHandler(on_unknown_button))
    staff_chat = application.bot_data.settings.staff_chat
    if staff_chat is not None:
        # Before questions: a staff reply to a handover is relayed, not answered.
        staff_reply = filters.Chat(staff_chat) & new_message & filters.TEXT & RepliesToHandover()
        application.add_handler(MessageHandler(staff_reply & ~filters.COMMAND, on_staff_reply))
    text = new_message & filters.TEXT & ~filters.COMMAND & ADDRESSED
    application.add_handler(MessageHandler(text, handlers.ask))
    unknown = new_message & filters.COMMAND & (filters.ChatType.PRIVATE | ADDRESSED)
    application.add_handler(MessageHandler(unknown, handlers.unknown_command))
    other = new_message & ~filters.TEXT & ~filters.StatusUpdate.ALL & ADDRESSED
    application.add_handler(MessageHandler(other, handlers.non_text))
    edited = filters.UpdateType.EDITED_MESSAGE & ADDRESSED
    application.add_handler(MessageHandler(edited, handlers.edited))
    application.add_error_handler(handlers.on_error)


def build_application(
    settings: Settings,
    engine: Engine,
    store: Store | None = None,
    extra_handlers: Sequence[BaseHandler[Any, Context, Any]] = (),
    *,
    repeating_jobs: Sequence[tuple[JobCallback, float]] = (),
    rate_limited: bool = True,
    http_timeout: float | None = None,
) -> BotApplication:
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
    ledger = Ledger()
    application = _builder(settings, ledger, rate_limited, http_timeout).build()
    # The same Updater for polling; for a webhook, a server that stores each update
    # before Telegram is told 200 (bot/telegram/inbox.py).
    application.updater = InboxUpdater(
        application.bot, application.update_queue, ledger, settings.db_path
    )
    data = application.bot_data
    data.engine, data.settings, data.store = engine, settings, store

    async def flush(timeout: float) -> bool:
        current = data.store
        if current is None or current.failing:
            # Nothing to wait for, or nothing worth waiting for: a failing store keeps
            # its records in memory and says so itself, once a minute.
            return True
        return await asyncio.to_thread(current.flush, timeout, unless_failing=True)

    ledger.flush = flush
    register_handlers(application, extra_handlers)
    install_heartbeat(application, settings, ledger)
    if settings.curators and application.job_queue is not None:
        schedule_digest(application.job_queue)  # bot/telegram/digest.py
    for callback, seconds in repeating_jobs:
        if application.job_queue is None:
            raise StartupError("the job queue is missing: install python-telegram-bot[job-queue]")
        application.job_queue.run_repeating(callback, interval=seconds, first=seconds)
    return application


def _builder(
    settings: Settings, ledger: Ledger, rate_limited: bool, http_timeout: float | None
) -> ApplicationBuilder[Any, Context, dict[Any, Any], dict[Any, Any], BotData, Any]:
    """The ApplicationBuilder for ``build_application``, every option set."""
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        allow_sending_without_reply=True,  # the question may be deleted before we answer
    )
    timeouts = (
        {}
        if http_timeout is None
        else {"read_timeout": http_timeout, "write_timeout": http_timeout}
    )
    builder = (
        Application.builder()
        .token(settings.token or "")
        .context_types(ContextTypes(bot_data=BotData))
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
    return builder.rate_limiter(RetryingRateLimiter()) if rate_limited else builder


def install_heartbeat(application: BotApplication, settings: Settings, ledger: Ledger) -> None:
    """A beat through the update queue every $POLICYBOT_HEARTBEAT_SECONDS (30 s), written
    beside the database once handled: the container's health check reads it
    (bot/telegram/health.py)."""
    if application.job_queue is None:
        return  # no job queue, no beats: the health check then reports the bot down
    heartbeat = Heartbeat(heartbeat_path(settings.db_path), lambda: ledger.last_poll)
    application.add_handler(TypeHandler(Beat, heartbeat.handle), group=-3)
    application.job_queue.run_repeating(heartbeat.queue, interval=heartbeat_interval(), first=0)


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
    extra_handlers: Sequence[BaseHandler[Any, Context, Any]] = (),
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
