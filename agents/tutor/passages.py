"""Passage-level matching: every statement of every lesson section (a sentence, a list item such as one common
mistake, a table row, a commented code line) is a passage of its own, with its section as parent, scored against the
question by the precise sentence encoder (all-MiniLM-L6-v2, `common.retrieval.precise`).

A section is one unit for BM25 and the fast embedding, so a question that describes a symptom ("my default list
remembers the values of the last call") is diluted against a whole "Common mistakes" section of unrelated items; the
one item that answers it is close in meaning on its own. The vectors are computed when a module's sections are synced
(`LessonSection.passages`) and read with the corpus; the question costs one encoder call.
"""

import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from learning.lesson_markdown import passage_texts
from learning.retrieval_engine import PRECISE_DIM, HybridIndex, embed_precise_texts
from learning.services_sections import passage_vectors


@dataclass(frozen=True)
class PassageIndex:
    doc_ids: list[str]  # the parent section of each passage (row)
    spans: dict[str, tuple[int, int]]  # a section's rows: [start, end), in its statements' reading order
    modules: np.ndarray  # the parent section's module id, per row
    matrix: np.ndarray  # float32 (rows, PRECISE_DIM), L2-normalised
    lesson_of_row: np.ndarray  # the row's lesson as 0..lessons-1 (for per-lesson means)
    lesson_sizes: np.ndarray  # passages per lesson


_indexes: "weakref.WeakKeyDictionary[Any, PassageIndex]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _section_rows(doc: Any) -> np.ndarray:
    meta = doc.meta
    texts = passage_texts(module_title=meta["module_title"], heading=meta["heading"], body=meta["body"])
    stored = meta.get("passages")
    if stored:
        rows = np.frombuffer(stored, dtype="<f2").reshape(-1, PRECISE_DIM)
        if len(rows) == len(texts):
            return rows.astype(np.float32)
    if not texts:
        return np.zeros((0, PRECISE_DIM), dtype=np.float32)
    return passage_vectors(texts)  # not stored (a section written without them): computed once per process


def passage_index(index: HybridIndex) -> PassageIndex:
    with _lock:
        found = _indexes.get(index)
        if found is not None:
            return found
    doc_ids: list[str] = []
    modules: list[int] = []
    spans: dict[str, tuple[int, int]] = {}
    parts = []
    for doc in getattr(index, "docs", []):
        rows = _section_rows(doc)
        start = len(doc_ids)
        doc_ids.extend([str(doc.id)] * len(rows))
        modules.extend([int(doc.meta["module_id"])] * len(rows))
        spans[str(doc.id)] = (start, len(doc_ids))
        parts.append(rows)
    matrix = np.vstack(parts) if parts else np.zeros((0, PRECISE_DIM), dtype=np.float32)
    module_ids = np.asarray(modules, dtype=np.int64)
    _, lesson_of_row = np.unique(module_ids, return_inverse=True)
    built = PassageIndex(
        doc_ids,
        spans,
        module_ids,
        np.ascontiguousarray(matrix),
        lesson_of_row,
        np.bincount(lesson_of_row) if len(lesson_of_row) else np.zeros(0, dtype=np.int64),
    )
    with _lock:
        _indexes[index] = built
    return built


def question_vector(text: str) -> np.ndarray:
    return embed_precise_texts([text])[0]


@dataclass(frozen=True)
class PassageScores:
    """The question's cosine to every passage, read per section."""

    index: PassageIndex
    sims: np.ndarray

    def section(self, doc_id: str) -> np.ndarray:
        """The cosines of one section's passages, in its statements' order (empty when it has none)."""
        start, end = self.index.spans.get(doc_id, (0, 0))
        return self.sims[start:end]

    def best(self, doc_id: str) -> float:
        found = self.section(doc_id)
        return float(found.max()) if len(found) else 0.0

    def lesson_excess(self, doc_id: str, share: float = 1.0) -> float:
        """How far the closest passage of the section's lesson stands out from that lesson's passages on average:
        what one sentence or item of the lesson says beyond its topic (every passage of "What Is Jac?" is close to
        any question naming Jac; one common-mistake item close to a symptom stands out). The same for every section
        of a lesson: it weighs lessons against each other and leaves the order within a lesson to the words."""
        start, end = self.index.spans.get(doc_id, (0, 0))
        if end <= start:
            return 0.0
        lesson = int(self.index.lesson_of_row[start])
        return float(self._lesson_bests()[lesson]) - share * float(self._lesson_means()[lesson])

    def _lesson_bests(self) -> np.ndarray:
        cached = self.__dict__.get("_bests")
        if cached is None:
            cached = np.full(len(self.index.lesson_sizes), -1.0)
            np.maximum.at(cached, self.index.lesson_of_row, self.sims)
            object.__setattr__(self, "_bests", cached)
        return cached

    def _lesson_means(self) -> np.ndarray:
        cached = self.__dict__.get("_means")
        if cached is None:
            sums = np.bincount(self.index.lesson_of_row, weights=self.sims, minlength=len(self.index.lesson_sizes))
            cached = sums / np.maximum(self.index.lesson_sizes, 1)
            object.__setattr__(self, "_means", cached)
        return cached

    def top(self) -> float:
        return float(self.sims.max()) if len(self.sims) else 0.0

    def top_in(self, module_ids: "set[int] | tuple[int, ...]") -> float:
        if not len(self.sims) or not module_ids:
            return 0.0
        mask = np.isin(self.index.modules, list(module_ids))
        return float(self.sims[mask].max()) if mask.any() else 0.0

    def best_sections(self, k: int) -> list[str]:
        """The k sections with the closest passages, best first."""
        order = np.argsort(-self.sims)
        out: list[str] = []
        for row in order:
            doc_id = self.index.doc_ids[int(row)]
            if doc_id not in out:
                out.append(doc_id)
                if len(out) >= k:
                    break
        return out


def score_passages(index: HybridIndex, vector: np.ndarray) -> PassageScores:
    found = passage_index(index)
    sims = found.matrix @ vector.astype(np.float32) if len(found.matrix) else np.zeros(0, dtype=np.float32)
    return PassageScores(found, sims)


def blend(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    """The direction of `a` leaning towards `b` by `weight` (a follow-up read with its topic), L2-normalised."""
    mixed = a + weight * b
    norm = float(np.linalg.norm(mixed))
    return mixed / norm if norm else a
