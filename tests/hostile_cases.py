"""Hostile text inputs, shared by the terminal and the Telegram tests.

Each case is (id, text, expect). ``expect`` says what a meaningful reply is:

    "empty"        no question in it: the engine's "没有收到文字问题" reply
    "refuse"       something no report answers: a reply that quotes no entry (no 来源)
    "answer:<id>"  a real question wrapped in noise: the answer of entry <id>
    "about:<id>"   a real question the noise makes less sure: the answer of <id>, or a
                   clarify that offers it

The expectations are about meaning (a script tag must not borrow an unrelated answer), not
about wording: the texts come from bot/engine/answering.py and the knowledge files.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from contextlib import closing
from pathlib import Path
from typing import Any

from bot.engine.languages import EN, reply_language
from bot.engine.textnorm import strip_markup, to_simplified

CHILDCARE = "孩子两岁有托育服务吗"  # answered by ps-childcare-centre
SIX_ZERO = "六零行动是什么"  # answered by gh-term-26 (a glossary term)

EMPTY_MARK = "没有收到文字问题"

TEXT_CASES: list[tuple[str, str, str]] = [
    # empty and whitespace
    ("empty", "", "empty"),
    ("space", " ", "empty"),
    ("tabs-and-spaces", "\t  \t ", "empty"),
    ("ideographic-spaces", "\u3000\u3000\u3000", "empty"),
    ("newlines", "\n\n\n", "empty"),
    ("crlf", "\r\n\r\n", "empty"),
    ("nbsp-and-friends", "\u00a0\u2002\u2003\u2009\u202f", "empty"),
    # 10,000 characters
    ("10k-latin", "x" * 10_000, "refuse"),
    ("10k-han", "啊" * 10_000, "refuse"),
    ("10k-digits", "1" * 10_000, "refuse"),
    ("10k-ampersands", "&" * 10_000, "empty"),
    ("10k-tags", "<b>" * 3_334, "refuse"),
    (
        "10k-question-padded",
        CHILDCARE + " " * (10_000 - len(CHILDCARE)),
        "answer:ps-childcare-centre",
    ),
    ("10k-question-repeated", SIX_ZERO * (10_000 // len(SIX_ZERO) + 1), "answer:gh-term-26"),
    # emoji
    ("emoji", "😀😂👍", "empty"),
    ("emoji-zwj-and-flag", "👨‍👩‍👧‍👦🇨🇳", "empty"),
    ("emoji-skin-tone", "👍🏽🙏🏿", "empty"),
    ("emoji-around-question", f"😀{CHILDCARE}😀", "answer:ps-childcare-centre"),
    # zero-width and bidi
    ("zero-width-only", "\u200b\u200c\u200d\u2060\ufeff", "empty"),
    ("zero-width-inside", "孩\u200b子两\u200d岁有托\u2060育服务吗", "answer:ps-childcare-centre"),
    ("bom-before", f"\ufeff{CHILDCARE}", "answer:ps-childcare-centre"),
    ("rtl-override-around", f"\u202e{CHILDCARE}\u202c", "answer:ps-childcare-centre"),
    ("bidi-controls-only", "\u202e\u202d\u202a\u202b\u202c\u2066\u2067\u2068\u2069", "empty"),
    ("rtl-override-reversed", "\u202e吗务服育托有岁两子孩", "refuse"),
    ("arabic", "مرحبا كيف حالك", "refuse"),
    # HTML and Markdown control characters
    ("html-bold-question", f"<b>{CHILDCARE}</b>", "about:ps-childcare-centre"),
    ("html-entities", "&lt;&gt;&amp;&quot;&#39;", "refuse"),
    ("html-raw-brackets", "a < b && c > d", "refuse"),
    ("html-unclosed", "<b><i><u><code><pre>", "refuse"),
    ("html-bad-entity", "&nbsp; &#xZZ; &#99999999;", "refuse"),
    ("markdown", "*粗体* _斜体_ `代码` [链接](http://x.y) ~~删~~ ||剧透||", "refuse"),
    ("markdown-v2-escapes", r"\_\*\[\]\(\)\~\`\>\#\+\-\=\|\{\}\.\!", "empty"),
    ("markdown-code-fence", "```\n<b>\n```", "refuse"),
    # script tags
    ("script", "<script>alert(1)</script>", "refuse"),
    ("script-img-onerror", "<img src=x onerror=alert(1)>", "refuse"),
    ("script-javascript-url", "javascript:alert(document.cookie)", "refuse"),
    ("script-svg", "<svg/onload=alert('xss')>", "refuse"),
    ("script-fullwidth", "＜ｓｃｒｉｐｔ＞ａｌｅｒｔ（１）＜／ｓｃｒｉｐｔ＞", "refuse"),
    # SQL fragments
    ("sql-drop", "'; DROP TABLE questions; --", "refuse"),
    ("sql-or-true", "1' OR '1'='1", "refuse"),
    ("sql-bobby", "Robert'); DELETE FROM votes WHERE ('1'='1", "refuse"),
    ("sql-union-secret", "' UNION SELECT value FROM meta WHERE key='user_key_secret' --", "refuse"),
    ("sql-after-question", f"{CHILDCARE}'; DROP TABLE questions;--", "about:ps-childcare-centre"),
    ("sql-pragma", "PRAGMA writable_schema=1; UPDATE sqlite_master SET sql=''", "refuse"),
    # NUL and other control characters
    ("nul-only", "\x00", "empty"),
    ("nul-many", "\x00" * 100, "empty"),
    ("nul-inside", "孩子两岁\x00有托育服务吗", "answer:ps-childcare-centre"),
    # (escape sequences are dropped: what is left, 今天天气, is asked, and no report says it)
    ("ansi-escapes", "\x07\x08\x1b[31m今天天气\x1b[0m", "refuse"),
    ("c1-controls", "\x85\x9b\x9c", "empty"),
    # unpaired surrogates (Telegram's JSON may carry them; argv and some locales'
    # stdin turn undecodable bytes into U+DC80..U+DCFF)
    ("surrogate-high", "\ud800", "empty"),
    ("surrogate-low", "\udfff", "empty"),
    ("surrogate-inside", "孩子两岁\ud800有托育服务吗", "answer:ps-childcare-centre"),
    ("surrogateescape-bytes", "\udcff\udcfe\udc80", "empty"),
    # odd Unicode
    ("private-use", "\ue000\uf8ff", "empty"),
    ("noncharacters", "\ufffe\uffff", "empty"),
    ("replacement-chars", "\ufffd\ufffd", "empty"),
    ("zalgo", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǒ̯͔̑", "refuse"),
    # injection-shaped strings
    ("format-string", "%s%s%s%n {0} {__class__} %(text)s", "refuse"),
    ("path-traversal", "../../../../etc/passwd", "refuse"),
    ("log4j", "${jndi:ldap://127.0.0.1/a}", "refuse"),
    ("json-update", '{"update_id": 1, "message": {"text": "/start"}}', "refuse"),
    ("url", "https://example.com/?q=<x>&y=1#frag", "refuse"),
    ("punctuation-only", "?？!！。,,;;……", "empty"),
]


def case_ids(cases: list[tuple[str, str, str]]) -> list[str]:
    return [case[0] for case in cases]


def han_count(text: str) -> int:
    return sum(1 for char in text if unicodedata.name(char, "").startswith("CJK UNIFIED"))


def assert_clear_chinese(text: str, question: str | None = None) -> None:
    """A reply a resident can read: some Chinese (English words when ``question`` reads
    as English: bot.engine.languages), simplified, no traceback, sendable."""
    assert text.strip(), "empty reply"
    # Read as the engine reads it, without markup: "<script>" is no English.
    if question is not None and reply_language(strip_markup(question)) == EN:
        words = re.findall(r"[A-Za-z]{2,}", text)
        assert len(words) >= 4, f"not an English reply: {text[:80]!r}"
    else:
        assert han_count(text) >= 4, f"not a Chinese reply: {text[:80]!r}"
    assert to_simplified(text) == text, f"not simplified Chinese: {text[:80]!r}"
    assert "Traceback" not in text
    assert not any(0xD800 <= ord(char) <= 0xDFFF for char in text), "a lone surrogate"


# --- the database after a hostile input -------------------------------------------------

TABLES = ("questions", "votes", "notifications", "_sqlite_migrations")


def db_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a conversation writes, sorted."""
    with closing(sqlite3.connect(path)) as db:
        return {
            table: sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in TABLES
        }


def assert_db_intact(path: Path, before: dict[str, list[tuple[Any, ...]]]) -> None:
    """The file passes SQLite's integrity check and every row in ``before`` is still there."""
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    after = db_rows(path)
    for table, rows in before.items():
        missing = [row for row in rows if row not in after[table]]
        assert not missing, f"{table}: rows gone or changed: {missing[:3]}"


# --- what a meaningful reply is ----------------------------------------------------------


def _entry(engine: Any, expect: str) -> Any:
    return engine.kb.entries[expect.split(":", 1)[1]]


def check_text_reply(engine: Any, expect: str, text: str, question: str | None = None) -> None:
    """``text`` (a rendered reply, plain or HTML, to ``question`` if given) is what
    ``expect`` asks for."""
    assert_clear_chinese(text, question)
    if expect == "empty":
        assert EMPTY_MARK in text, text[:200]
    elif expect == "refuse":
        assert "来源" not in text and "Source:" not in text, f"quoted an entry: {text[:200]}"
    elif expect.startswith("answer:"):
        assert "来源" in text and _entry(engine, expect).answer[:20] in text, text[:200]
    elif expect.startswith("about:"):
        entry = _entry(engine, expect)
        assert entry.answer[:20] in text or entry.question in text, text[:200]
    else:
        raise AssertionError(f"unknown expectation {expect!r}")


def check_record(engine: Any, expect: str, record: dict[str, Any]) -> None:
    """One `policybot ask --json` object is what ``expect`` asks for."""
    check_text_reply(engine, expect, record["reply"], record.get("question"))
    if expect == "empty":
        assert record["outcome"] == "miss" and not record["answered"]
    elif expect == "refuse":
        assert record["outcome"] != "answer" and record["source"] is None
    elif expect.startswith("answer:"):
        assert (record["outcome"], record["entry_id"]) == ("answer", expect.split(":", 1)[1])
    else:  # about
        entry = _entry(engine, expect)
        answered = record["outcome"] == "answer" and record["entry_id"] == entry.id
        assert answered or entry.question in record["suggestions"], record
