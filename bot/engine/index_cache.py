"""The lexical index's postings on disk, beside the vectors: a start loads them when the
knowledge base, the engine's code and its text tables are those they were built from, and
builds (and saves) them otherwise. Building is most of a fresh start's time."""

from __future__ import annotations

import hashlib
import os
import zipfile
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

from bot.engine.postings import Postings
from bot.engine.textnorm import TABLES_VERSION
from bot.engine.wording import Wording
from bot.knowledge.loading import KnowledgeBase

ENGINE = Path(__file__).parent
KEPT_FILES = 4  # the full and generated-only bases, and a curator's edit or two


def fingerprint(kb: KnowledgeBase) -> str:
    """What the postings are built from. The whole knowledge base, not the fields the
    build reads today, so that a field it starts reading cannot leave a stale cache; and
    every engine module, since any of them may change how a text is spelled or keyed."""
    digest = hashlib.blake2b(digest_size=16)
    for source in sorted(ENGINE.glob("*.py")):
        digest.update(source.read_bytes())
    digest.update(TABLES_VERSION.encode("utf-8"))
    digest.update(repr(kb).encode("utf-8"))
    return digest.hexdigest()


def cached_postings(kb: KnowledgeBase, wording: Wording, directory: Path | None) -> Postings:
    """The postings of ``kb``, from ``directory`` when they are there, else built (and
    saved there); with no directory, always built."""
    if directory is None:
        return Postings.build(kb, wording)
    path = directory / f"lexical-{fingerprint(kb)}.npz"
    stored = _load(path)
    if stored is not None:
        return stored
    built = Postings.build(kb, wording)
    _save(built, path)
    return built


def _load(path: Path) -> Postings | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            postings = Postings.from_arrays({name: stored[name] for name in stored.files})
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None  # a damaged cache is rebuilt, never trusted
    # The files least recently used are the ones pruned. A cache built into a container's
    # image is read-only to the bot's user: it is used all the same.
    with suppress(OSError):
        os.utime(path)
    return postings


def _save(postings: Postings, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with partial.open("wb") as handle:
            arrays: dict[str, Any] = postings.to_arrays()  # numpy's stubs reject ** of arrays
            np.savez(handle, **arrays)
        os.chmod(partial, 0o600)
        os.replace(partial, path)
        _prune(path.parent)
    except OSError:
        return  # a read-only disk costs a rebuild at the next start, nothing more


def _prune(directory: Path) -> None:
    """Every knowledge change leaves a file behind: keep the most recently used few."""
    files = sorted(
        directory.glob("lexical-*.npz"), key=lambda p: p.stat().st_mtime_ns, reverse=True
    )
    for old in files[KEPT_FILES:]:
        old.unlink(missing_ok=True)
