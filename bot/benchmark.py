"""`policybot bench`: time per question on the real and on synthetic larger knowledge bases.

Figures are reported, never asserted: timing in tests is flaky and says little.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import yaml

from bot.engine import Engine
from bot.knowledge import KnowledgeBase, Passage, load_knowledge

SEED = 20201231


def synthetic(kb: KnowledgeBase, scale: int) -> KnowledgeBase:
    """A knowledge base ``scale`` times larger: every entry and passage copied with some
    characters swapped for others from the reports, so the copies are distinct documents
    with realistic vocabulary rather than exact duplicates."""
    if scale <= 1:
        return kb
    rng = random.Random(SEED)
    alphabet = sorted({c for r in kb.reports.values() for c in r.text if "\u4e00" <= c <= "\u9fff"})

    def perturb(text: str) -> str:
        chars = list(text)
        for _ in range(max(1, len(chars) // 4)):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        return "".join(chars)

    entries = dict(kb.entries)
    passages = list(kb.passages)
    for copy in range(1, scale):
        for entry in kb.entries.values():
            clone_id = f"{entry.id[:32]}-x{copy}"
            entries[clone_id] = replace(
                entry,
                id=clone_id,
                question=perturb(entry.question),
                phrasings=tuple(perturb(p) for p in entry.phrasings),
                keywords=tuple(perturb(k) for k in entry.keywords),
                answer=perturb(entry.answer),
                related=(),
                topic=None,
            )
        passages += [
            Passage(f"{p.id}-x{copy}", p.report, p.section, perturb(p.text)) for p in kb.passages
        ]
    return replace(kb, entries=entries, passages=passages)


def questions_for(root: Path) -> list[str]:
    path = root / "tests" / "eval" / "questions.yaml"
    if path.exists():
        return [str(item["q"]) for item in yaml.safe_load(path.read_text(encoding="utf-8"))]
    kb = load_knowledge(root)
    return [p for e in kb.entries.values() for p in e.phrasings]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_questions(engine: Engine, questions: list[str], rounds: int) -> list[float]:
    for question in questions[:20]:  # warm the normalisation caches as a live bot would be
        engine.ask(question)
    samples = []
    for _ in range(rounds):
        for question in questions:
            start = time.perf_counter()
            engine.ask(question)
            samples.append(time.perf_counter() - start)
    return samples


def time_to_first_answer(root: Path) -> float:
    """Seconds from starting a fresh process to its first printed answer."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--no-log", "六零行动是什么"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def run_benchmark(root: Path, rounds: int = 3, scales: tuple[int, ...] = (1, 20)) -> str:
    kb = load_knowledge(root)
    questions = questions_for(root)
    lines = [
        f"{len(questions)} questions x {rounds} rounds; python {sys.version.split()[0]}",
        f"{'knowledge base':<28}{'entries':>8}{'passages':>9}{'index s':>9}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}",
    ]
    for scale in scales:
        big = synthetic(kb, scale)
        start = time.perf_counter()
        engine = Engine(big)
        index_seconds = time.perf_counter() - start
        samples = time_questions(engine, questions, rounds)
        label = "real" if scale == 1 else f"synthetic {scale}x"
        lines.append(
            f"{label:<28}{len(big.entries):>8}{len(big.passages):>9}{index_seconds:>9.2f}"
            f"{percentile(samples, 0.5) * 1000:>8.2f}{percentile(samples, 0.99) * 1000:>8.2f}"
            f"{max(samples) * 1000:>8.2f}"
        )
    first = [time_to_first_answer(root) for _ in range(3)]
    lines.append(
        f"start to first answer (fresh process, `policybot ask`): "
        f"median {statistics.median(first):.2f} s, worst {max(first):.2f} s"
    )
    return "\n".join(lines)
