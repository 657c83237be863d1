"""English replies (bot/engine/languages.py, messages_en.py, rendering.py): the language a
reply is in, an English answer with its rendering, the Chinese original and both
citations, a passage with no rendering, English misses, clarifies, intents and follow-ups,
and Chinese replies left as they were."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.engine import messages, messages_en
from bot.engine.answering import Block, Engine, Reply, Source
from bot.engine.languages import EN, ZH, english_name, reply_language
from bot.engine.policy import Match, Outcome, Reason
from bot.engine.rendering import render_html, render_text
from bot.engine.textnorm import fold

CHILDCARE = "孩子两岁有托育服务吗"
FIRMS = "坪山街道整治了多少家散乱污企业"


def han(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


@pytest.fixture(scope="module")
def engine(tg_engine: Engine) -> Engine:
    return tg_engine


@pytest.mark.parametrize(
    ("question", "chosen", "language"),
    [
        ("Is there childcare for a two-year-old?", None, EN),
        ("Is there childcare for a two-year-old?", ZH, EN),  # English asked: English
        (CHILDCARE, None, ZH),
        (CHILDCARE, EN, EN),  # the user chose English
        ("", EN, EN),
        ("88", None, ZH),
        # a code (PM2.5, 5G) or one borrowed word in Chinese is no English question
        ("PM2.5多少", None, ZH),
        ("5G基站建了几个", None, ZH),
        ("wifi密码是多少", None, ZH),
        ("Guanhu呢", None, ZH),
        ("What is the PM2.5 in Guanhu?", None, EN),
        ("what is 六零", None, EN),
    ],
)
def test_the_language_of_a_reply(question: str, chosen: str | None, language: str) -> None:
    assert reply_language(question, chosen) == language


def test_an_english_answer_gives_the_rendering_the_original_and_both_sources(
    engine: Engine,
) -> None:
    reply = engine.ask(FIRMS, language=EN)
    assert reply.outcome == "answer" and reply.language == EN
    entry = engine.kb.entries[reply.entry_id or ""]
    assert entry.answer_en is not None
    text = render_text(reply)
    street = engine.kb.streets[entry.street]
    report = engine.kb.reports[entry.report]
    order = [
        text.index(messages_en.TRANSLATION_LABEL),
        text.index(entry.answer_en),
        text.index(messages_en.ORIGINAL_LABEL),
        text.index(entry.answer),
        text.index(messages_en.SOURCE_PREFIX + street.name_en),
        text.index(messages.SOURCE_PREFIX + street.name),
    ]
    assert order == sorted(order)
    assert f'"{report.title_en}"' in text and "section " in text
    assert "unofficial translation" in text


def test_buttons_of_an_english_reply_carry_english_questions(engine: Engine) -> None:
    reply = engine.ask("Is there childcare for a two-year-old?")
    assert reply.language == EN and reply.suggestions
    for suggestion in reply.suggestions:
        entry = engine.kb.entries.get(suggestion.id)
        if entry is not None and entry.question_en:
            assert suggestion.question == entry.question_en


def test_a_passage_without_a_rendering_says_in_one_sentence_what_it_is(engine: Engine) -> None:
    passage = engine.kb.passages[0]
    reply = engine.entry_reply(passage.id, language=EN)
    assert reply is not None and reply.language == EN
    text = render_text(reply)
    report = engine.kb.reports[passage.report]
    note = messages_en.untranslated(
        messages_en.PASSAGE_KIND, report.street_name_en or "", report.title_en or ""
    )
    assert note in text and passage.text in text
    assert note.count(".") == 1 and messages_en.TRANSLATION_LABEL not in text  # none invented


def test_an_entry_with_no_rendering_is_quoted_in_chinese_with_its_note(engine: Engine) -> None:
    reply = engine.ask(CHILDCARE)
    block = reply.blocks[0]
    bare = Reply(
        reply.question,
        "answer",
        blocks=(Block(block.id, block.title, block.body, block.source),),
        language=EN,
    )
    text = render_text(bare)
    assert messages_en.ENTRY_KIND in text and block.body in text
    assert messages_en.TRANSLATION_LABEL not in text


MISSES = [
    (Reason.EMPTY, None),
    (Reason.OTHER_PLACE, "Futian"),
    (Reason.UNSTATED_DETAIL, "phone number"),
    (Reason.UNSTATED_FIGURE, None),
    (Reason.UNCOVERED_YEAR, "2015"),
    (Reason.UNCOVERED_TOPIC, "social insurance"),
    (Reason.LOW_SCORE, None),
]


@pytest.mark.parametrize(("reason", "detail"), MISSES, ids=[m[0].name for m in MISSES])
def test_every_miss_has_an_english_text(engine: Engine, reason: Reason, detail: str | None) -> None:
    match = Match(Outcome.MISS, reason, 0.0, detail=detail)
    text = engine.english.miss_text(match, "电话号码")
    assert text and han(text) == 0, text
    assert detail is None or detail in text
    if reason in (Reason.OTHER_PLACE, Reason.LOW_SCORE):
        assert all(s.name_en and s.name_en in text for s in engine.kb.streets.values())


def test_a_miss_in_english(engine: Engine) -> None:
    reply = engine.ask("公积金怎么提取", language=EN)
    assert reply.outcome == "miss" and reply.language == EN
    assert reply.text.startswith("The reports of") and han(reply.text) <= 3
    assert render_text(reply).count(messages_en.SUGGESTIONS_HEADING["miss"]) == 1


def test_a_clarify_in_english(engine: Engine) -> None:
    reply = engine.ask("公园", language=EN)
    assert reply.outcome == "clarify"
    assert reply.text in (messages_en.CLARIFY_SEVERAL, messages_en.CLARIFY_ONE)


def test_an_intent_in_english_names_the_streets_from_the_data(engine: Engine) -> None:
    reply = engine.ask("hello")
    assert reply.outcome == "intent" and reply.language == EN
    assert engine.english.streets() in reply.text and han(reply.text) == 0
    human = engine.ask("talk to a human")
    assert human.outcome == "intent" and "{" not in human.text


def test_a_follow_up_says_in_english_what_it_understood(engine: Engine) -> None:
    _, conversation = engine.reply(FIRMS, language=EN)
    second, _ = engine.reply("那观湖呢", conversation, language=EN)
    guanhu = next(s for s in engine.kb.streets.values() if s.name == "观湖街道")
    assert second.understood is not None
    assert second.understood.startswith(f"{guanhu.name_en}{messages_en.UNDERSTOOD_SEPARATOR}")
    assert render_text(second).startswith(second.understood)


def test_chinese_replies_stay_chinese(engine: Engine) -> None:
    reply = engine.ask(FIRMS)
    assert reply.language == ZH
    text = render_text(reply)
    assert messages_en.SOURCE_PREFIX not in text and messages_en.TRANSLATION_LABEL not in text


def test_english_html_is_escaped(engine: Engine) -> None:
    source = Source(
        "甲街道", "报告", "一、", "", "2020", True, None, "A <Street>", "R&D", "section 1", "2020"
    )
    block = Block("x", "问题", "<原文>", source, "Q <en>?", "Rendering <b>bold</b> & co")
    html = render_html(Reply("q", "answer", blocks=(block,), language=EN))
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html
    assert "&lt;原文&gt;" in html and "A &lt;Street&gt;" in html and "R&amp;D" in html
    assert re.sub(r"</?(b|i)>", "", html).count("<") == 0


def test_glossary_entries_have_english_names(engine: Engine) -> None:
    named: dict[str, Any] = {e.id: english_name(e) for e in engine.kb.glossary}
    assert named["gh-term-08"] == "road chief system"
    assert sum(1 for name in named.values() if name) >= len(named) // 2


@pytest.mark.parametrize(
    ("question", "reason", "words"),
    [
        ("do you like the garbage sorting in pingshan", Reason.OPINION, "no opinions"),
        ("你觉得坪山的垃圾分类好吗", Reason.OPINION, "不发表看法"),
        (
            "Can you write a complaint letter about the BBQ smoke for me?",
            Reason.REQUEST,
            "cannot act for you",
        ),
        ("帮我投诉一下楼下那家烧烤店", Reason.REQUEST, "不能替您办事"),
        ("麻烦你帮我预约一下托育中心", Reason.REQUEST, "不能替您办事"),
    ],
)
def test_an_opinion_or_a_request_is_declined_as_such_in_either_language(
    tg_engine: Engine, question: str, reason: Reason, words: str
) -> None:
    reply = tg_engine.ask(question)
    assert reply.outcome == "miss" and reply.reason is reason and words in reply.text


@pytest.mark.parametrize(
    "question",
    [
        "街道能帮我调解纠纷吗",  # what the street does, not a request to the bot
        "can you tell me about childcare in pingshan",
        "社区能帮忙实现微心愿吗",
    ],
)
def test_asking_what_someone_else_does_is_no_request(tg_engine: Engine, question: str) -> None:
    assert tg_engine.ask(question).reason is not Reason.REQUEST


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        # folded, "arealpersonplease" would hold the phrase only inside a longer word
        ("can i talk to a real person please", "human"),
        # a phrase of one word ("help") is too common to count inside a longer message
        ("how to renew my work visa, pls help", None),
    ],
)
def test_an_english_intent_phrase_is_found_by_its_words(
    tg_engine: Engine, question: str, intent: str | None
) -> None:
    assert tg_engine.ask(question).intent == intent


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        # a pay asked as an amount is a detail the reports never give ...
        ("how much salary do grid workers get", Reason.UNSTATED_DETAIL),
        # ... as is where to buy something
        ("where can i buy a drone", Reason.UNSTATED_DETAIL),
        # whether something is any good asks an opinion
        ("is the local tennis club any good", Reason.OPINION),
    ],
)
def test_english_questions_the_reports_cannot_answer_are_declined(
    engine: Engine, question: str, reason: Reason
) -> None:
    reply = engine.ask(question)
    assert reply.outcome == "miss" and reply.language == EN
    assert engine.matcher.match(question).reason == reason


def test_the_winner_of_a_race_is_never_answered(engine: Engine) -> None:
    # the reports name the races held, not who won them
    question = "who won the dragon boat race last year"
    assert engine.matcher.questions.detail_asked(fold(question)) == "whowon"
    assert engine.ask(question).outcome != "answer"


def test_a_wage_dispute_is_no_question_about_an_amount(engine: Engine) -> None:
    # "salary" alone once made every mention of pay a detail the reports never give
    question = "my boss won't pay my salary, is there a mediation committee for labour disputes"
    assert engine.matcher.match(question).reason != Reason.UNSTATED_DETAIL
    reply = engine.ask(question)
    assert reply.outcome == "answer" and reply.language == EN
    assert "劳动争议调解委员会" in "".join(block.body for block in reply.blocks)


def test_every_detail_the_scope_file_labels_is_named_in_english(engine: Engine) -> None:
    # An English miss names the detail the reports leave out; a label with no English
    # name would fall back to "that detail".
    labels = set(engine.kb.unstated_details)
    assert labels <= set(messages_en.DETAIL_LABELS), labels - set(messages_en.DETAIL_LABELS)


@pytest.mark.parametrize(
    "question",
    ["who is the river chief of Guanhu", "Who's the team leader of the volunteer police?"],
)
def test_a_post_holder_asked_with_words_between_is_a_name_not_given(
    engine: Engine, question: str
) -> None:
    # "who is the…chief": the words between its parts are the question's own, found whole
    reply = engine.ask(question)
    assert reply.outcome == "miss" and reply.reason is Reason.UNSTATED_DETAIL
    assert "names of the people in charge" in reply.text


def test_a_chinese_follow_up_with_a_code_stays_chinese(engine: Engine) -> None:
    # "PM2.5多少" was read as English: an English reply, then "观湖呢" understood as
    # "观湖街道：PM2.5多少 in Guanhu Subdistrict?"
    conversation = None
    replies = []
    for n, message in enumerate(("坪山空气怎么样", "PM2.5多少", "观湖呢")):
        reply, conversation = engine.reply(message, conversation, 1_800_000_000.0 + n)
        replies.append(reply)
    assert [r.language for r in replies] == [ZH, ZH, ZH]
    assert replies[2].understood == "观湖街道：PM2.5多少"
