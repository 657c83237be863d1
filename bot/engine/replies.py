"""The reply model: what the engine answers (Reply), the quotes it gives (Block) with
where each comes from (Source), and the questions it offers (Suggestion)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine import messages, messages_en
from bot.engine.languages import ZH
from bot.engine.policy import Reason
from bot.knowledge.reports import APPENDIX_HEADING

CHINESE_NUMBERS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Source:
    street_name: str
    report_title: str
    section: str  # as printed in the report: 三、(四)
    heading: str
    dated: str
    in_force: bool
    # For a street's older report: its years, and the title of the street's current one.
    older: tuple[str, str] | None = None
    # The same in English, for English replies (the Chinese where data/reports.yaml has
    # no English name).
    street_name_en: str = ""
    report_title_en: str = ""
    section_en: str = ""  # section 3.4
    dated_en: str = ""
    older_en: tuple[str, str] | None = None

    def cite(self) -> str:
        """One line saying where a quote comes from (and that it is an older report)."""
        cited = messages.citation(
            self.street_name, self.report_title, self.section, self.heading, self.dated
        )
        return cited + messages.older_report(*self.older) if self.older else cited

    def cite_en(self) -> str:
        """The same line in English."""
        cited = messages_en.citation(
            self.street_name_en, self.report_title_en, self.section_en, self.dated_en
        )
        return cited + messages_en.older_report(*self.older_en) if self.older_en else cited


@dataclass(frozen=True)
class Suggestion:
    id: str
    question: str


@dataclass(frozen=True)
class Block:
    """One quoted answer with its source."""

    id: str
    title: str
    body: str
    source: Source
    title_en: str | None = None  # the English question (faq/en/*.yaml), if any
    body_en: str | None = None  # the English rendering, if any: an unofficial translation


@dataclass(frozen=True)
class Reply:
    question: str
    outcome: str  # "answer" | "clarify" | "miss" | "intent"
    text: str = ""  # the engine's own words: intents, clarify and miss prompts
    blocks: tuple[Block, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()  # candidates, related questions or examples
    terms: tuple[Suggestion, ...] = ()  # glossary terms that appear inside the answer
    entry_id: str | None = None
    score: float = 0.0  # the probability that the answer is right
    reason: Reason | str = Reason.LOW_SCORE
    normalized: str = ""
    intent: str | None = None
    candidates: tuple[Suggestion, ...] = field(default=(), compare=False)
    detail: str | None = None  # what the reason names: a place, topic, year, detail word
    understood: str | None = None  # what a follow-up was understood to ask (观湖街道:……)
    language: str = ZH  # of the reply's own words (bot.engine.languages): zh | en

    @property
    def answered(self) -> bool:
        return self.outcome in ("answer", "intent")

    @property
    def asked(self) -> str:
        """What was asked, as the log keeps it for curators: a follow-up ("那观湖呢") as it
        was understood ("观湖街道：整治了多少家散乱污企业")."""
        return self.understood or self.question

    @property
    def reason_label(self) -> str:
        """The reason as logged for curators: "unstated detail: 电话"."""
        label = Reason(self.reason).value
        return f"{label}: {self.detail}" if self.detail else label

    @property
    def source(self) -> str | None:
        return "；".join(block.source.cite() for block in self.blocks) or None


def section_label(number: str) -> str:
    """ "3.4" -> "三、(四)", "appendix" -> "附:名词解释"."""
    if number == "appendix":
        return APPENDIX_HEADING
    if number == "0":
        return ""
    parts = [int(p) for p in number.split(".")]

    def chinese(n: int) -> str:
        return CHINESE_NUMBERS[n - 1] if n <= 10 else "十" + CHINESE_NUMBERS[n - 11]

    label = f"{chinese(parts[0])}、"
    if len(parts) > 1:
        label += f"({chinese(parts[1])})"
    return label
