"""Recommendations: the per-process catalogue index and model, scoring one user, and retraining (Celery only)."""

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Value

from common import jobs
from common.models import Job
from common.retrieval import EMBEDDING_DIM, decode_vector, embed_texts
from resources.models import Resource, UserInteractionVersion, UserResourceInteraction
from resources.models_reco import RecommenderModel, RecommenderStatus
from resources.recommend import content, context, engine
from resources.selectors import interaction_version, resources_active
from resources.services import resource_embedding_text
from users.models import User, UserPreferences

logger = logging.getLogger(__name__)

DIFFICULTY_LEVEL = {"beginner": 0, "intermediate": 1, "advanced": 2}
MEDIA_PLURAL = {
    "video": "videos",
    "article": "articles",
    "course": "courses",
    "book": "books",
    "podcast": "podcasts",
    "tutorial": "tutorials",
    "documentation": "documentation",
    "interactive": "interactive resources",
}
MAX_USER_INTERACTIONS = 2000  # the newest ones feed a request's scoring
MAX_TRAIN_INTERACTIONS = 5_000_000
BOOSTS = {"media": 0.5, "difficulty_same": 0.4, "difficulty_near": 0.1, "difficulty_far": -0.4, "style": 0.3}


# --- The catalogue, indexed once per process --------------------------------------------------------------------------


@dataclass
class Catalogue:
    signature: tuple[Any, ...]
    ids: np.ndarray
    position: dict[int, int]
    titles: list[str]
    media: np.ndarray
    media_codes: np.ndarray  # media type as a small int (fast grouping)
    difficulty: np.ndarray  # level 0–2, −1 unknown
    duration: np.ndarray  # minutes, −1 unknown
    style: np.ndarray
    tags: list[set[str]]
    prior: np.ndarray
    popularity: np.ndarray  # weighted interaction count
    popular_from: float  # the popularity from which an item is called "popular" (median of the non-zero ones)
    rating: np.ndarray
    rating_count: np.ndarray
    vectors: np.ndarray  # the retrieval engine's stored embeddings (float32, L2-normalised rows)


_lock = threading.Lock()
_catalogue: Catalogue | None = None
_model: tuple[int, engine.CollabModel] | None = None


def _catalogue_signature() -> tuple[Any, ...]:
    """(active resources, latest change of any resource): the same stamp as the cache identity's."""
    agg = Resource.objects.aggregate(n=Count("id", filter=Q(is_active=True)), last=Max("updated_at"))
    return (agg["n"], str(agg["last"]))


def _vectors(rows: list[tuple[Any, ...]]) -> np.ndarray:
    """The stored embedding of each row (common.retrieval, kept current by resources.services); the few not yet
    computed are embedded here from the same text."""
    out = np.zeros((len(rows), EMBEDDING_DIM), dtype=np.float32)
    missing = []
    for n, row in enumerate(rows):
        stored = decode_vector(row[11])
        if stored is None:
            missing.append(n)
        else:
            out[n] = stored
    if missing:
        out[missing] = embed_texts(
            [resource_embedding_text(title=rows[n][1], tags=rows[n][7] or [], description=rows[n][2]) for n in missing]
        )
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def catalogue_get(signature: tuple[Any, ...] | None = None) -> Catalogue:
    """The active catalogue as arrays with its embeddings; rebuilt when a resource is added, changed or hidden.
    `signature`: the stamp already read with the request's cache identity (saves a query)."""
    global _catalogue
    signature = signature or _catalogue_signature()
    if _catalogue is not None and _catalogue.signature == signature:
        return _catalogue
    with _lock:
        rows = list(
            resources_active()
            .order_by("id")
            .values_list(
                "id",
                "title",
                "description",
                "media_type",
                "difficulty",
                "duration_minutes",
                "learning_style",
                "tags",
                "rating",
                "rating_count",
                "popularity",
                "embedding",
            )
        )
        popularity = np.array([r[10] for r in rows], dtype=np.float64)
        rating = np.array([r[8] for r in rows], dtype=np.float64)
        rating_count = np.array([r[9] for r in rows], dtype=np.float64)
        positive = popularity[popularity > 0]
        _catalogue = Catalogue(
            signature=signature,
            ids=np.array([r[0] for r in rows], dtype=np.int64),
            position={int(r[0]): n for n, r in enumerate(rows)},
            titles=[r[1] for r in rows],
            media=np.array([r[3] for r in rows], dtype=object),
            media_codes=np.unique(np.array([r[3] for r in rows], dtype=object), return_inverse=True)[1].astype(np.int16)
            if rows
            else np.zeros(0, dtype=np.int16),
            difficulty=np.array([DIFFICULTY_LEVEL.get(r[4] or "", -1) for r in rows], dtype=np.int8),
            duration=np.array([r[5] if r[5] is not None else -1 for r in rows], dtype=np.int64),
            style=np.array([r[6] or "" for r in rows], dtype=object),
            tags=[{t.lower() for t in (r[7] or [])} for r in rows],
            prior=engine.popularity_prior(popularity, rating, rating_count) if rows else np.zeros(0),
            popularity=popularity,
            popular_from=float(np.median(positive)) if len(positive) else float("inf"),
            rating=rating,
            rating_count=rating_count,
            vectors=_vectors(rows),
        )
        return _catalogue


# --- The current model, loaded once per process -----------------------------------------------------------------------


def current_model_version() -> int:
    """Id of the current model (0 when none): part of every recommendation cache key."""
    return RecommenderModel.objects.filter(is_current=True).order_by().values_list("id", flat=True).first() or 0


@dataclass(frozen=True)
class Identity:
    """Everything a user's list depends on, read in one query: the cache key of a request. Any input the engine
    reads moves one of these: a new interaction the interaction version, a preference or a profile field the
    engine reads the preferences version (users.services bumps it), a catalogue edit the catalogue stamp, roadmap
    or module progress the learning stamp, a retrain the model version."""

    model_version: int
    interactions: int
    preferences: int
    catalogue: tuple[Any, ...]
    learning: tuple[Any, ...]

    def key(self, *, user_id: Any, limit: int) -> str:
        digest = hashlib.blake2b(repr((self.catalogue, self.learning)).encode(), digest_size=8).hexdigest()
        return f"reco:m{self.model_version}:u{user_id}:i{self.interactions}:p{self.preferences}:s{digest}:n{limit}"


def _aggregate(queryset: QuerySet[Any], group: str, **aggregates: Any) -> dict[str, Subquery]:
    """Correlated scalar subqueries (one per aggregate) over `queryset` grouped by the constant `group` field."""
    return {
        name: Subquery(queryset.order_by().values(group).annotate(value=agg).values("value")[:1])
        for name, agg in aggregates.items()
    }


def versions_of(*, user: User) -> Identity:
    """The request's cache identity in one query."""
    current = RecommenderModel.objects.filter(is_current=True).order_by().values("id")[:1]
    mine = UserInteractionVersion.objects.filter(user=OuterRef("pk")).order_by().values("version")[:1]
    prefs = UserPreferences.objects.filter(user=OuterRef("pk")).order_by().values("version")[:1]
    # The whole catalogue (not only active rows): hiding a resource changes its updated_at or the active count.
    catalogue = _aggregate(
        Resource.objects.annotate(one=Value(1)), "one", cat_n=Count("id", filter=Q(is_active=True)),
        cat_last=Max("updated_at"),
    )  # fmt: skip
    learning = context.learning_stamp_subqueries(OuterRef("pk"))
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            model_version=Subquery(current),
            user_version=Subquery(mine),
            prefs_version=Subquery(prefs),
            **catalogue,
            **learning,
        )
        .values("model_version", "user_version", "prefs_version", "cat_n", "cat_last", *learning)
        .first()
    )
    if row is None:
        return Identity(current_model_version(), interaction_version(user=user), 0, (), ())
    return Identity(
        model_version=row["model_version"] or 0,
        interactions=row["user_version"] or 0,
        preferences=row["prefs_version"] or 0,
        catalogue=(row["cat_n"], str(row["cat_last"])),
        learning=tuple(str(row[name]) for name in learning),
    )


def current_model(*, version: int) -> engine.CollabModel | None:
    global _model
    if not version:
        return None
    if _model is not None and _model[0] == version:
        return _model[1]
    with _lock:
        blob = RecommenderModel.objects.filter(pk=version).values_list("artifact", flat=True).first()
        if blob is None:
            return None
        _model = (version, engine.CollabModel.from_bytes(bytes(blob)))
        return _model[1]


# --- Scoring one user -------------------------------------------------------------------------------------------------


@dataclass
class Profile:
    weights: dict[int, float]  # resource id → combined weight
    completed: set[int]
    disliked: set[int]
    verbs: dict[int, str]  # resource id → what the learner did ("liked", "completed" …), the strongest


VERB_RANK = ["viewed", "liked", "saved", "rated highly", "completed"]  # weakest → strongest


def _verb(kind: str, rating: int | None) -> str | None:
    if kind == "rate":
        return "rated highly" if (rating or 0) >= 4 else None
    return {"view": "viewed", "like": "liked", "save": "saved", "complete": "completed"}.get(kind)


def _profile(user: User) -> Profile:
    rows = list(
        UserResourceInteraction.objects.filter(user=user)
        .order_by("-updated_at")
        .values_list("resource_id", "interaction_type", "rating", "completed")[:MAX_USER_INTERACTIONS]
    )
    per_item: dict[int, list[float]] = {}
    completed: set[int] = set()
    verbs: dict[int, str] = {}
    for resource_id, kind, rating, done in rows:
        per_item.setdefault(resource_id, []).append(engine.interaction_weight(kind, rating))
        if kind == "complete" or done:
            completed.add(resource_id)
        verb = "completed" if done else _verb(kind, rating)
        if verb and VERB_RANK.index(verb) >= VERB_RANK.index(verbs.get(resource_id, "viewed")):
            verbs[resource_id] = verb
    weights = {rid: engine.combine(ws) for rid, ws in per_item.items()}
    disliked = {rid for rid, w in weights.items() if w < 0}
    return Profile(weights=weights, completed=completed, disliked=disliked, verbs=verbs)


def hard_filter(*, catalogue: Catalogue, prefs: UserPreferences | None, exclude: set[int]) -> np.ndarray:
    """Candidates never violating avoid_tags, max_duration_minutes, completed or disliked items. A resource of
    unknown duration is excluded when a maximum is set (it cannot be shown to respect it)."""
    mask = np.ones(len(catalogue.ids), dtype=bool)
    for rid in exclude:
        if rid in catalogue.position:
            mask[catalogue.position[rid]] = False
    if prefs is not None:
        if prefs.max_duration_minutes is not None:
            mask &= (catalogue.duration >= 0) & (catalogue.duration <= prefs.max_duration_minutes)
        avoid = {str(t).lower() for t in (prefs.avoid_tags or [])}
        if avoid:
            mask &= np.array([not (tags & avoid) for tags in catalogue.tags], dtype=bool)
    return mask


def _evidence(user: User, prefs: UserPreferences | None, ctx: context.LearnerContext) -> list[content.Evidence]:
    """What the learner told us or is doing, as embedded evidence (one vector each)."""
    items: list[tuple[str, str, str]] = []
    if user.current_goal:
        items.append(("goal", user.current_goal, user.current_goal))
    for label, text in context.interests(prefs.interests if prefs else []):
        items.append(("interest", label, text))
    for roadmap_title, concept in ctx.concepts:
        items.append(("concept", roadmap_title, concept))
    if ctx.step is not None:
        items.append(("step", ctx.step.title, ctx.step.text()))
    if ctx.module is not None:
        items.append(("module", ctx.module.title, ctx.module.text()))
    if user.bio:
        items.append(("bio", "your bio", user.bio))
    return content.evidence_from_texts(items)


def _boosts(catalogue: Catalogue, user: User, prefs: UserPreferences | None) -> np.ndarray:
    boost = np.zeros(len(catalogue.ids), dtype=np.float32)
    media = set(prefs.preferred_media_types or []) if prefs else set()
    if media:
        boost += BOOSTS["media"] * np.isin(catalogue.media, list(media))
    level_name = _level(user, prefs)
    if level_name in DIFFICULTY_LEVEL:
        gap = np.abs(catalogue.difficulty.astype(np.int16) - DIFFICULTY_LEVEL[level_name])
        known = catalogue.difficulty >= 0
        boost += np.where(
            known,
            np.select(
                [gap == 0, gap == 1], [BOOSTS["difficulty_same"], BOOSTS["difficulty_near"]], BOOSTS["difficulty_far"]
            ),
            0.0,
        ).astype(np.float32)
    style = _style(user, prefs)
    if style:
        boost += BOOSTS["style"] * (catalogue.style == style)
    return boost


def _level(user: User, prefs: UserPreferences | None) -> str | None:
    return (prefs.preferred_difficulty if prefs else None) or user.preferred_difficulty


def _style(user: User, prefs: UserPreferences | None) -> str | None:
    return (prefs.preferred_learning_style if prefs else None) or user.learning_style


NEXT_UP_STEP = 3  # at most this many resources of the roadmap's current step lead the list
NEXT_UP_MODULE = 2  # then at most this many for the module being studied
NEXT_UP_MIN = 0.45  # cosine to the step or module from which a catalogue item counts as "for" it


def _next_up(
    catalogue: Catalogue, ctx: context.LearnerContext, evidence: list[content.Evidence], mask: np.ndarray
) -> dict[int, str]:
    """Catalogue positions that lead the list, in order, each with its reason: the resources the planner attached
    to the current roadmap step, then the items nearest to that step, then to the current module; only those that
    pass the hard filters and are new to the learner ("when they fit")."""
    chosen: dict[int, str] = {}
    by_kind = {e.kind: e for e in evidence if e.kind in ("step", "module")}
    if ctx.step is not None:
        why = f'Next step of your roadmap "{ctx.step.roadmap_title}": {ctx.step.title}'
        for rid in ctx.step.resource_ids:
            n = catalogue.position.get(rid)
            if n is not None and mask[n] and len(chosen) < NEXT_UP_STEP:
                chosen.setdefault(n, why)
        if "step" in by_kind:
            for n in _nearest(catalogue, by_kind["step"].vector, mask, NEXT_UP_STEP - len(chosen), chosen):
                chosen[n] = why
    if ctx.module is not None and "module" in by_kind:
        why = f'For the module you are studying: "{ctx.module.title}"'
        for n in _nearest(catalogue, by_kind["module"].vector, mask, NEXT_UP_MODULE, chosen):
            chosen[n] = why
    return chosen


def _nearest(catalogue: Catalogue, vector: np.ndarray, mask: np.ndarray, k: int, taken: dict[int, str]) -> list[int]:
    if k <= 0:
        return []
    cos = catalogue.vectors @ vector
    eligible = mask & (cos >= NEXT_UP_MIN)
    eligible[list(taken)] = False
    return [int(n) for n in engine.top_n(cos, eligible, k)]


def recommend(
    *, user: User, limit: int, model_version: int, identity: "Identity | None" = None
) -> list[dict[str, Any]]:
    """The user's ranked recommendations: `[{id, score, reasons}]`, at most `limit`. Never trains. `identity`
    (the request's cache identity) spares the queries whose answer it already holds."""
    catalogue = catalogue_get(identity.catalogue if identity is not None and identity.catalogue else None)
    if len(catalogue.ids) == 0:
        return []
    prefs = UserPreferences.objects.filter(user=user).first()
    profile = _profile(user)
    base = hard_filter(catalogue=catalogue, prefs=prefs, exclude=profile.completed | profile.disliked)
    positives = {rid: w for rid, w in profile.weights.items() if w > 0}
    mask = base & ~np.isin(catalogue.ids, [rid for rid in positives if rid not in profile.completed])  # seen: not new
    if not mask.any():
        mask = base
    if not mask.any():
        return []
    if identity is not None and len(identity.learning) == 4:  # (roadmaps, latest change, progress, latest change)
        rm_n, _, mp_n, _ = identity.learning
        ctx = context.learner_context(user=user, roadmaps=rm_n not in ("None", "0"), progress=mp_n not in ("None", "0"))
    else:
        ctx = context.learner_context(user=user)

    model = current_model(version=model_version)
    collab = np.zeros(len(catalogue.ids), dtype=np.float32)
    model_items: np.ndarray | None = None
    history = np.array([catalogue.position[r] for r in positives if r in catalogue.position], dtype=np.int64)
    if model is not None and positives:
        model_position = {int(i): n for n, i in enumerate(model.item_ids)}
        model_items = np.array([model_position.get(int(i), -1) for i in catalogue.ids], dtype=np.int64)
        cols = [model_position[r] for r in positives if r in model_position]
        if cols:
            row = sp.csr_matrix(
                ([positives[int(model.item_ids[c])] for c in cols], ([0] * len(cols), cols)),
                shape=(1, model.n_items),
                dtype=np.float32,
            )
            raw = model.score(row)
            known = model_items >= 0
            collab[known] = raw[model_items[known]]
    evidence = _evidence(user, prefs, ctx)
    history_weights = np.array([positives[int(catalogue.ids[n])] for n in history], dtype=np.float32)
    semantic = content.content_scores(catalogue.vectors, evidence, history, history_weights)
    parts = {
        "collab": engine.znorm(collab, mask),
        "content": engine.znorm(semantic, mask),
        "popularity": engine.znorm(catalogue.prior.astype(np.float32), mask),
    }
    weights = engine.blend_weights(len(positives), has_collab=bool(np.any(parts["collab"])), declared=bool(evidence))
    total = sum(weights[name] * parts[name] for name in parts) + _boosts(catalogue, user, prefs)
    next_up = _next_up(catalogue, ctx, evidence, mask)
    rest = mask.copy()
    rest[list(next_up)] = False
    order = [*next_up, *engine.diversity_pool(total, rest, catalogue.media_codes, limit)]
    chosen = engine.diversify(order, catalogue.media, limit)
    why = Why(
        catalogue=catalogue, user=user, prefs=prefs, profile=profile, parts=parts, weights=weights, model=model,
        model_items=model_items, history=history, evidence=evidence, next_up=next_up,
    )  # fmt: skip
    return [
        {"id": int(catalogue.ids[i]), "score": engine.safe_float(float(total[i])), "reasons": why.reasons(i)}
        for i in chosen
    ]


# --- Reasons: each one names evidence that holds for that item --------------------------------------------------------

MAX_REASONS = 3


@dataclass
class Why:
    catalogue: Catalogue
    user: User
    prefs: UserPreferences | None
    profile: Profile
    parts: dict[str, np.ndarray]
    weights: dict[str, float]
    model: engine.CollabModel | None
    model_items: np.ndarray | None
    history: np.ndarray
    evidence: list[content.Evidence]
    next_up: dict[int, str]

    def _because(self, i: int) -> str | None:
        """ "Because you liked X": X is in the learner's history and is the item's collaborative neighbour (when
        the collaborative score counted for this item) or, else, its nearest in content (cosine ≥ MATCH_MIN)."""
        cat = self.catalogue
        if not len(self.history):
            return None
        neighbour: int | None = None
        collab_counted = self.weights["collab"] * self.parts["collab"][i] > 0
        if self.model is not None and self.model_items is not None and collab_counted:
            column = self.model_items[i]
            among = self.model_items[self.history]
            if column >= 0 and (among >= 0).any():
                found = self.model.neighbour(int(column), among[among >= 0])
                if found is not None:
                    neighbour = cat.position.get(int(self.model.item_ids[found]))
        if neighbour is None:
            cos = cat.vectors[self.history] @ cat.vectors[i]
            best = int(np.argmax(cos))
            if cos[best] >= content.MATCH_MIN:
                neighbour = int(self.history[best])
        if neighbour is None:
            return None
        rid = int(cat.ids[neighbour])
        return f'Because you {self.profile.verbs.get(rid, "liked")} "{cat.titles[neighbour]}"'

    def _topic_terms(self) -> set[str]:
        terms = {t for n in self.history for t in self.catalogue.tags[n]}
        for e in self.evidence:
            if e.kind in ("goal", "interest", "concept"):
                terms |= {e.label.lower(), *e.label.lower().split()}
        return terms

    def reasons(self, i: int) -> list[str]:
        cat, out = self.catalogue, []
        if i in self.next_up:
            out.append(self.next_up[i])
        because = self._because(i)
        if because:
            out.append(because)
        match = content.best_match(cat.vectors[i], self.evidence, {"goal", "interest", "concept"})
        if match is not None:
            e = match[0]
            out.append(
                {"goal": f"Matches your goal: {e.label}", "interest": f"Matches your interest: {e.label}"}.get(
                    e.kind, f'Related to your roadmap "{e.label}"'
                )
            )
        media = cat.media[i]
        if self.prefs and media in (self.prefs.preferred_media_types or []):
            out.append(f"Matches your preference for {MEDIA_PLURAL.get(media, media)}")
        level = _level(self.user, self.prefs)
        if level in DIFFICULTY_LEVEL and cat.difficulty[i] == DIFFICULTY_LEVEL[level]:
            out.append(f"At your level ({level})")
        style = _style(self.user, self.prefs)
        if style and cat.style[i] == style:
            out.append(f"Suits your {style} learning style")
        if cat.popularity[i] > 0 and cat.popularity[i] >= cat.popular_from:
            topic = sorted(cat.tags[i] & self._topic_terms())
            out.append(f"Popular with learners of {topic[0]}" if topic else "Popular with other learners")
        if cat.rating_count[i] > 0 and cat.rating[i] >= 4.0:
            n = int(cat.rating_count[i])
            out.append(f"Rated {cat.rating[i]:.1f}/5 by {n} learner{'s' if n != 1 else ''}")
        if not out:
            level_name = next((k for k, v in DIFFICULTY_LEVEL.items() if v == cat.difficulty[i]), None)
            out.append(f"Something new: a {level_name + ' ' if level_name else ''}{media} you have not seen yet")
        return out[:MAX_REASONS]


# --- Cached lists -----------------------------------------------------------------------------------------------------


def recommendations_cached(
    *, user: User, limit: int, render: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> tuple[list[dict[str, Any]], bool]:
    """`(rendered items, hit)`: the user's list as rendered by `render` (the API's JSON), cached for the TTL."""
    identity = versions_of(user=user)
    key = identity.key(user_id=user.pk, limit=limit)
    cached = cache.get(key)
    if cached is not None:
        return cached, True
    rendered = render(recommend(user=user, limit=limit, model_version=identity.model_version, identity=identity))
    cache.set(key, rendered, settings.RECO_CACHE_TTL_SECONDS)
    return rendered, False


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
            kind="recommender_retrain", title="Retrain the recommender", started=True, estimated_duration=30.0,
            input_data={"users": n_users, "items": n_items, "interactions": len(weights), "force": force},
        )  # fmt: skip
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
    users: np.ndarray, items: np.ndarray, weights: np.ndarray, times: np.ndarray, user_ids: list[Any],
    item_ids: np.ndarray, signature: str, stage: Callable[[str], None] = lambda name: None,
) -> RecommenderModel:  # fmt: skip
    """Fit on the time-based split, evaluate against popularity and the current model, store, maybe promote."""
    n_users, n_items = len(user_ids), len(item_ids)
    train_mask, test = engine.temporal_split(users, items, weights, times)
    train = engine.build_matrix(users[train_mask], items[train_mask], weights[train_mask], n_users, n_items)
    # The collaborative model only serves users with a history (others get content + popularity): judge it there.
    test = {u: relevant for u, relevant in test.items() if train[u].nnz > 0}
    # Two candidates on the same split: ALS (or the item-kNN fallback) and EASE; the better one on the holdout
    # goes on to the gate. Both are recorded.
    fitters: dict[str, Callable[[sp.csr_matrix], engine.CollabModel]] = {
        "collaborative": lambda m: engine.fit_collaborative(m, item_ids),
        "ease": lambda m: engine.fit_ease(m, item_ids),
    }
    if n_items > settings.RECO_EASE_MAX_ITEMS:  # items² memory, items³ time
        del fitters["ease"]
    candidates: dict[str, dict[str, Any]] = {}
    models: dict[str, engine.CollabModel] = {}
    stage("fit candidates")
    for name, fit in fitters.items():
        started = time.perf_counter()
        model = fit(train)
        seconds = time.perf_counter() - started
        models[name] = model
        candidates[model.kind] = {
            **engine.ranking_metrics(lambda us, m=model: m.score_many(train[us]), train, test),
            "fit_seconds": round(seconds, 4),
        }
    best_name = max(models, key=lambda name: (candidates[models[name].kind]["ndcg@10"], name == "collaborative"))
    candidate = models[best_name]
    refit = {  # the served model is the winner's kind, refitted on every interaction
        "als": lambda m: engine.fit_collaborative(m, item_ids),
        "itemknn": lambda m: engine.fit_itemknn(m, item_ids),
        "ease": lambda m: engine.fit_ease(m, item_ids),
    }[candidate.kind]
    fit_seconds = candidates[candidate.kind]["fit_seconds"]
    stage("evaluate against popularity")
    metrics = {
        "candidate": candidates[candidate.kind],
        "candidates": candidates,
        "chosen": candidate.kind,
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
            scores = old.score_many((train[us] @ to_old).tocsr())
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
        final = refit(full)
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
    from resources.recommend.tasks import recommender_retrain

    transaction.on_commit(lambda: recommender_retrain.delay(force=force))
