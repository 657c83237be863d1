"""Masking personal data before anything is stored.

Residents paste phone numbers, 身份证 numbers, bank cards and e-mail addresses into their
questions ("我的手机13812345678,怎么申请……"). None of that may reach the database, the
logs or a curator's screen, so every text is passed through ``mask`` first.

Detection runs on a copy of the text in which each character is replaced by its NFKC form
when that form is a single character (full-width ``１３８`` -> ``138``, ``＠`` -> ``@``),
Chinese digits are read as digits (``一三八``, ``壹叁捌`` -> ``138``) and the ideographic
full stop as a dot (``qq。com``). Each character maps to exactly one character, so a match
in the copy has the same position in the original, which is masked there; the rest of the
text is stored as typed.

Digit groups may be separated by whatever residents type between them: spaces, any dash
or minus, dots, slashes, underscores, tildes, commas, 、 and ·, with spaces around
(``138 - 1234 - 5678``), and parentheses around an area code or the first three digits.

When in doubt the rules mask: a run of fifteen or more digits is never something a
question about two public reports needs. What they do need is left alone: a run made only
of years and dates (``2020.01.01-2021.12.31``, ``2018/2019/2020``) or a figure with
thousands separators (``13,800,000,000``) is a figure, whatever rule it would match.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from typing import NamedTuple

from bot.engine.textnorm import CHINESE_DIGITS

PHONE = "[手机号]"
LANDLINE = "[电话]"
ID_CARD = "[身份证号]"
BANK_CARD = "[银行卡号]"
EMAIL = "[邮箱]"
NUMBER = "[号码]"

# Numbers are read out in Chinese as often as typed in digits (幺 is "one" on the phone),
# and written in the digits of amounts (大写) too.
_FINANCIAL_DIGITS = dict(zip("壹贰叁肆伍陆柒捌玖", "123456789", strict=True))
_FOLDED = {**CHINESE_DIGITS, **_FINANCIAL_DIGITS, "幺": "1", "。": "."}

# Between digit groups, after folding: a dash of any kind (ASCII, U+2010-U+2015, the minus
# sign), a dot, slash, underscore, tilde or wave dash, comma, 、 or a middle dot, perhaps
# with spaces around; or one or two spaces alone.
_SEP_CHARS = r"\-\u2010-\u2015\u2212.,/_~\u301c、·\u30fb"
_SEP = rf"(?:[ \t]{{0,2}}[{_SEP_CHARS}][ \t]{{0,2}}|[ \t]{{1,2}})"
_D = rf"(?:{_SEP}?\d)"  # a digit, optionally after a separator

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# Fifteen or more digits: 身份证 (15 or 18, maybe ending in X), bank cards (16-19), or
# some other identifier. Classified by _long_number.
_LONG = re.compile(rf"(?<!\d)\d{_D}{{14,}}(?:{_SEP}?[Xx])?(?!\d)")
_MOBILE = re.compile(
    rf"(?<![\d+])(?:\+?86{_SEP}?)?(?:\(1[3-9]\d\){_SEP}?\d{_D}{{7}}|1[3-9]{_D}{{9}})(?!\d)"
)
_LANDLINE = re.compile(rf"(?<!\d)(?:\(0\d{{2,3}}\)|0\d{{2,3}}){_SEP}?\d{_D}{{6,7}}(?!\d)")
# A bare 7-8 digit local number is only a phone number when the text says so.
_CONTEXT_NUMBER = re.compile(
    rf"(?:电话|手机|座机|联系|号码|热线|tel|phone|call)\D{{0,6}}?(\d{_D}{{6,7}})(?!\d)",
    re.IGNORECASE,
)

_ID_18 = re.compile(
    r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]"
)
_ID_15 = re.compile(r"[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}")


# Runs of digits that are figures, not identifiers: years and dates (2020.01.01,
# 31/12/2020) one after another; amounts with thousands separators (1,234,567).
_DATE = r"(?:(?:19|20)\d\d(?:{sep}\d{{1,2}}){{0,2}}|\d{{1,2}}{sep}\d{{1,2}}{sep}(?:19|20)\d\d)"
_DATE = _DATE.format(sep=_SEP)
_DATES = re.compile(rf"{_DATE}(?:{_SEP}{_DATE})*")
_FIGURE = re.compile(rf"{_DATES.pattern}|\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?")


def _long_number(found: str) -> str:
    compact = re.sub(r"[^\dXx]", "", found).upper()
    if _ID_18.fullmatch(compact) or _ID_15.fullmatch(compact):
        return ID_CARD
    if compact.isdigit() and 16 <= len(compact) <= 19:
        return BANK_CARD
    return NUMBER


class Rule(NamedTuple):
    pattern: re.Pattern[str]
    label: Callable[[str], str]  # the placeholder for what the pattern found
    group: int  # the pattern's group that is masked
    figures: re.Pattern[str] | None = _FIGURE  # what it found is left alone if it is one


# In priority order: a span taken by an earlier rule is not looked at again, so a bank
# card is never half-masked as a phone number.
RULES: tuple[Rule, ...] = (
    Rule(_EMAIL, lambda _: EMAIL, 0, None),
    Rule(_LONG, _long_number, 0),
    # Eleven digits starting 13-19 as an amount (13,812,345,678) is over ten billion yuan,
    # which no street's report spends: more likely a phone number copied from a sheet.
    Rule(_MOBILE, lambda _: PHONE, 0, _DATES),
    Rule(_LANDLINE, lambda _: LANDLINE, 0),
    Rule(_CONTEXT_NUMBER, lambda _: LANDLINE, 1),
)


def detection_text(text: str) -> str:
    """``text`` with full-width forms and Chinese digits folded, character for character."""
    chars = []
    for char in text:
        folded = unicodedata.normalize("NFKC", char)
        folded = _FOLDED.get(folded, folded)
        chars.append(folded if len(folded) == 1 else char)
    return "".join(chars)


def find_personal_data(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, placeholder) spans of personal data, in text order."""
    probe = detection_text(text)
    spans: list[tuple[int, int, str]] = []
    for rule in RULES:
        for match in rule.pattern.finditer(probe):
            start, end = match.span(rule.group)
            found = match.group(rule.group)
            if any(start < taken_end and taken_start < end for taken_start, taken_end, _ in spans):
                continue
            if rule.figures is not None and rule.figures.fullmatch(found):
                continue
            spans.append((start, end, rule.label(found)))
    return sorted(spans)


def mask_log_line(line: str) -> str:
    r"""``line`` masked, also where it quotes JSON that escapes what is not ASCII.

    PTB logs a webhook's raw body, in which ``壹叁捌…`` or ``138\u20141234…`` may be
    ``\u58f9\u53c1\u634c…``: the escapes are read and, if that reveals personal data,
    the line is logged read and masked."""
    masked = mask(line)
    if "\\u" not in line:
        return masked
    read = unescaped(masked)
    read_masked = mask(read)
    return read_masked if read_masked != read else masked


def mask(text: str) -> str:
    """``text`` with phone, 身份证, bank card numbers and e-mail addresses replaced."""
    if not text:
        return text
    spans = find_personal_data(text)
    if not spans:
        return text
    parts = []
    position = 0
    for start, end, placeholder in spans:
        parts.append(text[position:start])
        parts.append(placeholder)
        position = end
    parts.append(text[position:])
    return "".join(parts)


# A run of JSON (or Python repr) escapes: "\\u624b\\u673a\\u53f7" is 手机号.
_ESCAPED_RUN = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")


def unescaped(text: str) -> str:
    """``text`` with its ``\\uXXXX`` escapes decoded, for masking to see what they hide.

    A JSON body escapes every non-ASCII character, so 手机号一三七… and full-width digits
    reach a log line as escapes that no rule matches. Runs are decoded by the json module
    (surrogate pairs joined); a lone surrogate stays escaped, since it cannot be written
    out as UTF-8.
    """

    def decode(run: re.Match[str]) -> str:
        try:
            decoded = json.loads(f'"{run.group(0)}"')
        except ValueError:
            return run.group(0)
        return decoded.encode("utf-8", "backslashreplace").decode("utf-8")

    return _ESCAPED_RUN.sub(decode, text) if "\\u" in text else text


_PLACEHOLDERS = "|".join(re.escape(p) for p in (PHONE, LANDLINE, ID_CARD, BANK_CARD, EMAIL, NUMBER))
# The words that introduce a number one gives about oneself (我的手机是…, 身份证…).
_LABELLED = re.compile(
    r"(?:我的|我)?(?:手机号码|手机号|手机|电话号码|电话|座机|联系方式|身份证号码|身份证号|身份证"
    r"|银行卡号|银行卡|卡号|邮箱|号码)?\s*[是为:：]?\s*(?:" + _PLACEHOLDERS + ")"
)


def without_personal_data(text: str) -> str:
    """``text`` with personal numbers, and the words that introduce them, taken out.

    A resident who gives a phone number along with a question ("我手机13812345678,孩子两岁
    有托育吗") is asking about 托育, not about phones or 身份证: matching sees the rest."""
    masked = mask(text)
    return _LABELLED.sub(" ", masked) if masked != text else text
