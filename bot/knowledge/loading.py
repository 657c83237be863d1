"""Loading and validating the knowledge files: faq/, intents/ and the report metadata.

Every problem is reported with its file, line and entry; a knowledge base that has any
problem is never half-loaded.
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.engine.textnorm import content, fold
from bot.knowledge.english import add_english, english_files
from bot.knowledge.problems import LINE, KnowledgeError, Problem, read_yaml
from bot.knowledge.reports import Report, Street, load_reports, streets_of
from bot.knowledge.schema import (
    ENTRY_KEYS,
    FAQ_FILE_KEYS,
    INTENT_FILE_KEYS,
    INTENT_KEYS,
    LEXICON_FILE_KEYS,
    LEXICONS,
    PASSAGE_FILE_KEYS,
    PASSAGE_KEYS,
    REQUIRED_ENTRY_KEYS,
    SECTION_FILE_KEYS,
    SECTION_KEYS,
    STAFF_REPLY_KEYS,
    TOPICS_FILE,
    TOPICS_FILE_KEYS,
    VERB_OBJECT,
)

# The one pattern of an entry id, wherever ids are checked (a callback carries one).
ENTRY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
# Everyday phrases and the official words they stand for, by language ("zh", "en").
Lexicons = dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]]
GENERATED_MARK = "policybot build"

FRAGMENT_SEPARATOR = "……"


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # "faq" (hand-written), "term" (glossary), "definition" (defined inline)
    street: str
    report: str
    section: str
    question: str
    answer: str
    phrasings: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    topic: str | None = None
    related: tuple[str, ...] = ()
    term: str | None = None
    file: str = ""
    line: int = 0
    question_en: str | None = None  # faq/en/*.yaml (bot.knowledge.english)
    answer_en: str | None = None


@dataclass(frozen=True)
class Passage:
    id: str
    report: str
    section: str
    text: str
    paragraph: int = 0  # of its report, counted from 1; 0 when not known


@dataclass(frozen=True)
class Intent:
    id: str
    phrasings: tuple[str, ...]
    reply: str  # may name REPLY_FIELDS in braces, filled from data/reports.yaml
    reply_en: str | None = None  # the same in English, for English questions
    # Only a whole message that is one of its phrasings, never a phrase inside a longer one
    # nor a message near in meaning: "好的,那观湖呢" asks after the acknowledgement.
    alone: bool = False


# What an intent's reply may name in braces, so that it never lists the reports itself:
# a report added or removed changes every reply that names them.
REPLY_FIELDS = {
    "streets": "the streets the reports cover (坪山街道和观湖街道)",
    "reports": "every report's title",
    "channels": "the places where residents are served in person, as each report names them",
}


def _unknown_fields(reply: str) -> bool:
    """Whether an intent's reply names a field it may not, or has unbalanced braces."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(reply) if name is not None]
    except ValueError:
        return True
    return any(name not in REPLY_FIELDS for name in names)


@dataclass
class KnowledgeBase:
    reports: dict[str, Report]
    sections: dict[tuple[str, str], str]  # (report, number) -> heading
    entries: dict[str, Entry]
    passages: list[Passage]
    intents: dict[str, Intent]
    examples: list[str] = field(default_factory=list)
    other_places: list[str] = field(default_factory=list)
    uncovered_topics: list[str] = field(default_factory=list)
    opinions: list[str] = field(default_factory=list)
    no_subject: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    unstated_details: dict[str, list[str]] = field(default_factory=dict)
    # words that ask for a report's plan or review as a whole, by half ("plan", "review")
    outline_words: dict[str, list[str]] = field(default_factory=dict)
    # (everyday phrases, the reports' words), by language: "zh" and "en"
    lexicons: Lexicons = field(default_factory=dict)

    @property
    def streets(self) -> dict[str, Street]:
        """The streets the reports cover, by id (data/reports.yaml)."""
        return streets_of(self.reports.values())

    @property
    def glossary(self) -> list[Entry]:
        """Entries that define a term (a report's glossary, or a definition in place)."""
        return [e for e in self.entries.values() if e.kind in ("term", "definition")]


# --- YAML with line numbers --------------------------------------------------------


def _unknown_keys(item: dict[str, Any], allowed: Collection[str]) -> list[str]:
    return sorted(str(k) for k in item if k != LINE and k not in allowed)


def _strings(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    return None


def _staff_reply_problems(value: Any) -> list[str]:
    """What is wrong with an entry's ``staff_reply`` (provenance only: never answered with)."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return ["'staff_reply' must be a mapping of tag, date and text"]
    problems = [
        f"unknown key {key!r} in staff_reply" for key in _unknown_keys(value, STAFF_REPLY_KEYS)
    ]
    if not isinstance(value.get("text"), str) or not value["text"].strip():
        problems.append("'staff_reply' needs its text")
    return problems


def squeeze(text: str) -> str:
    """Text without any whitespace: how quotes are compared with the reports."""
    return re.sub(r"[\s\u3000]+", "", text)


# --- loading ------------------------------------------------------------------------


class _Loader:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.reports = load_reports(root / "data")
        self.report_text = {rid: squeeze(r.text) for rid, r in self.reports.items()}
        self.streets = streets_of(self.reports.values())
        self.sections: dict[tuple[str, str], str] = {}
        self.entries: dict[str, Entry] = {}
        self.entry_where: dict[str, tuple[str, int]] = {}
        self.extra_phrasings: list[tuple[str, str, int, str, list[str]]] = []
        self.passages: list[Passage] = []
        self.intents: dict[str, Intent] = {}
        self.examples: list[str] = []
        self.other_places: list[str] = []
        self.uncovered_topics: list[str] = []
        self.opinions: list[str] = []
        self.no_subject: list[str] = []
        self.requests: list[str] = []
        self.unstated_details: dict[str, list[str]] = {}
        self.outline_words: dict[str, list[str]] = {}
        self.lexicons: Lexicons = {}
        self.topics: frozenset[str] = frozenset()

    def problem(self, file: str, line: int, entry: str | None, message: str) -> None:
        self.problems.append(Problem(file, line, entry, message))

    def display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def load_topics(self, data_dir: Path) -> None:
        """The topics entries may name (without the file, none)."""
        path = data_dir / TOPICS_FILE
        if not path.exists():
            return
        display = self.display(path)
        data = read_yaml(path, display, self.problems)
        if data is None:
            return
        for key in _unknown_keys(data, TOPICS_FILE_KEYS):
            self.problem(display, data[LINE], None, f"unknown key {key!r}")
        topics = _strings(data.get("topics"))
        if topics is None:
            self.problem(display, data[LINE], None, "'topics' must be a list of topic ids")
            return
        self.topics = frozenset(topics)

    # sections and passages come first: entries cite them
    def _generated_file(
        self, path: Path, file_keys: frozenset[str]
    ) -> tuple[str, dict[str, Any]] | None:
        """A file `policybot build` writes, read and its top-level keys checked."""
        display = self.display(path)
        data = read_yaml(path, display, self.problems) if path.exists() else None
        if data is None:
            if not path.exists():
                self.problem(display, 1, None, "missing: run `policybot build`")
            return None
        for key in _unknown_keys(data, file_keys):
            self.problem(display, data[LINE], None, f"unknown key {key!r}")
        return display, data

    def load_generated_support(self, faq_dir: Path) -> None:
        read = self._generated_file(faq_dir / "generated-sections.yaml", SECTION_FILE_KEYS)
        if read is None:
            return
        display, data = read
        for item in data.get("sections") or []:
            for key in _unknown_keys(item, SECTION_KEYS):
                self.problem(display, item[LINE], None, f"unknown key {key!r}")
            self.sections[(str(item.get("report")), str(item.get("number")))] = str(
                item.get("heading", "")
            )
        read = self._generated_file(faq_dir / "generated-passages.yaml", PASSAGE_FILE_KEYS)
        if read is None:
            return
        display, data = read
        for item in data.get("passages") or []:
            for key in _unknown_keys(item, PASSAGE_KEYS):
                self.problem(display, item[LINE], item.get("id"), f"unknown key {key!r}")
            report, section = str(item.get("report")), str(item.get("section"))
            if (report, section) not in self.sections:
                self.problem(
                    display, item[LINE], item.get("id"), f"no section {section} in {report}"
                )
            paragraph = item.get("paragraph", 0)
            if not isinstance(paragraph, int) or isinstance(paragraph, bool) or paragraph < 0:
                self.problem(display, item[LINE], item.get("id"), "paragraph must be a number")
                paragraph = 0
            self.passages.append(
                Passage(str(item["id"]), report, section, str(item["text"]), paragraph)
            )

    def load_faq_file(self, path: Path) -> None:
        display = self.display(path)
        data = read_yaml(path, display, self.problems)
        if data is None:
            return
        for key in _unknown_keys(data, FAQ_FILE_KEYS):
            self.problem(display, data[LINE], None, f"unknown key {key!r}")
        generated = data.get("generated_by") == GENERATED_MARK
        default_street = data.get("street")
        default_report = data.get("report")
        entries = data.get("entries") or []
        if not isinstance(entries, list):
            self.problem(display, data[LINE], None, "'entries' must be a list")
            entries = []
        for item in entries:
            if not isinstance(item, dict):
                self.problem(display, data[LINE], None, "each entry must be a mapping")
                continue
            self.load_entry(display, item, default_street, default_report, generated)
        for key in ("phrasings", "keywords"):
            mapping = data.get(key) or {}
            if not isinstance(mapping, dict):
                self.problem(display, data[LINE], None, f"'{key}' must map entry ids to lists")
                continue
            for entry_id, values in mapping.items():
                if entry_id == LINE:
                    continue
                strings = _strings(values)
                if strings is None:
                    self.problem(display, mapping[LINE], entry_id, f"{key} must be a list")
                    continue
                self.extra_phrasings.append((key, display, mapping[LINE], entry_id, strings))

    def load_entry(
        self,
        display: str,
        item: dict[str, Any],
        default_street: str | None,
        default_report: str | None,
        generated: bool,
    ) -> None:
        line = item[LINE]
        entry_id = item.get("id")
        label = str(entry_id) if entry_id is not None else None
        for key in _unknown_keys(item, ENTRY_KEYS):
            self.problem(display, line, label, f"unknown key {key!r}")
        missing = [k for k in REQUIRED_ENTRY_KEYS if item.get(k) in (None, "")]
        for key in missing:
            self.problem(display, line, label, f"'{key}' is missing or empty")
        if missing:
            return
        entry_id = str(entry_id)
        if not ENTRY_ID.match(entry_id):
            self.problem(display, line, entry_id, "id must be lower-case a-z, 0-9 and -")
        if entry_id in self.entries:
            first_file, first_line = self.entry_where[entry_id]
            self.problem(
                display, line, entry_id, f"duplicate id (first at {first_file}:{first_line})"
            )
            return
        report = str(item.get("report") or default_report or "")
        street = str(item.get("street") or default_street or "")
        section = str(item["section"])
        if report not in self.reports:
            self.problem(display, line, entry_id, f"unknown report {report!r}")
        elif (report, section) not in self.sections:
            self.problem(display, line, entry_id, f"no section {section!r} in report {report}")
        if street not in self.streets:
            self.problem(display, line, entry_id, f"street must be one of {sorted(self.streets)}")
        elif report in self.reports and self.reports[report].street != street:
            self.problem(display, line, entry_id, f"report {report} is not about {street}")
        topic = item.get("topic")
        if topic is not None and str(topic) not in self.topics:
            self.problem(
                display, line, entry_id, f"unknown topic {topic!r}: see data/{TOPICS_FILE}"
            )
        for message in _staff_reply_problems(item.get("staff_reply")):
            self.problem(display, line, entry_id, message)
        answer = str(item["answer"]).strip()
        if report in self.report_text:
            for fragment in answer.split(FRAGMENT_SEPARATOR):
                if squeeze(fragment) and squeeze(fragment) not in self.report_text[report]:
                    self.problem(
                        display,
                        line,
                        entry_id,
                        f"answer is not a verbatim quote of {report}: {fragment.strip()[:30]!r}…",
                    )
        lists = {}
        for key in ("phrasings", "keywords", "related"):
            strings = _strings(item.get(key))
            if strings is None:
                self.problem(display, line, entry_id, f"'{key}' must be a list of strings")
                strings = []
            lists[key] = strings
        question = str(item["question"]).strip()
        kind = "faq"
        if generated:
            # A glossary's terms are its appendix; other generated entries define in place.
            kind = "term" if section == "appendix" else "definition"
        self.entries[entry_id] = Entry(
            id=entry_id,
            kind=kind,
            street=street,
            report=report,
            section=section,
            question=question,
            answer=answer,
            phrasings=tuple(p.strip() for p in lists["phrasings"] if p.strip()),
            keywords=tuple(k.strip() for k in lists["keywords"] if k.strip()),
            topic=item.get("topic"),
            related=tuple(lists["related"]),
            term=item.get("term"),
            file=display,
            line=line,
        )
        self.entry_where[entry_id] = (display, line)

    def merge_extra_phrasings(self) -> None:
        for key, display, line, entry_id, strings in self.extra_phrasings:
            entry = self.entries.get(entry_id)
            if entry is None:
                self.problem(
                    display, line, entry_id, f"{key} given for an entry that does not exist"
                )
                continue
            merged = tuple(dict.fromkeys([*getattr(entry, key), *strings]))
            if key == "phrasings":
                self.entries[entry_id] = replace(entry, phrasings=merged)
            else:
                self.entries[entry_id] = replace(entry, keywords=merged)

    def check_links_and_phrasings(self) -> None:
        owner: dict[str, str] = {}
        for entry in self.entries.values():
            for related in entry.related:
                if related not in self.entries:
                    self.problem(
                        entry.file, entry.line, entry.id, f"related {related!r} does not exist"
                    )
            for phrasing in (entry.question, *entry.phrasings):
                key = content(phrasing)
                if not key:
                    self.problem(
                        entry.file, entry.line, entry.id, f"phrasing {phrasing!r} is empty"
                    )
                    continue
                other = owner.setdefault(key, entry.id)
                if other != entry.id:
                    self.problem(
                        entry.file,
                        entry.line,
                        entry.id,
                        f"phrasing {phrasing!r} is also claimed by {other}",
                    )

    def load_intent_file(self, path: Path) -> None:
        display = self.display(path)
        data = read_yaml(path, display, self.problems)
        if data is None:
            return
        for key in _unknown_keys(data, INTENT_FILE_KEYS):
            self.problem(display, data[LINE], None, f"unknown key {key!r}")
        for item in data.get("intents") or []:
            line = item.get(LINE, data[LINE]) if isinstance(item, dict) else data[LINE]
            if not isinstance(item, dict):
                self.problem(display, line, None, "each intent must be a mapping")
                continue
            intent_id = str(item.get("id") or "")
            for key in _unknown_keys(item, INTENT_KEYS):
                self.problem(display, line, intent_id or None, f"unknown key {key!r}")
            phrasings = _strings(item.get("phrasings"))
            reply = str(item.get("reply") or "").strip()
            if not intent_id:
                self.problem(display, line, None, "'id' is missing")
                continue
            if intent_id in self.intents:
                self.problem(display, line, intent_id, "duplicate intent id")
                continue
            if not phrasings:
                self.problem(display, line, intent_id, "'phrasings' must be a non-empty list")
                continue
            if not reply:
                self.problem(display, line, intent_id, "'reply' is missing or empty")
                continue
            reply_en = str(item.get("reply_en") or "").strip() or None
            if any(_unknown_fields(text) for text in (reply, reply_en) if text):
                known = ", ".join(f"{{{name}}}" for name in REPLY_FIELDS)
                self.problem(display, line, intent_id, f"'reply' may name only {known}")
                continue
            alone = item.get("alone", False)
            if not isinstance(alone, bool):
                self.problem(display, line, intent_id, "'alone' must be true or false")
                continue
            self.intents[intent_id] = Intent(intent_id, tuple(phrasings), reply, reply_en, alone)
        self.examples += _strings(data.get("examples")) or []
        self.other_places += _strings(data.get("other_places")) or []
        self.uncovered_topics += self._words_no_report_uses(display, data, "uncovered_topics")
        self.opinions += self._words_no_report_uses(display, data, "opinions")
        # Words the reports use everywhere (落实, 效果): no check against their text.
        self.no_subject += _strings(data.get("no_subject")) or []
        self.requests += self._words_no_report_uses(display, data, "requests")
        details = data.get("unstated_details") or {}
        if not isinstance(details, dict):
            self.problem(display, data[LINE], None, "'unstated_details' must be a mapping")
            details = {}
        for label, words in details.items():
            if label == LINE:
                continue
            strings = _strings(words)
            if not strings:
                self.problem(display, details[LINE], str(label), "must list words")
                continue
            self.unstated_details[str(label)] = strings
        self._read_outline_words(display, data)
        self.examples_where = (display, data[LINE])

    def _read_outline_words(self, display: str, data: dict[str, Any]) -> None:
        outline = data.get("outline") or {}
        if not isinstance(outline, dict):
            self.problem(display, data[LINE], None, "'outline' must be a mapping")
            return
        for half, words in outline.items():
            if half == LINE:
                continue
            strings = _strings(words)
            if half not in ("plan", "review") or not strings:
                self.problem(
                    display, outline[LINE], str(half), "must be plan or review, listing words"
                )
                continue
            self.outline_words.setdefault(str(half), []).extend(strings)

    def _words_no_report_uses(self, display: str, data: dict[str, Any], key: str) -> list[str]:
        """The words listed under ``key``; a word either report contains is a problem:
        listing it would turn away questions the reports answer."""
        words = _strings(data.get(key)) or []
        folded_reports = {rid: fold(r.text) for rid, r in self.reports.items()}
        kept = []
        for word in words:
            found = [rid for rid, text in folded_reports.items() if fold(word) in text]
            if found:
                label = key[:-1].replace("_", " ")  # "uncovered topic", "opinion"
                where = ", ".join(sorted(found))
                self.problem(display, data[LINE], word, f"{label} appears in report {where}")
            else:
                kept.append(word)
        return kept

    def load_lexicons(self, data_dir: Path) -> None:
        self.lexicons, problems = read_lexicons(data_dir, self.root)
        self.problems += problems

    def check_examples(self) -> None:
        for example in self.examples:
            if example not in self.entries:
                file, line = getattr(self, "examples_where", ("intents", 1))
                self.problem(file, line, example, "example entry does not exist")


def faq_files(faq_dir: Path, generated_only: bool = False) -> list[Path]:
    """The entry files, generated ones first so hand-written files can extend them; with
    ``generated_only``, what `policybot build` makes of the reports and nothing else (what
    a brand-new report gives)."""
    files = [p for p in sorted(faq_dir.glob("*.yaml")) if not _is_support(p)]
    if generated_only:
        files = [p for p in files if p.name.startswith("generated-")]
    return sorted(files, key=lambda p: (not p.name.startswith("generated-"), p.name))


def _is_support(path: Path) -> bool:
    return path.name in ("generated-sections.yaml", "generated-passages.yaml")


def read_lexicons(data_dir: Path, root: Path) -> tuple[Lexicons, list[Problem]]:
    """The report-independent lexicons by language ("zh", "en"), and what is wrong in them
    (a file that cannot be read gives no pairs). Read apart from the knowledge base too:
    grouping missed questions needs them without one."""
    lexicons: Lexicons = {}
    problems: list[Problem] = []
    for name, (plain, official) in LEXICONS.items():
        path = data_dir / name
        if not path.exists():
            continue
        display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        data = read_yaml(path, display, problems)
        if data is None:
            continue
        for key in _unknown_keys(data, LEXICON_FILE_KEYS):
            problems.append(Problem(display, data[LINE], None, f"unknown key {key!r}"))
        language = name.removeprefix("lexicon-").removesuffix(".yaml")
        pairs = lexicons.setdefault(language, [])
        for item in data.get("entries") or []:
            if not isinstance(item, dict):
                problems.append(Problem(display, data[LINE], None, "each entry must be a mapping"))
                continue
            for key in _unknown_keys(item, {plain, official}):
                problems.append(Problem(display, item[LINE], None, f"unknown key {key!r}"))
            words, meant = _strings(item.get(plain)), _strings(item.get(official))
            if not words or not meant:
                needs = f"needs '{plain}' and '{official}'"
                problems.append(Problem(display, item[LINE], None, needs))
                continue
            for word in words:
                if VERB_OBJECT in word and not _verb_object(word, language):
                    message = f"{word!r}: write a verb and its object as verb{VERB_OBJECT}object"
                    problems.append(Problem(display, item[LINE], None, message))
            pairs.append((tuple(words), tuple(meant)))
    return lexicons, problems


def _verb_object(word: str, language: str) -> bool:
    """Whether a marked everyday phrase is one verb and one object (Chinese only)."""
    verb, _, obj = word.partition(VERB_OBJECT)
    return language == "zh" and bool(verb and obj) and VERB_OBJECT not in obj


def load_knowledge(
    root: Path, extra_faq: Iterable[Path] = (), generated_only: bool = False
) -> KnowledgeBase:
    """Load and validate everything under ``root``; raise KnowledgeError listing all problems.

    ``extra_faq``: entry files from elsewhere (the curators' file); one that does not exist
    yet is skipped, and one that is also in faq/ is read once.
    """
    loader = _Loader(root)
    loader.load_topics(root / "data")
    faq_dir = root / "faq"
    loader.load_generated_support(faq_dir)
    files = faq_files(faq_dir, generated_only)
    known = {path.resolve() for path in files}
    extra = [path for path in extra_faq if path.exists() and path.resolve() not in known]
    for path in [*files, *extra]:
        loader.load_faq_file(path)
    loader.merge_extra_phrasings()
    if not generated_only:
        for path in english_files(faq_dir):
            add_english(loader.entries, path, loader.display(path), loader.problems)
    loader.check_links_and_phrasings()
    for path in sorted((root / "intents").glob("*.yaml")):
        loader.load_intent_file(path)
    loader.load_lexicons(root / "data")
    if generated_only:
        # The examples name hand-written entries; a new report offers its own terms.
        kept = [e for e in loader.examples if e in loader.entries]
        loader.examples = kept or [e.id for e in loader.entries.values() if e.term][:3]
    loader.check_examples()
    if loader.problems:
        raise KnowledgeError(loader.problems)
    return KnowledgeBase(
        reports=loader.reports,
        sections=loader.sections,
        entries=loader.entries,
        passages=loader.passages,
        intents=loader.intents,
        examples=loader.examples,
        other_places=loader.other_places,
        uncovered_topics=loader.uncovered_topics,
        opinions=loader.opinions,
        no_subject=loader.no_subject,
        requests=loader.requests,
        unstated_details=loader.unstated_details,
        outline_words=loader.outline_words,
        lexicons=loader.lexicons,
    )
