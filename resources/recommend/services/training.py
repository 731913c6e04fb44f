"""Retraining (Celery only): the training matrix, tuned candidates (ALS, EASE), the gate, the stored version."""

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max

from common import jobs
from common.models import Job
from resources.models import UserResourceInteraction
from resources.models_reco import RecommenderModel, RecommenderStatus
from resources.recommend import engine

logger = logging.getLogger(__name__)


MAX_TRAIN_INTERACTIONS = 5_000_000

# --- Retraining (Celery only) -----------------------------------------------------------------------------------------


def _training_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[Any], np.ndarray]:
    rows = list(
        UserResourceInteraction.objects.filter(resource__is_active=True)
        .order_by("id")
        .values_list("user_id", "resource_id", "interaction_type", "rating", "updated_at")[:MAX_TRAIN_INTERACTIONS]
    )
    per_pair: dict[tuple[Any, int], tuple[list[float], float]] = {}
    for user_id, resource_id, kind, rating, updated in rows:
        weights, latest = per_pair.get((user_id, resource_id), ([], 0.0))
        weights.append(engine.interaction_weight(kind, rating))
        per_pair[(user_id, resource_id)] = (weights, max(latest, updated.timestamp()))
    user_ids = sorted({u for u, _ in per_pair}, key=str)
    item_ids = np.array(sorted({i for _, i in per_pair}), dtype=np.int64)
    u_pos = {u: n for n, u in enumerate(user_ids)}
    i_pos = {int(i): n for n, i in enumerate(item_ids)}
    users = np.array([u_pos[u] for u, _ in per_pair], dtype=np.int64)
    items = np.array([i_pos[i] for _, i in per_pair], dtype=np.int64)
    weights = np.array([engine.combine(ws) for ws, _ in per_pair.values()], dtype=np.float32)
    times = np.array([t for _, t in per_pair.values()], dtype=np.float64)
    return users, items, weights, times, user_ids, item_ids


def data_signature() -> str:
    agg = UserResourceInteraction.objects.aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    return f"{agg['n']}:{agg['top']}:{agg['last'].isoformat() if agg['last'] else '-'}"


def passes_gate(*, candidate: float, popularity: float, current: float | None, margin: float = 0.0) -> bool:
    """Promote only a model beating both the popularity baseline and the current model on the same holdout."""
    return candidate > popularity + margin and (current is None or candidate > current + margin)


def _popularity_scorer(train: sp.csr_matrix) -> Any:
    counts = np.asarray((train > 0).sum(axis=0)).ravel().astype(np.float32)
    return lambda users: np.tile(counts, (len(users), 1))


RETRAIN_STAGES = ("fit candidates", "evaluate against popularity", "evaluate the current model",
                  "refit on every interaction", "store the version")  # fmt: skip


def _stage_reporter(job: Job) -> Callable[[str], None]:
    """A retrain's stage, readable while it runs (the staff dashboard, the Task's output): written on its job row."""

    def report(stage: str) -> None:
        index = RETRAIN_STAGES.index(stage) + 1
        Job.objects.filter(pk=job.pk).update(
            output_data={"stage": stage, "stage_index": index, "stages": len(RETRAIN_STAGES)}
        )
        logger.info("Recommender retrain %s/%s: %s", index, len(RETRAIN_STAGES), stage)

    return report


def retrain(*, force: bool = False) -> RecommenderModel | None:
    """Build the matrix, fit, evaluate on a time-based holdout against popularity and the current model, store the
    version and promote it only if it wins. Idempotent: the same interactions are never trained on twice (unless
    `force`); concurrent calls are serialised by a cache lock. Returns the stored version, or None when skipped."""
    if not cache.add("reco:retrain-lock", 1, settings.RECO_RETRAIN_LOCK_SECONDS):
        logger.info("Recommender retrain already running; skipped")
        return None
    try:
        signature = data_signature()
        if not force and RecommenderModel.objects.filter(data_signature=signature).exists():
            return None
        users, items, weights, times, user_ids, item_ids = _training_data()
        n_users, n_items = len(user_ids), len(item_ids)
        if int((weights > 0).sum()) < settings.RECO_MIN_TRAIN_INTERACTIONS:
            logger.info("Recommender retrain skipped: too few interactions")
            return None
        job = jobs.job_create(
            kind="recommender_retrain",
            title="Retrain the recommender",
            started=True,
            estimated_duration=30.0,
            input_data={"users": n_users, "items": n_items, "interactions": len(weights), "force": force},
        )
        try:
            stored = _fit_and_store(
                users, items, weights, times, user_ids, item_ids, signature, stage=_stage_reporter(job)
            )
        except Exception as exc:
            jobs.job_finish(job=job, failed=True, error=f"{type(exc).__name__}: {exc}")
            raise
        ndcg = stored.metrics["candidate"]["ndcg@10"]
        jobs.job_finish(job=job, output={"version": stored.pk, "status": stored.status, "ndcg@10": ndcg})
        return stored
    finally:
        cache.delete("reco:retrain-lock")


def _fit_and_store(
    users: np.ndarray,
    items: np.ndarray,
    weights: np.ndarray,
    times: np.ndarray,
    user_ids: list[Any],
    item_ids: np.ndarray,
    signature: str,
    stage: Callable[[str], None] = lambda name: None,
) -> RecommenderModel:
    """Fit on the time-based split, evaluate against popularity and the current model, store, maybe promote."""
    n_users, n_items = len(user_ids), len(item_ids)
    train_mask, test = engine.temporal_split(users, items, weights, times)
    train = engine.build_matrix(users[train_mask], items[train_mask], weights[train_mask], n_users, n_items)
    # The collaborative model only serves users with a history (others get content + popularity): judge it there.
    test = {u: relevant for u, relevant in test.items() if train[u].nnz > 0}
    # Two candidates on the same split: ALS (or the item-kNN fallback) and EASE, each with hyper-parameters
    # chosen on a validation split carved from this train (never on the holdout); the better one on the holdout
    # goes on to the gate. Both are recorded, with their validation grids.
    stage("fit candidates")
    started = time.perf_counter()
    # The holdout is what comes after a time cut, so validation is each user's latest interactions in train too.
    when = sp.csr_matrix((times[train_mask], (users[train_mask], items[train_mask])), shape=(n_users, n_items))
    models, grids = engine.tune_and_fit(train, item_ids, ease=n_items <= settings.RECO_EASE_MAX_ITEMS, times=when)
    tune_seconds = time.perf_counter() - started
    recency = engine.recency_ranks(train, when)  # what serving passes: each held item's rank by time, newest 1
    candidates: dict[str, dict[str, Any]] = {}
    for model in models.values():
        candidates[model.kind] = {
            **engine.ranking_metrics(lambda us, m=model: m.score_many(train[us], recency[us]), train, test),
            "params": model.params,
        }
    best_name = max(models, key=lambda name: (candidates[models[name].kind]["ndcg@10"], name == "collaborative"))
    candidate = models[best_name]
    fit_seconds = tune_seconds
    stage("evaluate against popularity")
    metrics = {
        "candidate": candidates[candidate.kind],
        "candidates": candidates,
        "chosen": candidate.kind,
        "validation": grids,
        "tune_seconds": round(tune_seconds, 3),
        "popularity": engine.ranking_metrics(_popularity_scorer(train), train, test),
        "test_users": len(test),
    }
    current = RecommenderModel.objects.filter(is_current=True).first()
    current_ndcg = None
    if current is not None:
        stage("evaluate the current model")
        old = engine.CollabModel.from_bytes(bytes(current.artifact))
        position = {int(i): n for n, i in enumerate(old.item_ids)}
        old_cols = np.array([position.get(int(i), -1) for i in item_ids], dtype=np.int64)
        keep = old_cols >= 0
        to_old = sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.float32), (np.flatnonzero(keep), old_cols[keep])),
            shape=(n_items, old.n_items),
        )

        def old_scores(us: np.ndarray) -> np.ndarray:
            """The current model on the candidate's holdout (items it never saw score 0)."""
            scores = old.score_many((train[us] @ to_old).tocsr(), (recency[us] @ to_old).tocsr())
            out = np.zeros((len(us), n_items), dtype=np.float32)
            out[:, keep] = scores[:, old_cols[keep]]
            return out

        metrics["current"] = engine.ranking_metrics(old_scores, train, test)
        current_ndcg = metrics["current"]["ndcg@10"]
    promote = passes_gate(
        candidate=metrics["candidate"]["ndcg@10"],
        popularity=metrics["popularity"]["ndcg@10"],
        current=current_ndcg,
    )
    final = candidate
    if promote:  # the served model learns from every interaction, the holdout included
        stage("refit on every interaction")
        full = engine.build_matrix(users, items, weights, n_users, n_items)
        stamps = sp.csr_matrix((times, (users, items)), shape=(n_users, n_items))
        final = engine.refit(candidate, full, item_ids, stamps)
        final.cooccurrence = engine.fit_cooccurrence(full)
    stage("store the version")
    with transaction.atomic():
        if promote:
            RecommenderModel.objects.filter(is_current=True).update(is_current=False)
        return RecommenderModel.objects.create(
            algorithm=final.kind,
            status=RecommenderStatus.PROMOTED if promote else RecommenderStatus.REJECTED,
            is_current=promote,
            data_signature=signature,
            metrics=metrics,
            artifact=final.to_bytes(),
            n_users=n_users,
            n_items=n_items,
            n_interactions=len(weights),
            fit_seconds=round(fit_seconds, 4),
        )


def retrain_enqueue(*, force: bool = False) -> None:
    """On-demand retrain: queued on "reco" once the caller's transaction commits."""
    transaction.on_commit(lambda: jobs.dispatch(jobs.JobKind.RECOMMENDER_RETRAIN, force=force))


def recommender_versions_prune(*, keep_previous: int) -> int:
    """Old versions go: the current one and the `keep_previous` most recent others stay (for a rollback).
    Idempotent: two beats, or two runs at once, delete the same rows at most once."""
    with transaction.atomic():
        keep = list(
            RecommenderModel.objects.filter(is_current=False)
            .order_by("-created_at", "-id")
            .values_list("id", flat=True)[: max(keep_previous, 0)]
        )
        deleted, _ = RecommenderModel.objects.filter(is_current=False).exclude(id__in=keep).delete()
    if deleted:
        logger.info("Pruned %s old recommender versions (kept the current one and %s previous)", deleted, len(keep))
    return deleted
