"""A plan or review asked for as a whole (the ``outline`` rule): the parts the report tells
it in, offered by their headings, on the real reports in both modes."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_conversations import turns

from bot.engine.answering import Engine
from bot.engine.languages import EN
from bot.engine.policy import Reason
from bot.knowledge.loading import load_knowledge
from bot.knowledge.problems import KnowledgeError

ROOT = Path(__file__).resolve().parents[1]
PINGSHAN_PLAN = "慎终如始,毫不松懈抓好常态化疫情防控工作"
GUANHU_PLAN = "狠抓营商环境优化,全力打造高质量发展的智造观湖"
PINGSHAN_REVIEW = "坚持人民至上、生命至上,同心勠力齐战“疫”"
GUANHU_REVIEW = "这一年,我们着力优化营商环境,经济发展稳中向好"


@pytest.fixture(scope="module")
def generated() -> Engine:
    # What a brand-new report gives: the outline needs no hand-written entry.
    return Engine.load(ROOT, generated_only=True)


def labels(reply) -> list[str]:
    return [s.question for s in reply.suggestions]


@pytest.mark.parametrize(
    ("question", "offered", "left_out"),
    [
        ("坪山2021年计划做什么", PINGSHAN_PLAN, GUANHU_PLAN),
        ("坪山街道2021年工作计划", PINGSHAN_PLAN, GUANHU_PLAN),
        ("平山明年的工作安排", PINGSHAN_PLAN, GUANHU_PLAN),  # a street by its sound
        ("观湖2020年工作重点是什么", GUANHU_PLAN, PINGSHAN_PLAN),
        ("观湖去年做了啥", GUANHU_REVIEW, PINGSHAN_PLAN),
        # (once a miss asking which programme: the review is what was done)
        ("坪山街道做了哪些工作", PINGSHAN_REVIEW, PINGSHAN_PLAN),
        ("what are pingshan's plans for 2021", PINGSHAN_PLAN, GUANHU_PLAN),
        ("what did guanhu do last year", GUANHU_REVIEW, GUANHU_PLAN),
        # a chat's 那 opening it names nothing (it had found nothing)
        ("那坪山2020年做了什么", PINGSHAN_REVIEW, PINGSHAN_PLAN),
    ],
)
def test_a_plan_or_review_asked_as_a_whole_offers_its_parts(
    generated: Engine, question: str, offered: str, left_out: str
) -> None:
    # (as a chat asks: a street typed by its sound is read as the street there)
    (reply,), _ = turns(generated, question)
    assert reply.outcome == "clarify" and reply.reason is Reason.OUTLINE
    shown = labels(reply)
    assert any(offered in label for label in shown)
    assert not any(left_out in label for label in shown)


def test_each_part_is_labelled_as_the_report_writes_it(generated: Engine) -> None:
    reply = generated.ask("坪山2021年计划做什么")
    report = generated.kb.reports["pingshan-2020"].text
    assert len(reply.suggestions) == 5  # 三、(一) to (五)
    assert all(label in report for label in labels(reply))
    # where it is told, as every quote is
    assert "坪山街道" in reply.text and "2021年工作计划" in reply.text


def test_no_street_named_offers_each_streets_plan_by_name(generated: Engine) -> None:
    reply = generated.ask("今年有什么计划")
    assert reply.reason is Reason.OUTLINE
    assert any(label.startswith("坪山街道:") for label in labels(reply))
    assert any(label.startswith("观湖街道:") for label in labels(reply))


@pytest.mark.parametrize(
    "question",
    [
        "坪山今年要建地铁吗",  # a thing named is a question of its own
        "pm 2.5 target for guanhu this year",  # so is a figure or a code
        "坪山2021年",  # a year alone asks nothing
        "落实得怎么样",  # how something went, of no programme: which one is asked
        "今年做了什么",  # this year's plan or what was done: which half is not said
    ],
)
def test_a_question_naming_something_is_no_outline(generated: Engine, question: str) -> None:
    assert generated.ask(question).reason is not Reason.OUTLINE


def test_a_year_no_report_plans_is_declined_before(generated: Engine) -> None:
    reply = generated.ask("坪山街道2023年工作计划是什么")
    assert reply.outcome == "miss" and reply.reason is Reason.UNCOVERED_YEAR


def test_a_part_chosen_by_number_gives_its_text_with_the_sentence_after_a_headline(
    generated: Engine,
) -> None:
    (outline, chosen), _ = turns(generated, "坪山2021年计划做什么", "2")
    assert outline.reason is Reason.OUTLINE
    assert chosen.outcome == "answer"
    # 一是加快拓展城市发展优质空间。 names a line of work; what follows it says what
    assert chosen.blocks[0].body == "一是加快拓展城市发展优质空间。"
    assert "征收拆迁" in chosen.blocks[1].body


@pytest.mark.parametrize("on", [True, False])
def test_a_longer_headline_chosen_gives_the_sentence_after_it(on: bool) -> None:
    # 这一年,我们着力做好“政治体检”,全体党员干部经受一次深刻的思想洗礼。 is a part's
    # label (up to 40 characters) but longer than the headlines answered with a body (30):
    # tapped, it had come alone, stating nothing of what was done.
    engine = Engine.load(ROOT, generated_only=True, disabled=() if on else ("headline_body",))
    (outline, chosen), _ = turns(engine, "观湖去年做了啥", "2")
    assert outline.reason is Reason.OUTLINE
    assert chosen.blocks[0].body.startswith("这一年,我们着力做好“政治体检”")
    if on:
        assert len(chosen.blocks) == 2 and "主题教育" in chosen.blocks[1].body
    else:
        assert len(chosen.blocks) == 1


def test_the_other_half_asked_after_an_outline_is_its_outline(generated: Engine) -> None:
    # "那去年做了什么" had found 观湖's plan's opening (2020年是全面建成小康社会…之年) as an
    # answer: with 那 read as pointing back, it is 坪山's review, the street in play.
    (_, review), _ = turns(generated, "坪山2021年计划做什么", "那去年做了什么")
    assert review.reason is Reason.OUTLINE
    shown = labels(review)
    assert any(PINGSHAN_REVIEW in label for label in shown)
    assert not any(GUANHU_REVIEW in label for label in shown)


def test_another_street_asked_after_an_outline_gets_that_streets_or_says_it_has_none(
    generated: Engine,
) -> None:
    (_, guanhu), _ = turns(generated, "坪山今年有什么计划", "那观湖呢")
    assert guanhu.reason is Reason.OUTLINE
    assert any(GUANHU_PLAN in label for label in labels(guanhu))
    (_, missing), _ = turns(generated, "坪山街道2021年工作计划", "那观湖呢")
    assert missing.outcome == "miss"  # 观湖's report plans 2020, not 2021


def test_an_english_outline_is_introduced_in_english(generated: Engine) -> None:
    reply = generated.ask("what are pingshan's plans for 2021")
    assert reply.language == EN
    assert "the report tells it in the parts below" in reply.text
    assert any(PINGSHAN_PLAN in label for label in labels(reply))


@pytest.mark.parametrize("on", [True, False])
def test_the_rule_on_and_off(on: bool) -> None:
    engine = Engine.load(ROOT, generated_only=True, disabled=() if on else ("outline",))
    reply = engine.ask("坪山2021年计划做什么")
    assert (reply.reason is Reason.OUTLINE) == on


def test_outline_words_must_name_a_half(make_project) -> None:
    project = make_project("intents")
    scope = project / "intents" / "scope.yaml"
    scope.write_text(scope.read_text(encoding="utf-8") + "  someday: [以后]\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(project)
    problems = [str(p) for p in caught.value.problems]
    assert any("someday" in p and "plan or review" in p for p in problems), problems


@pytest.mark.parametrize("asked", ["坪山2021年计划做什么", "观湖去年做了啥"])
def test_a_plan_named_by_street_or_year_after_an_answer_is_no_detail_of_it(
    tg_engine: Engine, asked: str
) -> None:
    # Found in a terminal chat: after the 托育 answer, 坪山2021年计划做什么 was asked of
    # 托育 ("the report gives no such detail"), and the "2" that followed chose nothing.
    (first, plan, part), _ = turns(tg_engine, "我家孩子两岁,有托育服务吗", asked, "2")
    assert first.outcome == "answer"
    assert plan.reason is Reason.OUTLINE and plan.understood is None
    assert part.outcome == "answer" and part.blocks


def test_a_year_alone_after_an_answer_still_asks_it_of_that_answer(tg_engine: Engine) -> None:
    (_, last_year), _ = turns(tg_engine, "观湖的民生实事", "去年呢")
    assert last_year.reason is not Reason.OUTLINE
    assert (last_year.understood or "").startswith("观湖的民生实事")
