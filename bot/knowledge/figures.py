"""The figures a text states, as values: what an English rendering must keep of its Chinese
answer (`policybot check` refuses one that drops, changes or adds a figure).

Only figures written in digits count. On the Chinese side 万 and 亿 multiply (1.2万 =
12,000); on the English side thousand, million and billion do, thousands separators are
ignored, and a month's name counts as its number (13 March = 13 and 3, as 3月13日 is).
Numbers inside names written with digits (4号线 / Line 4, PM2.5, 5G) are figures on both
sides alike, so they match. The Chinese name an English rendering gives in parentheses
("the 3.0 model (垃圾分类3.0模式)") repeats the original and is not counted again.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")
_CHINESE_MULTIPLIERS = {"万": 10_000, "亿": 100_000_000}
_ENGLISH_MULTIPLIERS = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
MONTHS = [
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
]
# A parenthesis holding Chinese: the original name, repeated after its rendering.
_CHINESE_ASIDE = re.compile(r"[(（][^()（）]*[\u3400-\u9fff][^()（）]*[)）]")
_NUMBER = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"  # 1,234.5 or 1234.5
_CHINESE_FIGURE = re.compile(_NUMBER + r"\s*(万|亿)?")
_ENGLISH_FIGURE = re.compile(
    _NUMBER + r"(?:\s*(thousand|million|billion)\b)?"
    r"|\b(" + "|".join(MONTHS) + r")\b",
)


def _value(number: str, multiplier: int = 1) -> float:
    # In decimal, so that 81.26亿 and 8,126 million are the same value (binary floating
    # point makes the first 8126000000.000001).
    return float(Decimal(number.replace(",", "")) * multiplier)


def chinese_figures(text: str) -> Counter[float]:
    """The values of the figures written in digits in a Chinese text."""
    return Counter(
        _value(number, _CHINESE_MULTIPLIERS.get(unit, 1))
        # Full-width digits are digits; 三 stays a character (fold would make it 3).
        for number, unit in _CHINESE_FIGURE.findall(text.translate(_FULL_WIDTH))
    )


def english_figures(text: str) -> Counter[float]:
    """The values of the figures in an English text, months counted as their number."""
    values: Counter[float] = Counter()
    # Capitalised month names only: "may" and "march" are also verbs.
    plain = _CHINESE_ASIDE.sub(" ", text.translate(_FULL_WIDTH))
    for number, unit, month in _ENGLISH_FIGURE.findall(plain):
        if month:
            values[float(MONTHS.index(month) + 1)] += 1
        else:
            values[_value(number, _ENGLISH_MULTIPLIERS.get(unit.lower(), 1))] += 1
    return values


def figure_mismatch(chinese: str, english: str) -> str | None:
    """Why ``english`` does not state exactly the figures of ``chinese``; None if it does."""
    wanted, given = chinese_figures(chinese), english_figures(english)
    if wanted == given:
        return None
    missing = sorted((wanted - given).elements())
    extra = sorted((given - wanted).elements())
    parts = [
        f"missing {_shown(missing)}" if missing else "",
        f"extra {_shown(extra)}" if extra else "",
    ]
    return "; ".join(part for part in parts if part)


def _shown(values: list[float]) -> str:
    return ", ".join(f"{v:g}" if v < 1e6 else f"{v:,.0f}" for v in values)
