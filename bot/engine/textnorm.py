"""Chinese-aware text normalisation for matching.

Two forms are used:

* ``fold(text)``: the canonical spelling of what was typed: full-width to half-width,
  traditional to simplified, lower case, punctuation/emoji/whitespace removed, Chinese and
  Arabic numerals made to agree (``6零行动`` == ``六零行动`` == ``60行动``).
* ``content(text)``: ``fold`` minus filler words (请问, 是什么, 啥, 呢…) so that the words that
  carry the question are what gets compared.

``sound_key(text)`` maps each syllable to one code point, so that same-sound input-method
errors (路长治 for 路长制, 雪量工程 for 雪亮工程) compare equal, character by character.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import opencc

_T2S = opencc.OpenCC("t2s")


def _pinyin_table() -> Path:
    package = importlib.util.find_spec("pypinyin")
    if package is None or not package.submodule_search_locations:
        raise ImportError("pypinyin is not installed")
    return Path(next(iter(package.submodule_search_locations))) / "pinyin_dict.py"


def _single_character_readings(path: Path) -> dict[int, str]:
    """pypinyin's table of every character's readings, loaded from its module file alone.

    ``from pypinyin.pinyin_dict import …`` would run the package's ``__init__``, which
    loads its phrase dictionary: a tenth of a second at every start and 50 MB the bot
    never uses, since it keys one character at a time."""
    spec = importlib.util.spec_from_file_location("_pypinyin_single_characters", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot read {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.pinyin_dict)


_PINYIN_TABLE = _pinyin_table()
pinyin_dict = _single_character_readings(_PINYIN_TABLE)
# The outside tables every folded text and sound key depends on, for caches of them
# (bot/engine/index_cache.py): another release of either may key a text differently.
TABLES_VERSION = f"opencc {opencc.__version__}; pinyin table {_PINYIN_TABLE.stat().st_size} bytes"

# Zero-width characters, bidi controls and other format characters carry no meaning and
# are a classic way to make two identical-looking strings differ.
_FORMAT_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}

CHINESE_DIGITS = {
    "零": "0",
    "〇": "0",
    "一": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUMERAL_RUN = re.compile(f"[{''.join(CHINESE_DIGITS)}{''.join(_UNITS)}]+")

# Longest first, so that 请问一下 goes before 请问 and 一下.
FILLERS: tuple[str, ...] = tuple(
    sorted(
        {
            "请问一下",
            "请问",
            "请教一下",
            "请教",
            "想问一下",
            "想问下",
            "想问",
            "问一下",
            "我想知道",
            "我想了解",
            "想了解",
            "了解一下",
            "告诉我",
            "你好",
            "您好",
            "在吗",
            "在不在",
            "哈喽",
            "那个",
            "emmm",
            "emm",
            "嗯",
            "麻烦问下",
            "麻烦",
            "是什么意思",
            "什么意思",
            "啥意思",
            "是什么",
            "是啥",
            "指什么",
            "是指什么",
            "指的是什么",
            "指的是",
            "是干什么的",
            "干什么的",
            "是做什么的",
            "做什么的",
            "是干啥的",
            "干啥的",
            "是做啥的",
            "做啥的",
            "是干嘛的",
            "干嘛的",
            "是什么概念",
            "什么概念",
            "什么含义",
            "解释一下",
            "介绍一下",
            "一下",
            "吗",
            "呢",
            "啊",
            "呀",
            "吧",
            "嘛",
            "哈",
            "哦",
            "喔",
            "噢",
            "么",
            "的",
            "啥",
            "滴",
        },
        key=len,
        reverse=True,
    )
)
_FILLER_PATTERN = re.compile("|".join(re.escape(f) for f in FILLERS))
# A word that opens a new question in a conversation ("另外, 观湖的社区智理是做什么的"): it
# links the question to the last one and says nothing of its own. Only at the start, and
# only before a pause or more words: "还有没有托育" asks 有没有.
LEADING_CONNECTIVE = re.compile(
    r"^\s*(?:另外|此外|还有就是|还有|再问一下|再问下|顺便问一下|顺便问下|对了|我还想问"
    # an acknowledgement of the last reply before the next question (好的,那观湖呢)
    r"|好的|好吧|嗯嗯|嗯|哦哦|哦|明白了|知道了|收到|懂了|了解了)"
    r"(?:[\s,，、:：.。!！]+|(?=[^\s,，、:：没]))"
    # in English only before a pause ("ok, and Guanhu?"; "okinawa" opens with no "ok")
    r"|^\s*(?:ok|okay|alright|i see|got it|right)[\s,.!]+",
    re.IGNORECASE,
)


class _CharTable(dict[int, "str | None"]):
    """A ``str.translate`` table that decides each character once, when first seen: the
    whole text is then mapped in C instead of a Python loop per character."""

    def __init__(self, decide: Callable[[str], str | None]):
        super().__init__()
        self._decide = decide

    def __missing__(self, code: int) -> str | None:
        self[code] = decided = self._decide(chr(code))
        return decided


def _without_format(char: str) -> str | None:
    if unicodedata.category(char) in _FORMAT_CATEGORIES:
        return " " if char in "\t\n\r\x0b\x0c" else None
    return char


_CLEAN = _CharTable(_without_format)


# A terminal's escape sequence (colours, cursor moves: ESC [ 31 m): pasted from a terminal,
# it is not text, and once its ESC is gone its rest ("[31m") would read as English.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
)


def clean(text: str) -> str:
    """Remove terminal escape sequences and control, zero-width and bidi characters; fold
    runs of whitespace."""
    return re.sub(r"\s+", " ", _ESCAPE_SEQUENCE.sub("", text).translate(_CLEAN)).strip()


_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")


def strip_markup(text: str) -> str:
    """``text`` without HTML tags, and without what script and style tags hold: markup
    pasted around a question ("<b>托育</b>") is not part of what is asked."""
    return _TAG.sub(" ", _SCRIPT.sub(" ", text))


def to_simplified(text: str) -> str:
    """Traditional characters to simplified."""
    return _T2S.convert(text)


def _keep(char: str) -> bool:
    if char.isdigit() or ("a" <= char <= "z"):
        return True
    if char in "+.":
        return True
    category = unicodedata.category(char)
    return category == "Lo"  # CJK ideographs and other letters without case


_KEPT = _CharTable(lambda char: char if _keep(char) else None)


def _numeral_value(run: str) -> str:
    if not any(unit in run for unit in _UNITS):
        return "".join(CHINESE_DIGITS[c] for c in run)
    total, section, digit = 0, 0, None
    for char in run:
        if char in CHINESE_DIGITS:
            digit = int(CHINESE_DIGITS[char])
        elif char == "万":
            section = (section + (digit or 0)) or 1
            total += section * 10000
            section, digit = 0, None
        else:
            section += (1 if digit is None else digit) * _UNITS[char]
            digit = None
    return str(total + section + (digit or 0))


def _numerals_to_digits(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        run = match.group(0)
        # A unit standing alone after a figure (2.16万, 100余) is part of that figure's
        # wording, not a number of its own.
        lead = ""
        while run and run[0] in "百千万":
            lead += run[0]
            run = run[1:]
        return lead + (_numeral_value(run) if run else "")

    return _NUMERAL_RUN.sub(replace, text)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Canonical form for comparison: half-width, simplified, no punctuation, digits."""
    text = unicodedata.normalize("NFKC", clean(text)).lower()
    text = to_simplified(text)
    text = text.translate(_KEPT)
    text = text.strip(".+")
    return _numerals_to_digits(text)


# The way a resident frames a question (能不能, 有没有, 我家…) says nothing about its
# subject, yet formal reports rarely use these words, so left in they would weigh as much
# as a programme's name. Only words that cannot be part of a content word: not 就 (就业).
FRAMING_WORDS: tuple[str, ...] = tuple(
    sorted(
        {
            "能不能",
            "能否",
            "可不可以",
            "可以",
            "有没有",
            "有木有",
            "是不是",
            "是否",
            "会不会",
            "要不要",
            "管不管",
            "该不该",
            "怎么办",
            "怎么样",
            "怎么回事",
            "怎样",
            "如何",
            "为什么",
            "为啥",
            "有什么",
            "有哪些",
            "哪些",
            "什么样",
            "什么",
            "我们",
            "我家",
            "咱们",
            "你们",
            "他们",
            "我",
            "你",
            "您",
            "他",
            "她",
            "老是",
            "总是",
            "一直",
            "经常",
            "到底",
            "究竟",
            "真的",
            "听说",
            "现在",
            "最近",
            "这种",
            "这个",
            "这些",
            "那些",
            "一个",
            "有人",
            "谁来",
            "谁管",
            "应该",
            "需要",
            "想要",
            "打算",
            "已经",
            "了",
            "过",
            "呗",
        },
        key=len,
        reverse=True,
    )
)
_FRAMING_PATTERN = re.compile("|".join(re.escape(w) for w in FRAMING_WORDS))


def subject(folded: str) -> str:
    """A folded question without its framing words; unchanged if fewer than three
    characters would be left ("这个怎么用" is all framing, and a scrap of one or two
    characters would match anything)."""
    stripped = _FRAMING_PATTERN.sub("", folded)
    return stripped if len(stripped) >= 3 else folded


_QUOTES = re.compile(r"[“”‘’\"]")


def unquoted(text: str) -> str:
    """A text without quotation marks: how a glossary term's names are written and found
    (“六零”行动 is named 六零行动)."""
    return _QUOTES.sub("", text)


@lru_cache(maxsize=65536)
def content(text: str) -> str:
    """``fold`` without filler words or an opening connective; falls back to ``fold`` if
    nothing else is left."""
    plain = LEADING_CONNECTIVE.sub("", _simplified_halfwidth(text))
    folded = fold(_FILLER_PATTERN.sub("", plain))
    return folded or fold(text)


def _simplified_halfwidth(text: str) -> str:
    return to_simplified(unicodedata.normalize("NFKC", clean(text)).lower())


# --- sound keys ----------------------------------------------------------------------

_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_CODE_BASE = 0xE000  # private-use area: never produced by folding real text


def _fuzzy_syllable(syllable: str) -> str:
    # Many residents type with southern accents or sloppy pinyin: zh/z, ch/c, sh/s,
    # -ng/-n and n/l are the confusions input methods themselves offer as "fuzzy pinyin".
    for long, short in _FUZZY_INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    if syllable.startswith("n") and len(syllable) > 1:
        syllable = "l" + syllable[1:]
    if syllable.endswith("ng"):
        syllable = syllable[:-1]
    return syllable


def _toneless(char: str) -> str | None:
    readings = pinyin_dict.get(ord(char))
    if not readings:
        return None
    return _without_tones(readings.split(",")[0])


def _without_tones(syllable: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", syllable) if not unicodedata.combining(c)
    )


def _syllable_table() -> dict[str, str]:
    """Each syllable a character is first read as, given its code point in a fixed order:
    a sound key then means the same in every process, which a key kept on disk needs
    (bot/engine/index_cache.py). About 400 syllables, a hundredth of a second."""
    toned = {readings.split(",")[0] for readings in pinyin_dict.values()}
    syllables = sorted({_fuzzy_syllable(_without_tones(syllable)) for syllable in toned})
    return {syllable: chr(_CODE_BASE + n) for n, syllable in enumerate(syllables)}


_syllable_codes = _syllable_table()


def romanizations(name: str, limit: int = 8) -> list[str]:
    """A Chinese name in toneless pinyin, every reading of its characters ("福田" ->
    ["futian"]; "厦门" -> ["shamen", "xiamen"]), at most ``limit``; [] if a character has
    none. How an English question spells a place."""
    spellings = [""]
    for char in name:
        readings = pinyin_dict.get(ord(char))
        if not readings:
            return []
        toneless = dict.fromkeys(
            "".join(c for c in unicodedata.normalize("NFD", r) if not unicodedata.combining(c))
            for r in readings.split(",")
        )
        spellings = [s + reading for s in spellings for reading in toneless][:limit]
    return spellings


@lru_cache(maxsize=65536)
def _char_code(char: str) -> str:
    if not ("\u3400" <= char <= "\u9fff"):
        return char
    syllable = _toneless(char)
    if syllable is None:
        return char
    return _syllable_codes.get(_fuzzy_syllable(syllable), char)


@lru_cache(maxsize=65536)
def sound_key(folded: str) -> str:
    """One code point per syllable of an already folded string: equal for homophones."""
    return "".join(_char_code(char) for char in folded)


def as_written(text: str, folded_word: str) -> str:
    """``folded_word`` (letters folded together, as the scope file writes English: "bank
    account" as bankaccount) as ``text`` writes it, spaces, apostrophes and case kept; the
    folded word itself when the text does not hold it."""
    if not folded_word.isascii():
        return folded_word
    gaps = r"[\s'’\-]*"
    pattern = gaps.join(re.escape(char) for char in folded_word.replace("'", ""))
    found = re.search(pattern, text, re.IGNORECASE)
    return found.group(0) if found else folded_word
