"""`policybot bench`: time per question on the real and on synthetic larger knowledge bases.

Each knowledge base is measured in a fresh process (``python -m bot.tools.benchmark``), so that
its resident memory is its own and not what the larger one before it left behind.
Figures are reported, never asserted: timing in tests is flaky and says little. The end
to end load through the fake Bot API is bench/load.py (`make bench-load`).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from bot.engine.answering import Engine
from bot.engine.semantic import DEFAULT_MODEL, default_cache_dir
from bot.knowledge.loading import KnowledgeBase, Passage, load_knowledge
from bot.tools.evaluation import DEFAULT_SET, labeled_sets

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
    path = labeled_sets(root) / DEFAULT_SET
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


def memory_mb() -> tuple[float, float]:
    """(resident, peak resident) memory of this process in MB.

    From /proc/self/status on Linux; elsewhere only the peak, from getrusage (whose unit
    is kB on Linux, bytes on macOS).
    """
    try:
        fields = dict(
            line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
        )
        return (
            int(fields["VmRSS"].split()[0]) / 1024,
            int(fields["VmHWM"].split()[0]) / 1024,
        )
    except (OSError, KeyError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak_mb = peak / 1024 / (1024 if sys.platform == "darwin" else 1)
        return peak_mb, peak_mb


def measure(
    root: Path, scale: int, rounds: int, model: str, cache_dir: Path | None = None
) -> dict[str, Any]:
    """One knowledge base, in this process: sizes, build times, per-question times, memory.
    Synthetic bases keep their vectors apart (``bench/`` in the cache), so that the
    knowledge base's own cache holds only its own texts."""
    start = time.perf_counter()
    kb = load_knowledge(root)
    load_seconds = time.perf_counter() - start
    big = synthetic(kb, scale)
    if cache_dir is None and scale > 1:
        cache_dir = default_cache_dir() / "bench"
    start = time.perf_counter()
    engine = Engine(big, root, model, cache_dir=cache_dir)
    index_seconds = time.perf_counter() - start
    vectors = engine.vectors.report if engine.vectors else None
    samples = time_questions(engine, questions_for(root), rounds)
    rss, peak = memory_mb()
    return {
        "model": model,
        "vectors_computed": vectors.computed if vectors else 0,
        "vectors_s": vectors.seconds if vectors else 0.0,
        "scale": scale,
        "entries": len(big.entries),
        "passages": len(big.passages),
        "load_s": load_seconds,
        "index_s": index_seconds,
        "questions": len(samples),
        "p50_ms": percentile(samples, 0.5) * 1000,
        "p99_ms": percentile(samples, 0.99) * 1000,
        "max_ms": max(samples) * 1000,
        "rss_mb": rss,
        "peak_mb": peak,
    }


def measure_in_child(
    root: Path, scale: int, rounds: int, model: str, cache_dir: Path | None = None
) -> dict[str, Any]:
    command = [sys.executable, "-m", "bot.tools.benchmark", "--scale", str(scale)]
    command += ["--rounds", str(rounds), "--model", model]
    if cache_dir is not None:
        command += ["--cache-dir", str(cache_dir)]
    done = subprocess.run(
        command,
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def time_to_first_answer(root: Path) -> float:
    """Seconds from starting a fresh process to its first printed answer."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "ask", "--no-log", "六零行动是什么"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def run_benchmark(
    root: Path,
    rounds: int = 3,
    scales: tuple[int, ...] = (10, 20),
    model: str = DEFAULT_MODEL,
    compare: tuple[str, ...] = ("e5",),
) -> str:
    """The report `policybot bench` prints: the chosen model on the real base and each
    synthetic scale, the other models on the real base, and the cold build of the cache."""
    results = [measure_in_child(root, scale, rounds, model) for scale in (1, *scales)]
    results += [measure_in_child(root, 1, rounds, other) for other in compare]
    lines = [
        f"{len(questions_for(root))} questions x {rounds} rounds; python "
        f"{sys.version.split()[0]}; each base in a fresh process",
        f"{'model':<7}{'knowledge base':<16}{'entries':>8}{'passages':>9}{'index s':>9}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'RSS MB':>8}",
    ]
    for result in results:
        label = "real" if result["scale"] == 1 else f"synthetic {result['scale']}x"
        lines.append(
            f"{result['model']:<7}{label:<16}{result['entries']:>8}{result['passages']:>9}"
            f"{result['index_s']:>9.2f}{result['p50_ms']:>8.2f}{result['p99_ms']:>8.2f}"
            f"{result['max_ms']:>8.2f}{result['rss_mb']:>8.0f}"
        )
    real = results[0]
    lines.append(
        f"loading the real knowledge files: {real['load_s']:.2f} s, then the index "
        f"{real['index_s']:.2f} s (in a running process, vectors cached)"
    )
    for name in (model, *compare):
        with tempfile.TemporaryDirectory() as empty:
            cold = measure_in_child(root, 1, 1, name, Path(empty))
        lines.append(
            f"cold build of the vector cache ({name}): {cold['vectors_computed']} texts in "
            f"{cold['vectors_s']:.1f} s"
        )
    first = [time_to_first_answer(root) for _ in range(3)]
    lines.append(
        f"start to first answer (fresh process, `policybot ask`, vectors cached): "
        f"median {statistics.median(first):.2f} s, worst {max(first):.2f} s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """``python -m bot.tools.benchmark --scale N``: one base measured, as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.root, args.scale, args.rounds, args.model, args.cache_dir)))


if __name__ == "__main__":
    main()
