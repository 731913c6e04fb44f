"""One index per corpus per process, rebuilt exactly once when the corpus's version changes.

`get_index` asks the corpus's cheap `version()` on every call; when it differs from the built index's version, one
thread rebuilds (under the corpus's lock; the others wait and then reuse the new index) and the old index is
dropped, so a process holds at most one index per corpus (plus, briefly, the one being replaced). Versions are
compared for equality only, so any string that changes with the content works (a counter in the shared cache bumped
by every write makes every process rebuild once after a change).
"""

import ctypes
import ctypes.util
import gc
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from common.retrieval.index import Doc, HybridIndex

logger = logging.getLogger(__name__)


@dataclass
class _Corpus:
    version: Callable[[], str]
    load: Callable[[], Sequence[Doc]]
    lexical: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)
    built_version: str | None = None
    index: HybridIndex | None = None
    builds: int = 0


_corpora: dict[str, _Corpus] = {}
_registry_lock = threading.Lock()


def _release_freed_memory() -> None:
    """Hand the memory freed after a build (the loader's rows, the old index) back to the OS: glibc keeps freed small
    blocks in the process's heap otherwise, and a web process's resident size would keep the build's peak."""
    gc.collect()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        pass


def register_corpus(
    name: str, *, version: Callable[[], str], load: Callable[[], Sequence[Doc]], lexical: bool = True
) -> None:
    """Declare a corpus (from an AppConfig.ready()). Registering a name again replaces it and drops its index.
    `lexical=False` builds no in-process BM25 index (the consumer matches words elsewhere, e.g. in PostgreSQL)."""
    with _registry_lock:
        _corpora[name] = _Corpus(version=version, load=load, lexical=lexical)


def _corpus(name: str) -> _Corpus:
    try:
        return _corpora[name]
    except KeyError:
        raise LookupError(f"no retrieval corpus named {name!r} is registered") from None


def get_index(name: str) -> HybridIndex:
    """The current index of corpus `name` (built on first use and after each version change)."""
    corpus = _corpus(name)
    version = str(corpus.version())
    index = corpus.index
    if index is not None and corpus.built_version == version:
        return index
    with corpus.lock:
        # Another thread may have rebuilt it while this one waited.
        version = str(corpus.version())
        if corpus.index is not None and corpus.built_version == version:
            return corpus.index
        started = time.perf_counter()
        corpus.index = None  # let the old one go before the new one is built
        index = HybridIndex(corpus.load(), lexical=corpus.lexical)
        corpus.index, corpus.built_version = index, version
        corpus.builds += 1
        _release_freed_memory()
        logger.info(
            "retrieval index %s built: %s docs, version %s, %.2f s",
            name,
            len(index),
            version,
            time.perf_counter() - started,
        )
        return index


def index_builds(name: str) -> int:
    """How many times this process has built corpus `name`'s index (for tests and metrics)."""
    return _corpus(name).builds


def registered_corpora() -> list[str]:
    return sorted(_corpora)
