"""Rendering replies: plain text for the terminal, escaped HTML for Telegram."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Any

from bot.engine import messages, messages_en
from bot.engine.answering import Block, Reply
from bot.engine.languages import EN

TELEGRAM_LIMIT = 4096


def _texts(reply: Reply) -> Any:
    """The module of texts a reply is laid out with: bot.engine.messages, or messages_en."""
    return messages_en if reply.language == EN else messages


def _street(block: Block, language: str) -> str:
    return block.source.street_name_en if language == EN else block.source.street_name


def _intro(reply: Reply) -> tuple[str, bool] | None:
    """What introduces several quotes, and whether each is headed by its street (else by
    its title): blocks from two streets, or two passages of one report."""
    blocks = reply.blocks
    if len(blocks) < 2:
        return None
    streets = {block.source.street_name for block in blocks}
    if len(streets) > 1:
        return _texts(reply).SEVERAL_STREETS, True
    return _texts(reply).same_report(len(blocks)), False


def _header(block: Block, by_street: bool, language: str) -> str:
    if by_street:
        return _street(block, language)
    if language == EN:
        is_passage = block.title == messages.PASSAGE_TITLE
        return block.title_en or (messages_en.PASSAGE_TITLE if is_passage else block.title)
    return block.title


def _not_in_force(reply: Reply) -> str:
    """The notice for quotes from a source marked no longer in force, naming it when the
    reply also quotes one that is not; empty if none is."""
    blocks = reply.blocks
    stale = sorted({_street(b, reply.language) for b in blocks if not b.source.in_force})
    if not stale:
        return ""
    mixed = any(b.source.in_force for b in blocks)
    return _texts(reply).not_in_force(stale, mixed)


# How each line of a quoted block is shown: (style, text). Styles: "header" (the street or
# title that heads one of several quotes), "title" (a single quote's question, HTML only),
# "label" (what the next text is, English replies), "body" and "source".
Line = tuple[str, str]


def _block_lines(block: Block, intro: tuple[str, bool] | None, language: str) -> list[Line]:
    lines: list[Line] = []
    if intro:
        lines.append(("header", f"【{_header(block, intro[1], language)}】"))
    elif block.title != messages.PASSAGE_TITLE:
        lines.append(("title", _header(block, False, language)))
    if language != EN:
        lines.append(("body", block.body))
        lines.append(("source", messages.SOURCE_PREFIX + block.source.cite()))
        return lines
    source = block.source
    if block.body_en:
        # The rendering first, marked unofficial; the Chinese original it renders after it.
        lines.append(("label", messages_en.TRANSLATION_LABEL))
        lines.append(("body", block.body_en))
        lines.append(("label", messages_en.ORIGINAL_LABEL))
    else:
        is_passage = block.title == messages.PASSAGE_TITLE
        kind = messages_en.PASSAGE_KIND if is_passage else messages_en.ENTRY_KIND
        lines.append(
            ("label", messages_en.untranslated(kind, source.street_name_en, source.report_title_en))
        )
    lines.append(("body", block.body))
    lines.append(("source", messages_en.SOURCE_PREFIX + source.cite_en()))
    lines.append(("source", messages.SOURCE_PREFIX + source.cite()))
    return lines


def render_text(reply: Reply) -> str:
    """The full reply as a user reads it, in plain text."""
    texts = _texts(reply)
    lines: list[str] = []
    if reply.understood:
        # A follow-up says first what it was taken to ask: a wrong resolution shows.
        lines.append(reply.understood)
    if reply.text:
        lines.append(reply.text)
    intro = _intro(reply)
    if intro:
        lines.append(intro[0])
    for block in reply.blocks:
        if lines:
            lines.append("")
        lines += [
            text for style, text in _block_lines(block, intro, reply.language) if style != "title"
        ]
    notice = _not_in_force(reply)
    if notice:
        # Once, after the quotes: the notice is about a source, not about each quote.
        lines.append(notice)
    if reply.suggestions:
        lines.append("")
        heading = texts.SUGGESTIONS_HEADING[reply.outcome]
        if heading:
            lines.append(heading)
        lines += [f"{n}. {s.question}" for n, s in enumerate(reply.suggestions, start=1)]
    return "\n".join(lines).strip()


_HTML_STYLE = {
    "header": "<b>{}</b>",
    "title": "<b>{}</b>",
    "label": "<i>{}</i>",
    "source": "<i>{}</i>",
}


def render_html(reply: Reply) -> str:
    """The reply for Telegram's HTML parse mode; every piece of text is escaped.

    Suggestions are not listed: Telegram shows them as buttons.
    """
    parts = []
    if reply.understood:
        parts.append(f"<i>{escape(reply.understood)}</i>")
    if reply.text:
        parts.append(escape(reply.text))
    intro = _intro(reply)
    if intro:
        parts.append(escape(intro[0]))
    for block in reply.blocks:
        lines = _block_lines(block, intro, reply.language)
        parts.append(
            "\n".join(_HTML_STYLE.get(style, "{}").format(escape(text)) for style, text in lines)
        )
    notice = _not_in_force(reply)
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
