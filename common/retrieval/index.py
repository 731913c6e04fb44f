"""Doc, Hit and HybridIndex: BM25 and dense similarity over one corpus, fused by a linear blend.

score = w × lexical / (best lexical among the allowed docs) + (1 − w) × cosine(query, doc)

with w = LEXICAL_WEIGHT unless the caller passes `lexical_weight`. Lexical scores are normalised per query so
that the blend does not depend on a corpus's BM25 scale; the cosine is left as it is, so a document that matches no
query word ranks only on meaning and needs `min_semantic` to be listed at all.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from common.retrieval.embedding import EMBEDDING_DIM, embed_text, embed_texts
from common.retrieval.lexical import BM25

LEXICAL_WEIGHT = 0.6
EMBED_BATCH = 2048


@dataclass(frozen=True, slots=True)  # slots: ~100 bytes a doc instead of ~300 (100,000 docs per corpus)
class Doc:
    id: int | str
    text: str
    title: str = ""
    # float32 (EMBEDDING_DIM,), or the stored float16 bytes as they come from the database (decoded straight into
    # the index's matrix: no per-doc array is ever allocated; 100,000 of them would cost ~60 MB while building).
    vector: "np.ndarray | bytes | memoryview | None" = field(default=None, compare=False, repr=False)
    meta: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False)


@dataclass(frozen=True, slots=True)
class Hit:
    id: int | str
    score: float
    lexical: float
    semantic: float
    doc: Doc = field(repr=False)


def _id_key(doc_id: int | str) -> tuple[int, int | str]:
    # Ints before strings, each in natural order: one total order even for a mixed corpus.
    return (0, doc_id) if isinstance(doc_id, int) else (1, str(doc_id))


class HybridIndex:
    """One corpus in memory: its docs sorted by id, a float32 (n, EMBEDDING_DIM) matrix and a BM25 index
    (`lexical=False` skips the BM25 index, for a corpus whose lexical matching happens elsewhere, e.g. in
    PostgreSQL's full-text search)."""

    def __init__(self, docs: Sequence[Doc], *, lexical: bool = True):
        ordered = sorted(docs, key=lambda d: _id_key(d.id))
        self.positions: dict[int | str, int] = {d.id: i for i, d in enumerate(ordered)}
        self.vectors = np.zeros((len(ordered), EMBEDDING_DIM), dtype=np.float32)
        missing = []
        stored_bytes = EMBEDDING_DIM * 2
        for i, doc in enumerate(ordered):
            vector = doc.vector
            if isinstance(vector, (bytes, memoryview)) and len(vector) == stored_bytes:
                self.vectors[i] = np.frombuffer(vector, dtype="<f2")
                ordered[i] = replace(doc, vector=None)
            elif (
                vector is not None
                and not isinstance(vector, (bytes, memoryview))
                and np.shape(vector) == (EMBEDDING_DIM,)
            ):
                self.vectors[i] = vector
                # The matrix holds the vector now: a second copy per doc would double the index's memory
                # (100,000 small arrays ≈ 60 MB). `index.vector(id)` reads it back.
                ordered[i] = replace(doc, vector=None)
            else:
                missing.append(i)
        self.docs: list[Doc] = ordered
        for start in range(0, len(missing), EMBED_BATCH):
            chunk = missing[start : start + EMBED_BATCH]
            self.vectors[chunk] = embed_texts([f"{self.docs[i].title}\n{self.docs[i].text}" for i in chunk])
        self.bm25 = BM25([d.title for d in self.docs], [d.text for d in self.docs]) if lexical else None

    def __len__(self) -> int:
        return len(self.docs)

    def _mask(self, ids: Collection[int | str] | None) -> np.ndarray | None:
        if ids is None:
            return None
        mask = np.zeros(len(self.docs), dtype=bool)
        rows = [self.positions[i] for i in ids if i in self.positions]
        mask[rows] = True
        return mask

    def _top(self, score: np.ndarray, eligible: np.ndarray, k: int) -> np.ndarray:
        """Positions of the k best eligible docs, by score then id (positions are in id order)."""
        candidates = np.flatnonzero(eligible)
        if len(candidates) > k:
            part = np.argpartition(-score[candidates], k - 1)[:k]
            # Keep every doc tied with the k-th so that the id tie-break is exact.
            kth = score[candidates[part]].min()
            candidates = candidates[score[candidates] >= kth]
        order = np.lexsort((candidates, -score[candidates]))
        return candidates[order][:k]

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        ids: Collection[int | str] | None = None,
        min_semantic: float = 0.0,
        lexical_weight: float | None = None,
    ) -> list[Hit]:
        """The k best docs for `query`: docs matching a query word, and docs whose cosine to the query is at least
        `min_semantic`, ranked by the fused score; ties by id."""
        if k <= 0 or not self.docs:
            return []
        weight = LEXICAL_WEIGHT if lexical_weight is None else float(lexical_weight)
        semantic = self.vectors @ embed_text(query)
        mask = self._mask(ids)
        if self.bm25 is not None:
            lexical = self.bm25.scores(query)[0]
        else:
            lexical = np.zeros(len(self.docs), dtype=np.float32)
        if mask is not None:
            lexical = np.where(mask, lexical, 0.0).astype(np.float32)
        best = float(lexical.max()) if len(lexical) else 0.0
        normalised = lexical / best if best > 0 else lexical
        score = weight * normalised + (1 - weight) * semantic
        eligible = (lexical > 0) | ((semantic >= min_semantic) & (semantic > 0) & (weight < 1))
        if mask is not None:
            eligible &= mask
        return [
            Hit(self.docs[i].id, float(score[i]), float(lexical[i]), float(semantic[i]), self.docs[i])
            for i in self._top(score, eligible, k)
        ]

    def similar(self, vector: np.ndarray, k: int = 10, *, ids: Collection[int | str] | None = None) -> list[Hit]:
        """The k docs nearest to `vector` by cosine (pure semantic); ties by id."""
        if k <= 0 or not self.docs:
            return []
        semantic = self.vectors @ np.asarray(vector, dtype=np.float32)
        mask = self._mask(ids)
        eligible = np.ones(len(self.docs), dtype=bool) if mask is None else mask
        return [
            Hit(self.docs[i].id, float(semantic[i]), 0.0, float(semantic[i]), self.docs[i])
            for i in self._top(semantic, eligible, k)
        ]

    def idf(self, term: str) -> float:
        """How rare a stemmed term is in this corpus's lexical text (1.0 for a corpus built without BM25)."""
        return self.bm25.idf(term) if self.bm25 is not None else 1.0

    def vector(self, doc_id: int | str) -> np.ndarray | None:
        """The stored or computed vector of one doc (None when the id is not in the index)."""
        position = self.positions.get(doc_id)
        return None if position is None else self.vectors[position]
