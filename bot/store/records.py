"""The plain records the question log takes and gives: no engine, no Telegram."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.privacy import mask

CHANNELS = ("telegram", "terminal")
VOTES = ("up", "down", "none")


class AnsweredQuestion(Protocol):
    """What the log reads of a reply (bot.engine.answering.Reply has all of it)."""

    @property
    def asked(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def entry_id(self) -> str | None: ...
    @property
    def intent(self) -> str | None: ...
    @property
    def score(self) -> float: ...
    @property
    def reason_label(self) -> str: ...


@dataclass(frozen=True)
class QuestionRecord:
    """One question and what it got, as it is stored: personal data already masked."""

    channel: str
    chat_kind: str
    text: str
    normalized: str
    outcome: str
    entry_id: str | None
    intent: str | None
    score: float
    reason: str
    seconds: float

    @classmethod
    def of(
        cls,
        reply: AnsweredQuestion,
        *,
        normalize: Callable[[str], str],
        channel: str,
        chat_kind: str,
        seconds: float,
    ) -> QuestionRecord:
        """The record of ``reply``, masked (bot.privacy); ``normalize`` is the engine's
        normaliser (bot.engine.textnorm.content), which the store does not import."""
        text = mask(reply.asked)
        # Normalised from the masked text (the engine's reply.normalized is content() of
        # the same question), then masked again: normalising can join digits that
        # separators kept apart, and must not reveal what masking hid.
        normalized = mask(normalize(text)) if text else ""
        return cls(
            channel=channel,
            chat_kind=chat_kind,
            text=text,
            normalized=normalized,
            outcome=reply.outcome,
            entry_id=reply.entry_id,
            intent=reply.intent,
            score=float(reply.score),
            reason=mask(reply.reason_label),
            seconds=seconds,
        )


@dataclass(frozen=True)
class Claim:
    """What the store knew about an update id when it was claimed."""

    new: bool  # not claimed by an earlier process (as far as the store could read)
    question_id: str | None  # the question it logged then, if it was claimed and logged one
    written: concurrent.futures.Future[None]  # done once this claim is on disk


@dataclass(frozen=True)
class Notification:
    id: str
    question_id: str
    chat_id: int
    question: str  # as stored: masked
    entry_id: str
    group_id: str
    language: str = ""  # the asker's /lang choice, else their language when they asked
