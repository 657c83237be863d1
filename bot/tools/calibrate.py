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

from bot.engine.answering import Engine
from bot.engine.matching import DECIDED_BEFORE_SCORING
from bot.engine.scoring import (
    PRIOR,
    calibration_entry,
    fit,
    lead_features,
    log_loss,
    reliability,
    write_calibration,
)
from bot.engine.textnorm import clean, fold, strip_markup
from bot.privacy import without_personal_data
from bot.tools.evaluation import Labeled, load_questions

TRAINING_SETS = (
    "questions.yaml",
    "residents-2.yaml",
    "residents-3.yaml",
    "english-2.yaml",
    "declines-train.yaml",
)
# Written before any tuning and never fitted on: the honest check of what generalises.
HELD_OUT = ("residents-4.yaml", "english.yaml", "english-3.yaml")
L2 = 1.0
LEAD_L2 = 0.1
FRONT = 3  # candidates per question, by the prior score, that the model is fitted on


@dataclass
class Examples:
    rows: np.ndarray
    labels: np.ndarray
    groups: np.ndarray  # which training set each row comes from (for cross-validation)
    questions: np.ndarray  # which question, to find each question's best candidate
    answers: list[str]  # each candidate's folded text, to tell rivals from the same answer


def _right(item: Labeled, text: str) -> bool:
    return any(fold(quote) in text for quote in item.quotes)


def collect(engines: Sequence[Engine], sets: dict[str, list[Labeled]]) -> Examples:
    """One row per candidate of every question, in every engine (mode)."""
    rows, labels, groups, questions, answers = [], [], [], [], []
    number = 0
    for engine in engines:
        matcher = engine.matcher
        for group, (_, items) in enumerate(sorted(sets.items())):
            for item in items:
                # A greeting or a thanks that reaches scoring has no right candidate: the
                # model learns that a sentence which merely thanks someone too is no answer.
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
                    answers.append(candidate.answer)
                    labels.append(float(item.expect == "answer" and _right(item, candidate.answer)))
                    groups.append(group)
                    questions.append(number)
                number += 1
    return Examples(
        np.array(rows),
        np.array(labels),
        np.array(groups),
        np.array(questions, dtype=np.int64),
        answers,
    )


def _leads(p: np.ndarray, examples: Examples) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question: the second stage's inputs for its best candidate, whether that
    candidate is right, and the training set the question comes from."""
    inputs, right, groups = [], [], []
    for question in np.unique(examples.questions):
        rows = np.flatnonzero(examples.questions == question)
        order = rows[np.argsort(-p[rows], kind="stable")]
        best = order[0]
        rival = next(
            (j for j in order[1:] if not _same(examples.answers[best], examples.answers[j])),
            None,
        )
        inputs.append(lead_features(p[best], p[rival] if rival is not None else 0.0))
        right.append(examples.labels[best])
        groups.append(examples.groups[best])
    return np.array(inputs), np.array(right), np.array(groups)


def _same(a: str, b: str) -> bool:
    return bool(a and b) and (a in b or b in a)


def _out_of_fold(rows: np.ndarray, labels: np.ndarray, groups: np.ndarray, l2: float) -> np.ndarray:
    """Each row scored by a model fitted without its training set."""
    p = np.zeros(len(labels))
    for group in np.unique(groups):
        test = groups == group
        means, scales, weights, bias = fit(rows[~test], labels[~test], l2)
        z = ((rows[test] - means) / scales) @ weights + float(bias)
        p[test] = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return p


def _lead_model(inputs: np.ndarray, right: np.ndarray) -> tuple[float, float, float]:
    means, scales, weights, bias = fit(inputs, right, LEAD_L2)
    # Back to raw inputs: the matcher applies the weights without standardising.
    raw = weights / scales
    return float(raw[0]), float(raw[1]), float(bias) - float((means * raw).sum())


def cross_validate(examples: Examples) -> tuple[dict[str, Any], tuple[float, float, float]]:
    """Leave one training set out at a time, for both stages; returns how well the
    held-out probabilities agree with what happened, and the second stage fitted on the
    first stage's held-out scores."""
    p = _out_of_fold(examples.rows, examples.labels, examples.groups, L2)
    inputs, right, groups = _leads(p, examples)
    confidence = _out_of_fold(inputs, right, groups, LEAD_L2)
    validation = {
        "log_loss": round(log_loss(p, examples.labels), 4),
        "brier": round(float(np.mean((p - examples.labels) ** 2)), 4),
        "answer_log_loss": round(log_loss(confidence, right), 4),
        "answer_by_band": reliability(confidence, right),
    }
    return validation, _lead_model(inputs, right)


def calibrate(root: Path, model: str, eval_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Fit on the training sets in both modes, write the model's section of the file."""
    sets = {name: load_questions(eval_dir / name) for name in TRAINING_SETS}
    engines = [
        Engine.load(root, generated_only=generated, model=model, disabled=())
        for generated in (False, True)
    ]
    examples = collect(engines, sets)
    validation, lead = cross_validate(examples)
    means, scales, weights, bias = fit(examples.rows, examples.labels, L2)
    summary = {
        "trained_on": list(TRAINING_SETS),
        "modes": ["with FAQ files", "generated only"],
        "candidates": len(examples.labels),
        "right": int(examples.labels.sum()),
        "cross_validated": validation,
    }
    entry = calibration_entry(means, scales, weights, float(bias), lead, summary)
    return write_calibration(root, model, entry), summary
