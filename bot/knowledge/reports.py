"""The source reports: metadata, and parsing them into sections, paragraphs and sentences."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.engine.textnorm import unquoted
from bot.knowledge.problems import LINE, KnowledgeError, Problem, read_yaml
from bot.knowledge.schema import OPTIONAL_REPORT_KEYS, REPORT_KEYS, REPORTS_FILE_KEYS

CHINESE_ORDINALS = "一二三四五六七八九十"
TOP_HEADING = re.compile(r"^([一二三四五六七八九十]+)、(.+)$")
SUB_HEADING = re.compile(r"^[((]([一二三四五六七八九十]+)[))](.+)$")
GLOSSARY_LINE = re.compile(r"^(\d+)\.(.+?):(.+)$")
APPENDIX_HEADING = "附:名词解释"
SENTENCE_END = re.compile(r"(?<=[。!?;])")


@dataclass(frozen=True)
class Report:
    id: str
    file: str
    street: str
    street_name: str
    district: str
    title: str
    period: str
    date: str | None
    in_force: bool
    text: str = field(repr=False)
    years: tuple[int, ...] = ()  # the years the report reviews or plans
    street_aliases: tuple[str, ...] = ()  # other names a question may give the street
    id_prefix: str = ""  # of the ids `policybot build` gives its passages and terms
    # Places where residents are served in person that the report names (行政服务大厅):
    # all the bot may point to when no person can be reached through it.
    channels: tuple[str, ...] = ()
    # How English replies name the street, district and report (the Chinese when absent).
    street_name_en: str | None = None
    district_en: str | None = None
    title_en: str | None = None

    @property
    def dated(self) -> str:
        """The report's date if it has one, else its period."""
        return self.date or self.period


@dataclass(frozen=True)
class Street:
    """A street the reports cover, as data/reports.yaml names it."""

    id: str  # pingshan
    name: str  # as a reply names it: 坪山街道
    aliases: tuple[str, ...] = ()  # other names a question may use: 坪山区, 坪山
    name_en: str | None = None  # as an English reply names it: Pingshan Subdistrict

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a question may give the street, its own name first."""
        return (self.name, *self.aliases)


def streets_of(reports: Iterable[Report]) -> dict[str, Street]:
    """The streets the reports cover, in the order they first appear; the aliases of all
    of a street's reports together."""
    streets: dict[str, Street] = {}
    for report in reports:
        known = streets.get(report.street)
        aliases = (*known.aliases, *report.street_aliases) if known else report.street_aliases
        name = known.name if known else report.street_name
        name_en = (known.name_en if known else None) or report.street_name_en
        streets[report.street] = Street(report.street, name, tuple(dict.fromkeys(aliases)), name_en)
    return streets


def current_reports(reports: Iterable[Report]) -> dict[str, str]:
    """Each street's current report: its newest in force (by the last year it covers, then
    its date), else its newest. A question naming no year is answered from it first."""
    newest: dict[str, Report] = {}
    for report in reports:
        known = newest.get(report.street)
        if known is None or _recency(report) > _recency(known):
            newest[report.street] = report
    return {street: report.id for street, report in newest.items()}


def _recency(report: Report) -> tuple[bool, int, str]:
    return (report.in_force, max(report.years, default=0), report.date or "")


@dataclass(frozen=True)
class Section:
    report: str
    number: str
    heading: str


@dataclass(frozen=True)
class Paragraph:
    report: str
    section: str
    text: str


@dataclass(frozen=True)
class GlossaryTerm:
    number: int
    term: str
    definition: str
    line: str


REPORTS_FILE = "reports.yaml"


def load_reports(data_dir: Path) -> dict[str, Report]:
    """Read data/reports.yaml and the report texts it names; KnowledgeError listing every
    problem (with its line) if either cannot be used."""
    display = f"{data_dir.name}/{REPORTS_FILE}"
    problems: list[Problem] = []
    meta = read_yaml(data_dir / REPORTS_FILE, display, problems)
    items = (meta or {}).get("reports")
    if meta is not None and not isinstance(items, list):
        problems.append(Problem(display, meta[LINE], None, "needs a list under 'reports'"))
    for key in sorted(str(k) for k in meta or {} if k not in (LINE, *REPORTS_FILE_KEYS)):
        problems.append(Problem(display, 1, None, f"unknown key {key!r}"))
    reports = {}
    for item in items if isinstance(items, list) else []:
        report = _report(data_dir, display, item, problems)
        if report is not None:
            reports[report.id] = report
    if problems:
        raise KnowledgeError(problems)
    return reports


@functools.lru_cache(maxsize=8)
def place_names(data_dir: Path) -> tuple[str, ...]:
    """Every name of a street the reports cover and of its district (坪山街道, 坪山, 龙华区):
    what a question names as its setting rather than its subject."""
    reports = load_reports(data_dir).values()
    names = [n for street in streets_of(reports).values() for n in street.names]
    return tuple(dict.fromkeys([*names, *(r.district for r in reports)]))


def _report(data_dir: Path, display: str, item: Any, problems: list[Problem]) -> Report | None:
    if not isinstance(item, dict):
        problems.append(Problem(display, 1, None, "each report must be a mapping"))
        return None
    line, name = item[LINE], item.get("id")
    missing = [key for key in REPORT_KEYS if key not in item]
    unknown = sorted(str(k) for k in item if k not in (LINE, *REPORT_KEYS, *OPTIONAL_REPORT_KEYS))
    for message in [f"needs '{key}'" for key in missing] + [f"unknown key {k!r}" for k in unknown]:
        problems.append(Problem(display, line, name, message))
    if missing or unknown:
        return None
    try:
        text = (data_dir / str(item["file"])).read_text(encoding="utf-8")
        years = tuple(int(y) for y in item.get("years") or ())
        aliases = tuple(str(a) for a in item.get("street_aliases") or ())
        channels = tuple(str(c) for c in item.get("channels") or ())
    except (OSError, UnicodeDecodeError, TypeError, ValueError) as error:
        problems.append(Problem(display, line, name, f"cannot be used: {error}"))
        return None
    for channel in channels:
        if channel not in text:
            # The bot points residents there: it must be a place the report itself names.
            problem = f"channel {channel!r} is not in the report"
            problems.append(Problem(display, line, name, problem))
    date = item.get("date")
    return Report(
        id=str(item["id"]),
        file=str(item["file"]),
        street=str(item["street"]),
        street_name=str(item["street_name"]),
        district=str(item["district"]),
        title=str(item["title"]),
        period=str(item["period"]),
        date=date.isoformat() if isinstance(date, dt.date) else date,
        in_force=bool(item["in_force"]),
        text=text,
        years=years,
        street_aliases=aliases,
        id_prefix=str(item.get("id_prefix") or item["street"]),
        channels=channels,
        street_name_en=_optional(item, "street_name_en"),
        district_en=_optional(item, "district_en"),
        title_en=_optional(item, "title_en"),
    )


def _optional(item: dict[str, Any], key: str) -> str | None:
    return str(item[key]).strip() or None if item.get(key) else None


def _ordinal(chinese: str) -> int:
    return CHINESE_ORDINALS.index(chinese) + 1 if len(chinese) == 1 else 10 + _ordinal(chinese[1])


def _first_clause(text: str) -> str:
    return re.split(r"[。]", text, maxsplit=1)[0].strip()


def parse_report(report: Report) -> tuple[list[Section], list[Paragraph]]:
    """Split a report into numbered sections and the paragraphs under each.

    Sections are numbered "1", "1.3" (一、 and its (三)); the glossary is "appendix". Text
    before the first heading (title, preamble) belongs to section "0".
    """
    sections: list[Section] = [Section(report.id, "0", "引言")]
    paragraphs: list[Paragraph] = []
    top = "0"
    current = "0"
    for raw_line in report.text.splitlines():
        line = raw_line.strip().strip("\u3000").strip()
        if not line:
            continue
        if line.replace(" ", "") == APPENDIX_HEADING:
            current = "appendix"
            sections.append(Section(report.id, current, "附:名词解释"))
            continue
        if current != "appendix" and (match := TOP_HEADING.match(line)):
            top = str(_ordinal(match.group(1)))
            current = top
            sections.append(Section(report.id, current, match.group(2).strip()))
            continue
        if current != "appendix" and (match := SUB_HEADING.match(line)):
            current = f"{top}.{_ordinal(match.group(1))}"
            rest = match.group(2).strip()
            heading = _first_clause(rest)
            sections.append(Section(report.id, current, heading))
            body = rest[len(heading) :].lstrip("。").strip()
            if body:
                paragraphs.append(Paragraph(report.id, current, body))
            continue
        paragraphs.append(Paragraph(report.id, current, line))
    return sections, paragraphs


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences at 。!?; keeping the punctuation."""
    return [part.strip() for part in SENTENCE_END.split(paragraph) if part.strip()]


def glossary_terms(paragraphs: list[Paragraph]) -> list[GlossaryTerm]:
    """The numbered terms of a report's 附:名词解释."""
    terms = []
    for paragraph in paragraphs:
        if paragraph.section != "appendix":
            continue
        match = GLOSSARY_LINE.match(paragraph.text)
        if match:
            number, term, definition = match.groups()
            line = paragraph.text[len(number) + 1 :]
            terms.append(GlossaryTerm(int(number), term.strip(), definition.strip(), line))
    return terms


@dataclass(frozen=True)
class InlineDefinition:
    term: str
    parts: str
    sentence: str
    section: str


_PARENTHETICAL = re.compile(r"[((]([^()()]+)[))]")
# A definition lists its parts: 、 or , between them, or one quoted part after another.
_PART_SEPARATOR = re.compile(r"[、,]|”“|”和“")


def inline_definitions(paragraphs: list[Paragraph]) -> list[InlineDefinition]:
    """Terms the report defines in place: “term”(part、part、part)."""
    found = []
    for paragraph in paragraphs:
        for sentence in sentences(paragraph.text):
            for match in _PARENTHETICAL.finditer(sentence):
                if not _PART_SEPARATOR.search(match.group(1)):
                    continue
                before = sentence[: match.start()]
                quote_at = before.rfind("“")
                if quote_at < 0 or match.start() - quote_at > 20:
                    quote_at = before.rfind("‘")
                if quote_at < 0 or match.start() - quote_at > 20:
                    continue
                term = before[quote_at:]
                if not re.search("[”’]", term) or re.search("[,,。()()]", term[1:]):
                    continue
                if term.count("“") > term.count("”"):
                    term = term[1:]  # its closing quote comes after the parenthesis
                found.append(
                    InlineDefinition(
                        term=term,
                        parts=match.group(1),
                        sentence=sentence,
                        section=paragraph.section,
                    )
                )
    return found


def term_names(term: str) -> list[str]:
    """Ways a glossary term is named: the whole term, its quoted core, its parts around —."""
    plain = unquoted(term)
    names = [plain]
    names += re.findall(r"[“‘]([^”’]{2,})[”’]", term)
    if "—" in plain:
        names += [part for part in plain.split("—") if len(part) >= 2]
    seen: list[str] = []
    for name in names:
        name = name.strip()
        if name and name not in seen:
            seen.append(name)
    return seen
