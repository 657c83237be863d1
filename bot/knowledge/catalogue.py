"""Adding and removing a report: its text under data/reports/, its metadata in
data/reports.yaml and the generated files change together, or not at all."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.build import build, stale_files
from bot.knowledge.english import english_files
from bot.knowledge.extract import ExtractionError, extract
from bot.knowledge.loading import ENTRY_ID, load_knowledge, squeeze
from bot.knowledge.problems import LINE, KnowledgeError, Problem, read_yaml
from bot.knowledge.reports import REPORTS_FILE, Report, load_reports, parse_report, streets_of

REPORTS_DIR = "reports"
STREET_ID = re.compile(r"^[a-z][a-z0-9-]{0,23}$")
ID_PREFIX = re.compile(r"^[a-z][a-z0-9]{0,9}$")
# A report whose paragraphs are this much another's is that report again.
DUPLICATE_SHARE = 0.9


class CatalogueError(ValueError):
    """A report that cannot be added or removed; nothing was changed."""


@dataclass(frozen=True)
class NewReport:
    """What a curator says of a report being added (`policybot add-report`)."""

    street: str
    title: str
    years: tuple[int, ...]
    date: dt.date | None = None
    street_name: str | None = None  # needed for a street new to the bot
    district: str | None = None  # ditto
    street_aliases: tuple[str, ...] = ()
    period: str | None = None  # default: the years (2021年、2022年)
    not_in_force: bool = False  # besides a page marked 文件已失效
    channels: tuple[str, ...] = ()
    id: str | None = None  # default: street-year (the date's year, else the first year)
    id_prefix: str | None = None  # default: short and unused


@dataclass(frozen=True)
class Added:
    id: str
    file: str  # relative to data/
    in_force: bool
    sections: int  # numbered sections found
    glossary: bool  # whether it has a 附:名词解释
    changed: dict[str, bool]  # generated file -> whether it changed


def add_report(root: Path, source: Path, new: NewReport, curated: Iterable[Path] = ()) -> Added:
    """Extract ``source``, store its text and metadata, rebuild and validate everything;
    CatalogueError (or KnowledgeError) with the knowledge left exactly as it was."""
    try:
        extracted = extract(source)
    except ExtractionError as error:
        raise CatalogueError(str(error)) from None
    data_dir = root / "data"
    reports = load_reports(data_dir)
    item = _metadata(new, reports, extracted.text, extracted.not_in_force)
    _refuse_duplicate(item["id"], extracted.text, reports)
    text_path = data_dir / item["file"]
    if text_path.exists():
        raise CatalogueError(f"data/{item['file']} exists already: give another --id")
    with _all_or_nothing(root, [text_path]):
        text_path.parent.mkdir(parents=True, exist_ok=True)
        text_path.write_text(extracted.text, encoding="utf-8")
        _append_item(data_dir / REPORTS_FILE, item)
        changed = build(root)
        _validate(root, curated)
    report = load_reports(data_dir)[item["id"]]
    sections, _ = parse_report(report)
    numbered = [s for s in sections if s.number not in ("0", "appendix")]
    return Added(
        id=report.id,
        file=report.file,
        in_force=report.in_force,
        sections=len(numbered),
        glossary=any(s.number == "appendix" for s in sections),
        changed=changed,
    )


def remove_report(root: Path, report_id: str, curated: Iterable[Path] = ()) -> dict[str, bool]:
    """Take a report out of data/reports.yaml and data/reports/, rebuild and validate;
    CatalogueError (or KnowledgeError, e.g. hand-written entries still citing it) with
    nothing changed. Returns generated file -> whether it changed."""
    data_dir = root / "data"
    reports = load_reports(data_dir)
    report = reports.get(report_id)
    if report is None:
        known = ", ".join(reports) or "none"
        raise CatalogueError(f"no report {report_id!r} in data/reports.yaml (there are: {known})")
    _refuse_if_cited(root, report_id, curated)
    text_path = data_dir / report.file
    shared = any(r.file == report.file for r in reports.values() if r.id != report_id)
    with _all_or_nothing(root, [text_path]):
        _drop_item(data_dir / REPORTS_FILE, report_id)
        if not shared:
            text_path.unlink()
        changed = build(root)
        _validate(root, curated)
    return changed


def _refuse_if_cited(root: Path, report_id: str, curated: Iterable[Path]) -> None:
    """Hand-written and curated entries citing the report, and the English renderings of
    any of its entries (faq/en/), stay theirs to move or delete."""
    citing: dict[str, list[str]] = {}
    entries = load_knowledge(root, curated).entries.values()
    for entry in entries:
        if entry.report == report_id and entry.kind == "faq":
            citing.setdefault(entry.file, []).append(entry.id)
    of_report = {entry.id for entry in entries if entry.report == report_id}
    for path in english_files(root / "faq"):
        rendered = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("entries") or {}
        ids = [str(i) for i in rendered if i in of_report]
        if ids:
            citing[str(path.relative_to(root))] = ids
    if citing:
        files = "; ".join(f"{file}: {len(ids)} ({ids[0]}, …)" for file, ids in citing.items())
        raise CatalogueError(
            f"hand-written entries or English renderings cite {report_id}: {files}. "
            "Delete or move them first."
        )


# --- the metadata ---------------------------------------------------------------------


def _metadata(
    new: NewReport, reports: dict[str, Report], text: str, marked_stale: bool
) -> dict[str, Any]:
    """The report's mapping in data/reports.yaml, in the order the file writes its keys."""
    if not STREET_ID.match(new.street):
        raise CatalogueError(f"--street {new.street!r}: lower-case letters, digits and -")
    if not new.years:
        raise CatalogueError("--years: the years the report reviews or plans (2021,2022)")
    streets = streets_of(reports.values())
    known = streets.get(new.street)
    if known is None and not (new.street_name and new.district):
        raise CatalogueError(
            f"street {new.street!r} is new to the bot: give --street-name (坪山街道) and "
            f"--district (坪山区); known streets: {', '.join(streets) or 'none'}"
        )
    if known is not None and new.street_name and new.street_name != known.name:
        raise CatalogueError(
            f"street {new.street!r} is {known.name}, not {new.street_name}: leave out "
            "--street-name, or give another --street"
        )
    same_street = [r for r in reports.values() if r.street == new.street]
    year = new.date.year if new.date else new.years[0]
    report_id = new.id or f"{new.street}-{year}"
    if not ENTRY_ID.match(report_id):
        raise CatalogueError(f"report id {report_id!r}: lower-case letters, digits and -")
    if report_id in reports:
        raise CatalogueError(
            f"report {report_id} is already in data/reports.yaml: give another --id, or "
            f"`policybot remove-report {report_id}` first"
        )
    prefix = new.id_prefix or _free_prefix(new.street, year, same_street, reports)
    if not ID_PREFIX.match(prefix) or prefix in {r.id_prefix for r in reports.values()}:
        raise CatalogueError(f"--id-prefix {prefix!r}: up to 10 of a-z0-9, and not in use")
    item: dict[str, Any] = {
        "id": report_id,
        "file": f"{REPORTS_DIR}/{report_id}.txt",
        "id_prefix": prefix,
        "street": new.street,
        "street_name": known.name if known else new.street_name,
    }
    if new.street_aliases:
        item["street_aliases"] = list(new.street_aliases)
    item["district"] = same_street[0].district if same_street else new.district
    item["title"] = new.title
    item["period"] = new.period or "、".join(f"{y}年" for y in new.years)
    item["years"] = list(new.years)
    item["date"] = new.date
    item["in_force"] = not (new.not_in_force or marked_stale)
    if new.channels:
        item["channels"] = list(new.channels)
    return item


def _free_prefix(street: str, year: int, same_street: list[Report], reports: dict) -> str:
    """A short prefix no report uses: the street's own (ps), else with the year (ps21)."""
    used = {r.id_prefix for r in reports.values()}
    base = same_street[0].id_prefix if same_street else re.sub(r"[^a-z0-9]", "", street)[:2]
    for candidate in (base, f"{base}{year % 100:02d}"):
        if candidate not in used:
            return candidate
    return next(
        f"{base}{year % 100:02d}{c}"
        for c in "abcdefghijklmnopqrstuvwxyz"
        if f"{base}{year % 100:02d}{c}" not in used
    )


def _refuse_duplicate(report_id: str, text: str, reports: dict[str, Report]) -> None:
    """A report already added, under whatever name: most of its paragraphs are there."""
    paragraphs = {squeeze(line) for line in text.splitlines() if squeeze(line)}
    for report in reports.values():
        theirs = {squeeze(line) for line in report.text.splitlines() if squeeze(line)}
        if paragraphs and len(paragraphs & theirs) >= DUPLICATE_SHARE * len(paragraphs):
            raise CatalogueError(
                f"this is report {report.id} again ({report.title}): it is already added"
            )


# --- writing data/reports.yaml, keeping its comments ------------------------------------


def _append_item(path: Path, item: dict[str, Any]) -> None:
    """The report at the end of the list under ``reports`` (the file's last key)."""
    block = yaml.safe_dump([item], allow_unicode=True, sort_keys=False, default_flow_style=None)
    text = path.read_text(encoding="utf-8")
    indented = "".join(f"  {line}\n" for line in block.splitlines())
    path.write_text(text.rstrip("\n") + "\n" + indented, encoding="utf-8")
    problems: list[Problem] = []
    written = read_yaml(path, f"data/{REPORTS_FILE}", problems) or {}
    last = (written.get("reports") or [{}])[-1]
    if problems or last.get("id") != item["id"]:
        # The list is not the file's last key: the file must be edited by hand.
        raise CatalogueError(f"data/{REPORTS_FILE}: 'reports' must be the file's last key")


def _drop_item(path: Path, report_id: str) -> None:
    """The report's lines out of the list; every other line (comments too) kept."""
    problems: list[Problem] = []
    data = read_yaml(path, f"data/{REPORTS_FILE}", problems) or {}
    items = data.get("reports") or []
    starts = [int(item[LINE]) for item in items]
    at = next(i for i, item in enumerate(items) if str(item.get("id")) == report_id)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    end = starts[at + 1] - 1 if at + 1 < len(starts) else len(lines)
    path.write_text("".join(lines[: starts[at] - 1] + lines[end:]), encoding="utf-8")


# --- all or nothing -----------------------------------------------------------------


def _validate(root: Path, curated: Iterable[Path]) -> None:
    """What `policybot check` holds: every file valid and the generated ones current."""
    load_knowledge(root, curated)
    stale = stale_files(root)
    if stale:
        raise KnowledgeError(
            [Problem(f"faq/{name}", 1, None, "out of date with data/") for name in stale]
        )


@contextmanager
def _all_or_nothing(root: Path, created: list[Path]) -> Iterator[None]:
    """On any error inside, data/reports.yaml, faq/generated-*.yaml and ``created`` are put
    back as they were (a file that did not exist is removed)."""
    paths = [root / "data" / REPORTS_FILE, *sorted((root / "faq").glob("generated-*.yaml"))]
    paths += created
    before = {path: path.read_bytes() if path.exists() else None for path in paths}
    try:
        yield
    except BaseException:
        for path, data in before.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(data)
        raise
