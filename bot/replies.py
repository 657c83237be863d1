"""Rendering replies: plain text for the terminal, escaped HTML for Telegram."""

from __future__ import annotations

from html import escape

from bot.engine import Block, Reply

TELEGRAM_LIMIT = 4096
NOT_IN_FORCE = "注意:该报告的来源页面标注“文件已失效”,内容反映的是报告发布时的情况,仅供参考。"


def _block_text(block: Block, both: bool) -> list[str]:
    lines = []
    if both:
        lines.append(f"【{block.source.street_name}】")
    lines.append(block.body)
    lines.append(f"来源:{block.source.cite()}")
    if not block.source.in_force:
        lines.append(NOT_IN_FORCE)
    return lines


def render_text(reply: Reply) -> str:
    """The full reply as a user reads it, in plain text."""
    lines: list[str] = []
    if reply.text:
        lines.append(reply.text)
    both = len(reply.blocks) > 1
    if both:
        lines.append("两个街道的报告都提到了这方面的工作:")
    for block in reply.blocks:
        if lines:
            lines.append("")
        lines += _block_text(block, both)
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


def _block_html(block: Block, both: bool) -> str:
    parts = []
    if both:
        parts.append(f"<b>【{escape(block.source.street_name)}】</b>")
    parts.append(escape(block.body))
    parts.append(f"<i>来源:{escape(block.source.cite())}</i>")
    if not block.source.in_force:
        parts.append(f"⚠️ {escape(NOT_IN_FORCE)}")
    return "\n".join(parts)


def render_html(reply: Reply) -> str:
    """The reply for Telegram's HTML parse mode; every piece of text is escaped.

    Suggestions are not listed: Telegram shows them as buttons.
    """
    parts = []
    if reply.text:
        parts.append(escape(reply.text))
    both = len(reply.blocks) > 1
    if both:
        parts.append("两个街道的报告都提到了这方面的工作:")
    for block in reply.blocks:
        if not both and len(reply.blocks) == 1 and block.title != "报告原文":
            parts.append(f"<b>{escape(block.title)}</b>")
        parts.append(_block_html(block, both))
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
