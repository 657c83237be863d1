"""A report's plan or review as a whole: the parts it is told in, for a question that asks
for all of it ("坪山2021年计划做什么", "观湖去年做了啥"; the ``outline`` rule).

Each two-year report reviews one year and plans the next under top-level sections whose
headings say which (bot/engine/postings.py ``report_halves``). Such a section is told in
sub-sections (三、(一)…(五)), each with its heading, or, without them, in paragraphs that
open with a short headline sentence (这一年,我们着力优化营商环境,经济发展稳中向好。). An
outline offers those parts, each by its heading as the report writes it, and each part's
first text as the answer a resident taps: nothing in it is worded by the bot.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.postings import report_halves
from bot.knowledge.loading import KnowledgeBase, Passage
from bot.knowledge.reports import current_reports

# A paragraph's opening sentence up to this long is a headline that names the paragraph
# (the review's 这一年,我们着力… are 24-28); a longer one tells, and names nothing short.
HEADLINE_MAX_CHARS = 40
SENTENCE_END = "。!?！？"


@dataclass(frozen=True)
class Part:
    """One part of a section: the text a resident gets when choosing it, and its label."""

    passage: str  # the id of the part's first passage
    label: str  # its heading, or its paragraph's headline, as the report writes it


@dataclass(frozen=True)
class Outline:
    report: str
    section: str  # the top-level section: "3"
    half: str  # "plan" or "review"
    parts: tuple[Part, ...]


class Outlines:
    """Every report's plan and review outlines, by report and half."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._outlines: dict[tuple[str, str], Outline] = {}
        for (report, section), half in sorted(report_halves(kb).items()):
            parts = self._parts(report, section)
            # One part is no outline: the question is then that part's own question.
            if len(parts) >= 2 and (report, half) not in self._outlines:
                self._outlines[(report, half)] = Outline(report, section, half, parts)
        self._labels = {
            part.passage: part.label for o in self._outlines.values() for part in o.parts
        }
        self._outline_of = {
            part.passage: outline for outline in self._outlines.values() for part in outline.parts
        }
        self._current = set(current_reports(kb.reports.values()).values())
        self._next = {p.id: q for p, q in zip(kb.passages, kb.passages[1:], strict=False)}

    def parts_of(
        self, halves: dict[str, str], street: str | None, by_year: bool
    ) -> tuple[str, ...]:
        """The parts offered for ``halves`` (a half of each report): of the reports of
        ``street`` (every street when None) and, unless a year named them, each street's
        current report only; street by street, in report order."""
        parts: list[str] = []
        for report_id, half in halves.items():
            report = self.kb.reports.get(report_id)
            if report is None or (street is not None and report.street != street):
                continue
            if not by_year and report_id not in self._current:
                continue
            outline = self.of(report_id, half)
            if outline is not None:
                parts += [part.passage for part in outline.parts]
        return tuple(parts)

    def outlines_offering(self, parts: tuple[str, ...]) -> list[Outline]:
        """The outlines whose parts ``parts`` are, in order."""
        found: list[Outline] = []
        for passage in parts:
            outline = self._outline_of.get(passage)
            if outline is not None and outline not in found:
                found.append(outline)
        return found

    def of(self, report: str, half: str) -> Outline | None:
        """The outline of ``report``'s plan or review, if it is told in parts."""
        return self._outlines.get((report, half))

    def label(self, passage_id: str) -> str | None:
        """The heading an outline shows for the part opening with ``passage_id``."""
        return self._labels.get(passage_id)

    def body_of(self, passage_id: str) -> str | None:
        """The passage after a part's headline when the part's first passage is only that
        headline (这一年,我们着力做好“政治体检”,…思想洗礼。): tapped, it would state nothing.
        A headline may be longer than the headlines answers are given a body for
        (bot.engine.candidates), as long as a label here (HEADLINE_MAX_CHARS)."""
        label = self._labels.get(passage_id)
        after = self._next.get(passage_id)
        if label is None or after is None:
            return None
        passage = next(p for p in self.kb.passages if p.id == passage_id)
        only_headline = passage.text.rstrip(SENTENCE_END) == label
        same_paragraph = (
            bool(passage.paragraph)
            and after.paragraph == passage.paragraph
            and after.report == passage.report
        )
        return after.id if only_headline and same_paragraph else None

    def _parts(self, report: str, section: str) -> tuple[Part, ...]:
        passages = [p for p in self.kb.passages if p.report == report]
        under = sorted(
            (n for (r, n) in self.kb.sections if r == report and n.startswith(section + ".")),
            key=_section_order,
        )
        if under:
            parts = []
            for number in under:
                first = next((p for p in passages if p.section == number), None)
                heading = self.kb.sections[(report, number)]
                if first is not None and heading:
                    parts.append(Part(first.id, heading))
            return tuple(parts)
        return tuple(
            Part(first.id, headline)
            for first in _paragraph_openings([p for p in passages if p.section == section])
            if (headline := _headline(first.text))
        )


def _section_order(number: str) -> tuple[int, ...]:
    return tuple(int(n) if n.isdigit() else 10**6 for n in number.split("."))


def _paragraph_openings(passages: list[Passage]) -> list[Passage]:
    """The first passage of each paragraph, in order (none when paragraphs are unknown)."""
    openings: list[Passage] = []
    seen: set[int] = set()
    for passage in passages:
        if passage.paragraph and passage.paragraph not in seen:
            seen.add(passage.paragraph)
            openings.append(passage)
    return openings


def _headline(text: str) -> str | None:
    """A paragraph's opening sentence when it is short enough to name the paragraph."""
    end = min((text.find(c) for c in SENTENCE_END if c in text), default=-1)
    sentence = text[:end] if end >= 0 else text
    return sentence if 0 < len(sentence) <= HEADLINE_MAX_CHARS else None
