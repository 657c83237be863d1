"""The weekly digest's content: last week's figures against the week before, the missed
groups most asked last week, and a PNG chart of the week (Chinese set in Noto Sans SC from
the pylopdf-fonts-zh-cn package: never a font that happens to be on the machine)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.curation.groups import MissedGroup, missed_groups
from bot.engine import messages
from bot.store.dashboard_queries import day_counts, week_counts
from bot.store.question_log import Store

TOP = 5
WEEK = timedelta(days=7)


@dataclass
class Digest:
    """What a curator receives once a week (and on /stats)."""

    start: datetime  # of last week; it ends at ``end``
    end: datetime
    week: dict[str, int]  # questions, answered, clarified, missed, askers
    before: dict[str, int]  # the same for the week before
    days: list[dict[str, Any]] = field(default_factory=list)  # per day of the week
    groups: list[tuple[MissedGroup, int]] = field(default_factory=list)  # (group, this week)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def weekly_digest(store: Store, now: datetime | None = None) -> Digest:
    """The seven days before ``now`` against the seven before them."""
    end = now or datetime.now(timezone.utc)
    start, earlier = end - WEEK, end - 2 * WEEK
    with store.reader() as db:
        week = week_counts(db, _stamp(start), _stamp(end))
        before = week_counts(db, _stamp(earlier), _stamp(start))
        days = day_counts(db, _stamp(start), _stamp(end))
    since = _stamp(start)
    counted = [(g, sum(q.time >= since for q in g.questions)) for g in missed_groups(store)]
    recent = sorted((c for c in counted if c[1]), key=lambda c: -c[1])[:TOP]
    return Digest(start, end, week, before, days, recent)


def _change(now: int, before: int) -> str:
    if not before:
        return messages.DIGEST_NEW if now else ""
    return messages.DIGEST_CHANGE.format(change=(now - before) / before)


def digest_lines(digest: Digest) -> list[str]:
    """The figures as text lines (plain text: the caller escapes them for HTML)."""
    week, before = digest.week, digest.before
    rate = week["answered"] / week["questions"] if week["questions"] else 0.0
    old_rate = before["answered"] / before["questions"] if before["questions"] else 0.0
    return [
        messages.DIGEST_HEADER.format(
            start=digest.start.date().isoformat(), end=digest.end.date().isoformat()
        ),
        messages.DIGEST_QUESTIONS.format(
            n=week["questions"], change=_change(week["questions"], before["questions"])
        ),
        messages.DIGEST_ASKERS.format(
            n=week["askers"], change=_change(week["askers"], before["askers"])
        ),
        messages.DIGEST_RATE.format(rate=rate, before=old_rate),
        messages.DIGEST_MISSED.format(n=week["missed"], before=before["missed"]),
    ]


def chart_png(digest: Digest) -> bytes:
    """The week as a PNG: questions per day by outcome, and the top missed groups."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.font_manager import FontProperties
    from pylopdf_fonts_zh_cn import sans_path

    font = FontProperties(fname=str(sans_path()))
    figure, (days, groups) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    try:
        labels = [d["day"][5:] for d in digest.days]
        bottom = [0] * len(labels)
        for key, label, colour in messages.DIGEST_OUTCOMES:
            values = [d[key] for d in digest.days]
            days.bar(labels, values, bottom=bottom, label=label, color=colour)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        days.set_title(messages.DIGEST_CHART_DAYS, fontproperties=font)
        days.legend(prop=font)
        names = [g.label[:14] for g, _ in digest.groups][::-1]
        groups.barh(names, [n for _, n in digest.groups][::-1], color="#c0392b")
        groups.set_title(messages.DIGEST_CHART_GROUPS, fontproperties=font)
        for tick in groups.get_yticklabels():
            tick.set_fontproperties(font)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)
