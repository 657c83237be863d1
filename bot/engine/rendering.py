"""Rendering replies: plain text for the terminal, escaped HTML for Telegram."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from bot.engine import messages
from bot.engine.answering import Block, Reply

TELEGRAM_LIMIT = 4096


def _intro(blocks: tuple[Block, ...]) -> tuple[str, bool] | None:
    """What introduces several quotes, and whether each is headed by its street (else by
    its title): blocks from two streets, or two passages of one report."""
    if len(blocks) < 2:
        return None
    streets = {block.source.street_name for block in blocks}
    if len(streets) > 1:
        return messages.SEVERAL_STREETS, True
    return messages.same_report(len(blocks)), False


def _header(block: Block, by_street: bool) -> str:
    return block.source.street_name if by_street else block.title


def _not_in_force(blocks: tuple[Block, ...]) -> str:
    """The notice for quotes from a source marked no longer in force, naming it when the
    reply also quotes one that is not; empty if none is."""
    stale = sorted({b.source.street_name for b in blocks if not b.source.in_force})
    if not stale:
        return ""
    mixed = any(b.source.in_force for b in blocks)
    return messages.not_in_force(stale, mixed)


def render_text(reply: Reply) -> str:
    """The full reply as a user reads it, in plain text."""
    lines: list[str] = []
    if reply.understood:
        # A follow-up says first what it was taken to ask: a wrong resolution shows.
        lines.append(reply.understood)
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
        lines.append(messages.SOURCE_PREFIX + block.source.cite())
    notice = _not_in_force(reply.blocks)
    if notice:
        # Once, after the quotes: the notice is about a source, not about each quote.
        lines.append(notice)
    if reply.suggestions:
        lines.append("")
        heading = messages.SUGGESTIONS_HEADING[reply.outcome]
        if heading:
            lines.append(heading)
        lines += [f"{n}. {s.question}" for n, s in enumerate(reply.suggestions, start=1)]
    return "\n".join(lines).strip()


def render_html(reply: Reply) -> str:
    """The reply for Telegram's HTML parse mode; every piece of text is escaped.

    Suggestions are not listed: Telegram shows them as buttons.
    """
    parts = []
    if reply.understood:
        parts.append(f"<i>{escape(reply.understood)}</i>")
    if reply.text:
        parts.append(escape(reply.text))
    intro = _intro(reply.blocks)
    if intro:
        parts.append(escape(intro[0]))
    for block in reply.blocks:
        lines = []
        if intro:
            lines.append(f"<b>【{escape(_header(block, intro[1]))}】</b>")
        elif block.title != messages.PASSAGE_TITLE:
            lines.append(f"<b>{escape(block.title)}</b>")
        lines.append(escape(block.body))
        lines.append(f"<i>{escape(messages.SOURCE_PREFIX + block.source.cite())}</i>")
        parts.append("\n".join(lines))
    notice = _not_in_force(reply.blocks)
    if notice:
        parts.append(f"⚠️ {escape(notice)}")
    return "\n\n".join(parts).strip()


# One indivisible piece of HTML: a tag, an entity, a paragraph or line break, a character.
_PIECE = re.compile(r"<(/?)([A-Za-z][\w-]*)[^<>]*>|&#?\w+;|\n\n|.", re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")
_BREAKS = ("\n\n", "\n")  # where a part best ends, in order of preference


@dataclass(frozen=True)
class _Piece:
    text: str
    opens: bool  # an opening tag
    # The tags open after this piece, outermost first: (opening tag, name).
    open_tags: tuple[tuple[str, str], ...]

    @property
    def reopening(self) -> str:
        return "".join(tag for tag, _ in self.open_tags)

    @property
    def closing(self) -> str:
        return "".join(f"</{name}>" for _, name in reversed(self.open_tags))


def _pieces(html: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    open_tags: list[tuple[str, str]] = []
    for found in _PIECE.finditer(html):
        closing, name = found.group(1), found.group(2)
        opens = bool(name) and not closing
        if opens:
            open_tags.append((found.group(), name))
        elif name and open_tags and open_tags[-1][1] == name:
            open_tags.pop()
        pieces.append(_Piece(found.group(), opens, tuple(open_tags)))
    return pieces


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split HTML ``text`` into parts of at most ``limit`` characters that Telegram accepts.

    A part ends at the last paragraph break that fits, else the last line break, else
    between two characters; never inside an entity (``&amp;``) or a tag. A tag open at a
    split is closed at the end of the part and opened again at the start of the next.
    """
    if len(text) <= limit:
        return [text]
    pieces = _pieces(text)
    parts: list[str] = []
    start = 0
    while start < len(pieces):
        reopening = pieces[start - 1].reopening if start else ""
        end = _part_end(pieces, start, limit - len(reopening))
        body = "".join(piece.text for piece in pieces[start:end]).strip("\n")
        if _TAG.sub("", body).strip():  # Telegram refuses a message with nothing to read
            parts.append(reopening + body + pieces[end - 1].closing)
        start = end
    return parts


def _part_end(pieces: list[_Piece], start: int, room: int) -> int:
    """Where the part beginning at ``start`` ends, given ``room`` characters for it."""
    used = 0
    ends: dict[str, int] = {}
    end = start
    while end < len(pieces):
        piece = pieces[end]
        if used + len(piece.text) + len(piece.closing) > room:
            break
        used += len(piece.text)
        end += 1
        if piece.text in _BREAKS:
            ends[piece.text] = end
        elif not piece.opens:  # never right after an opening tag: no empty element
            ends["anywhere"] = end
    else:
        return end
    found = next((ends[kind] for kind in (*_BREAKS, "anywhere") if kind in ends), None)
    if found is None:
        raise ValueError(f"a piece of HTML does not fit in {room} characters")
    return found
