"""Missed questions grouped by meaning: worded apart but near in the engine's sentence
vectors, one group labelled by its most central question; apart in meaning, apart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.curation.groups import (
    GROUP_AT,
    MEANING_AT,
    cluster,
    grouping_lexicon,
    meaning_for,
    missed_groups,
    similarity,
)
from bot.engine.answering import Reply
from bot.engine.textnorm import content
from bot.store.curator_queries import MissedQuestion
from bot.store.question_log import Store
from bot.store.records import QuestionRecord

# Worded apart (the grouping key's score is below GROUP_AT), the same in meaning.
SAME_MEANING = [("社保怎么交", "社保怎么缴费"), ("打疫苗去哪", "疫苗接种点在哪")]
# Worded apart and far apart for the model (托儿所 / 娃没人带: cosine 0.30), one thing in the
# reports' words: the everyday lexicon reads each as 托育.
CHILDCARE = ("娃没人带", "孩子白天谁看", "托儿所")
# Worded alike in part, about different things: they stay apart.
APART = [("坪山有没有停车场", "坪山有没有游泳池"), ("坪山哪里可以打疫苗", "坪山哪里可以办护照")]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.delenv("POLICYBOT_MODEL", raising=False)
    opened = Store(tmp_path / "log.db").open()
    yield opened
    opened.close()


def log_missed(store: Store, *texts: str) -> list[str]:
    ids = []
    for text in texts:
        reply = Reply(question=text, outcome="miss", normalized=content(text), reason="low score")
        record = QuestionRecord.of(
            reply, normalize=content, channel="telegram", chat_kind="private", seconds=0.01
        )
        ids.append(store.log_question(record, user_id=7))
    store.flush()
    return ids


@pytest.mark.parametrize(("first", "second"), SAME_MEANING)
def test_worded_apart_same_in_meaning_is_one_group(store: Store, first: str, second: str):
    assert similarity(content(first), content(second)) < GROUP_AT
    ids = log_missed(store, first, second)
    (group,) = missed_groups(store)
    assert group.id == "g" + ids[0][:6] and group.count == 2


@pytest.mark.parametrize(("first", "second"), APART)
def test_apart_in_meaning_stays_apart(store: Store, first: str, second: str) -> None:
    log_missed(store, first, second)
    assert [g.count for g in missed_groups(store)] == [1, 1]


def test_the_label_is_the_most_central_question(store: Store) -> None:
    log_missed(store, "社保怎么缴费", "社保怎么交", "社保怎么交费", "社保要交多少")
    groups = missed_groups(store)
    biggest = groups[0]
    assert biggest.label in {q.text for q in biggest.questions}
    assert biggest.summary()["label"] == biggest.label
    meaning = meaning_for("use")
    assert meaning is not None
    vectors = meaning.vectors([q.text for q in biggest.questions])
    sums = (vectors @ vectors.T).sum(axis=1)
    assert biggest.label == biggest.questions[int(sums.argmax())].text


def test_without_a_model_wording_alone(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYBOT_MODEL", "none")
    log_missed(store, *SAME_MEANING[0])
    groups = missed_groups(store)
    assert [g.count for g in groups] == [1, 1]
    assert groups[0].label == groups[0].texts[0]  # the most asked wording


def test_every_model_has_a_threshold() -> None:
    from bot.engine.semantic import MODELS

    assert set(MODELS) - {"none"} == set(MEANING_AT)
    assert meaning_for("none") is None
    assert cluster([], meaning=meaning_for("use")) == []


def test_what_the_lexicon_reads_alike_is_one_group(store: Store) -> None:
    log_missed(store, *CHILDCARE, "坪山有没有游泳池")
    groups = missed_groups(store)
    assert sorted(g.count for g in groups) == [1, 3]
    assert set(groups[0].texts) == set(CHILDCARE)
    assert groups[0].label in CHILDCARE


@pytest.mark.parametrize("lexicon", [True, False], ids=["lexicon on", "lexicon off"])
def test_the_lexicon_rule_on_and_off(lexicon: bool) -> None:
    questions = [
        MissedQuestion(
            f"{n:032x}",
            "2026-12-01T00:00:00+00:00",
            text,
            content(text),
            "cli",
            "miss",
            "low score",
        )
        for n, text in enumerate(CHILDCARE, start=1)
    ]
    groups = cluster(
        questions, meaning=meaning_for("use"), lexicon=grouping_lexicon() if lexicon else None
    )
    assert len(groups) == (1 if lexicon else 3)
