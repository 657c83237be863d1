"""Follow-up rules learnt on the fifth dialog set (tests/eval/dialogs/residents-5.yaml),
each on and off, on small synthetic knowledge bases over the real reports."""

from __future__ import annotations

import pytest
from test_conversations import ROOT, _engine_of, turns
from test_matching_rules import _entry

from bot.engine.answering import Engine
from bot.engine.policy import Match, Outcome, Reason
from bot.engine.scoring import Candidate
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


# --- street_spelled ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sorting() -> Engine:
    """Each street's garbage sorting; fitness equipment only in 观湖's."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "ps-garbage",
            "pingshan",
            "坪山垃圾分类做得怎么样?",
            "完成237个垃圾分类投放点建设。",
            keywords=("垃圾分类",),
        ),
        _entry(
            "gh-garbage",
            "guanhu",
            "观湖垃圾分类做得怎么样?",
            "实现19个物业小区垃圾分类3.0模式创建全覆盖。",
            keywords=("垃圾分类",),
        ),
        _entry(
            "gh-fitness",
            "guanhu",
            "观湖增设了多少套健身路径?",
            "增设95套健身路径、10片体育场地。",
            keywords=("健身路径",),
        ),
    ]
    return _engine_of(real, entries)


@pytest.mark.parametrize("on", [True, False])
def test_a_question_naming_a_street_by_its_sound_is_asked_of_that_street(
    sorting: Engine, on: bool
) -> None:
    # 平山 for 坪山, as the input method offers it, in a question of its own (a first turn, or
    # after another street's answer): asked of 坪山, as "坪山垃圾分类做得咋样" is.
    ruled = sorting if on else Engine(sorting.kb, disabled=("street_spelled",))
    (first,), _ = turns(ruled, "平山垃圾分类做得咋样")
    (_, fitness), _ = turns(ruled, "观湖垃圾分类做得怎么样", "平山有没有加健身路径")
    if on:
        assert [b.id for b in first.blocks] == ["ps-garbage"]
        # 坪山's report holds no fitness paths here: not 观湖's answer
        assert fitness.outcome != "answer"
    else:
        assert "gh-garbage" in [b.id for b in first.blocks]
        assert [b.id for b in fitness.blocks] == ["gh-fitness"]


def test_a_word_only_sounding_as_a_street_is_not_spelled_as_it(sorting: Engine) -> None:
    # 评上 sounds as 坪山 but keeps none of its characters; a street spelled right, or two
    # streets, stay as written.
    followups = sorting.followups
    assert followups.spelled("是不是评上过幸福街道") == "是不是评上过幸福街道"
    assert followups.spelled("观湖和平山都有吗") == "观湖和平山都有吗"
    assert followups.spelled("观糊咧") == "观湖咧"


# --- person_asked -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def posts() -> Engine:
    """Villages helped, a river chief system and a centre run by an agency: posts and
    bodies, never a person's name."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "ps-paired-aid",
            "pingshan",
            "坪山的对口帮扶怎么样?",
            "对口帮扶的广西梅林村、陇祥村如期完成脱贫任务。",
            keywords=("对口帮扶",),
        ),
        _entry(
            "gh-river-chief",
            "guanhu",
            "观湖怎么落实河长制?",
            "严格落实“河湖长制”,由河长巡河,巩固水污染治理成果。",
            keywords=("河长制",),
        ),
        _entry(
            "ps-care-centre",
            "pingshan",
            "坪山的托育中心怎么运营?",
            "托育中心通过“政府资助+专业机构运营”模式运营。",
            keywords=("托育中心",),
        ),
    ]
    return _engine_of(real, entries)


@pytest.mark.parametrize(
    ("first", "person"),
    [
        ("坪山的对口帮扶怎么样", "负责帮扶的干部是谁"),  # 帮扶 is the answer's word
        ("观湖怎么落实河长制", "河长叫什么"),
    ],
)
@pytest.mark.parametrize("on", [True, False])
def test_who_a_person_is_is_declined_whatever_the_topic_in_play(
    posts: Engine, first: str, person: str, on: bool
) -> None:
    # The reports name posts (河长, 干部), never who holds them: the answer on the topic in
    # play, given again, names no one.
    ruled = posts if on else Engine(posts.kb, disabled=("person_asked",))
    (before, after), _ = turns(ruled, first, person)
    assert before.outcome == "answer"
    if on:
        assert after.outcome == "miss" and not after.blocks
        assert after.understood is not None and after.understood.endswith(person)
    else:
        assert after.outcome == "answer"


def test_who_a_person_is_asked_in_english_is_declined_too(posts: Engine) -> None:
    (_, after), _ = turns(posts, "观湖怎么落实河长制", "who is the river chief")
    assert after.outcome == "miss" and not after.blocks


def test_who_does_something_is_no_person_asked(posts: Engine) -> None:
    # 是谁在运营 asks who runs it, which the answer states (专业机构运营).
    (_, after), _ = turns(posts, "坪山的托育中心怎么运营", "是谁在运营")
    assert after.outcome == "answer" and [b.id for b in after.blocks] == ["ps-care-centre"]


# --- purpose_of_it ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def purposes() -> Engine:
    """One answer saying what a thing is for, one saying only how many were built."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "ps-door-alarms",
            "pingshan",
            "坪山装了门磁报警器吗?",
            "在全市率先安装门磁报警器,防范隔离人员脱控。",
            keywords=("门磁报警器",),
        ),
        _entry(
            "gh-kiosks",
            "guanhu",
            "观湖建了几座报刊亭?",
            "建成报刊亭3座。",
            keywords=("报刊亭",),
        ),
    ]
    return _engine_of(real, entries)


@pytest.mark.parametrize("asked", ["干嘛用的", "是做什么用的", "what is it for"])
@pytest.mark.parametrize("on", [True, False])
def test_what_it_is_for_is_the_last_answer_that_says_to_what_end(
    purposes: Engine, asked: str, on: bool
) -> None:
    # 干嘛用的 alone is the bot's capabilities by meaning; after an answer saying what was
    # done to what end (防范…), it asks that answer's purpose.
    ruled = purposes if on else Engine(purposes.kb, disabled=("purpose_of_it",))
    (before, after), _ = turns(ruled, "坪山装了门磁报警器吗", asked)
    assert [b.id for b in before.blocks] == ["ps-door-alarms"]
    if on:
        assert after.outcome == "answer" and [b.id for b in after.blocks] == ["ps-door-alarms"]
    else:
        assert after.outcome != "answer" or [b.id for b in after.blocks] != ["ps-door-alarms"]


def test_what_it_is_for_is_not_read_in_an_answer_saying_no_end(purposes: Engine) -> None:
    (_, after), _ = turns(purposes, "观湖建了几座报刊亭", "干嘛用的")
    assert after.outcome != "answer" or [b.id for b in after.blocks] != ["gh-kiosks"]
    # Speaking to the bot asks the bot's own.
    (_, bot), _ = turns(purposes, "坪山装了门磁报警器吗", "你是干嘛的")
    assert bot.outcome == "intent"


# --- english_street_cues ----------------------------------------------------------------


@pytest.mark.parametrize("asked", ["Does Guanhu have them too?", "Is it the same in Guanhu?"])
@pytest.mark.parametrize("on", [True, False])
def test_an_english_follow_up_asking_the_same_of_another_street_re_asks_it(
    sorting: Engine, asked: str, on: bool
) -> None:
    # Words of asking and pointing back only (does, have, them, too, is it the same): the
    # last question, asked of 观湖, as "what about Guanhu" is.
    ruled = sorting if on else Engine(sorting.kb, disabled=("english_street_cues",))
    (_, other), _ = turns(ruled, "How is garbage sorting going in Pingshan?", asked)
    if on:
        assert other.understood is not None and other.understood.startswith("Guanhu")
        assert [b.id for b in other.blocks] in ([], ["gh-garbage"])
    else:
        assert other.understood is None


def test_an_english_question_of_its_own_naming_a_street_is_no_re_asking(sorting: Engine) -> None:
    assert not sorting.followups.only_english_cues("Does Guanhu have a library?")
    assert sorting.followups.only_english_cues("Guanhu too?")
    assert not sorting.followups.only_english_cues("观湖也有吗")  # Chinese: STREET_CUES


# --- a rank stated as 全区第二 (the rank kind of DETAIL_STATED_AS, no rule of its own) ------


@pytest.fixture(scope="module")
def ranks() -> Engine:
    """An answer ranking 观湖's air second in the district in words a follow-up asking the
    rank does not share, and one stating no rank."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "gh-air",
            "guanhu",
            "观湖的PM2.5是多少?",
            "全年PM2.5均值为23.9微克/立方米,均值及下降幅度均列全区第二。",
            keywords=("PM2.5",),
        ),
        _entry(
            "gh-kiosks",
            "guanhu",
            "观湖建了几座报刊亭?",
            "建成报刊亭3座。",
            keywords=("报刊亭",),
        ),
    ]
    return _engine_of(real, entries)


@pytest.mark.parametrize("asked", ["排第几", "排名第几"])
def test_a_rank_asked_is_the_last_answer_stating_one_as_district_second(
    ranks: Engine, asked: str
) -> None:
    # 均列全区第二 states a rank though it is no 第N个: the rank asked is that answer.
    (before, after), _ = turns(ranks, "观湖的PM2.5是多少", asked)
    assert [b.id for b in before.blocks] == ["gh-air"]
    assert after.outcome == "answer" and [b.id for b in after.blocks] == ["gh-air"]


def test_a_rank_asked_of_an_answer_stating_none_is_not_it(ranks: Engine) -> None:
    (_, after), _ = turns(ranks, "观湖建了几座报刊亭", "排第几")
    assert after.outcome != "answer" or [b.id for b in after.blocks] != ["gh-kiosks"]


# --- year_names_nothing -----------------------------------------------------------------


@pytest.fixture(scope="module")
def years() -> Engine:
    """观湖's PM2.5 in 2019, and its 2020 requirements, in another part of the report."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "gh-air",
            "guanhu",
            "观湖2019年的PM2.5是多少?",
            "全年PM2.5均值为23.9微克/立方米,同比下降5.9%。",
            keywords=("PM2.5",),
        ),
        _entry(
            "gh-requirements",
            "guanhu",
            "观湖2020年的总体要求是什么?",
            "2020年是全面建成小康社会收官之年,今年街道工作的总体要求是稳中求进。",
            keywords=("总体要求",),
        ),
    ]
    return _engine_of(real, entries)


@pytest.mark.parametrize("on", [True, False])
def test_a_year_asked_after_an_answer_names_no_new_thing(years: Engine, on: bool) -> None:
    # "那2020呢" ("what about 2020") asks the last topic in another year: 2020 is written in
    # a text the answer is not beside, but it is when, not a thing; the 2020 requirements
    # are no answer on the air.
    ruled = years if on else Engine(years.kb, disabled=("year_names_nothing",))
    (before, after), _ = turns(ruled, "观湖2019年的PM2.5是多少", "那2020呢")
    assert [b.id for b in before.blocks] == ["gh-air"]
    if on:
        assert after.understood == "观湖2019年的PM2.5是多少：那2020呢"
    else:
        assert after.understood != "观湖2019年的PM2.5是多少：那2020呢"


# --- counted_thing_on_street ------------------------------------------------------------


@pytest.fixture(scope="module")
def projects() -> Engine:
    """观湖's projects counted twice: the micro-projects in one text, something else in
    the other (a count of district projects beside some micro-projects)."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "gh-projects-2019",
            "guanhu",
            "观湖2019年落实了哪些民生实事?",
            "11项区民生实事和115项民生微实事全部落实。",
        ),
        _entry(
            "gh-projects-2020",
            "guanhu",
            "观湖2020年要完成哪些民生实事?",
            "完成14项区民生实事和一批民生微实事。",
        ),
    ]
    return _engine_of(real, entries)


@pytest.mark.parametrize("on", [True, False])
def test_another_streets_unsure_how_many_is_the_one_text_counting_the_thing_asked(
    projects: Engine, on: bool
) -> None:
    # Both texts speak of 民生微实事; only one counts them (115项民生微实事; 14项 counts
    # 区民生实事, 一批 is no figure).
    ruled = projects if on else Engine(projects.kb, disabled=("counted_thing_on_street",))
    unsure = Match(
        Outcome.CLARIFY,
        Reason.UNSURE,
        0.4,
        candidates=(
            Candidate("gh-projects-2020", 1, False, "guanhu"),
            Candidate("gh-projects-2019", 0, False, "guanhu"),
        ),
    )
    asked = "观湖街道民生微实事搞了多少个"
    counted = ruled._counted_on_street(asked, unsure, "guanhu")
    if on:
        assert counted is not None and counted.chosen == ("gh-projects-2019",)
    else:
        assert counted is None
    # Not a how-many: nothing is counted.
    assert ruled._counted_on_street("观湖街道民生微实事怎么样", unsure, "guanhu") is None


@pytest.mark.parametrize("on", [True, False])
def test_how_it_went_on_another_street_asks_the_last_question_of_it(
    sorting: Engine, on: bool
) -> None:
    # Found in a terminal chat: 三小场所 (观湖's term), then 坪山有几家 was answered with
    # 坪山's polluting firms; a count or how it went, naming only another street, asks the
    # last question of that street, which here says nothing of fitness paths.
    ruled = sorting if on else Engine(sorting.kb, disabled=("how_it_went_on_street",))
    (_, second), _ = turns(ruled, "观湖增设了多少套健身路径", "坪山有几套")
    assert second.outcome == "miss" and not second.blocks
    if on:
        assert second.reason is Reason.NOT_ON_STREET
        assert second.understood == "坪山街道：增设了多少套健身路径,有几套"
    else:
        assert second.reason is Reason.NO_SUBJECT


def test_how_it_went_on_another_street_is_matched_without_its_count(tg_engine: Engine) -> None:
    # Found in review: 观湖's 违建, then 坪山有几家 was asked as "坪山整治了多少违建,有几家",
    # whose 家 found 坪山's 194 polluting firms (整治…企业194家), a confident answer on
    # another thing; 那坪山呢 is a miss. The last question is matched as 那坪山呢 asks it.
    (_, second), _ = turns(tg_engine, "观湖整治了多少违建", "坪山有几家")
    assert second.outcome == "miss" and second.reason is Reason.NOT_ON_STREET
    assert second.understood == "坪山街道：整治了多少违建,有几家"


def test_the_understood_line_leaves_out_the_particle_after_the_street(sorting: Engine) -> None:
    # "坪山呢 有几套" was understood as "…,呢 有几套"
    (_, second), _ = turns(sorting, "观湖增设了多少套健身路径", "坪山呢 有几套")
    assert second.understood == "坪山街道：增设了多少套健身路径,有几套"


# --- street_part_of_answer ------------------------------------------------------------


@pytest.mark.parametrize("on", [True, False])
@pytest.mark.parametrize(
    ("follow_up", "street", "found_alone"),
    [("观湖呢", "guanhu", False), ("那坪山呢", "pingshan", True)],
)
def test_a_street_asked_after_an_answer_from_both_gets_its_part(
    tg_engine: Engine, follow_up: str, street: str, found_alone: bool, on: bool
) -> None:
    # Found in a terminal chat: 老人有什么福利 was answered from both reports, then 观湖呢
    # said 观湖's report does not answer it, right after quoting 观湖's text: asked alone
    # of 观湖 the ranking is unsure between two of its texts.
    ruled = tg_engine if on else Engine(tg_engine.kb, disabled=("street_part_of_answer",))
    (first, second), _ = turns(ruled, "老人有什么福利", follow_up)
    given = [b.id for b in first.blocks if ruled.followups.street_of_doc(b.id) == street]
    assert first.outcome == "answer" and given and len(given) < len(first.blocks)
    if on:
        assert second.outcome == "answer" and [b.id for b in second.blocks] == given
        assert second.understood.startswith(ruled.kb.streets[street].name)
    else:
        assert ([b.id for b in second.blocks] == given) is found_alone


def test_a_street_asked_after_its_own_answer_is_asked_afresh(tg_engine: Engine) -> None:
    # Only an answer that spoke for several streets is split: after 观湖's own answer,
    # 坪山呢 asks 坪山's report.
    (first, second), _ = turns(tg_engine, "观湖生活垃圾强制分类怎么推进", "坪山呢")
    assert {tg_engine.followups.street_of_doc(b.id) for b in first.blocks} == {"guanhu"}
    assert second.outcome == "answer"
    assert {tg_engine.followups.street_of_doc(b.id) for b in second.blocks} == {"pingshan"}
