"""Attaching catalogue resources to roadmap steps: never invented URLs, only our own catalogue.

Per step: TF-IDF similarity between the step (title, tags, description) and each resource (title, tags,
description), the user's hard filters (avoid_tags, max duration) never violated, soft boosts for preferred media
types, learning style, difficulty near the step's and rating; then the top 3 with different media types, and none
rather than junk (a minimum similarity). The catalogue index is built once per process and rebuilt when the
catalogue changes.
"""

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Max
from sklearn.feature_extraction.text import TfidfVectorizer

from resources.models import Resource
from resources.selectors import resources_active
from roadmaps.planner import PlannedStep
from roadmaps.topics import DIFFICULTY_RANK, normalise

MIN_SIMILARITY = 0.15
PER_STEP = 3


@dataclass(frozen=True)
class Preferences:
    media_types: tuple[str, ...] = ()
    learning_style: str | None = None
    difficulty: str | None = None
    avoid_tags: tuple[str, ...] = ()
    max_duration: int | None = None
    known_topics: frozenset[str] = frozenset()  # topic slugs the learner knows (named or evidenced)
    level_source: str = ""  # where `difficulty` came from: request, preferences, profile ("" = not given)


@dataclass
class Pick:
    resource_id: int
    score: float
    reason: str


class CatalogueIndex:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.tags = [frozenset(t.lower() for t in (r["tags"] or [])) for r in rows]
        docs = [normalise(f"{r['title']} {r['title']} {' '.join(r['tags'] or [])} {r['description']}") for r in rows]
        self.texts = docs
        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english", min_df=1)
        self.matrix = self.vectorizer.fit_transform(docs) if docs else None

    def similar(self, text: str) -> np.ndarray:
        if self.matrix is None:
            return np.zeros(0)
        vector = self.vectorizer.transform([normalise(text)])
        return (self.matrix @ vector.T).toarray().ravel()


_lock = threading.Lock()
_index: tuple[tuple, CatalogueIndex] | None = None


def catalogue_index() -> CatalogueIndex:
    """The index of active resources, rebuilt only when the catalogue changed (one cheap aggregate per call)."""
    global _index
    queryset = resources_active()
    version = tuple(queryset.aggregate(n=Count("id"), changed=Max("updated_at")).values())
    with _lock:
        if _index is None or _index[0] != version:
            rows = list(queryset.order_by("id").values(
                "id", "title", "description", "tags", "media_type", "difficulty", "duration_minutes", "rating",
                "learning_style",
            ))  # fmt: skip
            _index = (version, CatalogueIndex(rows))
        return _index[1]


def _reason(step: PlannedStep, row: dict[str, Any], prefs: Preferences, shared: set[str]) -> str:
    parts = [f"covers {', '.join(sorted(shared)[:3])}" if shared else f"matches “{step.title}”"]
    if row["media_type"] in prefs.media_types:
        parts.append(f"a {row['media_type']}, as you prefer")
    if prefs.learning_style and row["learning_style"] == prefs.learning_style:
        parts.append(f"suits a {prefs.learning_style} learner")
    if row["difficulty"] == step.difficulty:
        parts.append(f"{row['difficulty']} level like this step")
    return "; ".join(parts)[:300]


def pick_resources(steps: list[PlannedStep], prefs: Preferences) -> dict[str, list[Pick]]:
    """Up to 3 resources per step (first part of a split topic only), different media types each."""
    index = catalogue_index()
    avoid = {t.lower() for t in prefs.avoid_tags}
    picks: dict[str, list[Pick]] = {}
    for step in steps:
        if step.part > 1 or not index.rows:
            continue
        sims = index.similar(f"{step.title} {step.title} {' '.join(step.tags)} {step.description}")
        step_tags = {t.lower() for t in step.tags}
        scored = []
        for i in np.argsort(-sims)[:60]:
            similarity = float(sims[i])
            if similarity < MIN_SIMILARITY:
                break
            row = index.rows[i]
            if avoid & index.tags[i]:
                continue
            if prefs.max_duration and (row["duration_minutes"] or 0) > prefs.max_duration:
                continue
            score = similarity
            if row["media_type"] in prefs.media_types:
                score += 0.15
            if prefs.learning_style and row["learning_style"] == prefs.learning_style:
                score += 0.1
            if row["difficulty"] in DIFFICULTY_RANK:
                gap = abs(DIFFICULTY_RANK[row["difficulty"]] - DIFFICULTY_RANK.get(step.difficulty, 0))
                score += 0.08 if gap == 0 else (-0.1 if gap == 2 else 0)
            score += 0.05 * float(row["rating"] or 0) / 5
            scored.append((score, row["id"], i))
        scored.sort(key=lambda item: (-item[0], item[1]))
        chosen: list[Pick] = []
        media_seen: set[str] = set()
        for score, resource_id, i in scored:
            row = index.rows[i]
            if row["media_type"] in media_seen:
                continue
            media_seen.add(row["media_type"])
            chosen.append(Pick(resource_id, round(score, 4), _reason(step, row, prefs, step_tags & index.tags[i])))
            if len(chosen) == PER_STEP:
                break
        picks[step.key] = chosen
    return picks


def catalogue_fallback_steps(
    concept: str, prefs: Preferences, hours_budget: int, require_terms: list[str] | None = None
) -> list[dict[str, Any]]:
    """For a concept the topic graph does not know: the catalogue's best matches, grouped by their most common tags,
    easiest group first. Returns [{tag, difficulty, resource_ids}] (empty if the catalogue knows nothing either).
    With `require_terms`, only resources that name every one of them (title, tags or description) are used: a plan
    "for chess" is never built from Docker material."""
    index = catalogue_index()
    sims = index.similar(concept)
    avoid = {t.lower() for t in prefs.avoid_tags}
    terms = [normalise(t) for t in require_terms or []]
    hits = []
    for i in np.argsort(-sims)[:40]:
        if sims[i] < MIN_SIMILARITY:
            break
        row = index.rows[i]
        if avoid & index.tags[i] or (prefs.max_duration and (row["duration_minutes"] or 0) > prefs.max_duration):
            continue
        words = f" {index.texts[i]} "
        if terms and not all(f" {t} " in words for t in terms):
            continue
        hits.append(i)
    if not hits:
        return []
    counts: dict[str, int] = {}
    for i in hits:
        for tag in index.tags[i]:
            counts[tag] = counts.get(tag, 0) + 1
    groups: dict[str, list[int]] = {}
    for i in hits:
        tag = max(index.tags[i] or {"general"}, key=lambda t: (counts.get(t, 0), t))
        groups.setdefault(tag, []).append(i)
    result = []
    for tag, members in groups.items():
        ranks = [DIFFICULTY_RANK.get(index.rows[i]["difficulty"] or "beginner", 0) for i in members]
        level = round(sum(ranks) / len(ranks))
        result.append(
            {
                "tag": tag,
                "difficulty": next(k for k, v in DIFFICULTY_RANK.items() if v == level),
                "resource_ids": [index.rows[i]["id"] for i in members[:PER_STEP]],
                "minutes": sum(index.rows[i]["duration_minutes"] or 60 for i in members[:PER_STEP]),
            }
        )
    result.sort(key=lambda g: (DIFFICULTY_RANK[g["difficulty"]], -len(g["resource_ids"]), g["tag"]))
    return result[:6]


def resources_by_id(ids: list[int]) -> dict[int, Resource]:
    return {r.pk: r for r in Resource.objects.filter(pk__in=ids)}
