"""One calibrated score: the probability that a candidate answer is right.

A candidate (an entry or a passage of a report) is described by a few features of the
question and of itself; a logistic model fitted by ``policybot calibrate`` on the labeled
sets turns them into a probability. The decision thresholds (``bot.engine.policy.ANSWER_P`` and
``CLARIFY_P``) are stated on that probability, so moving one has a meaning that can be
checked against the calibration table in ``data/calibration.yaml``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.knowledge.problems import KnowledgeError, Problem, read_plain_yaml

CALIBRATION_FILE = Path("data") / "calibration.yaml"
GENERATED_MARK = "policybot calibrate"

# The order is the order of the coefficients in the calibration file.
FEATURES: tuple[str, ...] = (
    "lexical",  # rapidfuzz ratio, keyword and coverage score, 0-1
    "coverage",  # share of the question's information the candidate's words explain
    "semantic",  # best cosine between the question and the candidate's texts
    "lexical_margin",  # lead over the best candidate with another answer
    "semantic_margin",
    "semantic_top",  # the first candidate by meaning
    "lexical_top",  # the first candidate by wording
    "anchored",  # shares a distinctive syllable pair with the question
    "written",  # ... spelled as the question spells it
    "keyword",  # holds a distinctive word or a term name found in the question
    "passage",  # a sentence of a report rather than an entry
    "term",  # a glossary term or an inline definition
    "other_half",  # the question's year points to the other half of the report
    "missing_code",  # the question names a code (PM10) the candidate lacks
    "unknown_share",  # share of the question's information in words no document has
    "missing_peak",  # the most informative pair of syllables of the question it lacks
    "latin",  # share of the question written in Latin letters (English)
    "semantic_latin",  # meaning counts for more when the wording cannot be compared
    "lexical_semantic",  # both signals agreeing
    # A hand-written entry's wording is how residents ask: a close match on it means more
    # than the same match on a report's sentence.
    "phrased_lexical",
    "phrased_coverage",
    "phrased_semantic",
    "phrased_margin",
)


@dataclass
class Candidate:
    """One possible answer to a question, with what is known about it."""

    id: str
    index: int  # in the matcher's entries or passages
    passage: bool
    street: str
    lexical: float = 0.0  # 0-100
    coverage: float = 0.0
    semantic: float = 0.0
    keyword: str = ""
    anchored: bool = False
    written: bool = False
    term: bool = False
    other_half: bool = False
    missing_code: bool = False
    missing_peak: float = 0.0
    answer: str = ""  # folded, to tell candidates with the same answer apart
    probability: float = 0.0  # that this candidate is the right answer
    # For the first candidate: that answering with it is right, given how far it leads the
    # next candidate with another answer (what the decision thresholds are stated on).
    confidence: float = 0.0
    features: np.ndarray = field(default_factory=lambda: np.zeros(0))


def same_answer(first: Candidate, second: Candidate) -> bool:
    """Two candidates quoting the same text (an entry and the passage it was cut from)."""
    a, b = first.answer, second.answer
    return bool(a and b) and (a in b or b in a)


def _same_answers(candidates: Sequence[Candidate]) -> np.ndarray:
    """``same[i, j]``: candidates i and j quote the same text (``same_answer``), checked
    once per pair."""
    size = len(candidates)
    same = np.zeros((size, size), dtype=bool)
    # same_answer written out: a call per pair was most of the time (300 pairs a question).
    answers = [c.answer for c in candidates]
    for i, first in enumerate(answers):
        if not first:
            continue
        same[i, i] = True
        for j in range(i + 1, size):
            second = answers[j]
            if second and (first in second or second in first):
                same[i, j] = same[j, i] = True
    return same


def _best_rival(values: np.ndarray, same: np.ndarray) -> np.ndarray:
    """For each candidate, the best value among those with another answer (0 if none)."""
    rivals = np.where(same, -np.inf, values[None, :]).max(axis=1)
    return np.where(np.isfinite(rivals), rivals, 0.0)


def describe(candidates: Sequence[Candidate], unknown_share: float, latin: float) -> np.ndarray:
    """The feature matrix of a question's candidates, one row each, in FEATURES order."""
    if not candidates:
        return np.zeros((0, len(FEATURES)))
    lexical = np.array([c.lexical / 100.0 for c in candidates])
    semantic = np.array([c.semantic for c in candidates])
    coverage = np.array([c.coverage for c in candidates], dtype=float)
    same = _same_answers(candidates)
    lexical_lead = lexical - _best_rival(lexical, same)
    semantic_lead = semantic - _best_rival(semantic, same)
    top_lexical = lexical[int(np.argmax(lexical))]
    top_semantic = semantic[int(np.argmax(semantic))]

    def flags(name: str) -> np.ndarray:
        return np.array([bool(getattr(c, name)) for c in candidates], dtype=float)

    passage, term = flags("passage"), flags("term")
    phrased = (1.0 - passage) * (1.0 - term)
    columns = (
        lexical,
        coverage,
        semantic,
        lexical_lead,
        semantic_lead,
        (semantic >= top_semantic).astype(float),
        (lexical >= top_lexical).astype(float),
        flags("anchored"),
        flags("written"),
        flags("keyword"),
        passage,
        term,
        flags("other_half"),
        flags("missing_code"),
        np.full(len(candidates), unknown_share),
        np.array([c.missing_peak for c in candidates], dtype=float),
        np.full(len(candidates), latin),
        semantic * latin,
        lexical * semantic,
        phrased * lexical,
        phrased * coverage,
        phrased * semantic,
        phrased * lexical_lead,
    )
    return np.column_stack(columns)


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def lead_features(first: float, second: float) -> np.ndarray:
    """What the second stage reads: the first candidate's log-odds, and its lead in
    log-odds over the best candidate with another answer."""
    return np.array([logit(first), logit(first) - logit(second)])


@dataclass(frozen=True)
class Calibration:
    """Two fitted logistic models. The first scores every candidate (standardise, weigh,
    squash) and so ranks them; the second turns the first candidate's score and its lead
    into the probability that answering with it is right (Platt scaling, as in stacking:
    fitted on the first model's cross-validated scores)."""

    model: str
    means: np.ndarray
    scales: np.ndarray
    weights: np.ndarray
    bias: float
    lead: tuple[float, float, float] = (1.0, 0.0, 0.0)  # weight, lead weight, bias

    def probability(self, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        z = ((rows - self.means) / self.scales) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def confidence(self, first: float, second: float) -> float:
        x = lead_features(first, second)
        return sigmoid(float(self.lead[0] * x[0] + self.lead[1] * x[1] + self.lead[2]))


def _prior() -> Calibration:
    """Until ``policybot calibrate`` has run for a model: wording and meaning, equally."""
    weights = np.zeros(len(FEATURES))
    weights[FEATURES.index("lexical")] = 8.0
    weights[FEATURES.index("semantic")] = 8.0
    return Calibration(
        model="prior",
        means=np.zeros(len(FEATURES)),
        scales=np.ones(len(FEATURES)),
        weights=weights,
        bias=-9.0,
    )


def fit(rows: np.ndarray, labels: np.ndarray, l2: float = 1.0) -> tuple[np.ndarray, ...]:
    """Logistic regression by Newton's method with an L2 penalty on the weights (not the
    bias): convex, so the same data always gives the same coefficients."""
    means = rows.mean(axis=0)
    scales = rows.std(axis=0)
    scales[scales < 1e-9] = 1.0
    x = np.hstack([(rows - means) / scales, np.ones((len(rows), 1))])
    theta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ theta, -30, 30)))
        gradient = x.T @ (p - labels) + penalty * theta
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return means, scales, theta[:-1], np.array(theta[-1])


PRIOR = _prior()
# Without a model (POLICYBOT_MODEL=none), wording alone: even odds at a lexical score of 72.
LEXICAL_PRIOR = Calibration(
    model="none",
    means=np.zeros(len(FEATURES)),
    scales=np.ones(len(FEATURES)),
    weights=np.array([10.0 if name == "lexical" else 0.0 for name in FEATURES]),
    bias=-7.2,
)


def load_calibration(root: Path, model: str) -> Calibration | None:
    """The fitted coefficients for ``model``, or None when it was never calibrated."""
    if model == "none":
        return LEXICAL_PRIOR
    path = root / CALIBRATION_FILE
    if not path.exists():
        return None
    data = read_plain_yaml(path, str(CALIBRATION_FILE)) or {}
    if not isinstance(data, dict):
        raise KnowledgeError([Problem(str(CALIBRATION_FILE), 1, None, "must be a mapping")])
    fitted = (data.get("models") or {}).get(model)
    if not fitted:
        return None
    try:
        return _calibration(model, fitted)
    except (KeyError, TypeError, ValueError):
        return None  # written by an older version: stale until `policybot calibrate`


def _calibration(model: str, fitted: dict[str, Any]) -> Calibration | None:
    names = [row["feature"] for row in fitted["coefficients"]]
    if tuple(names) != FEATURES:
        return None  # features changed since: the file is stale, `policybot calibrate`
    return Calibration(
        model=model,
        means=np.array([row["mean"] for row in fitted["coefficients"]], dtype=float),
        scales=np.array([row["scale"] for row in fitted["coefficients"]], dtype=float),
        weights=np.array([row["weight"] for row in fitted["coefficients"]], dtype=float),
        bias=float(fitted["bias"]),
        lead=(
            float(fitted["answer"]["score_weight"]),
            float(fitted["answer"]["lead_weight"]),
            float(fitted["answer"]["bias"]),
        ),
    )


def calibration_entry(
    means: np.ndarray,
    scales: np.ndarray,
    weights: np.ndarray,
    bias: float,
    lead: tuple[float, float, float],
    summary: dict[str, Any],
) -> dict[str, Any]:
    """One model's section of the calibration file."""
    return {
        "answer": {
            "score_weight": round(lead[0], 6),
            "lead_weight": round(lead[1], 6),
            "bias": round(lead[2], 6),
        },
        "bias": round(float(bias), 6),
        "coefficients": [
            {
                "feature": name,
                "weight": round(float(w), 6),
                "mean": round(float(m), 6),
                "scale": round(float(s), 6),
            }
            for name, w, m, s in zip(FEATURES, weights, means, scales, strict=True)
        ],
        **summary,
    }


def write_calibration(root: Path, model: str, entry: dict[str, Any]) -> Path:
    """Write (or replace) one model's section of the calibration file."""
    path = root / CALIBRATION_FILE
    data: dict[str, Any] = {}
    if path.exists():
        data = read_plain_yaml(path, str(CALIBRATION_FILE)) or {}
    models = dict(data.get("models") or {})
    models[model] = entry
    header = (
        f"# generated by `{GENERATED_MARK}`, do not edit: coefficients of the logistic model\n"
        "# that turns a candidate's features into the probability that it is the right\n"
        "# answer, fitted on the labeled sets named below (with and without the hand-written\n"
        "# FAQ files), and how well calibrated it was under cross-validation.\n"
    )
    body = yaml.safe_dump(
        {"generated_by": GENERATED_MARK, "models": dict(sorted(models.items()))},
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )
    path.write_text(header + body, encoding="utf-8")
    return path


def log_loss(p: np.ndarray, labels: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))


def reliability(p: np.ndarray, labels: np.ndarray, bins: int = 5) -> list[dict[str, Any]]:
    """Predicted against observed rate of right answers, by band of probability."""
    table = []
    edges = np.linspace(0.0, 1.0, bins + 1)
    for low, high in itertools.pairwise(edges):
        inside = (p >= low) & ((p < high) | (high == 1.0))
        if inside.any():
            table.append(
                {
                    "band": f"{low:.1f}-{high:.1f}",
                    "candidates": int(inside.sum()),
                    "predicted": round(float(p[inside].mean()), 3),
                    "observed": round(float(labels[inside].mean()), 3),
                }
            )
    return table


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))
