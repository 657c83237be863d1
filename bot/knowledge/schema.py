"""The keys each kind of knowledge file accepts: the loaders refuse any other key, and
faq/README.md documents every one (tests/test_knowledge_schema.py holds the two together).
"""

from __future__ import annotations

from dataclasses import dataclass

# faq/*.yaml and the curators' file (Settings.curated_path), top level and each entry.
FAQ_FILE_KEYS = frozenset({"street", "report", "entries", "phrasings", "keywords", "generated_by"})
ENTRY_KEYS = frozenset(
    {
        "id",
        "question",
        "phrasings",
        "keywords",
        "answer",
        "section",
        "report",
        "street",
        "topic",
        "related",
        "term",
        "staff_reply",
    }
)
# An entry's `staff_reply`: the staff reply it was made from (provenance for curators,
# never shown to residents; bot.curation.staff_replies writes it in the curated file).
STAFF_REPLY_KEYS = frozenset({"tag", "date", "text"})
REQUIRED_ENTRY_KEYS = ("id", "question", "answer", "section")
# faq/en/*.yaml: English renderings, by entry id (bot.knowledge.english)
ENGLISH_FILE_KEYS = frozenset({"entries"})
ENGLISH_KEYS = frozenset({"question_en", "answer_en"})
# faq/generated-passages.yaml and faq/generated-sections.yaml (written by `policybot build`)
PASSAGE_FILE_KEYS = frozenset({"generated_by", "passages"})
PASSAGE_KEYS = frozenset({"id", "report", "section", "paragraph", "text"})
SECTION_FILE_KEYS = frozenset({"generated_by", "sections"})
SECTION_KEYS = frozenset({"report", "number", "heading"})
# intents/*.yaml (conversation.yaml holds the intents, scope.yaml the rest)
INTENT_FILE_KEYS = frozenset(
    {
        "intents",
        "examples",
        "other_places",
        "uncovered_topics",
        "unstated_details",
        "opinions",
        "no_subject",
        "outline",
        "requests",
    }
)
INTENT_KEYS = frozenset({"id", "phrasings", "reply", "reply_en", "alone"})
# data/reports.yaml
REPORTS_FILE_KEYS = frozenset({"reports"})
REPORT_KEYS = ("id", "file", "street", "street_name", "district", "title", "period", "in_force")
# seed: the original in ../shared/seeds/
OPTIONAL_REPORT_KEYS = (
    *("date", "years", "seed", "street_aliases", "id_prefix", "channels"),
    *("street_name_en", "district_en", "title_en"),  # how English replies name them
)
# data/topics.yaml: the topics an entry's `topic` may name
TOPICS_FILE = "topics.yaml"
TOPICS_FILE_KEYS = frozenset({"topics"})
# Report-independent language data: everyday words (Chinese or English) for the words the
# reports use. The file name says the language; the keys say which side is which.
LEXICONS = {
    "lexicon-zh.yaml": ("everyday", "official"),
    "lexicon-en.yaml": ("english", "chinese"),
}
LEXICON_FILE_KEYS = frozenset({"entries"})
# Marks a Chinese everyday phrase as verb|object ("看|孩子"), also read object first.
VERB_OBJECT = "|"


@dataclass(frozen=True)
class KeySet:
    """Keys one kind of YAML mapping accepts, and where faq/README.md documents them."""

    heading: str  # the README section that documents them names this (in backquotes)
    keys: frozenset[str]


def documented_key_sets() -> list[KeySet]:
    """Every kind of mapping the loaders read, with every key they accept."""
    lexicons = [
        KeySet(f"data/{name}", LEXICON_FILE_KEYS | frozenset(sides))
        for name, sides in LEXICONS.items()
    ]
    return [
        KeySet("faq/*.yaml", FAQ_FILE_KEYS | ENTRY_KEYS),
        KeySet("faq/en/*.yaml", ENGLISH_FILE_KEYS | ENGLISH_KEYS),
        KeySet("faq/generated-passages.yaml", PASSAGE_FILE_KEYS | PASSAGE_KEYS),
        KeySet("faq/generated-sections.yaml", SECTION_FILE_KEYS | SECTION_KEYS),
        KeySet("curated.yaml", FAQ_FILE_KEYS | ENTRY_KEYS | STAFF_REPLY_KEYS),
        KeySet("intents/*.yaml", INTENT_FILE_KEYS | INTENT_KEYS),
        KeySet("data/reports.yaml", REPORTS_FILE_KEYS | set(REPORT_KEYS + OPTIONAL_REPORT_KEYS)),
        KeySet(f"data/{TOPICS_FILE}", TOPICS_FILE_KEYS),
        *lexicons,
    ]
