"""Replies do not depend on PYTHONHASHSEED: every process (the bot, CI, `policybot ask`)
gets a random one, so anything iterated in a set's order must not reach a score, a tie or
the first match. A query's grams were summed in set order: "when will metro line 4 reach
our area" scored 0.6154 under one seed and 0.618 under another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_matching_rules import _entry, synthetic_base

from bot.engine.answering import Engine
from bot.engine.postings import grams_of
from bot.knowledge.loading import load_knowledge

ROOT = Path(__file__).resolve().parents[1]

# The first questions of the training set english-2, answered from the generated knowledge
# only: the lexicon's concept coverage sums many grams' weights, so English questions are
# where the order of a sum showed (the metro question, 22nd, differed under seeds 0 and 3).
ENGLISH_2 = ROOT / "tests" / "eval" / "english-2.yaml"
ASKED = 30
ASK = ("ask", "--json", "--no-log", "--generated-only", "-")


@pytest.fixture(scope="module")
def engine() -> Engine:
    """One entry on the real reports, no sentence model: the index and follow-ups only."""
    real = load_knowledge(ROOT, generated_only=True)
    entries = [_entry("ps-metro", "pingshan", "地铁什么时候通车?", "推动轨道4号线年内通车。")]
    return Engine(synthetic_base(real, real.reports, {}, entries, []), model="none")


def test_grams_come_each_once_in_the_order_of_the_text() -> None:
    assert grams_of("天气好天气") == (("天", "气", "好"), ("天气", "气好", "好天"))
    assert grams_of("") == ((), ())


def test_a_query_weighs_its_grams_in_the_order_of_the_text(engine: Engine) -> None:
    unigrams, bigrams = engine.matcher.index.weights("地铁号线地铁通车")
    assert list(unigrams) == ["地", "铁", "号", "线", "通", "车"]
    assert list(bigrams) == ["地铁", "铁号", "号线", "线地", "铁通", "通车"]


def test_street_names_of_one_length_are_tried_in_a_fixed_order(engine: Engine) -> None:
    names = engine.followups._names
    assert names == sorted(names, key=lambda pair: (-len(pair[0]), pair))
    sounds = engine.followups._sounds
    assert sounds == sorted(sounds, key=lambda pair: (-len(pair[0]), pair))


def _asked(seed: str, questions: list[str], tmp_path: Path) -> list[dict[str, object]]:
    environment = {
        **os.environ,
        "PYTHONHASHSEED": seed,
        "POLICYBOT_ROOT": str(ROOT),
        "POLICYBOT_DB": str(tmp_path / f"policybot-{seed}.db"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *ASK],
        input="\n".join(questions) + "\n",
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    for reply in replies:
        reply.pop("ms", None)  # how long it took is the one thing allowed to differ
    return replies


@pytest.mark.slow  # two child processes loading the model
def test_two_hash_seeds_give_the_same_replies(tmp_path: Path) -> None:
    questions = [item["q"] for item in yaml.safe_load(ENGLISH_2.read_text("utf-8"))][:ASKED]
    assert "when will metro line 4 reach our area" in questions
    first, second = _asked("0", questions, tmp_path), _asked("3", questions, tmp_path)
    assert len(first) == ASKED
    assert first == second
