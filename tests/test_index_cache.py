"""The lexical index kept on disk: a restart with unchanged knowledge loads it instead of
rebuilding, and what it loads ranks exactly as a fresh build; changed knowledge, a damaged
file or a folder that cannot be written all mean a rebuild, never a stale answer."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.engine import index_cache
from bot.engine.index import LexicalIndex
from bot.engine.postings import POSTING_MAPS, Postings
from bot.engine.wording import Wording
from bot.knowledge.loading import KnowledgeBase, load_knowledge

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = (
    "六零行动是什么",
    "坪山托育服务怎么样",
    "观湖的垃圾分类呢",
    "PM2.5浓度多少",
    "有什么要求",
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(ROOT, [])


def _rankings(index: LexicalIndex) -> list[list[tuple[str, float, bool]]]:
    found = []
    for question in QUESTIONS:
        spelling = index.wording.spelling_of(question)
        entries = index.rank(spelling, None, 12)
        passages = index.rank_passages(spelling, 8)
        found.append([(s.id, s.score, s.anchored) for s in (*entries, *passages)])
    return found


class CountingBuilds:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.builds = 0
        build = Postings.build

        def counted(kb: KnowledgeBase, wording: Wording) -> Postings:
            self.builds += 1
            return build(kb, wording)

        monkeypatch.setattr(Postings, "build", staticmethod(counted))


def test_a_restart_loads_the_index_and_ranks_as_a_fresh_build(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingBuilds(monkeypatch)
    fresh = LexicalIndex(kb)
    first = LexicalIndex(kb, tmp_path)
    again = LexicalIndex(kb, tmp_path)
    assert counting.builds == 2  # without a folder, and the first start with one
    assert _rankings(again) == _rankings(fresh) == _rankings(first)
    assert again.idf == fresh.idf
    assert again.doc_sounds == fresh.doc_sounds
    assert [d.id for d in again.docs] == [d.id for d in fresh.docs]


def _in_another_process(code: str, seed: str) -> str:
    """Run ``code`` in a fresh interpreter (another hash seed, nothing keyed yet)."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_sound_key_means_the_same_in_every_process() -> None:
    from bot.engine.textnorm import sound_key

    code = (
        "from bot.engine.textnorm import sound_key; sound_key('观湖托育垃圾分类'); "
        "print(sound_key('有什要求').encode('unicode_escape').decode())"
    )
    elsewhere = {_in_another_process(code, seed) for seed in ("1", "2")}
    assert elsewhere == {sound_key("有什要求").encode("unicode_escape").decode()}


def test_an_index_saved_by_another_process_ranks_as_one_built_here(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """A restart is another process: what it loads must mean what it meant to the one that
    saved it (sound keys once took their code points in the order syllables were met)."""
    _in_another_process(
        "from pathlib import Path; from bot.engine.textnorm import sound_key; "
        "from bot.knowledge.loading import load_knowledge; "
        "from bot.engine.index import LexicalIndex; sound_key('观湖托育垃圾分类'); "
        f"LexicalIndex(load_knowledge(Path('.'), []), Path({str(tmp_path)!r}))",
        "3",
    )
    assert list(tmp_path.glob("lexical-*.npz"))
    assert _rankings(LexicalIndex(kb, tmp_path)) == _rankings(LexicalIndex(kb))


def test_the_stored_postings_are_the_built_ones(kb: KnowledgeBase) -> None:
    built = Postings.build(kb, LexicalIndex(kb).wording)
    loaded = Postings.from_arrays(built.to_arrays())
    assert loaded.docs == built.docs and loaded.passage_docs == built.passage_docs
    assert loaded.keyword_index == built.keyword_index
    for name in POSTING_MAPS:
        for gram in built.lists[name].grams:
            want, got = built.lists[name].get(gram), loaded.lists[name].get(gram)
            assert want is not None and got is not None
            assert np.array_equal(want[0], got[0]) and np.array_equal(want[1], got[1])


def test_changed_knowledge_is_built_anew(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    LexicalIndex(kb, tmp_path)
    entry_id, entry = next(iter(kb.entries.items()))
    edited = replace(kb, entries={**kb.entries, entry_id: replace(entry, answer="新的答案文字")})
    counting = CountingBuilds(monkeypatch)
    index = LexicalIndex(edited, tmp_path)
    assert counting.builds == 1
    assert "新的答案文字" in index.docs[0].text
    assert len(list(tmp_path.glob("lexical-*.npz"))) == 2


def test_a_damaged_file_is_rebuilt_not_trusted(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    LexicalIndex(kb, tmp_path)
    (stored,) = tmp_path.glob("lexical-*.npz")
    stored.write_bytes(stored.read_bytes()[:1000])
    counting = CountingBuilds(monkeypatch)
    assert _rankings(LexicalIndex(kb, tmp_path)) == _rankings(LexicalIndex(kb))
    assert counting.builds == 2


def test_the_file_is_private_and_old_ones_are_pruned(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_cache, "KEPT_FILES", 2)
    entry_id, entry = next(iter(kb.entries.items()))
    for version in range(4):
        answer = f"{entry.answer}（第{version}版）"
        LexicalIndex(
            replace(kb, entries={**kb.entries, entry_id: replace(entry, answer=answer)}), tmp_path
        )
    kept = list(tmp_path.glob("lexical-*.npz"))
    assert len(kept) == 2
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in kept)


def test_a_folder_that_cannot_be_written_costs_only_a_rebuild(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    assert _rankings(LexicalIndex(kb, blocked)) == _rankings(LexicalIndex(kb))


def test_the_engine_runs_blas_on_one_thread(kb: KnowledgeBase, tmp_path: Path) -> None:
    from threadpoolctl import threadpool_info

    from bot.engine.answering import Engine

    Engine(kb, ROOT, cache_dir=tmp_path)
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)


def test_a_read_only_cache_is_used(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in the container image: built by root at `docker build`, read by the bot's user."""
    LexicalIndex(kb, tmp_path)

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(index_cache.os, "utime", refused)
    counting = CountingBuilds(monkeypatch)
    LexicalIndex(kb, tmp_path)
    assert counting.builds == 0
