"""Recommendations, the Django side: `index` (the per-process catalogue and model, the cache identity), `scoring`
(one user's list, its reasons and its cache) and `training` (retrain and the promotion gate, Celery only)."""

from resources.recommend.services.index import (
    DIFFICULTY_LEVEL,
    Catalogue,
    Identity,
    catalogue_get,
    current_model,
    current_model_version,
    versions_of,
)
from resources.recommend.services.scoring import (
    NEXT_UP_MIN,
    NEXT_UP_MODULE,
    NEXT_UP_STEP,
    hard_filter,
    recommend,
    recommendations_cached,
)
from resources.recommend.services.training import (
    data_signature,
    passes_gate,
    recommender_versions_prune,
    retrain,
    retrain_enqueue,
)

__all__ = [
    "DIFFICULTY_LEVEL",
    "NEXT_UP_MIN",
    "NEXT_UP_MODULE",
    "NEXT_UP_STEP",
    "Catalogue",
    "Identity",
    "catalogue_get",
    "current_model",
    "current_model_version",
    "data_signature",
    "hard_filter",
    "passes_gate",
    "recommend",
    "recommendations_cached",
    "recommender_versions_prune",
    "retrain",
    "retrain_enqueue",
    "versions_of",
]
