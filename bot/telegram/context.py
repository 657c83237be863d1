"""The typed context every handler gets: ``BotData`` (``context.bot_data``) and its aliases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.telegram.conversations import MemoryConversations
from bot.telegram.limits import FloodGuard

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.engine.answering import Engine
    from bot.store.files import InstanceLock
    from bot.store.question_log import Store


@dataclass(eq=False)
class BotData:
    """What the handlers share, one per Application.

    PTB makes it with no arguments (``ContextTypes(bot_data=BotData)``); ``engine`` and
    ``settings`` are set by build_application before anything runs. Handlers read the
    engine here on every update: the curators' /reload swaps it.
    """

    engine: Engine = field(init=False, repr=False)
    settings: Settings = field(init=False, repr=False)
    store: Store | None = None  # None until post_init opens it, or with no database
    flood_guard: FloodGuard = field(default_factory=FloodGuard)
    instance_lock: InstanceLock | None = None  # held while this process owns the database
    # One sender of notifications at a time: the job and a curator's tap must not send
    # the same one twice.
    notify_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Conversations when there is no store (bot.telegram.conversations).
    conversations: MemoryConversations = field(default_factory=MemoryConversations)
    # The language each user chose with /lang when there is no store, by user id.
    languages: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, engine: Engine, settings: Settings, store: Store | None = None) -> BotData:
        """A BotData already holding ``engine``, ``settings`` and ``store``."""
        data = cls(store=store)
        data.engine, data.settings = engine, settings
        return data


# Bot type: ExtBot[Any], because the rate limiter (when there is one) types its arguments.
Context = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]
BotApplication = Application[
    ExtBot[Any], Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Context]
]
# What JobQueue.run_repeating accepts: an async function of the context.
JobCallback = Callable[[Context], Coroutine[Any, Any, Any]]
