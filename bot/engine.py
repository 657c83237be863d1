"""The answer engine: a question in, a reply model out. Knows nothing of Telegram."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.knowledge import Entry, KnowledgeBase, load_knowledge
from bot.matching import Match, Matcher
from bot.privacy import without_personal_data
from bot.textnorm import clean, content, fold, strip_markup

CHINESE_NUMBERS = "一二三四五六七八九十"
MAX_RELATED = 3
MAX_TERMS = 5


@dataclass(frozen=True)
class Source:
    street_name: str
    report_title: str
    section: str  # as printed in the report: 三、(四)
    heading: str
    dated: str
    in_force: bool

    def cite(self) -> str:
        """One line saying where a quote comes from."""
        heading = f"“{self.heading}”" if self.heading else ""
        return f"{self.street_name}《{self.report_title}》{self.section}{heading}({self.dated})"


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


@dataclass(frozen=True)
class Reply:
    question: str
    outcome: str  # "answer" | "clarify" | "miss" | "intent"
    text: str = ""  # the engine's own words: intents, clarify and miss prompts
    blocks: tuple[Block, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()  # candidates, related questions or examples
    terms: tuple[Suggestion, ...] = ()  # glossary terms that appear inside the answer
    entry_id: str | None = None
    score: float = 0.0
    reason: str = ""
    normalized: str = ""
    intent: str | None = None
    candidates: tuple[Suggestion, ...] = field(default=(), compare=False)

    @property
    def answered(self) -> bool:
        return self.outcome in ("answer", "intent")

    @property
    def source(self) -> str | None:
        return "；".join(block.source.cite() for block in self.blocks) or None


def section_label(number: str) -> str:
    """ "3.4" -> "三、(四)", "appendix" -> "附:名词解释"."""
    if number == "appendix":
        return "附:名词解释"
    if number == "0":
        return ""
    parts = [int(p) for p in number.split(".")]

    def chinese(n: int) -> str:
        return CHINESE_NUMBERS[n - 1] if n <= 10 else "十" + CHINESE_NUMBERS[n - 11]

    label = f"{chinese(parts[0])}、"
    if len(parts) > 1:
        label += f"({chinese(parts[1])})"
    return label


class Engine:
    """Answers questions from a validated knowledge base."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.matcher = Matcher(kb)
        self._passages = {p.id: p for p in kb.passages}
        self._term_names = self._glossary_names()

    @classmethod
    def load(cls, root: Path) -> Engine:
        """Load, validate and index the knowledge under ``root`` (raises KnowledgeError)."""
        return cls(load_knowledge(root))

    # --- building replies --------------------------------------------------------

    def _source(self, report_id: str, section: str) -> Source:
        report = self.kb.reports[report_id]
        heading = self.kb.sections.get((report_id, section), "")
        if section == "appendix":
            heading = ""
        return Source(
            street_name=report.street_name,
            report_title=report.title,
            section=section_label(section),
            heading=heading,
            dated=report.dated,
            in_force=report.in_force,
        )

    def _block(self, entry: Entry) -> Block:
        return Block(
            entry.id, entry.question, entry.answer, self._source(entry.report, entry.section)
        )

    def _suggest(self, entry_id: str) -> Suggestion:
        return Suggestion(entry_id, self.kb.entries[entry_id].question)

    def _glossary_names(self) -> list[tuple[str, str]]:
        names = []
        for entry in self.kb.glossary:
            for name in (*entry.keywords, entry.term or ""):
                plain = re.sub(r"[“”‘’]", "", name)
                if len(plain) >= 3:
                    names.append((plain, entry.id))
        return sorted(names, key=lambda pair: -len(pair[0]))

    def terms_in(self, text: str, exclude: set[str]) -> tuple[Suggestion, ...]:
        """Glossary terms named inside an answer, so they can be opened with a tap."""
        plain = re.sub(r"[“”‘’]", "", text)
        found: list[str] = []
        for name, entry_id in self._term_names:
            if name in plain and entry_id not in exclude and entry_id not in found:
                found.append(entry_id)
        return tuple(self._suggest(i) for i in found[:MAX_TERMS])

    def related_to(
        self, entries: list[Entry], alternatives: tuple[str, ...] = ()
    ) -> tuple[Suggestion, ...]:
        shown = {e.id for e in entries}
        related: list[str] = [a for a in alternatives if a not in shown and a in self.kb.entries]
        for entry in entries:
            for other in entry.related:
                if other not in shown and other not in related:
                    related.append(other)
        for entry in entries:
            if entry.topic:
                for other in self.kb.entries.values():
                    if (
                        other.topic == entry.topic
                        and other.id not in shown
                        and other.id not in related
                    ):
                        related.append(other.id)
        return tuple(self._suggest(i) for i in related[:MAX_RELATED])

    def entry_reply(self, entry_id: str, question: str = "") -> Reply | None:
        """The answer for one entry, as when a suggested question is tapped."""
        entry = self.kb.entries.get(entry_id)
        if entry is None:
            return None
        return self._answer_reply(question or entry.question, [entry], 100.0, "chosen", "")

    def _answer_reply(
        self,
        question: str,
        entries: list[Entry],
        score: float,
        reason: str,
        normalized: str,
        alternatives: tuple[str, ...] = (),
    ) -> Reply:
        blocks = tuple(self._block(e) for e in entries)
        shown = {e.id for e in entries}
        terms = self.terms_in(" ".join(e.answer for e in entries), shown)
        return Reply(
            question=question,
            outcome="answer",
            blocks=blocks,
            suggestions=self.related_to(entries, alternatives),
            terms=terms,
            entry_id=entries[0].id,
            score=score,
            reason=reason,
            normalized=normalized,
        )

    def _passage_reply(self, question: str, match: Match, normalized: str) -> Reply:
        passage = self._passages[match.chosen[0]]
        block = Block(
            passage.id, "报告原文", passage.text, self._source(passage.report, passage.section)
        )
        return Reply(
            question=question,
            outcome="answer",
            blocks=(block,),
            suggestions=tuple(self._suggest(c.id) for c in match.candidates[:MAX_RELATED]),
            terms=self.terms_in(passage.text, set()),
            entry_id=passage.id,
            score=match.score,
            reason=match.reason,
            normalized=normalized,
        )

    def examples(self) -> tuple[Suggestion, ...]:
        return tuple(self._suggest(i) for i in self.kb.examples)

    # --- the one entry point -------------------------------------------------------

    def ask(self, question: str) -> Reply:
        """Answer one question: answer, clarify, miss or intent."""
        question = clean(question)
        normalized = content(question) if question else ""
        # Markup and personal numbers are not what is asked; the reply still echoes the
        # question as typed (masked where it is stored, by the store).
        match = self.matcher.match(clean(without_personal_data(strip_markup(question))))
        candidates = tuple(self._suggest(c.id) for c in match.candidates)
        if match.outcome == "intent":
            intent = self.kb.intents[match.intent or ""]
            return Reply(
                question=question,
                outcome="intent",
                text=intent.reply.strip(),
                suggestions=self.examples() if match.intent in ("greeting", "capabilities") else (),
                score=match.score,
                reason=match.reason,
                normalized=normalized,
                intent=match.intent,
            )
        if match.outcome == "answer":
            if match.passage:
                reply = self._passage_reply(question, match, normalized)
            else:
                entries = [self.kb.entries[i] for i in match.chosen]
                # A term looked up by name has its own related entries; the runners-up of
                # its ranking share only characters with it (六零 / 60).
                alternatives = (
                    ()
                    if match.reason == "term name"
                    else tuple(c.id for c in match.candidates[1:3] if c.score >= 60.0)
                )
                reply = self._answer_reply(
                    question, entries, match.score, match.reason, normalized, alternatives
                )
            return _with_candidates(reply, candidates)
        if match.outcome == "clarify":
            offered = candidates[:MAX_RELATED]
            return Reply(
                question=question,
                outcome="clarify",
                text="您问的是下面哪一个?" if len(offered) > 1 else "您是想问下面这个问题吗?",
                suggestions=offered,
                score=match.score,
                reason=match.reason,
                normalized=normalized,
                candidates=candidates,
            )
        return Reply(
            question=question,
            outcome="miss",
            text=self._miss_text(match),
            # A detail the reports leave out belongs to a programme they do describe:
            # point to it rather than to unrelated examples.
            suggestions=candidates[:1]
            if match.reason.startswith("unstated") and candidates
            else self.examples(),
            score=match.score,
            reason=match.reason,
            normalized=normalized,
            candidates=candidates,
        )

    def _miss_text(self, match: Match) -> str:
        if match.reason == "empty":
            return "没有收到文字问题。请用文字提问,例如“六零行动是什么”。"
        if match.reason.startswith("other place"):
            place = match.reason.split(": ", 1)[1]
            return (
                f"我只了解坪山街道和观湖街道的两份公开报告,报告里没有关于“{place}”的内容,无法回答。"
            )
        if match.reason.startswith("unstated detail"):
            word = match.reason.split(": ", 1)[1]
            label = self._detail_label(word)
            return (
                f"报告里提到了相关工作,但没有写{label},我无法回答,也不想给您不准确的信息。"
                "问题已记下,供工作人员参考。"
            )
        if match.reason == "unstated figure":
            return (
                "报告里提到了相关工作,但没有给出您问的具体数字,我无法回答,"
                "也不想给您不准确的信息。问题已记下,供工作人员参考。"
            )
        if match.reason.startswith("uncovered year"):
            year = match.reason.split(": ", 1)[1]
            covered = "；".join(
                f"{r.street_name}{r.period}"
                for r in self.kb.reports.values()
                if not match.street or r.street == match.street
            )
            return (
                f"报告里没有{year}年的内容:报告只写到{covered}。我无法回答,"
                "也不想给您不准确的信息。问题已记下,供工作人员参考。"
            )
        if match.reason.startswith("uncovered topic"):
            topic = match.reason.split(": ", 1)[1]
            return (
                f"坪山街道和观湖街道的两份报告没有涉及“{topic}”,我无法回答,"
                "也不想给您不准确的信息。问题已记下,供工作人员参考。"
            )
        return (
            "抱歉,坪山街道和观湖街道的两份报告里没有找到这个问题的答案,"
            "我不想给您不准确的信息。问题已记下,供工作人员补充。"
        )

    def _detail_label(self, word: str) -> str:
        """The kind of detail (地址, 收费) a detail word asks for, as the scope file names it."""
        for label, words in self.kb.unstated_details.items():
            if any(fold(w) == word for w in words):
                return label
        return "这方面的细节"

    def search(self, text: str, limit: int = 10) -> list[Suggestion]:
        """Entries matching a partial query, best first (inline mode)."""
        ranked = self.matcher.rank(text, limit=limit)
        return [self._suggest(s.id) for s in ranked if s.score >= 40.0]

    def glossary(self) -> list[Suggestion]:
        """Every defined term, in report order."""
        return [self._suggest(e.id) for e in self.kb.glossary]

    def about(self) -> str:
        """The sources the bot answers from, with their dates."""
        lines = []
        for report in self.kb.reports.values():
            status = "" if report.in_force else "(来源页面标注“文件已失效”)"
            lines.append(
                f"· {report.street_name}({report.district}):《{report.title}》,"
                f"{report.period}{'，' + report.date if report.date else ''}{status}"
            )
        return "\n".join(lines)


def _with_candidates(reply: Reply, candidates: tuple[Suggestion, ...]) -> Reply:
    return replace(reply, candidates=candidates)


def timed_ask(engine: Engine, question: str) -> tuple[Reply, float]:
    """A reply and the seconds it took."""
    start = time.perf_counter()
    reply = engine.ask(question)
    return reply, time.perf_counter() - start
