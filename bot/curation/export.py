"""Missed groups exported for a spreadsheet: one row per question, formulas defused."""

from __future__ import annotations

import csv
from pathlib import Path

from bot.curation.groups import MissedGroup

EXPORT_COLUMNS = (
    "group",
    "group_count",
    "question_id",
    "time",
    "channel",
    "text",
    "outcome",
    "reason",
    "nearest_entry",
)


# A cell starting with one of these is a formula to Excel and LibreOffice: a resident's
# "=HYPERLINK(…)" would run on the curator's machine. OWASP: prefix a single quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """``value`` as a spreadsheet reads it as text: a formula-like string quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_csv(groups: list[MissedGroup], path: Path) -> int:
    """One row per missed question, grouped; the number of rows written."""
    rows = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel reads UTF-8
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        for group in groups:
            nearest = group.nearest[0].entry_id if group.nearest else ""
            for q in group.questions:
                row = [group.id, group.count, q.id, q.time, q.channel, q.text]
                row += [q.outcome, q.reason, nearest]
                writer.writerow([spreadsheet_safe(value) for value in row])
                rows += 1
    return rows
