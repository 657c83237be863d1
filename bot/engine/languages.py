"""Which language a reply is in, and the English texts of one knowledge base's replies:
misses, intents, the sources, what a follow-up was understood to ask, glossary names.

Chinese is the default. A question in English is answered in English whatever the user
chose; a question in Chinese is answered in Chinese unless the user chose English. Names
come from data/reports.yaml (street_name_en, title_en), falling back to the Chinese.
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import TYPE_CHECKING

from bot.engine import messages, messages_en
from bot.engine.policy import Match, Reason
from bot.engine.wording import reads_as_english

if TYPE_CHECKING:
    from bot.engine.conversation import FollowUp
    from bot.knowledge.loading import Entry, Intent, KnowledgeBase

ZH, EN = "zh", "en"
LANGUAGES = (ZH, EN)
# "What is the road chief system?" -> "road chief system": a glossary entry's English name.
_TERM_QUESTION = re.compile(
    r"^(?:what|who|how)\s+(?:is|are|do|does)\s+(?:the\s+|an?\s+)?(.+?)\??$", re.IGNORECASE
)


def reply_language(question: str, preferred: str | None = None) -> str:
    """The language to answer ``question`` in, given the user's choice (None: none)."""
    if reads_as_english(question):
        return EN
    return EN if preferred == EN else ZH


def english_name(entry: Entry) -> str | None:
    """A glossary entry's name in English, from its English question: "road chief
    system", "“Six Zeros” campaign"; None without an English rendering."""
    if not entry.question_en:
        return None
    found = _TERM_QUESTION.match(entry.question_en.strip())
    return found.group(1).strip() if found else entry.question_en.strip().rstrip("?")


def miss_text(texts: ModuleType, match: Match, streets: str, label: str, covered: str) -> str:
    """What a miss says, from one language's texts (bot.engine.messages or messages_en,
    which name their texts alike): one choice for both languages, so that a reason never
    has a text in one and falls back to "not found" in the other. ``label`` names the
    detail asked, ``covered`` the years the reports cover, in that language."""
    reason, detail = match.reason, match.detail or ""
    if reason is Reason.EMPTY:
        return str(texts.MISS_EMPTY)
    if reason is Reason.UNSTATED_FIGURE:
        return str(texts.MISS_UNSTATED_FIGURE)
    if reason is Reason.UNSTATED_DETAIL:
        return str(texts.miss_unstated_detail(label))
    if reason is Reason.UNCOVERED_YEAR:
        return str(texts.miss_uncovered_year(detail, covered))
    about_a_word = {
        Reason.OTHER_PLACE: texts.miss_other_place,
        Reason.UNCOVERED_TOPIC: texts.miss_uncovered_topic,
    }
    if reason in about_a_word:
        return str(about_a_word[reason](streets, detail))
    about_the_bot = {
        Reason.OPINION: texts.miss_opinion,
        Reason.REQUEST: texts.miss_request,
        Reason.NO_SUBJECT: texts.miss_no_subject,
    }
    return str(about_the_bot.get(reason, texts.miss_not_found)(streets))


class EnglishTexts:
    """The English words of one knowledge base's replies."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb

    def street(self, street: str) -> str:
        known = self.kb.streets[street]
        return known.name_en or known.name

    def streets(self) -> str:
        return messages_en.streets_phrase([self.street(s) for s in self.kb.streets])

    def miss_text(self, match: Match, detail_label: str) -> str:
        """The English of what a miss says (bot.engine.answering Engine._miss_text)."""
        label = messages_en.DETAIL_LABELS.get(detail_label, messages_en.DETAIL_FALLBACK)
        covered = "; ".join(
            messages_en.covered_years(r.street_name_en or r.street_name, r.years)
            for r in self.kb.reports.values()
            if not match.street or r.street == match.street
        )
        return miss_text(messages_en, match, self.streets(), label, covered)

    def intent_text(self, intent: Intent, chinese: str) -> str:
        """An intent's English reply with the streets, titles and channels filled in; the
        Chinese one (``chinese``, filled) when it has no English."""
        if not intent.reply_en:
            return chinese
        reports = self.kb.reports.values()
        channels: dict[str, list[str]] = {}
        for report in reports:
            named = channels.setdefault(self.street(report.street), [])
            named += [c for c in report.channels if c not in named]
        return intent.reply_en.strip().format(
            streets=self.streets(),
            reports=messages_en.titles_phrase([r.title_en or r.title for r in reports]),
            channels=messages_en.channels_phrase(channels),
        )

    def about(self) -> str:
        """The sources the bot answers from, with their dates, in English."""
        return "\n".join(
            messages_en.source_line(
                r.street_name_en or r.street_name,
                r.district_en or r.district,
                r.title_en or r.title,
                messages_en.dated(None, r.years),
                r.date,
                r.in_force,
            )
            for r in self.kb.reports.values()
        )

    def understood(self, follow: FollowUp) -> str:
        """What a follow-up was understood to ask, in English where the parts have it: the
        option's English question; the street's English name."""
        if follow.option is not None:
            entry = self.kb.entries.get(follow.option)
            return (entry.question_en if entry else None) or follow.understood
        separator = messages.UNDERSTOOD_SEPARATOR
        if follow.street is not None:
            head, found, tail = follow.understood.partition(separator)
            head = self.street(follow.street)
        else:  # detail: the last question, then the message (which holds no separator)
            head, found, tail = follow.understood.rpartition(separator)
        return head + messages_en.UNDERSTOOD_SEPARATOR + tail if found else follow.understood
