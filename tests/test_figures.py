"""The figures an English rendering must keep of its Chinese answer (bot.knowledge.figures)."""

from __future__ import annotations

import pytest

from bot.knowledge.figures import chinese_figures, english_figures, figure_mismatch


@pytest.mark.parametrize(
    ("chinese", "english"),
    [
        ("建成托育中心3家", "3 childcare centres"),
        ("服务居民1.2万人次", "served residents 12,000 times"),
        ("投入3.5亿元", "invested 350 million yuan"),
        ("工业总产值81.26亿元", "industrial output of 8,126 million yuan"),
        ("完成率达95%", "a completion rate of 95%"),
        ("2020年3月13日", "13 March 2020"),
        ("４号线观湖段", "the Guanhu section of Line 4"),
        ("PM2.5平均浓度为23.9微克/立方米", "average PM2.5 of 23.9 µg/m³"),
        ("三家社区", "three communities"),  # characters are not figures: words match them
        ("全年共处理1,234宗", "handled 1234 cases in the year"),
        ("推行垃圾分类3.0模式", "the garbage sorting 3.0 model (垃圾分类3.0模式)"),
        ("“1+4+N”平台", "the “1+4+N” platform (“1+4+N”平台)"),
    ],
)
def test_a_faithful_rendering_keeps_every_figure(chinese: str, english: str) -> None:
    assert figure_mismatch(chinese, english) is None, (
        chinese_figures(chinese),
        english_figures(english),
    )


@pytest.mark.parametrize(
    ("chinese", "english", "why"),
    [
        ("建成托育中心3家", "built four childcare centres", "missing 3"),
        ("完成率达95%", "a completion rate of 96%", "missing 95; extra 96"),
        ("服务居民1.2万人次", "served residents 1,200 times", "missing 12000; extra 1200"),
        ("三家社区", "3 communities", "extra 3"),
        ("落实十四五规划", "the 14th Five-Year Plan", "extra 14"),
        ("2020年", "in 2020, open 9 to 5", "extra 5, 9"),
        ("推行垃圾分类3.0模式", "the new garbage sorting model (垃圾分类3.0模式)", "missing 3"),
    ],
)
def test_a_changed_dropped_or_added_figure_is_named(chinese: str, english: str, why: str) -> None:
    assert figure_mismatch(chinese, english) == why


def test_may_and_march_as_verbs_are_not_months() -> None:
    assert english_figures("residents may march on") == english_figures("")
    assert english_figures("in May") == english_figures("5")
