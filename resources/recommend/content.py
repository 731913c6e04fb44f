"""The content score through the shared retrieval engine's embeddings (common.retrieval), and its evidence.

A learner's content query is a weighted mean of unit vectors, one per thing they told us or did:
- the resources they engaged with (weighted by the interaction's weight: complete > save > like > view);
- their goal, each declared interest, the concepts of the roadmaps they generated, the step of their roadmap and
  the module they study (one vector each, so a long text cannot drown a short one), and their bio. The declared
  interests weigh as one source together (each a share), so several of them cannot drown a short history.
Each catalogue item's content score is its cosine to that query. Every source is kept as an `Evidence` so a reason
can name the one that actually matches the item ("matches your goal: data analysis").
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from common.retrieval import embed_texts

# How much each kind of evidence weighs in the content query (history weights are per interaction on top).
SOURCE_WEIGHTS = {"history": 1.0, "goal": 1.0, "interest": 1.0, "step": 0.8, "module": 0.8, "concept": 0.6, "bio": 0.3}
MATCH_MIN = 0.3  # cosine from which an item "matches" an evidence text (wordllama: related ≥ ~0.35, unrelated ≤ ~0.2)


@dataclass(frozen=True)
class Evidence:
    kind: str  # goal | interest | concept | step | module | bio
    label: str  # what a reason names ("data analysis", the roadmap's title …)
    vector: np.ndarray
    weight: float


def evidence_from_texts(items: Sequence[tuple[str, str, str]]) -> list[Evidence]:
    """`(kind, label, text)` triples → evidence, embedded in one batch; empty texts dropped."""
    kept = [(k, label, text) for k, label, text in items if text and text.strip()]
    if not kept:
        return []
    vectors = embed_texts([text for _, _, text in kept])
    return [
        Evidence(kind=k, label=label, vector=v, weight=SOURCE_WEIGHTS[k])
        for (k, label, _), v in zip(kept, vectors, strict=True)
        if np.any(v)
    ]


def content_scores(
    vectors: np.ndarray, evidence: Sequence[Evidence], history: np.ndarray, history_weights: np.ndarray
) -> np.ndarray:
    """Cosine of every item to the learner's content query (zeros when the learner told us nothing). `history`
    are catalogue positions of engaged items, `history_weights` their positive weights."""
    parts, weights = [], []
    if len(history):
        w = history_weights / history_weights.sum()
        centroid = (vectors[history] * w[:, None]).sum(axis=0)
        norm = float(np.linalg.norm(centroid))
        if norm > 0:
            parts.append(centroid / norm)
            weights.append(SOURCE_WEIGHTS["history"] * min(1.0, 0.5 + 0.1 * len(history)))
    n_interests = sum(e.kind == "interest" for e in evidence)
    for e in evidence:
        parts.append(e.vector)
        # The declared interests weigh as one source together: three of them cannot drown the history.
        weights.append(e.weight / n_interests if e.kind == "interest" else e.weight)
    if not parts:
        return np.zeros(len(vectors), dtype=np.float32)
    query = (np.asarray(parts) * np.asarray(weights, dtype=np.float32)[:, None]).sum(axis=0)
    norm = float(np.linalg.norm(query))
    if norm == 0:
        return np.zeros(len(vectors), dtype=np.float32)
    return (vectors @ (query / norm)).astype(np.float32)


def best_match(item: np.ndarray, evidence: Sequence[Evidence], kinds: set[str]) -> tuple[Evidence, float] | None:
    """The evidence of one of `kinds` the item matches best, if its cosine reaches MATCH_MIN."""
    best: tuple[Evidence, float] | None = None
    for e in evidence:
        if e.kind in kinds:
            cos = float(item @ e.vector)
            if cos >= MATCH_MIN and (best is None or cos > best[1]):
                best = (e, cos)
    return best
