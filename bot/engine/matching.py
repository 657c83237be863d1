"""Matching a question against the knowledge base: ``Matcher`` puts together the lexical
index, the question reader, the candidate assessor and the decision policy.

The parts, from the bottom up: ``wording`` (what of a question is compared), ``index``
(posting lists and lexical scores), ``question`` (what a question asks), ``candidates``
(lexical, semantic and features, calibrated), ``composing`` (answers given together) and
``policy`` (the ordered gates, the named rules, the thresholds and ``Match``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.engine.candidates import Assessor
from bot.engine.composing import Composer
from bot.engine.index import CANDIDATES, LexicalIndex, Scored
from bot.engine.outlines import Outlines
from bot.engine.policy import (
    ANSWER_P,
    CLARIFY_P,
    DECIDED_BEFORE_SCORING,
    RULES,
    Match,
    Outcome,
    Policy,
    Reason,
)
from bot.engine.question import QuestionReader
from bot.engine.scoring import PRIOR, Calibration, Candidate
from bot.engine.semantic import VectorCache
from bot.knowledge.loading import KnowledgeBase

__all__ = [
    "ANSWER_P",
    "CLARIFY_P",
    "DECIDED_BEFORE_SCORING",
    "MAX_QUERY_CHARS",
    "RULES",
    "Match",
    "Matcher",
    "Outcome",
    "Reason",
    "Scored",
]

MAX_QUERY_CHARS = 300  # a 10,000-character message is matched on its beginning


class Matcher:
    """Indexes a knowledge base once; ``match`` is then cheap and side-effect free."""

    def __init__(
        self,
        kb: KnowledgeBase,
        vectors: VectorCache | None = None,
        calibration: Calibration | None = None,
        disabled: Iterable[str] = (),
        cache_dir: Path | None = None,
    ):
        self.kb = kb
        self.calibration = calibration or PRIOR
        self.disabled = frozenset(disabled)
        unknown = self.disabled - set(RULES)
        if unknown:
            raise ValueError(f"unknown rules: {', '.join(sorted(unknown))}")
        self.index = LexicalIndex(kb, cache_dir)
        self.wording = self.index.wording
        self.questions = QuestionReader(kb, self.index)
        self.assessor = Assessor(
            kb, self.index, self.questions, self.calibration, self.rule, vectors
        )
        self.composer = Composer(kb, self.assessor)
        self.outlines = Outlines(kb)
        self.policy = Policy(self.questions, self.assessor, self.composer, self.rule, self.outlines)

    def rule(self, name: str) -> bool:
        """Whether a named rule is on (``policybot eval --ablate`` turns each off in turn)."""
        return name not in self.disabled

    def match(self, text: str, within: frozenset[str] | None = None) -> Match:
        """Decide answer, clarify, miss or intent for one question; with ``within``, among
        those entries and passages only."""
        text = text[:MAX_QUERY_CHARS]
        if self.rule("street_typo"):
            text = self.questions.mend_street_names(
                text, other_names=self.rule("typo_no_other_name")
            )
        return self.policy.match(text, within)

    def rank(self, text: str, street: str | None = None, limit: int = CANDIDATES) -> list[Scored]:
        """Entries ordered by their wording's score for a question (no outcome decided)."""
        spelling = self.wording.spelling_of(text[:MAX_QUERY_CHARS])
        if not spelling:
            return []
        return self.index.rank(spelling, street, limit)

    def assess(self, text: str, folded: str, street: str | None) -> list[Candidate]:
        """Every plausible answer to a question, most probably right first."""
        return self.assessor.assess(text, folded, street)

    def street_of(self, folded: str) -> str | None:
        """The street a question names, if it names exactly one."""
        return self.questions.street_of(folded)
