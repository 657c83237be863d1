"""The everyday lexicon: phrases found as typed, a verb|object phrase also object first
within one clause, and marks the loader refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.lexicon import Lexicon
from bot.knowledge.loading import read_lexicons

CHILDCARE = (("带|娃", "看|孩子", "托儿所"), ("托育",))
ROADS = (("修|路",), ("道路建设",))
LEXICON = Lexicon([CHILDCARE, ROADS], [(("childcare",), ("托育",))])


@pytest.mark.parametrize(
    ("question", "read_as"),
    [
        ("托儿所", {"托育"}),
        ("带娃的地方", {"托育"}),  # as written
        ("娃没人带", {"托育"}),  # object first
        ("孩子白天谁看", {"托育"}),
        ("路什么时候修", {"道路建设"}),  # four characters apart
        ("孩子上学了，看什么书", set()),  # object and verb in different clauses
        ("看了孩子的作业本再说", set()),  # verb before a longer object: not the phrase
        ("路边那家店什么时候修好", set()),  # more than four characters apart
        ("any childcare nearby", {"托育"}),
        ("公积金怎么提取", set()),
    ],
)
def test_what_the_lexicon_reads(question: str, read_as: set[str]) -> None:
    assert LEXICON.meaning(question) == read_as


def test_object_first_is_a_rule_that_can_be_off() -> None:
    assert LEXICON.official_words("娃没人带", "娃没人带", either_order=False) == []
    assert LEXICON.official_words("娃没人带", "娃没人带", either_order=True) == ["托育"]


@pytest.mark.parametrize("phrase", ["带|", "|娃", "带|娃|子"])
def test_a_malformed_mark_is_refused(tmp_path: Path, phrase: str) -> None:
    (tmp_path / "lexicon-zh.yaml").write_text(
        f"entries:\n  - everyday: ['{phrase}', 托儿所]\n    official: [托育]\n", encoding="utf-8"
    )
    _, problems = read_lexicons(tmp_path, tmp_path)
    assert [p.message for p in problems] == [
        f"'{phrase}': write a verb and its object as verb|object"
    ]


def test_english_phrases_take_no_mark(tmp_path: Path) -> None:
    (tmp_path / "lexicon-en.yaml").write_text(
        "entries:\n  - english: ['look|after kids']\n    chinese: [托育]\n", encoding="utf-8"
    )
    _, problems = read_lexicons(tmp_path, tmp_path)
    assert len(problems) == 1 and "verb|object" in problems[0].message


SHIPPED = Lexicon.from_pairs(read_lexicons(Path("data"), Path("."))[0])


@pytest.mark.parametrize(
    ("question", "reads", "not_read"),
    [
        # the vocabulary work reports count and name things in
        ("did they use robots to deliver anything", "机器人", None),
        ("how many volunteer police are there", "义警", None),
        ("how many km of new roads", "公里", None),
        ("what is the road chief system", "路长制", None),
        ("did our community win an award", "荣获", None),
        # everyday English for how reports speak of change, hours, firms, casework
        ("has the number of burglaries gone down", "下降", None),
        ("is the service centre open round the clock", "24小时", None),
        ("how many firms went public last year", "上市企业", None),
        ("can a social worker refer my case", "转介", None),
        ("the factories are short of workers", "招工难", None),
        # a modifier or a manner alone names no subject of the reports
        ("is there an international school nearby", None, "国际化"),
        ("can i renew my licence online", None, "线上"),
        ("what is the history of the great wall", None, "历史"),
    ],
)
def test_the_english_lexicon_reads_the_words_of_work_reports(
    question: str, reads: str | None, not_read: str | None
) -> None:
    words = SHIPPED.meaning(question)
    assert reads is None or reads in words
    assert not_read is None or not_read not in words


def test_english_number_words_are_read_as_the_numerals_of_a_name() -> None:
    assert Lexicon.numerals("what are the Six Zeros?")[-1] == "六零"
    assert "两" in Lexicon.numerals("two coverages")
    # a number inside another word, or a Chinese question, is none
    assert Lexicon.numerals("someone often said it") == []
    assert Lexicon.numerals("六零行动是什么") == []


def test_each_english_phrase_lends_one_group_of_alternatives() -> None:
    groups = SHIPPED.official_groups("any childcare or kindergarten", "anychildcareorkindergarten")
    assert len(groups) == 2
    assert "托育" in groups[0] and "幼儿园" in groups[1]
    assert SHIPPED.official_words("any childcare", "anychildcare") == list(groups[0][:3])


def test_the_words_the_lexicon_lends_nothing_for_are_counted() -> None:
    # "childcare" is lent for; "where", "can", "find" carry no topic; "parrot" is unlent
    assert SHIPPED.unlent_words("where can i find childcare") == 0
    assert SHIPPED.unlent_words("where can i find childcare for my parrot") == 1


def test_a_plural_in_s_of_a_phrase_ending_in_e_is_read() -> None:
    # "schemes" is "scheme" + s: stripping "es" would leave "schem", no phrase
    assert "传销" in SHIPPED.meaning("what about pyramid schemes")
    assert "传销" in SHIPPED.meaning("what about a pyramid scheme")


APART = Lexicon(
    [],
    [
        (("throwing things from windows",), ("高空抛物",)),
        (("polluting factories",), ("散乱污企业",)),
        (("river clean-up",), ("治水",)),
        (("set up a company",), ("商事登记",)),
    ],
)


@pytest.mark.parametrize(
    ("question", "read_as"),
    [
        # inflected, a few words between (stuff, out, of carry no topic; high is one)
        ("people throw stuff out of high windows", {"高空抛物"}),
        ("how many polluting small factories were closed", {"散乱污企业"}),
        # in another order they may say another thing
        ("windows broken, they throw them away", set()),
        # the words in two clauses
        ("they throw parties, and the windows rattle", set()),
        # too far apart: four topic words between
        ("throw paint cans bottles bags onto windows", set()),
        # a hyphened phrase's parts apart ("are the rivers clean") say another thing
        ("are the rivers clean now", set()),
        # nor a phrase of a short common word (set, pay): found apart about anything
        ("party branches set up in private companies", set()),
    ],
)
def test_an_english_phrase_is_read_with_its_words_apart(question: str, read_as: set[str]) -> None:
    assert APART.meaning(question) == read_as
    # none says a phrase as typed: with the reading off, nothing is lent
    assert APART.official_words(question, question, words_apart=False) == []


def test_words_found_apart_are_no_unlent_words() -> None:
    question = "people throw stuff out of high windows"
    # people, high left; throw and windows lent for together
    assert APART.unlent_words(question) == 2
    assert APART.unlent_words(question, words_apart=False) == 4
