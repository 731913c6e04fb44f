"""BM25 over a corpus in process (title words weighted as BM25F: a title occurrence counts TITLE_BOOST times).

The index is a sparse docs × terms matrix of precomputed BM25 weights (float32 data, int32 indices), so a query is
the sum of a few columns: O(matches), no Python loop over documents.
"""

from array import array
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from common.retrieval.text import terms

K1 = 1.2
B = 0.75
TITLE_BOOST = 3


class BM25:
    def __init__(self, titles: Sequence[str], texts: Sequence[str]):
        vocabulary: dict[str, int] = {}
        # C arrays, not lists: a list of 1M Python ints costs ~36 MB while building, which the process keeps.
        rows = array("i")
        cols = array("i")
        counts = array("f")
        lengths = np.zeros(len(texts), dtype=np.float32)
        for row, (title, text) in enumerate(zip(titles, texts, strict=True)):
            tf: dict[int, float] = {}
            for weight, words in ((TITLE_BOOST, terms(title)), (1, terms(text))):
                for word in words:
                    col = vocabulary.setdefault(word, len(vocabulary))
                    tf[col] = tf.get(col, 0.0) + weight
                    lengths[row] += weight
            rows.extend(array("i", [row]) * len(tf))
            cols.extend(tf)
            counts.extend(tf.values())
        self.vocabulary = vocabulary
        n = len(texts)
        tf_arr = np.frombuffer(counts, dtype=np.float32) if counts else np.zeros(0, dtype=np.float32)
        rows_arr = np.frombuffer(rows, dtype=np.int32) if rows else np.zeros(0, dtype=np.int32)
        cols_arr = np.frombuffer(cols, dtype=np.int32) if cols else np.zeros(0, dtype=np.int32)
        df = np.bincount(cols_arr, minlength=len(vocabulary)).astype(np.float32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avg = float(lengths.mean()) if n and lengths.mean() > 0 else 1.0
        norm = K1 * (1 - B + B * lengths[rows_arr] / avg)
        weights = idf[cols_arr] * tf_arr * (K1 + 1) / (tf_arr + norm)
        # Column-major: a query reads whole columns.
        self.matrix = sparse.csc_matrix(
            (weights.astype(np.float32), (rows_arr, cols_arr)), shape=(n, max(len(vocabulary), 1)), dtype=np.float32
        )
        self.matrix.indices = self.matrix.indices.astype(np.int32)
        self.size = n

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray, int]:
        """(scores of every doc as float32, how many distinct query terms each doc has, distinct known terms)."""
        cols = sorted({self.vocabulary[t] for t in terms(query) if t in self.vocabulary})
        total = np.zeros(self.size, dtype=np.float32)
        matched = np.zeros(self.size, dtype=np.int16)
        for col in cols:
            start, end = self.matrix.indptr[col], self.matrix.indptr[col + 1]
            rows = self.matrix.indices[start:end]
            total[rows] += self.matrix.data[start:end]
            matched[rows] += 1
        return total, matched, len(cols)

    def idf(self, term: str) -> float:
        """The inverse document frequency of an (already stemmed) term over this corpus; a term no document has
        gets the rarest term's weight."""
        col = self.vocabulary.get(term)
        df = 0 if col is None else int(self.matrix.indptr[col + 1] - self.matrix.indptr[col])
        return float(np.log1p((self.size - df + 0.5) / (df + 0.5)))
