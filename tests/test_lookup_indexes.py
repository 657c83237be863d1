"""Look-ups indexed by first character give what a scan of every word in order gives:
the same words, the first found first."""

from __future__ import annotations

import pytest

from bot.engine.lexicon import Lexicon
from bot.engine.question import Finders, _detail_finder, _folded_scope_word

WORDS = ["地址在哪", "地址", "电话$", "盖…章", "…上了", "几点", "点"]
FINDERS = [_detail_finder(_folded_scope_word(w)) for w in WORDS]


def scanned(folded: str) -> list[str]:
    """Every word a scan of all the finders in order finds."""
    return [
        word for word, pattern in FINDERS if (pattern.search(folded) if pattern else word in folded)
    ]


@pytest.mark.parametrize(
    "folded",
    [
        "托育中心地址在哪",
        "社区电话",
        "社区电话是多少",
        "盖研学实践的章",
        "钥匙落在地铁上了",
        "几点开门",
        "",
    ],
)
def test_words_indexed_by_first_character_are_found_as_a_scan_finds_them(folded: str) -> None:
    possible = Finders(FINDERS).possible(folded)
    assert [w for w, p in possible if (p.search(folded) if p else w in folded)] == scanned(folded)
    # Only a few are tried: those whose first character the question holds.
    assert all(word[0] in folded for word, _ in possible)


def test_object_first_phrases_are_read_in_the_lexicon_order() -> None:
    lexicon = Lexicon(
        [(("修|路",), ("道路建设",)), (("带|娃",), ("托育",)), (("看|病",), ("医疗",))]
    )
    assert lexicon.official_groups("病了没人看，娃没人带，路也不修", "") == [
        ("道路建设",),
        ("托育",),
        ("医疗",),
    ]
