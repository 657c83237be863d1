"""`policybot calibrate`: fit the probability that a candidate answer is right.

Every labeled question of the training sets is matched twice, with the hand-written FAQ
files and with only what `policybot build` generates (what a brand-new report gives), and
each of its candidates becomes one example: right when its text holds the labeled quote,
wrong otherwise (every candidate of a question to decline is wrong). The sets held out
for checking (``HELD_OUT``) are never read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.engine import Engine
from bot.evaluation import Labeled, load_questions
from bot.matching import DECIDED_BEFORE_SCORING
from bot.privacy import without_personal_data
from bot.scoring import (
    PRIOR,
    calibration_entry,
    fit,
    log_loss,
    reliability,
    write_calibration,
)
from bot.textnorm import clean, fold, strip_markup

TRAINING_SETS = ("questions.yaml", "residents-2.yaml", "residents-3.yaml", "english-2.yaml")
# Written before any tuning and never fitted on: the honest check of what generalises.
HELD_OUT = ("residents-4.yaml", "english.yaml")
L2 = 1.0
FRONT = 3  # candidates per question, by the prior score, that the model is fitted on


@dataclass
class Examples:
    rows: np.ndarray
    labels: np.ndarray
    groups: np.ndarray  # which training set each row comes from (for cross-validation)
    questions: np.ndarray  # which question, to find each question's best candidate


def _right(item: Labeled, text: str) -> bool:
    return any(fold(quote) in text for quote in item.quotes)


def collect(engines: Sequence[Engine], sets: dict[str, list[Labeled]]) -> Examples:
    """One row per candidate of every question, in every engine (mode)."""
    rows, labels, groups, questions = [], [], [], []
    number = 0
    for engine in engines:
        matcher = engine.matcher
        for group, (_, items) in enumerate(sorted(sets.items())):
            for item in items:
                if item.expect == "intent":
                    continue
                text = clean(without_personal_data(strip_markup(clean(item.question))))
                folded = fold(text)
                if not folded or matcher.match(text).reason in DECIDED_BEFORE_SCORING:
                    continue
                assessed = matcher.assess(text, folded, matcher.street_of(folded))
                # The decision is about the front of the ranking: fitted on every candidate,
                # the easy wrong ones far down would teach the model little but weigh most.
                prior = PRIOR.probability(np.array([c.features for c in assessed]))
                front = set(np.argsort(-prior, kind="stable")[:FRONT]) if len(assessed) else set()
                for place, candidate in enumerate(assessed):
                    if place not in front:
                        continue
                    rows.append(candidate.features)
                    labels.append(float(item.expect == "answer" and _right(item, candidate.answer)))
                    groups.append(group)
                    questions.append(number)
                number += 1
    return Examples(
        np.array(rows), np.array(labels), np.array(groups), np.array(questions, dtype=np.int64)
    )


def _top_of_each_question(p: np.ndarray, examples: Examples) -> tuple[np.ndarray, np.ndarray]:
    """The best candidate's probability and whether it was right, per question."""
    best: dict[int, tuple[float, float]] = {}
    for probability, label, question in zip(p, examples.labels, examples.questions, strict=True):
        if question not in best or probability > best[question][0]:
            best[question] = (float(probability), float(label))
    values = np.array(list(best.values()))
    return values[:, 0], values[:, 1]


def cross_validate(examples: Examples) -> dict[str, Any]:
    """Leave one training set out at a time; how well the held-out probabilities agree
    with what happened."""
    p = np.zeros(len(examples.labels))
    for group in np.unique(examples.groups):
        test = examples.groups == group
        means, scales, weights, bias = fit(examples.rows[~test], examples.labels[~test], L2)
        z = ((examples.rows[test] - means) / scales) @ weights + float(bias)
        p[test] = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    top_p, top_right = _top_of_each_question(p, examples)
    return {
        "log_loss": round(log_loss(p, examples.labels), 4),
        "brier": round(float(np.mean((p - examples.labels) ** 2)), 4),
        "best_candidate_by_band": reliability(top_p, top_right),
    }


def calibrate(root: Path, model: str, eval_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Fit on the training sets in both modes, write the model's section of the file."""
    sets = {name: load_questions(eval_dir / name) for name in TRAINING_SETS}
    engines = [
        Engine.load(root, generated_only=generated, model=model, disabled=())
        for generated in (False, True)
    ]
    examples = collect(engines, sets)
    validation = cross_validate(examples)
    means, scales, weights, bias = fit(examples.rows, examples.labels, L2)
    summary = {
        "trained_on": list(TRAINING_SETS),
        "modes": ["with FAQ files", "generated only"],
        "candidates": len(examples.labels),
        "right": int(examples.labels.sum()),
        "cross_validated": validation,
    }
    entry = calibration_entry(means, scales, weights, float(bias), summary)
    return write_calibration(root, model, entry), summary
