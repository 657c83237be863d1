"""Follow-up rules learnt on the sixth dialog set (tests/eval/dialogs/residents-6.yaml),
each on and off, on small synthetic knowledge bases over the real reports."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_conversations import NOW, ROOT, _engine_of, turns
from test_matching_rules import _entry, synthetic_base

from bot.engine.answering import Engine
from bot.engine.conversation import Conversation
from bot.knowledge.loading import load_knowledge

# --- person_asked: a person named by what they do --------------------------------------


@pytest.mark.parametrize("person", ["负责的人是谁"])
@pytest.mark.parametrize("on", [True, False])
def test_a_person_named_by_what_they_do_is_declined(
    tg_engine: Engine, person: str, on: bool
) -> None:
    # No post is named (负责人, 队长), only what the person does: still a name, which no
    # report gives. Alone, 负责的人是谁 finds 观湖's 公司负责人获评…质量领袖, a company's head.
    # (new_thing_as_written off too: with it, 负责的人 no longer names 负责人 as a new thing,
    # and the message is a detail of the alarms, declined even without person_asked.)
    off = ("person_asked", "new_thing_as_written")
    ruled = tg_engine if on else Engine.load(ROOT, disabled=off)
    (before, after), _ = turns(ruled, "坪山门磁报警器", person)
    assert before.outcome == "answer"
    if on:
        assert after.outcome == "miss" and not after.blocks
    else:
        assert after.outcome != "miss" or after.blocks


@pytest.mark.parametrize("asked", ["由谁负责", "谁来负责", "这个品牌叫啥名字", "是谁在运营"])
def test_who_takes_it_on_or_a_things_name_is_no_person(asked: str) -> None:
    from bot.engine.conversation import PERSON_ASKED
    from bot.engine.textnorm import fold

    assert PERSON_ASKED.search(fold(asked)) is None


@pytest.mark.parametrize("asked", ["管事的那个人叫什么", "谁负责的 叫啥名字", "负责人是谁"])
def test_a_person_named_by_what_they_do_is_asked(asked: str) -> None:
    from bot.engine.conversation import PERSON_ASKED
    from bot.engine.textnorm import fold

    assert PERSON_ASKED.search(fold(asked)) is not None


# --- lent_compound_on_street -------------------------------------------------------------


@pytest.mark.parametrize("on", [True, False])
def test_an_english_compound_the_other_street_never_writes_is_a_miss_there(
    tg_engine: Engine, on: bool
) -> None:
    # social work village lends 社工 and 村, each written in 坪山's report (社工热线,
    # 北中村), but not together: 社工村 is 观湖's alone, so 坪山 has no answer on it.
    ruled = tg_engine if on else Engine.load(ROOT, disabled=("lent_compound_on_street",))
    (before, after), _ = turns(
        ruled, "What is Guanhu's social work village?", "Does Pingshan have one too?"
    )
    assert before.outcome == "answer"
    if on:
        assert after.outcome == "miss" and not after.blocks
    else:
        assert after.outcome == "answer"


def test_an_english_compound_written_apart_is_two_words_lent() -> None:
    from bot.engine.lexicon import Lexicon

    lexicon = Lexicon(english=((("social work",), ("社工",)), (("village",), ("村",))))
    assert lexicon.english_compounds("Does it have a social work village?") == [
        (("社工",), ("村",))
    ]
    # not next to each other: no compound
    assert lexicon.english_compounds("social work in the village") == []


# --- handover_words_of_it ----------------------------------------------------------------


@pytest.fixture(scope="module")
def centre() -> Engine:
    """A service centre, whose phone and hours no report gives."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "ps-foreigners-centre",
            "pingshan",
            "坪山的境外人员管理服务中心是什么?",
            "建设运营境外人员管理服务中心,为境外人士提供办事指引、移居适应等服务。",
            keywords=("境外人员管理服务中心",),
        ),
    ]
    return _engine_of(real, entries)


@pytest.mark.parametrize("detail", ["电话多少", "几点上班"])
@pytest.mark.parametrize("on", [True, False])
def test_a_handover_phrase_after_an_answer_asks_that_ones_phone_or_hours(
    centre: Engine, detail: str, on: bool
) -> None:
    # Word for word the handover, but asked right after an answer on a centre: its phone or
    # hours, which the reports never give, declined as a detail of it.
    ruled = centre if on else Engine(centre.kb, disabled=("handover_words_of_it",))
    (before, after), _ = turns(ruled, "坪山的境外人员管理服务中心是什么", detail)
    assert [b.id for b in before.blocks] == ["ps-foreigners-centre"]
    if on:
        assert after.outcome == "miss" and not after.blocks
        assert after.understood is not None and after.understood.endswith(detail)
    else:
        assert after.outcome == "intent" and after.intent == "human"


@pytest.mark.parametrize("asked", ["电话多少", "你们电话多少", "我要找真人客服"])
def test_the_handover_first_or_to_the_bot_stays_the_handover(centre: Engine, asked: str) -> None:
    (reply,), _ = turns(centre, asked)
    assert reply.outcome == "intent" and reply.intent == "human"
    (_, after), _ = turns(centre, "坪山的境外人员管理服务中心是什么", "你们电话多少")
    assert after.outcome == "intent" and after.intent == "human"


# --- asking_tail_cue ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def volunteers() -> Engine:
    """Volunteer police in 观湖 only, and 坪山's healthy-home campaign, which a question on
    something 坪山 never writes would be unsure of."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "gh-volunteer-police",
            "guanhu",
            "观湖义警队伍有多少人?",
            "整合9支1600余人群防群治队伍,成立3000余人义警队伍。",
            keywords=("义警",),
        ),
        _entry(
            "ps-healthy-home",
            "pingshan",
            "坪山的健康家园创建活动是什么?",
            "开展“健康家园、无疫小区”创建活动,常态化开展爱国卫生运动。",
            keywords=("健康家园",),
        ),
    ]
    return _engine_of(real, entries)


@pytest.mark.parametrize("on", [True, False])
def test_a_yes_no_tail_asks_the_same_of_another_street(volunteers: Engine, on: bool) -> None:
    # 有义警不 is 有没有义警: the last question of 坪山, whose report never writes 义警.
    ruled = volunteers if on else Engine(volunteers.kb, disabled=("asking_tail_cue",))
    (before, after), _ = turns(ruled, "观湖义警队伍有多少人", "那坪山有义警不")
    assert [b.id for b in before.blocks] == ["gh-volunteer-police"]
    if on:
        assert after.outcome == "miss" and not after.blocks
        assert after.understood is not None and after.understood.startswith("坪山街道")
    else:
        assert after.understood is None


def test_a_tail_inside_a_word_is_kept() -> None:
    from bot.engine.conversation import ASKING_TAIL

    assert ASKING_TAIL.sub("", "义警不") == "义警"
    assert ASKING_TAIL.sub("", "不") == "不"
    assert ASKING_TAIL.sub("", "不文明") == "不文明"


# --- new_thing_as_written ----------------------------------------------------------------


@pytest.fixture(scope="module")
def mechanisms() -> Engine:
    """An answer ending on the mechanisms set up, and another text writing 党建工作, which
    the spelling of 建了哪些工作机制 (建工作机制) seemed to name."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "ps-garden-estates",
            "pingshan",
            "坪山招商花园小区的治理品牌是什么?",
            "以招商花园小区为试点打造“邻聚力”基层治理品牌,建立花园小区常态化走访、"
            "数据动态管理、物业进驻审定等10项工作机制。",
            keywords=("招商花园",),
        ),
        _entry(
            "ps-party-meetings",
            "pingshan",
            "坪山商圈楼宇党建怎么搞?",
            "建立健全党建工作联席会议制度。",
            keywords=("商圈楼宇",),
        ),
    ]
    return _engine_of(real, entries)


@pytest.mark.parametrize("on", [True, False])
def test_a_thing_named_only_across_dropped_words_is_no_new_topic(
    mechanisms: Engine, on: bool
) -> None:
    ruled = mechanisms if on else Engine(mechanisms.kb, disabled=("new_thing_as_written",))
    (before, after), _ = turns(ruled, "坪山招商花园小区的治理品牌是什么", "建了哪些工作机制")
    assert [b.id for b in before.blocks] == ["ps-garden-estates"]
    if on:
        assert after.outcome == "answer" and [b.id for b in after.blocks] == ["ps-garden-estates"]
    else:
        assert [b.id for b in after.blocks] != ["ps-garden-estates"]


# --- target_in_plan ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def targets() -> Engine:
    """观湖's PM2.5 of the year reviewed, and the target its plan sets; a plan with no
    target on anything else."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "gh-pm25",
            "guanhu",
            "观湖PM2.5均值是多少?",
            "全年街道PM2.5均值为23.9微克/立方米,同比下降5.9%。",
            keywords=("PM2.5",),
        ),
        replace(
            _entry(
                "gh-air-plan",
                "guanhu",
                "观湖打算怎么治理大气污染?",
                "重点整治工地扬尘、工业废气,确保PM2.5年均浓度值低于26.5微克/立方米。",
                keywords=("大气污染",),
            ),
            section="3",
        ),
        _entry(
            "gh-police",
            "guanhu",
            "观湖义警有多少人?",
            "创新群防群治模式,成立3000余人义警队伍。",
            keywords=("义警",),
        ),
        replace(
            _entry(
                "gh-library-plan",
                "guanhu",
                "观湖打算建图书馆吗?",
                "加快推动街道图书馆建设。",
                keywords=("图书馆",),
            ),
            section="3",
        ),
    ]
    sections = {(r, "1"): "工作回顾" for r in real.reports} | {
        (r, "3"): "工作重点" for r in real.reports
    }
    return Engine(synthetic_base(real, real.reports, sections, entries, []))


@pytest.mark.parametrize("target", ["目标是多少", "2020年的目标呢", "and the target for 2020?"])
@pytest.mark.parametrize("on", [True, False])
def test_a_target_of_what_was_measured_is_the_plans(targets: Engine, target: str, on: bool) -> None:
    ruled = targets if on else Engine(targets.kb, disabled=("target_in_plan",))
    (before, after), _ = turns(ruled, "观湖PM2.5均值是多少", target)
    assert [b.id for b in before.blocks] == ["gh-pm25"]
    if on:
        assert after.outcome == "answer" and [b.id for b in after.blocks] == ["gh-air-plan"]
    else:
        assert [b.id for b in after.blocks] != ["gh-air-plan"]


@pytest.mark.parametrize("target", ["那2022年的目标呢", "2019年的目标呢"])
def test_a_target_for_a_year_the_plan_is_not_of_is_not_the_plans(
    targets: Engine, target: str
) -> None:
    (_, after), _ = turns(targets, "观湖PM2.5均值是多少", target)
    assert [b.id for b in after.blocks] != ["gh-air-plan"]


def test_a_target_of_what_no_plan_measures_stays_declined(targets: Engine) -> None:
    (before, after), _ = turns(targets, "观湖打算建图书馆吗", "目标是多少")
    assert [b.id for b in before.blocks] == ["gh-library-plan"]
    assert after.outcome == "miss" or [b.id for b in after.blocks] == ["gh-library-plan"]


@pytest.mark.parametrize("on", [True, False])
def test_a_target_no_plan_states_is_a_figure_left_out(targets: Engine, on: bool) -> None:
    # Found in review4: after 3000余人义警队伍, "目标是多少" was that figure again, as if
    # it were the target (or, taken alone, the PM2.5 plan's target).
    ruled = targets if on else Engine(targets.kb, disabled=("target_unstated",))
    (before, after), _ = turns(ruled, "观湖义警有多少人", "目标是多少")
    assert [b.id for b in before.blocks] == ["gh-police"]
    if on:
        assert after.outcome == "miss" and not after.blocks, after
    else:
        assert [b.id for b in after.blocks] == ["gh-police"], after


@pytest.mark.parametrize("target", ["目标呢", "What is the target?", "what's the goal"])
def test_a_target_no_plan_states_is_declined_however_asked(targets: Engine, target: str) -> None:
    (_, after), _ = turns(targets, "观湖义警有多少人", target)
    assert after.outcome == "miss" and not after.blocks, after


def test_a_target_asked_after_an_answer_stating_one_is_not_declined(targets: Engine) -> None:
    (_, after), _ = turns(targets, "观湖打算怎么治理大气污染", "目标是多少")
    assert [b.id for b in after.blocks] == ["gh-air-plan"]


# --- a year asked again of another street -------------------------------------------


@pytest.fixture(scope="module")
def land() -> Engine:
    """Land banked in each street's year reviewed: 观湖's 2019, 坪山's 2020."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "gh-land",
            "guanhu",
            "观湖土地整备入库了多少面积?",
            "全区首创“社区征拆队”,土地整备入库34.9万平方米。",
            keywords=("土地整备",),
        ),
        _entry(
            "ps-land",
            "pingshan",
            "坪山土地整备入库了多少面积?",
            "完成转地11.37万平方米,土地移交入库1.83万平方米。",
            keywords=("土地整备",),
        ),
    ]
    return _engine_of(real, entries)


def test_a_year_only_the_first_street_covers_is_asked_as_such(land: Engine) -> None:
    # year_of_same_half (2019 asked of 坪山 read as its 2020) earned a turn on the first
    # dialog set and cost one on a held-out set: it was taken out. The year stays as asked.
    (before, after), _ = turns(land, "观湖2019年土地整备入库了多少面积", "那坪山呢")
    assert [b.id for b in before.blocks] == ["gh-land"]
    assert after.outcome == "miss" and after.understood is not None
    assert "2019年" in after.understood


def test_a_year_both_reports_cover_stays_as_asked(land: Engine) -> None:
    (_, after), _ = turns(land, "观湖2020年土地整备入库了多少面积", "那坪山呢")
    assert after.understood is not None and "2020年" in after.understood


# --- award_stated ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def awards() -> Engine:
    """Urban-village projects rated excellent, and a count that won nothing."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "ps-village-projects",
            "pingshan",
            "坪山的城中村治理怎么样?",
            "扎实推进城中村综合治理,黄果坜村、福昌村综合治理项目获评市级优秀项目。",
            keywords=("城中村治理",),
        ),
        _entry(
            "ps-polluters",
            "pingshan",
            "坪山整治了多少家散乱污企业?",
            "整治“散乱污”企业194家。",
            keywords=("散乱污",),
        ),
    ]
    return _engine_of(real, entries)


@pytest.mark.parametrize("on", [True, False])
def test_an_award_asked_is_the_answer_stating_one(awards: Engine, on: bool) -> None:
    ruled = awards if on else Engine(awards.kb, disabled=("award_stated",))
    (before, after), _ = turns(ruled, "坪山的城中村治理怎么样", "获了啥奖")
    assert [b.id for b in before.blocks] == ["ps-village-projects"]
    if on:
        assert after.outcome == "answer" and [b.id for b in after.blocks] == ["ps-village-projects"]
    else:
        assert after.outcome == "miss"


def test_an_award_of_an_answer_stating_none_stays_declined(awards: Engine) -> None:
    (_, after), _ = turns(awards, "坪山整治了多少家散乱污企业", "获了啥奖")
    assert after.outcome == "miss" and not after.blocks


# --- kind_after_clarify and figure_after_clarify: an option picked by what it states ----


@pytest.fixture(scope="module")
def childcare() -> Engine:
    """Two texts on 托育, one of them stating that it is free: a clarify offers both."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "ps-care-platform",
            "pingshan",
            "坪山的婴幼儿互助托育服务平台是什么?",
            "探索构建全市首个0-3岁婴幼儿互助托育服务平台,试行共建共治共享运营模式。",
        ),
        _entry(
            "ps-care-centre",
            "pingshan",
            "坪山的婴幼儿托育服务中心是什么?",
            "成立街道级互助式婴幼儿托育服务中心,以家长志愿服务时间置换婴幼儿免费托育服务。",
        ),
    ]
    return _engine_of(real, entries)


@pytest.fixture(scope="module")
def elderly() -> Engine:
    """Two texts on 养老, one holding the figure 4 as a number of its own."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [
        _entry(
            "ps-elderly-platform",
            "pingshan",
            "坪山的1+4+N养老平台是什么?",
            "建立“1+4+N”平台(1个街道级综合养老服务平台、4个社区级“医养结合”养老服务站)。",
        ),
        _entry(
            "ps-elderly-mutual",
            "pingshan",
            "坪山怎么探索互助养老?",
            "探索自助互助式养老服务模式,组建“银龄”志愿服务队。",
        ),
    ]
    return _engine_of(real, entries)


@pytest.mark.parametrize("on", [True, False])
@pytest.mark.parametrize(
    ("base", "rule", "asked", "offered", "message", "picked"),
    [
        # a detail that one option states by its kind (免费)
        (
            "childcare",
            "kind_after_clarify",
            "坪山婴幼儿托育",
            ("ps-care-platform", "ps-care-centre"),
            "Is it free?",
            "ps-care-centre",
        ),
        # a figure that one option holds as a number of its own (4个社区级…养老服务站)
        (
            "elderly",
            "figure_after_clarify",
            "坪山养老有啥新搞法",
            ("ps-elderly-mutual", "ps-elderly-platform"),
            "那4个是指啥",
            "ps-elderly-platform",
        ),
    ],
)
def test_after_a_clarify_what_one_option_states_picks_it(
    request: pytest.FixtureRequest,
    base: str,
    rule: str,
    asked: str,
    offered: tuple[str, ...],
    message: str,
    picked: str,
    on: bool,
) -> None:
    engine: Engine = request.getfixturevalue(base)
    ruled = engine if on else Engine(engine.kb, disabled=(rule,))
    conversation = Conversation(
        question=asked, outcome="clarify", street="pingshan", offered=offered, time=NOW - 1
    )
    (after,), _ = turns(ruled, message, start=conversation)
    if on:
        assert after.outcome == "answer" and [b.id for b in after.blocks] == [picked]
    else:
        assert [b.id for b in after.blocks] != [picked]


def test_a_number_alone_after_a_clarify_is_still_a_choice_by_number(elderly: Engine) -> None:
    conversation = Conversation(
        question="坪山养老有啥新搞法",
        outcome="clarify",
        street="pingshan",
        offered=("ps-elderly-mutual", "ps-elderly-platform"),
        time=NOW - 1,
    )
    (after,), _ = turns(elderly, "1", start=conversation)
    assert [b.id for b in after.blocks] == ["ps-elderly-mutual"]


@pytest.mark.parametrize(
    ("asked", "again"),
    [
        # the street in play put its Chinese name before an English question
        ("观湖街道And the target for 2020?", "And the target for 2020? in Pingshan Subdistrict?"),
        ("How does Guanhu sort garbage?", "How does Pingshan sort garbage?"),
    ],
)
def test_an_english_question_asked_again_names_the_street_in_english(
    tg_engine: Engine, asked: str, again: str
) -> None:
    # Found in review: "Pingshan Subdistrict: 观湖街道And the target for 2020? in Pingshan
    # Subdistrict?" was the understood line of "And Pingshan?".
    assert tg_engine.followups.in_english_of_street(asked, "pingshan") == again
