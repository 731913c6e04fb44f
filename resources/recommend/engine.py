"""The recommender's maths, free of Django: interaction weights, the user × item matrix, the collaborative models
(ALS via `implicit`, a numpy item-kNN fallback), the popularity prior, blending and the ranking metrics."""

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

# Implicit-feedback weight of each interaction type; a 1–5 rating r weighs r − 2.5 (≤ 2 → negative: a dislike).
TYPE_WEIGHTS = {"view": 1.0, "like": 2.0, "save": 3.0, "complete": 4.0}
RATING_CENTRE = 2.5
DISLIKE_MAX_RATING = 2


def interaction_weight(interaction_type: str, rating: int | None = None) -> float:
    if interaction_type == "rate":
        return float(rating or 0) - RATING_CENTRE
    return TYPE_WEIGHTS.get(interaction_type, 0.0)


def combine(weights: list[float]) -> float:
    """One (user, item) weight from its interactions: any negative rating makes it a dislike, else the sum."""
    if any(w < 0 for w in weights):
        return min(weights)
    return float(sum(weights))


def build_matrix(
    users: np.ndarray, items: np.ndarray, weights: np.ndarray, n_users: int, n_items: int
) -> sp.csr_matrix:
    """Positive weights only (dislikes are a filter, not a signal); duplicate (user, item) pairs add up."""
    keep = weights > 0
    matrix = sp.csr_matrix(
        (weights[keep].astype(np.float32), (users[keep], items[keep])), shape=(n_users, n_items), dtype=np.float32
    )
    matrix.sum_duplicates()
    return matrix


# --- Collaborative models ---------------------------------------------------------------------------------------------


@dataclass
class CollabModel:
    """What serving needs: ALS item factors (a user's factors are solved at request time from their current
    interactions, so a new like counts before the next retrain), an item-kNN, EASE or sequence similarity matrix,
    or a blend of them (z-normalised scores mixed by `shares`, the mix chosen on validation).

    Scoring takes the user's rows of positive weights and, optionally, `recency`: the same entries holding each
    item's rank in the user's history by time (1 = the newest). Only the sequence model reads it (its `decay`
    weighs the newest items most); the others ignore it."""

    kind: str  # "als" | "itemknn" | "ease" | "sequence" (score through a sparse item × item matrix) | "blend"
    item_ids: np.ndarray  # catalogue ids, one per column
    item_factors: np.ndarray | None = None
    regularization: float = 0.05
    alpha: float = 1.0
    similarity: sp.csr_matrix | None = None
    params: dict[str, Any] = field(default_factory=dict)  # the hyper-parameters it was fitted with (for records)
    # P(j | i) item × item (`fit_cooccurrence`): scores users with a short history (`score_personal`)
    cooccurrence: sp.csr_matrix | None = None
    parts: list["CollabModel"] = field(default_factory=list)  # a blend's models
    shares: list[float] = field(default_factory=list)  # … and the weight of each one's z-normalised scores
    decay: float = 1.0  # sequence: an item of recency rank r weighs decay ** (r − 1) in the user's query
    _gram: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def user_vector(self, row: sp.csr_matrix) -> np.ndarray:
        """The ALS least-squares user factors for one row of confidences (implicit's `recalculate_user`)."""
        assert self.item_factors is not None
        factors = self.item_factors
        if self._gram is None:
            self._gram = factors.T @ factors
        idx, conf = row.indices, row.data * self.alpha
        y = factors[idx]
        a = self._gram + (y.T * conf) @ y + self.regularization * np.eye(factors.shape[1], dtype=factors.dtype)
        b = (y.T * (1.0 + conf)).sum(axis=1)
        return np.linalg.solve(a, b)

    def score(self, row: sp.csr_matrix, recency: sp.csr_matrix | None = None) -> np.ndarray:
        """Scores of every item for a user given as a 1 × n_items sparse row of positive weights."""
        if row.nnz == 0:
            return np.zeros(self.n_items, dtype=np.float32)
        if self.kind in ("blend", "sequence"):
            return self.score_many(row, recency)[0]
        if self.kind == "als":
            return (self.item_factors @ self.user_vector(row)).astype(np.float32)
        if self.kind == "ease":  # EASE is defined on the binarised history
            row = row.copy()
            row.data[:] = 1.0
        assert self.similarity is not None
        return np.asarray((row @ self.similarity).todense()).ravel().astype(np.float32)

    def score_many(self, matrix: sp.csr_matrix, recency: sp.csr_matrix | None = None) -> np.ndarray:
        if self.kind == "blend":
            # Each part's scores z-normalised over the items the user does not hold, then mixed.
            fresh = np.ones(matrix.shape, dtype=bool)
            fresh[matrix.nonzero()] = False
            mixed = [
                w * znorm_rows(m.score_many(matrix, recency), fresh)
                for m, w in zip(self.parts, self.shares, strict=True)
                if w
            ]
            return np.sum(mixed, axis=0).astype(np.float32)
        if self.kind == "als":
            return np.vstack([self.score(matrix[u]) for u in range(matrix.shape[0])])
        if self.kind == "ease":
            matrix = matrix.copy()
            matrix.data[:] = 1.0
        if self.kind == "sequence":
            matrix = sequence_query(matrix, recency, self.decay)
        assert self.similarity is not None
        return np.asarray((matrix @ self.similarity).todense(), dtype=np.float32)

    def score_personal(self, row: sp.csr_matrix, recency: sp.csr_matrix | None = None) -> np.ndarray:
        """What serving uses: the model's scores, or for a user with at most `SHORT_HISTORY` items the
        co-occurrence scores (Σ over their items i of P(j | i)), which a handful of items cannot mislead the way
        they mislead a factor model or EASE."""
        if self.cooccurrence is not None and 0 < row.nnz <= SHORT_HISTORY:
            return cooccurrence_scores(self.cooccurrence, row)[0]
        return self.score(row, recency)

    def score_personal_many(self, matrix: sp.csr_matrix, recency: sp.csr_matrix | None = None) -> np.ndarray:
        scores = self.score_many(matrix, recency)
        if self.cooccurrence is not None:
            lengths = np.diff(matrix.indptr)
            short = np.flatnonzero((lengths > 0) & (lengths <= SHORT_HISTORY))
            if len(short):
                scores[short] = cooccurrence_scores(self.cooccurrence, matrix[short])
        return scores

    def neighbour(self, item: int, among: np.ndarray, *, short: bool = False) -> int | None:
        """The item of `among` most similar to `item` (for "people who liked X also liked this"); `short`: the
        user was scored by co-occurrence (`score_personal`), so the neighbour is the item of `among` whose users
        most often have `item` too."""
        if len(among) == 0:
            return None
        if short and self.cooccurrence is not None:
            sims = np.asarray(self.cooccurrence[among][:, item].todense()).ravel()
        elif self.kind == "blend":  # the part that weighs most names the neighbour
            return self.parts[int(np.argmax(self.shares))].neighbour(item, among)
        elif self.kind == "als":
            assert self.item_factors is not None
            f = self.item_factors
            sims = f[among] @ f[item]
        else:
            assert self.similarity is not None
            sims = np.asarray(self.similarity[among][:, item].todense()).ravel()
        best = int(np.argmax(sims))
        return int(among[best]) if sims[best] > 0 else None

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        arrays: dict[str, Any] = {"kind": np.array(self.kind), "item_ids": self.item_ids}
        if self.kind == "als":
            arrays |= {"item_factors": self.item_factors, "reg": np.array(self.regularization)}
            arrays["alpha"] = np.array(self.alpha)
        elif self.kind == "sequence":
            arrays["decay"] = np.array(self.decay, dtype=np.float64)
        elif self.kind == "blend":
            arrays["shares"] = np.array(self.shares, dtype=np.float64)
            for n, part in enumerate(self.parts):
                arrays[f"part{n}"] = np.frombuffer(part.to_bytes(), dtype=np.uint8)
        if self.kind not in ("als", "blend"):
            s = self.similarity.tocsr()  # type: ignore[union-attr]
            arrays |= {"data": s.data, "indices": s.indices, "indptr": s.indptr, "shape": np.array(s.shape)}
        if self.cooccurrence is not None:
            c = self.cooccurrence.tocsr()
            arrays |= {"co_data": c.data, "co_indices": c.indices, "co_indptr": c.indptr}
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> "CollabModel":
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            kind = str(z["kind"])
            n = len(z["item_ids"])
            cooc = (
                sp.csr_matrix((z["co_data"], z["co_indices"], z["co_indptr"]), shape=(n, n))
                if "co_data" in z.files
                else None
            )
            if kind == "blend":
                shares = [float(w) for w in z["shares"]]
                parts = [cls.from_bytes(z[f"part{k}"].tobytes()) for k in range(len(shares))]
                return cls(kind=kind, item_ids=z["item_ids"], parts=parts, shares=shares, cooccurrence=cooc)
            if kind == "als":
                return cls(
                    kind=kind,
                    item_ids=z["item_ids"],
                    item_factors=z["item_factors"],
                    regularization=float(z["reg"]),
                    alpha=float(z["alpha"]),
                    cooccurrence=cooc,
                )
            sim = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
            decay = float(z["decay"]) if "decay" in z.files else 1.0
            return cls(kind=kind, item_ids=z["item_ids"], similarity=sim, cooccurrence=cooc, decay=decay)


SHORT_HISTORY = 5  # users with at most this many items are scored by co-occurrence (`score_personal`)
COOC_KEEP = 200  # P(j | i) kept per item i: the largest


def fit_cooccurrence(matrix: sp.csr_matrix, keep: int = COOC_KEEP, block: int = 1024) -> sp.csr_matrix:
    """P(j | i) = the share of the users who have item i that also have item j (binarised history; the `keep`
    largest per row i). Undamped by j's own popularity on purpose: for a user with a handful of items it is the
    popularity among the people who share them, the strongest short-history signal measured (bench). Computed
    `block` rows at a time (a dense block × items array, then each row's top `keep`)."""
    binary = matrix.tocsr().astype(np.float32)
    binary.data[:] = 1.0
    n = binary.shape[1]
    counts = np.maximum(np.asarray(binary.sum(axis=0)).ravel(), 1.0)
    by_item = binary.T.tocsr()
    rows, cols, vals = [], [], []
    for start in range(0, n, block):
        stop = min(start + block, n)
        dense = (by_item[start:stop] @ binary).toarray()
        dense[np.arange(stop - start), np.arange(start, stop)] = 0.0
        dense /= counts[start:stop, None]
        if keep and n > keep:
            top = np.argpartition(-dense, keep - 1, axis=1)[:, :keep]
        else:
            top = np.broadcast_to(np.arange(n), dense.shape)
        values = np.take_along_axis(dense, top, axis=1)
        nonzero = values > 0
        rows.append(np.nonzero(nonzero)[0] + start)
        cols.append(top[nonzero])
        vals.append(values[nonzero])
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n), dtype=np.float32
    )


def cooccurrence_scores(cooccurrence: sp.csr_matrix, rows: sp.csr_matrix) -> np.ndarray:
    binary = rows.tocsr().copy()
    binary.data[:] = 1.0
    return np.asarray((binary @ cooccurrence).todense(), dtype=np.float32).reshape(rows.shape[0], -1)


SEQUENCE_WINDOW = 3  # items at most this many positions apart in a user's history count as "one after another"
SEQUENCE_KEEP = 200  # similarities kept per item: the largest


def recency_ranks(matrix: sp.csr_matrix, times: sp.csr_matrix) -> sp.csr_matrix:
    """Each entry of `matrix` replaced by its rank in its row by `times` (same shape), the newest 1; ties by
    column. The `recency` argument of the models' scoring."""
    coo = matrix.tocoo()
    when = np.asarray(times.tocsr()[coo.row, coo.col]).ravel()
    order = np.lexsort((coo.col, -when, coo.row))
    rows = coo.row[order]
    starts = np.r_[0, np.flatnonzero(np.diff(rows)) + 1] if len(rows) else np.zeros(0, dtype=np.int64)
    rank = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)])) + 1
    return sp.csr_matrix((rank.astype(np.float32), (rows, coo.col[order])), shape=matrix.shape, dtype=np.float32)


def sequence_query(matrix: sp.csr_matrix, recency: sp.csr_matrix | None, decay: float) -> sp.csr_matrix:
    """The sequence model's query rows: 1 per held item, or decay ** (rank − 1) by recency (the newest 1)."""
    if recency is None or decay >= 1.0:
        query = matrix.tocsr().copy()
        query.data[:] = 1.0
        return query
    query = recency.tocsr().copy()
    query.data = (decay ** (query.data - 1.0)).astype(np.float32)
    return query


def fit_sequence(
    matrix: sp.csr_matrix,
    times: sp.csr_matrix,
    item_ids: np.ndarray,
    *,
    window: int = SEQUENCE_WINDOW,
    keep: int = SEQUENCE_KEEP,
    decay: float = 1.0,
) -> CollabModel:
    """Items used one after another: in each user's positive history ordered by time, every pair at most `window`
    positions apart counts once (both ways); the counts are cosine-normalised by the items' counts
    (C[i, j] / √(n_i·n_j)) and the `keep` largest of each row kept. A user's scores are q·C, q their history (1
    each, or weighted by recency with `decay`). Where co-occurrence over whole histories (EASE, P(j | i)) says
    "used by the same people", this says "used next to each other", the order a learner goes through a topic."""
    coo = matrix.tocoo()
    n = matrix.shape[1]
    when = np.asarray(times.tocsr()[coo.row, coo.col]).ravel()
    order = np.lexsort((coo.col, when, coo.row))
    users, items = coo.row[order], coo.col[order]
    rows, cols = [], []
    for gap in range(1, max(window, 1) + 1):
        same = users[gap:] == users[:-gap]
        a, b = items[:-gap][same], items[gap:][same]
        rows += [a, b]
        cols += [b, a]
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    counts = sp.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(n, n), dtype=np.float32)
    counts.sum_duplicates()
    counts.setdiag(0)
    counts.eliminate_zeros()
    norm = 1.0 / np.sqrt(np.maximum(np.bincount(items, minlength=n), 1).astype(np.float32))
    similarity = (sp.diags(norm) @ counts @ sp.diags(norm)).tocsr().astype(np.float32)
    similarity = _top_per_row(similarity, keep)
    params = {"window": window, "decay": decay}
    return CollabModel(kind="sequence", item_ids=item_ids, similarity=similarity, decay=decay, params=params)


def _top_per_row(matrix: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """The `keep` largest entries of each row."""
    lengths = np.diff(matrix.indptr)
    if not keep or lengths.max(initial=0) <= keep:
        return matrix
    mask = np.ones(matrix.nnz, dtype=bool)
    for i in np.flatnonzero(lengths > keep):
        start, end = matrix.indptr[i], matrix.indptr[i + 1]
        drop = np.argpartition(-matrix.data[start:end], keep - 1)[keep:]
        mask[start + drop] = False
    coo = matrix.tocoo()
    return sp.csr_matrix((coo.data[mask], (coo.row[mask], coo.col[mask])), shape=matrix.shape, dtype=np.float32)


def fit_itemknn(matrix: sp.csr_matrix, item_ids: np.ndarray, k: int = 50) -> CollabModel:
    """Cosine item-item similarity, the top `k` neighbours of each item kept (numpy/scipy only)."""
    binary = matrix.copy().tocsc()
    norms = np.sqrt(np.asarray(binary.multiply(binary).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    normalised = binary @ sp.diags(1.0 / norms)
    sim = (normalised.T @ normalised).tocsr().astype(np.float32)
    sim.setdiag(0)
    sim.eliminate_zeros()
    rows, cols, vals = [], [], []
    for i in range(sim.shape[0]):
        start, end = sim.indptr[i], sim.indptr[i + 1]
        if end == start:
            continue
        data, idx = sim.data[start:end], sim.indices[start:end]
        top = np.argpartition(-data, min(k, len(data)) - 1)[:k] if len(data) > k else np.arange(len(data))
        rows.extend([i] * len(top))
        cols.extend(idx[top].tolist())
        vals.extend(data[top].tolist())
    topk = sp.csr_matrix((vals, (rows, cols)), shape=sim.shape, dtype=np.float32)
    return CollabModel(kind="itemknn", item_ids=item_ids, similarity=topk)


EASE_LAMBDA = 200.0
EASE_LAMBDAS = (100.0, 200.0, 400.0)  # the retrain and the bench pick one on a validation split carved from train
EASE_KEEP = 400  # weights kept per item column (the dense B is items² floats; the largest carry the ranking)
EASE_MIN_COUNT = 3  # items with fewer interactions stay out of B (they score 0): items³ time, items² memory
# At most this many items (the most interacted with) enter B: the solve is items³, so 3,000 items fit in ~1–2 s on
# one core where 5,000 took ~15 s; the long tail left out scores 0 from EASE (content and popularity still rank it).
EASE_MAX_ITEMS = 3000


def _ease_gram(matrix: sp.csr_matrix, min_count: int, max_items: int = EASE_MAX_ITEMS) -> tuple[np.ndarray, np.ndarray]:
    """(active columns, XᵀX over them) of the binarised matrix; active = at least `min_count` interactions and
    among the `max_items` most interacted with."""
    binary = matrix.copy().astype(np.float32).tocsc()
    binary.data[:] = 1.0
    counts = np.diff(binary.indptr)
    active = np.flatnonzero(counts >= max(min_count, 1))
    if len(active) > max_items:
        top = np.argsort(-counts[active], kind="stable")[:max_items]
        active = np.sort(active[top])
    sub = binary[:, active]
    return active, np.asarray((sub.T @ sub).todense(), dtype=np.float32)


def _ease_from_gram(
    gram: np.ndarray, active: np.ndarray, n: int, item_ids: np.ndarray, lam: float, keep: int
) -> CollabModel:
    from scipy.linalg import lapack

    a = gram.copy()
    a[np.diag_indices_from(a)] += lam
    # Inverse of a symmetric positive-definite matrix through its Cholesky factor (float32 LAPACK).
    factor, info = lapack.spotrf(a, lower=1, clean=1, overwrite_a=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: Cholesky failed ({info})")
    precision, info = lapack.spotri(factor, lower=1, overwrite_c=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: inverse failed ({info})")
    precision = np.tril(precision)  # spotri fills the lower triangle: mirror it
    precision += precision.T
    precision[np.diag_indices_from(precision)] *= 0.5
    diag = np.diag(precision).copy()
    # Column j of B is −P[:, j] / P[j, j]; P is symmetric, so it is row j of −P / diag[:, None]: rows are contiguous
    # in memory, which makes the per-column top-k below several times faster than working down columns.
    columns = precision
    columns /= -diag[:, None]
    np.fill_diagonal(columns, 0.0)
    m = len(diag)
    if m > keep:
        top = np.argpartition(np.abs(columns), m - keep, axis=1)[:, m - keep :]
        cols = np.repeat(np.arange(m), keep)
        rows = top.ravel()
    else:
        cols, rows = np.divmod(np.arange(m * m), m)
    values = columns[cols, rows]  # B[row, col]
    similarity = sp.csr_matrix((values, (active[rows], active[cols])), shape=(n, n), dtype=np.float32)
    similarity.eliminate_zeros()
    return CollabModel(kind="ease", item_ids=item_ids, similarity=similarity, params={"lambda": lam})


def fit_ease(
    matrix: sp.csr_matrix,
    item_ids: np.ndarray,
    *,
    lam: float = EASE_LAMBDA,
    keep: int = EASE_KEEP,
    min_count: int = EASE_MIN_COUNT,
    max_items: int = EASE_MAX_ITEMS,
) -> CollabModel:
    """EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): the closed-form item × item model
    B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹, diag(B) = 0, on the binarised user × item matrix; a user's
    scores are x·B. Cost grows with items² (memory) and items³ (time), so only items with at least `min_count`
    interactions, and at most the `max_items` most interacted with, enter B (the rest cannot be ranked by
    co-occurrence anyway); only the `keep` largest weights of each column are stored."""
    active, gram = _ease_gram(matrix, min_count, max_items)
    return _ease_from_gram(gram, active, matrix.shape[1], item_ids, lam, keep)


def fit_ease_path(
    matrix: sp.csr_matrix, item_ids: np.ndarray, lams: tuple[float, ...] = EASE_LAMBDAS, **kwargs: Any
) -> list[CollabModel]:
    """One EASE model per λ, sharing the Gram matrix (for tuning λ on a validation split)."""
    active, gram = _ease_gram(matrix, kwargs.pop("min_count", EASE_MIN_COUNT), kwargs.pop("max_items", EASE_MAX_ITEMS))
    keep = kwargs.pop("keep", EASE_KEEP)
    return [_ease_from_gram(gram, active, matrix.shape[1], item_ids, lam, keep) for lam in lams]


def implicit_available() -> bool:
    try:
        import implicit  # noqa: F401
    except ImportError:
        return False
    return True


MIN_ALS_INTERACTIONS = 200


def fit_collaborative(
    matrix: sp.csr_matrix,
    item_ids: np.ndarray,
    *,
    factors: int = 32,
    regularization: float = 0.1,
    alpha: float = 1.0,
    iterations: int = 15,
    seed: int = 42,
) -> CollabModel:
    """ALS via `implicit` when installed and the data is not tiny; the item-kNN otherwise. Defaults tuned on
    MovieLens (random 75/25 split): 32 factors, regularisation 0.1, alpha 1; 15 iterations (on a validation split
    carved from the random split's train, 10/15/20 iterations score NDCG@10 1.49/1.49/1.50× popularity: within
    noise, and 15 fit in three quarters of the time)."""
    if not implicit_available() or matrix.nnz < MIN_ALS_INTERACTIONS:
        return fit_itemknn(matrix, item_ids)
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"):  # implicit parallelises itself; a BLAS thread pool only slows it down
        model = AlternatingLeastSquares(
            factors=factors, regularization=regularization, alpha=alpha, iterations=iterations, random_state=seed
        )
        model.fit(matrix.tocsr(), show_progress=False)
    return CollabModel(
        kind="als",
        item_ids=item_ids,
        item_factors=np.asarray(model.item_factors, dtype=np.float32),
        regularization=regularization,
        alpha=alpha,
        params={"factors": factors, "regularization": regularization, "alpha": alpha, "iterations": iterations},
    )


ALS_GRID: tuple[dict[str, Any], ...] = (  # 64 factors / reg. 1.0 dropped: costliest, won no MovieLens split
    {"factors": 16, "regularization": 0.1},
    {"factors": 32, "regularization": 0.1},
)
VALIDATION_MAX_USERS = 2000  # users scored per tuning candidate: enough to rank settings, a fifth of the cost at 10k


def validation_split(
    matrix: sp.csr_matrix, share: float = 0.2, seed: int = 7, times: sp.csr_matrix | None = None
) -> tuple[sp.csr_matrix, dict]:
    """A validation split carved from a training matrix: per user with ≥ 2 items, a random `share` of them — or,
    given `times` (each pair's time, same shape), their latest `share`, so a model judged on what comes next is
    tuned on what came next too. Returns (the rest as a matrix, {user: validation items}). Hyper-parameters are
    chosen here, never on test."""
    rng = np.random.default_rng(seed)
    coo = matrix.tocoo()
    when = np.asarray(times.tocsr()[coo.row, coo.col]).ravel() if times is not None else None
    keep = np.ones(coo.nnz, dtype=bool)
    order = np.lexsort((when, coo.row)) if when is not None else np.argsort(coo.row, kind="stable")
    bounds = np.flatnonzero(np.diff(coo.row[order])) + 1
    valid: dict[int, set[int]] = {}
    for group in np.split(order, bounds):
        n_val = round(len(group) * share)
        if len(group) > 1 and n_val:
            picked = group[-n_val:] if when is not None else rng.choice(group, size=n_val, replace=False)
            keep[picked] = False
            valid[int(coo.row[group[0]])] = {int(i) for i in coo.col[picked]}
    rest = sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=matrix.shape, dtype=np.float32)
    return rest, valid


BLEND_EASE_SHARES = (0.3, 0.5, 0.7)  # the EASE weight of an ALS + EASE blend, chosen on the validation split


SEQUENCE_SHARES = (0.2, 0.35, 0.5)  # the sequence model's weight in the blend, chosen on the validation split …
SEQUENCE_DECAYS = (1.0, 0.8)  # … with its recency decay (1: every held item alike), when times are known


def blend_of(parts: list[CollabModel], shares: list[float]) -> CollabModel:
    """A blend of fitted models over the same items (z-normalised scores mixed by `shares`)."""
    params = {"parts": [{"kind": m.kind, **m.params} for m in parts], "shares": list(shares)}
    return CollabModel(kind="blend", item_ids=parts[0].item_ids, parts=parts, shares=list(shares), params=params)


def refit(
    model: CollabModel, matrix: sp.csr_matrix, item_ids: np.ndarray, times: sp.csr_matrix | None = None
) -> CollabModel:
    """A model of the same kind and hyper-parameters fitted on `matrix` (the retrain's final fit; a sequence
    model needs the `times` of its pairs)."""
    if model.kind == "blend":
        return blend_of([refit(m, matrix, item_ids, times) for m in model.parts], model.shares)
    if model.kind == "sequence":
        assert times is not None
        return fit_sequence(matrix, times, item_ids, window=model.params.get("window", SEQUENCE_WINDOW),
                            decay=model.decay)  # fmt: skip
    if model.kind == "ease":
        return fit_ease(matrix, item_ids, lam=model.params.get("lambda", EASE_LAMBDA))
    if model.kind == "itemknn":
        return fit_itemknn(matrix, item_ids)
    return fit_collaborative(matrix, item_ids, **{k: v for k, v in model.params.items() if k != "iterations"})


def _tune_blend(
    als: CollabModel,
    ease: CollabModel,
    part: sp.csr_matrix,
    times: sp.csr_matrix | None,
    ndcg: Any,
    grid: dict[str, float],
) -> CollabModel:
    """The blend chosen on validation: ALS + EASE with the best EASE share, then (given `times`) the sequence model
    at each share and decay beside them, kept only where it scores higher. `grid` records every candidate."""
    best_share = (-1.0, BLEND_EASE_SHARES[0])
    for share in BLEND_EASE_SHARES:
        value = ndcg(blend_of([als, ease], [1.0 - share, share]))
        grid[repr({"ease_share": share})] = round(value, 5)
        best_share = max(best_share, (value, share))
    pair = [1.0 - best_share[1], best_share[1]]
    best = (best_share[0], blend_of([als, ease], pair))
    if times is None:
        return best[1]
    for decay in SEQUENCE_DECAYS:
        sequence = fit_sequence(part, times, als.item_ids, decay=decay)
        for share in SEQUENCE_SHARES:
            candidate = blend_of([als, ease, sequence], [pair[0] * (1.0 - share), pair[1] * (1.0 - share), share])
            value = ndcg(candidate)
            grid[repr({"ease_share": best_share[1], "sequence_share": share, "decay": decay})] = round(value, 5)
            if value > best[0]:
                best = (value, candidate)
    return best[1]


def tune_and_fit(
    matrix: sp.csr_matrix,
    item_ids: np.ndarray,
    *,
    ease: bool = True,
    times: sp.csr_matrix | None = None,
    validate_by_time: bool | None = None,
) -> tuple[dict[str, CollabModel], dict[str, dict[str, float]]]:
    """Each family's hyper-parameters (ALS: `ALS_GRID`; EASE: `EASE_LAMBDAS`; the blend of the two winners:
    `BLEND_EASE_SHARES`, then the sequence model's share and decay in it: `SEQUENCE_SHARES` × `SEQUENCE_DECAYS`,
    or none) chosen by NDCG@10 on a validation split carved from `matrix` (each user's latest 20% when validating
    by time — the default when `times` are given —, else a random 20%; at most `VALIDATION_MAX_USERS` users
    scored), then the chosen ones refitted on all of `matrix`. `times`: each pair's time (same shape), which the
    sequence model needs; without them the blend is ALS + EASE only. Returns ({family: model}, {family:
    {hyper-parameters: validation NDCG@10}}); families: "collaborative" (ALS, or the item-kNN when implicit is
    missing or the data tiny), "ease" and "blend" (when `ease`). Every model carries the co-occurrence of `matrix`
    for short histories."""
    by_time = times is not None if validate_by_time is None else validate_by_time
    part, valid = validation_split(matrix, times=times if by_time else None)
    valid = {u: v for u, v in valid.items() if part[u].nnz}
    if len(valid) > VALIDATION_MAX_USERS:
        picked = np.random.default_rng(3).choice(sorted(valid), size=VALIDATION_MAX_USERS, replace=False)
        valid = {int(u): valid[int(u)] for u in picked}
    scores: dict[str, dict[str, float]] = {"collaborative": {}, "ease": {}}
    part_recency = recency_ranks(part, times) if times is not None else None

    def ndcg(model: CollabModel) -> float:
        def score(us: np.ndarray) -> np.ndarray:
            return model.score_many(part[us], part_recency[us] if part_recency is not None else None)

        return ranking_metrics(score, part, valid)["ndcg@10"]

    best_als: tuple[float, CollabModel | None] = (-1.0, None)
    for params in ALS_GRID:
        model = fit_collaborative(part, item_ids, **params)
        value = ndcg(model)
        scores["collaborative"][repr(model.params or {"kind": model.kind})] = round(value, 5)
        if value > best_als[0]:
            best_als = (value, model)
        if model.kind != "als":  # the item-kNN fallback has no grid
            break
    assert best_als[1] is not None
    models = {"collaborative": refit(best_als[1], matrix, item_ids)}
    if ease:
        best_ease: tuple[float, CollabModel | None] = (-1.0, None)
        for model in fit_ease_path(part, item_ids, EASE_LAMBDAS):
            value = ndcg(model)
            scores["ease"][repr(model.params)] = round(value, 5)
            if value > best_ease[0]:
                best_ease = (value, model)
        assert best_ease[1] is not None
        models["ease"] = refit(best_ease[1], matrix, item_ids)
        scores["blend"] = {}
        chosen = _tune_blend(best_als[1], best_ease[1], part, times, ndcg, scores["blend"])
        refitted = [models["collaborative"], models["ease"]]
        refitted += [refit(m, matrix, item_ids, times) for m in chosen.parts[2:]]
        models["blend"] = blend_of(refitted, chosen.shares)
    cooccurrence = fit_cooccurrence(matrix)
    for model in models.values():
        model.cooccurrence = cooccurrence
    return models, scores


# --- Popularity, content, blending ------------------------------------------------------------------------------------


def popularity_prior(
    counts: np.ndarray, rating: np.ndarray, rating_count: np.ndarray, prior_weight: float = 5.0
) -> np.ndarray:
    """log(1 + interaction count) plus a Bayesian-shrunk mean rating (toward the catalogue mean)."""
    rated = rating_count > 0
    mean = float(np.average(rating[rated], weights=rating_count[rated])) if rated.any() else 0.0
    bayes = (rating * rating_count + mean * prior_weight) / (rating_count + prior_weight)
    return np.log1p(np.maximum(counts, 0)) + 0.5 * (bayes - mean)


def znorm(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-user z-normalisation over the candidate items (constant scores → zeros)."""
    out = np.zeros_like(scores, dtype=np.float32)
    if not mask.any():
        return out
    values = scores[mask]
    std = float(values.std())
    if std < 1e-9:
        return out
    out[mask] = (values - float(values.mean())) / std
    return out


CONTENT_SHARE = 0.6  # of the non-collaborative weight, for a learner with history only
CONTENT_SHARE_DECLARED = 0.7  # … for a learner who told us something (goal, interests, roadmaps, modules)


def blend_weights(n_interactions: int, has_collab: bool, declared: bool = False) -> dict[str, float]:
    """From content + popularity (cold start) toward collaborative as the user's history grows; content leads
    popularity for a learner who told us what they want to learn."""
    collab = 0.8 * n_interactions / (n_interactions + 5.0) if has_collab and n_interactions else 0.0
    rest = 1.0 - collab
    share = CONTENT_SHARE_DECLARED if declared else CONTENT_SHARE
    return {"collab": collab, "content": rest * share, "popularity": rest * (1 - share)}


DIVERSITY_PER_WINDOW = 3
DIVERSITY_WINDOW = 10


def diversity_cap(length: int, per_window: int = DIVERSITY_PER_WINDOW, window: int = DIVERSITY_WINDOW) -> int:
    """Most items of one media type allowed among `length` ≤ `window` consecutive positions: ⌈per·length/window⌉
    (3 in 10; proportionally 1 in 1–3, 2 in 4–6, 3 in 7–10)."""
    return max(1, math.ceil(per_window * min(length, window) / window))


def diversify(
    order: Any, media: Any, limit: int, *, per_window: int = DIVERSITY_PER_WINDOW, window: int = DIVERSITY_WINDOW
) -> list[int]:
    """Quota re-rank of candidates `order` (best first). The rule, at every page size: every run of k consecutive
    positions that is a prefix of the list (k ≤ 10) or any 10 consecutive positions hold at most
    `diversity_cap(k)` items of one media type. So the first k items of a list honour the rule for limit k, and a
    longer list honours it in every window of 10. Greedy: each position takes the best remaining candidate whose
    type is still allowed; only when no remaining candidate is allowed (the filtered candidates have too few
    types) does the best remaining one fill the position."""
    chosen: list[int] = []
    pending = list(order)
    while pending and len(chosen) < limit:
        recent = chosen[-(window - 1) :] if window > 1 else []
        span = min(len(chosen) + 1, window)
        cap = diversity_cap(span, per_window, window)
        counts: dict[Any, int] = {}
        for i in recent:
            counts[media[i]] = counts.get(media[i], 0) + 1
        pick = next((j for j, i in enumerate(pending) if counts.get(media[i], 0) < cap), 0)
        chosen.append(pending.pop(pick))
    return chosen


def diversity_pool(scores: np.ndarray, mask: np.ndarray, media: np.ndarray, limit: int) -> np.ndarray:
    """Candidates for `diversify`, best first: the top `limit` of every media type (so a dominant type cannot
    crowd the others out of the pool) and the overall top 3·limit."""
    pool = [top_n(scores, mask, max(3 * limit, 30))]
    for kind in np.unique(media[mask]):
        pool.append(top_n(scores, mask & (media == kind), limit))
    merged = np.unique(np.concatenate(pool))
    return merged[np.argsort(-scores[merged], kind="stable")]


def top_n(scores: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    candidates = np.flatnonzero(mask)
    if len(candidates) == 0:
        return candidates
    n = min(n, len(candidates))
    part = candidates[np.argpartition(-scores[candidates], n - 1)[:n]]
    return part[np.argsort(-scores[part], kind="stable")]


# --- Evaluation -------------------------------------------------------------------------------------------------------


def ranking_metrics(score_fn: Any, train: sp.csr_matrix, test: dict[int, set[int]], k: int = 10) -> dict[str, float]:
    """NDCG@k, precision@k and catalogue coverage@k; `score_fn(users) -> scores` (n_users × n_items), train items
    excluded from each user's list."""
    users = np.array(sorted(test))
    ndcgs, precisions, seen = [], [], set()
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    for chunk in range(0, len(users), 512):
        batch = users[chunk : chunk + 512]
        scores = np.asarray(score_fn(batch), dtype=np.float32)
        for row, u in enumerate(batch):
            s = scores[row]
            s[train[u].indices] = -np.inf
            top = np.argpartition(-s, k)[:k]
            top = top[np.argsort(-s[top])]
            relevant = test[int(u)]
            hits = np.array([int(i) in relevant for i in top], dtype=float)
            ideal = discounts[: min(len(relevant), k)].sum()
            ndcgs.append(float((hits * discounts).sum() / ideal) if ideal else 0.0)
            precisions.append(float(hits.sum() / k))
            seen.update(int(i) for i in top)
    n_items = train.shape[1]
    return {
        "ndcg@10": float(np.mean(ndcgs)) if ndcgs else 0.0,
        "precision@10": float(np.mean(precisions)) if precisions else 0.0,
        "coverage@10": len(seen) / n_items if n_items else 0.0,
    }


def temporal_split(
    users: np.ndarray, items: np.ndarray, weights: np.ndarray, times: np.ndarray, holdout: float = 0.2
) -> tuple[np.ndarray, dict[int, set[int]]]:
    """A global time cut: interactions after the (1 − holdout) quantile are the test set (positives only, items
    not already seen before the cut). Returns the train mask and the test sets."""
    cut = np.quantile(times, 1.0 - holdout) if len(times) else 0
    train = times <= cut
    seen = set(zip(users[train].tolist(), items[train].tolist(), strict=True))
    test: dict[int, set[int]] = {}
    for u, i, w in zip(users[~train].tolist(), items[~train].tolist(), weights[~train].tolist(), strict=True):
        if w > 0 and (u, i) not in seen:
            test.setdefault(u, set()).add(i)
    return train, test


def safe_float(value: float) -> float:
    return 0.0 if not math.isfinite(value) else round(float(value), 6)


def znorm_rows(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`znorm` for a batch of users (rows), over each row's candidates."""
    masked = np.where(mask, scores, np.nan)
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(masked, axis=1, keepdims=True)
        std = np.nanstd(masked, axis=1, keepdims=True)
    std = np.where(np.isfinite(std) & (std > 1e-9), std, np.inf)
    out = (scores - np.nan_to_num(mean)) / std
    return np.where(mask, out, 0.0).astype(np.float32)


def hybrid_rows(
    collab: np.ndarray,
    content: np.ndarray,
    popularity: np.ndarray,
    mask: np.ndarray,
    n_interactions: np.ndarray,
    declared: np.ndarray | None = None,
) -> np.ndarray:
    """The batch form of the hybrid score used by the service (same weights and normalisation, without the
    per-user preference boosts); `declared` marks users who told us something besides their history."""
    parts = [znorm_rows(collab, mask), znorm_rows(content, mask), znorm_rows(popularity, mask)]
    has_collab = np.any(parts[0] != 0, axis=1)
    told = np.zeros(len(n_interactions), dtype=bool) if declared is None else declared
    weights = np.array(
        [
            list(blend_weights(int(n), bool(h), bool(d)).values())
            for n, h, d in zip(n_interactions, has_collab, told, strict=True)
        ],
        dtype=np.float32,
    )
    return weights[:, :1] * parts[0] + weights[:, 1:2] * parts[1] + weights[:, 2:3] * parts[2]
