"""Rendering replies: plain text for the terminal, escaped HTML for Telegram."""

from __future__ import annotations

from html import escape

from bot.engine import Block, Reply

TELEGRAM_LIMIT = 4096
NOT_IN_FORCE = "注意:{which}的来源页面标注“文件已失效”,内容反映的是报告发布时的情况,仅供参考。"
BOTH_STREETS = "两个街道的报告都提到了这方面的工作:"
SAME_REPORT = "报告里有{count}处相关内容:"


def _intro(blocks: tuple[Block, ...]) -> tuple[str, bool] | None:
    """What introduces several quotes, and whether each is headed by its street (else by
    its title): blocks from two streets, or two passages of one report."""
    if len(blocks) < 2:
        return None
    streets = {block.source.street_name for block in blocks}
    if len(streets) > 1:
        return BOTH_STREETS, True
    return SAME_REPORT.format(count="两" if len(blocks) == 2 else len(blocks)), False


def _header(block: Block, by_street: bool) -> str:
    return block.source.street_name if by_street else block.title


def _not_in_force(blocks: tuple[Block, ...]) -> str:
    """The notice for quotes from a source marked no longer in force, naming it when the
    reply also quotes one that is not; empty if none is."""
    stale = sorted({b.source.street_name for b in blocks if not b.source.in_force})
    if not stale:
        return ""
    mixed = any(b.source.in_force for b in blocks)
    return NOT_IN_FORCE.format(which=f"{'、'.join(stale)}报告" if mixed else "该报告")


def render_text(reply: Reply) -> str:
    """The full reply as a user reads it, in plain text."""
    lines: list[str] = []
    if reply.text:
        lines.append(reply.text)
    intro = _intro(reply.blocks)
    if intro:
        lines.append(intro[0])
    for block in reply.blocks:
        if lines:
            lines.append("")
        if intro:
            lines.append(f"【{_header(block, intro[1])}】")
        lines.append(block.body)
        lines.append(f"来源:{block.source.cite()}")
    notice = _not_in_force(reply.blocks)
    if notice:
        # Once, after the quotes: the notice is about a source, not about each quote.
        lines.append(notice)
    if reply.suggestions:
        lines.append("")
        heading = {
            "answer": "相关问题:",
            "clarify": "",
            "miss": "您可以试试这些问题:",
            "intent": "例如:",
        }[reply.outcome]
        if heading:
            lines.append(heading)
        lines += [f"{n}. {s.question}" for n, s in enumerate(reply.suggestions, start=1)]
    return "\n".join(lines).strip()


def render_html(reply: Reply) -> str:
    """The reply for Telegram's HTML parse mode; every piece of text is escaped.

    Suggestions are not listed: Telegram shows them as buttons.
    """
    parts = []
    if reply.text:
        parts.append(escape(reply.text))
    intro = _intro(reply.blocks)
    if intro:
        parts.append(escape(intro[0]))
    for block in reply.blocks:
        lines = []
        if intro:
            lines.append(f"<b>【{escape(_header(block, intro[1]))}】</b>")
        elif block.title != "报告原文":
            lines.append(f"<b>{escape(block.title)}</b>")
        lines.append(escape(block.body))
        lines.append(f"<i>来源:{escape(block.source.cite())}</i>")
        parts.append("\n".join(lines))
    notice = _not_in_force(reply.blocks)
    if notice:
        parts.append(f"⚠️ {escape(notice)}")
    return "\n\n".join(parts).strip()


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at paragraph boundaries (then lines, then hard) so each part fits ``limit``."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        pieces = [paragraph] if len(paragraph) <= limit else _split_long(paragraph, limit)
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def _split_long(paragraph: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for line in paragraph.split("\n"):
        while len(line) > limit:
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return pieces
