"""The one place the lessons corpus and the tutor touch the shared retrieval engine (`common.retrieval`).

Until branch `retrieval` ("Retrieval engine API v1") is merged, a minimal stand-in with the same signatures keeps
the tutor working: lexical BM25 only, no embeddings (`embed_texts` gives zero vectors, `MODEL_NAME` is empty, so
stored sections are recomputed once the real engine arrives).
"""

from __future__ import annotations

try:  # pragma: no cover - whichever exists
    from common.retrieval import (  # type: ignore[import-not-found]
        EMBEDDING_DIM,
        MODEL_NAME,
        Doc,
        Hit,
        HybridIndex,
        embed_text,
        embed_texts,
        get_index,
        register_corpus,
        tokenize,
    )
except ImportError:  # pragma: no cover
    import math
    import re
    import threading
    from collections.abc import Callable, Collection, Mapping, Sequence
    from dataclasses import dataclass, field
    from typing import Any

    import numpy as np

    EMBEDDING_DIM = 8
    MODEL_NAME = ""
    _STOP = frozenset(
        "a an and are as at be but by do does for from has have how i if in into is it its me my of on or so that "
        "the their then there these they this to was what when where which who why will with you your can should "
        "would could".split()
    )

    def tokenize(text: str) -> list[str]:
        return [w for w in re.findall(r"[a-z0-9_]+", text.lower()) if w not in _STOP]

    def embed_texts(texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)

    def embed_text(text: str) -> np.ndarray:
        return embed_texts([text])[0]

    @dataclass(frozen=True)
    class Doc:
        id: int | str
        text: str
        title: str = ""
        vector: Any = None
        meta: Mapping[str, Any] = field(default_factory=dict)

    @dataclass(frozen=True)
    class Hit:
        id: int | str
        score: float
        lexical: float
        semantic: float
        doc: Doc

    class HybridIndex:
        def __init__(self, docs: Sequence[Doc]) -> None:
            self.docs = list(docs)
            self.terms = [tokenize(f"{d.title} {d.title} {d.text}") for d in self.docs]
            df: dict[str, int] = {}
            for terms in self.terms:
                for t in set(terms):
                    df[t] = df.get(t, 0) + 1
            n = max(len(self.docs), 1)
            self.idf = {t: math.log1p((n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
            self.avg = sum(len(t) for t in self.terms) / n if self.terms else 1.0

        def __len__(self) -> int:
            return len(self.docs)

        def search(self, query: str, k: int = 10, *, ids: Collection[int | str] | None = None,
                   min_semantic: float = 0.0, lexical_weight: float | None = None) -> list[Hit]:  # fmt: skip
            words = set(tokenize(query))
            hits = []
            for doc, terms in zip(self.docs, self.terms, strict=True):
                if ids is not None and doc.id not in ids:
                    continue
                score = 0.0
                for w in words:
                    tf = terms.count(w)
                    if tf:
                        score += self.idf[w] * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(terms) / self.avg))
                if score > 0:
                    hits.append(Hit(doc.id, score, score, 0.0, doc))
            hits.sort(key=lambda h: (-h.score, str(h.id)))
            return hits[:k]

        def similar(self, vector: Any, k: int = 10, *, ids: Collection[int | str] | None = None) -> list[Hit]:
            return []

    _corpora: dict[str, tuple[Callable[[], str], Callable[[], Sequence[Doc]]]] = {}
    _built: dict[str, tuple[str, HybridIndex]] = {}
    _lock = threading.Lock()

    def register_corpus(name: str, *, version: Callable[[], str], load: Callable[[], Sequence[Doc]]) -> None:
        _corpora[name] = (version, load)

    def get_index(name: str) -> HybridIndex:
        version, load = _corpora[name]
        current = version()
        with _lock:
            built = _built.get(name)
            if built is None or built[0] != current:
                built = (current, HybridIndex(load()))
                _built[name] = built
            return built[1]


__all__ = [
    "EMBEDDING_DIM",
    "MODEL_NAME",
    "Doc",
    "Hit",
    "HybridIndex",
    "embed_text",
    "embed_texts",
    "get_index",
    "register_corpus",
    "tokenize",
]
