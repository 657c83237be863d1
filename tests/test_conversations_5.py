"""Follow-up rules learnt on the fifth dialog set (tests/eval/dialogs/residents-5.yaml),
each on and off, on small synthetic knowledge bases over the real reports."""

from __future__ import annotations

import pytest
from test_conversations import ROOT, _engine_of, turns
from test_matching_rules import _entry

from bot.engine.answering import Engine
from bot.knowledge.loading import load_knowledge


@pytest.fixture(scope="module")
def kinds() -> Engine:
    """Answers stating a price or a time of day in words a follow-up asking it does not
    share, and one stating neither."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "ps-night-market",
            "pingshan",
            "坪山的夜间集市是怎么回事?",
            "打造全市首个社区夜间集市,居民免费入场。",
            keywords=("夜间集市",),
        ),
        _entry(
            "gh-street-sweep",
            "guanhu",
            "观湖的错峰清扫是什么?",
            "错峰清扫:指主干道在车流较少时段开展机械清扫(每天凌晨5点—7点)。",
            keywords=("错峰清扫",),
        ),
        _entry(
            "ps-bus-stops",
            "pingshan",
            "坪山新增了多少个公交站?",
            "新增公交站12个,优化公交线路5条。",
            keywords=("公交站",),
        ),
    ]
    return _engine_of(real, entries)


# --- detail_word_stated -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "detail", "entry"),
    [
        ("坪山的夜间集市是怎么回事", "要交钱不", "ps-night-market"),  # 交钱 … 免费
        ("观湖的错峰清扫是什么", "what time is it done", "gh-street-sweep"),  # … 5点—7点
        ("观湖的错峰清扫是什么", "几点到几点", "gh-street-sweep"),
    ],
)
@pytest.mark.parametrize("on", [True, False])
def test_a_detail_word_the_last_answer_states_by_its_kind_is_that_answer(
    kinds: Engine, first: str, detail: str, entry: str, on: bool
) -> None:
    # A price or a time asked in the scope's detail words (交钱, what time), which the answer
    # states as such a detail is stated (免费, N点), though in none of the message's words.
    ruled = kinds if on else Engine(kinds.kb, disabled=("detail_word_stated",))
    (before, after), _ = turns(ruled, first, detail)
    assert [b.id for b in before.blocks] == [entry]
    if on:
        assert after.outcome == "answer" and [b.id for b in after.blocks] == [entry]
    else:
        assert after.outcome == "miss" and not after.blocks


@pytest.mark.parametrize("detail", ["要交钱不", "what time is it open", "几点开门"])
def test_a_detail_word_the_last_answer_does_not_state_stays_declined(
    kinds: Engine, detail: str
) -> None:
    (before, after), _ = turns(kinds, "坪山新增了多少个公交站", detail)
    assert [b.id for b in before.blocks] == ["ps-bus-stops"]
    assert after.outcome == "miss" and not after.blocks
