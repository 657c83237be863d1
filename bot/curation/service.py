"""Curation in one import: missed groups, answering a group (also from a staff reply),
export and statistics.

No Telegram and no click here: bot.cli.curation and bot.telegram.curators present these.
Each job has its own module (bot.curation.groups, .answering, .staff_replies, .export,
.statistics); the SQL behind them lives with the schema (bot.store.curator_queries).
"""

from __future__ import annotations

from bot.curation.answering import (
    CURATED_FILE,
    CURATED_HEADER,
    NewEntry,
    Outcome,
    answer_group,
    dump_curated,
    ignore_group,
    parse_source,
    read_curated,
)
from bot.curation.export import EXPORT_COLUMNS, export_csv, spreadsheet_safe
from bot.curation.groups import (
    FITS_AT,
    GROUP_AT,
    GROUPING_STOPWORDS,
    CurationError,
    MissedGroup,
    MissedQuestion,
    Nearest,
    cluster,
    find_group,
    fit,
    grouping_key,
    missed_groups,
    nearest_entries,
    similarity,
)
from bot.curation.staff_replies import (
    MAX_PROPOSALS,
    Proposal,
    answer_from_reply,
    decline,
    propose,
    reply_of,
    shortened,
)
from bot.curation.statistics import statistics, waiting_notifications

__all__ = [
    "CURATED_FILE",
    "CURATED_HEADER",
    "EXPORT_COLUMNS",
    "FITS_AT",
    "GROUPING_STOPWORDS",
    "GROUP_AT",
    "MAX_PROPOSALS",
    "CurationError",
    "MissedGroup",
    "MissedQuestion",
    "Nearest",
    "NewEntry",
    "Outcome",
    "Proposal",
    "answer_from_reply",
    "answer_group",
    "cluster",
    "decline",
    "dump_curated",
    "export_csv",
    "find_group",
    "fit",
    "grouping_key",
    "ignore_group",
    "missed_groups",
    "nearest_entries",
    "parse_source",
    "propose",
    "read_curated",
    "reply_of",
    "shortened",
    "similarity",
    "spreadsheet_safe",
    "statistics",
    "waiting_notifications",
]
