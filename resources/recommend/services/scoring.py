"""Scoring one user: candidates under the hard filters, the blend, next up, diversity, true reasons, the cached
list."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.core.cache import cache

from resources.models import UserResourceInteraction
from resources.recommend import content, context, engine
from resources.recommend.services.index import (
    DIFFICULTY_LEVEL,
    Catalogue,
    Identity,
    catalogue_get,
    current_model,
    versions_of,
)
from users.models import User, UserPreferences

logger = logging.getLogger(__name__)

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
BOOSTS = {"media": 0.5, "difficulty_same": 0.4, "difficulty_near": 0.1, "difficulty_far": -0.4, "style": 0.3}


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
    short = False  # scored by co-occurrence (a short history), so "because you liked" names its neighbour there
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
            # `positives` runs newest first (the profile reads the newest interactions first): recency rank 1, 2 …
            recency = sp.csr_matrix(
                (np.arange(1, len(cols) + 1, dtype=np.float32), ([0] * len(cols), cols)), shape=(1, model.n_items)
            )
            raw = model.score_personal(row, recency)
            short = model.cooccurrence is not None and row.nnz <= engine.SHORT_HISTORY
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
        catalogue=catalogue,
        user=user,
        prefs=prefs,
        profile=profile,
        parts=parts,
        weights=weights,
        model=model,
        model_items=model_items,
        history=history,
        evidence=evidence,
        next_up=next_up,
        short=short,
    )
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
    short: bool = False

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
                found = self.model.neighbour(int(column), among[among >= 0], short=self.short)
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
