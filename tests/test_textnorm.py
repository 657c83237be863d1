"""Normalisation: what residents type and what the reports say must meet."""

from __future__ import annotations

import pytest

from bot.engine.textnorm import as_written, clean, content, fold, sound_key, subject


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("6零行动", "六零行动"),
        ("６零行动", "六零行动"),  # full-width digit
        ("六零行動", "六零行动"),  # traditional
        ("請問觀湖的託育服務", "请问观湖的托育服务"),
        ("ＰＭ２.５", "pm2.5"),
        ("１＋４＋Ｎ", "1+4+N"),
        ("二十一所幼儿园", "21所幼儿园"),
        ("一百二十", "120"),
        ("十个全覆盖", "10个全覆盖"),
        ("三 小 场 所!!!😂", "三小场所"),
        ("\u202e三小\u200b场所", "三小场所"),  # bidi override and zero-width space
    ],
)
def test_spellings_fold_together(typed: str, canonical: str) -> None:
    assert fold(typed) == fold(canonical)


def test_unit_after_a_figure_stays_a_word() -> None:
    assert fold("2.16万平方米") == "2.16万平方米"


@pytest.mark.parametrize(
    ("question", "core"),
    [
        ("请问一下六零行动是什么意思?", "六零行动"),
        ("三小场所是啥", "三小场所"),
        ("门前三包指什么", "门前三包"),
        ("在吗在吗 一案双查呢", "一案双查"),
        # 么 alone is a particle: without the whole phrase, 什 would be left as a word
        ("社区智理是做什么的", "社区智理"),
        ("网格员是干啥的", "网格员"),
        # an opening connective links to the last question and asks nothing itself
        ("另外,观湖的社区智理是做什么的", "观湖社区智理"),
        ("对了 三小场所是啥", "三小场所"),
    ],
)
def test_content_drops_filler_words(question: str, core: str) -> None:
    assert content(question) == fold(core)


def test_content_of_only_filler_falls_back_to_the_text() -> None:
    assert content("你好") == "你好"


@pytest.mark.parametrize(
    ("typo", "term"),
    [
        ("路长治", "路长制"),
        ("雪量工程", "雪亮工程"),
        ("公测革命", "公厕革命"),
        ("门前三保", "门前三包"),
    ],
)
def test_same_sound_typos_share_a_sound_key(typo: str, term: str) -> None:
    assert sound_key(fold(typo)) == sound_key(fold(term))


def test_different_words_have_different_sound_keys() -> None:
    assert sound_key(fold("托育")) != sound_key(fold("养老"))


@pytest.mark.parametrize("junk", ["", "   ", "😂😂😂", "\x00\x01", "。。。", "\ud800"])
def test_junk_folds_to_nothing_without_error(junk: str) -> None:
    assert fold(junk) == ""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("能不能装扶手", "装扶手"),
        ("我家附近有没有图书馆", "附近图书馆"),
        ("能不能啊", "能不能啊"),  # all framing: kept whole
        ("就业补贴", "就业补贴"),  # 就 is part of 就业, never stripped
    ],
)
def test_subject_drops_the_framing_of_a_question(question: str, expected: str) -> None:
    assert subject(fold(question)) == expected


@pytest.mark.parametrize(
    ("name", "spellings"),
    [("福田", ["futian"]), ("观湖", ["guanhu"]), ("厦门", ["shamen", "xiamen"]), ("Ｘ", [])],
)
def test_romanizations_give_every_reading(name: str, spellings: list[str]) -> None:
    from bot.engine.textnorm import romanizations

    assert romanizations(name) == spellings


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [("\x1b[31m托育\x1b[0m", "托育"), ("a\x1b]0;title\x07b", "ab"), ("\x1b[2J\x1b[H问", "问")],
)
def test_clean_drops_terminal_escape_sequences(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned


def test_pinyin_readings_come_without_pypinyins_phrase_dictionary() -> None:
    # Importing the package would load its phrase dictionary (0.1 s and 50 MB at every
    # start) that keying one character at a time never uses.
    import subprocess
    import sys

    probe = (
        "import sys, bot.engine.textnorm as t;"
        "print('pypinyin' in sys.modules, t.pinyin_dict[ord('坪')])"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert shown.stdout.split() == ["False", "píng"]


@pytest.mark.parametrize(
    ("text", "folded", "written"),
    [
        ("How do I open a Bank Account here?", "bankaccount", "Bank Account"),
        ("how do I get my driver's license", "driverslicense", "driver's license"),
        ("english-speaking doctors", "english-speakingdoctor", "english-speaking doctor"),
        # Chinese, or a word the text does not hold, as it is
        ("公积金怎么提取", "公积金", "公积金"),
        ("something else", "bankaccount", "bankaccount"),
    ],
)
def test_a_folded_word_is_shown_as_the_text_writes_it(text: str, folded: str, written: str) -> None:
    assert as_written(text, folded) == written
