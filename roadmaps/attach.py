"""Attaching catalogue resources to roadmap steps: never invented URLs, only our own catalogue, through the shared
retrieval engine's `resources` corpus (common/retrieval; no private index here).

Per step: the step's topic (title, aliases, tags) is searched in the hybrid index; a candidate must clear a relevance
floor (a shared specific word with the step's topic, or a high semantic similarity), fit the learner's language and
stack (a Python learner is not sent to a JavaScript book), and fit the step's length (a 40-hour book is not attached
to a 3-hour step; a reference is, with the part to read named). The user's hard filters (avoid_tags, max duration)
are never violated; preferred media types, learning style, difficulty near the step's and rating are soft boosts.
At most 3, of different media types, each with a one-line reason; a crash course gets one. Empty rather than wrong.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from common.retrieval import decode_precise, get_index
from common.retrieval.text import terms as lexical_terms
from resources.selectors import resources_active
from roadmaps.planner import GENERIC, LANGUAGES, PlannedStep
from roadmaps.topics import DIFFICULTY_RANK, graph, normalise

CORPUS = "resources"
PER_STEP = 3
CANDIDATES = 40
MIN_SEMANTIC = 0.35  # without a shared specific word, a resource must be at least this close in meaning …
STRONG_SEMANTIC = 0.6  # … and this close to count on meaning alone
LENGTH_FACTOR = 1.5  # a resource may take up to 1.5 × the step's whole-topic hours
REFERENCE_TYPES = frozenset({"documentation", "interactive"})  # used in parts: the part to read is named
AMBIGUOUS_IN_TITLES = frozenset({"go", "r", "c", "sql", "bash"})  # language words trusted only as tags
NEUTRAL_LANGUAGES = frozenset({"sql", "bash"})  # tools every stack uses: never a conflict
RELEVANCE_FLOOR = 0.3  # below this closeness in meaning a shared word is a coincidence (asyncio on file I/O)
MEANING_ONLY = 0.5  # a resource that shares no word of the topic's names must be at least this close in meaning
SAME_WORDS_OTHER_SUBJECT = 0.4  # words in common but no subject tag in common: the meaning must be this close
MEDIA_BOOST = 0.3  # a preferred media type wins over a slightly closer match of another type
MIN_SIMILARITY = 0.15  # catalogue fallback: the floor on the fused score
WEAK_SHARE = 0.045  # a word in more than this share of the catalogue ("data", "web", "test") proves little alone …
WEAK_SEMANTIC = 0.6  # … so a resource sharing only such words must also be this close in meaning
# The precise model's cosine (all-MiniLM) between the step's topic (its names, and its title with its description)
# and the resource's stored meaning: below this the resource is about something else, whatever words they share
# (Database Normalization for vector search, an LLM-evals post for ML fundamentals, "Publish Your Android App" for
# Android Studio); a resource that names the step's topic whole in its title is kept. Read off the cosines of
# resources attached in the blind sets' plans: the misfits the reviewers named sit at 0.29-0.44 (Unity Manual for
# testing, Amazon VPC for computer networks, Database Normalization for vector search, an evals post for ML
# fundamentals), good fits mostly at 0.5-0.8; some misfits stay above (Project Euler for game maths, 0.56).
STEP_MEANING_MIN = 0.45
TAGGED_MEANING_MIN = 0.35  # … unless it names the step's topic in its tags and is at least this close
REQUEST_MEANING_MIN = 0.4  # a resource for what a partial plan does not teach: this close to the request itself
CHANNEL_MINUTES = 8 * 60  # a whole video channel or podcast feed: attached only for a learner who prefers the format
ALWAYS_LONG = frozenset({"podcast"})
# Alternatives within one stack: a step on one is never given material on another (Vue's guide is no React lesson,
# Godot's tutorial no Unity lesson). Words as the catalogue's lexical terms spell them.
STACKS = (
    frozenset({"react", "vue", "angular", "svelte", "next.js", "nextj"}),
    frozenset({"django", "flask", "fastapi", "express", "rail", "spring", "laravel"}),
    frozenset({"unity", "godot", "unreal", "pygame"}),
    frozenset({"flutter", "expo", "swiftui", "android", "kotlin", "ios", "swift"}),
    frozenset({"aws", "azure", "gcp"}),
    frozenset({"pytorch", "tensorflow", "kera"}),
    frozenset({"postgresql", "postgr", "mysql", "sqlite", "mongodb"}),
    frozenset({"terraform", "ansible", "pulumi"}),
    frozenset({"airflow", "dagster", "prefect"}),
)


# Application frameworks (web, frontend, game engines, mobile), whose material teaches the framework, not the language
# or concept under it: a step that names none of them gets none (the Vue guide is no JavaScript crash course, Spring
# Boot's reference no Java Basics), unless the plan teaches that framework and the step is no language step. Tools
# that teach a concept through themselves (a PostgreSQL tutorial on joins, PyTorch in Spinning Up's RL, Airflow on
# pipelines) are not among them.
FRAMEWORK_STACKS = frozenset().union(*STACKS[:4])


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


ROW_FIELDS = ("id", "title", "tags", "media_type", "difficulty", "duration_minutes", "rating", "learning_style")


def _rows(ids: set[int], *extra: str) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    return {r["id"]: r for r in resources_active().filter(pk__in=ids).values(*ROW_FIELDS, *extra)}


@lru_cache(maxsize=20_000)
def _row_terms(title: str, tags: tuple[str, ...]) -> frozenset[str]:
    return frozenset({w for t in tags for w in lexical_terms(t)} | set(lexical_terms(title)))


@lru_cache(maxsize=20_000)
def _languages(title: str, tags: tuple[str, ...]) -> frozenset[str]:
    found = ({normalise(t) for t in tags} | (_words(title) - AMBIGUOUS_IN_TITLES)) & LANGUAGES
    if "golang" in found:
        found = (found - {"golang"}) | {"go"}
    return frozenset(found - NEUTRAL_LANGUAGES)


def _words(text: str) -> set[str]:
    return set(normalise(text).split())


def resource_languages(row: dict[str, Any]) -> set[str]:
    """The programming languages a resource is written for (its tags, and unambiguous names in its title)."""
    return set(_languages(row["title"], tuple(row["tags"] or ())))


def plan_languages(steps: list[PlannedStep]) -> set[str]:
    """The languages a plan teaches in (from its topics' slugs, titles and tags); Python when it names none (our own
    lessons are in Python). Jac learners read Python material too (Jac is a Python superset)."""
    found: set[str] = set()
    for step in steps:
        words = _words(" ".join([step.topic_slug.replace("-", " "), step.title, *step.tags]))
        found |= words & LANGUAGES
    found -= NEUTRAL_LANGUAGES
    if "golang" in found:
        found = (found - {"golang"}) | {"go"}
    if not found:
        found = {"python"}
    if "jac" in found:
        found.add("python")
    return found


@lru_cache(maxsize=1)
def _generic_stems() -> frozenset[str]:
    """The generic words as the lexical index spells them ("programming" → "programm"), plus single letters (the
    "c" of "C++"): sharing one proves nothing."""
    return frozenset(t for w in GENERIC for t in lexical_terms(w)) | frozenset("abcdefghijklmnopqrstuvwxyz")


FACETS = (
    "performance optimisation optimization optimise optimize tuning speed fast engineer engineering fundamentals "
    "basics introduction design patterns practices architecture advanced"
)


@lru_cache(maxsize=1)
def _facet_terms() -> frozenset[str]:
    return frozenset(lexical_terms(FACETS))


def _step_terms(step: PlannedStep) -> tuple[str, set[str]]:
    """The search query for a step and its specific words (title, aliases, slug; generic words removed)."""
    g = graph()
    slugs = [step.topic_slug] if step.topic_slug else list(step.covers)
    names: list[str] = []
    for slug in slugs:
        topic = g.topics.get(slug)
        if topic:
            names += [topic.title, *topic.aliases[:3], topic.slug.replace("-", " ")]
    if not names:
        names = [step.title]
    specific = {w for n in names for w in lexical_terms(n) if w not in GENERIC and w not in _generic_stems()}
    query = " ".join([*names, *step.tags[1:3]]) if step.topic_slug else " ".join(names[:9])
    return query, specific


def _reason(row: dict[str, Any], step: PlannedStep, shared: set[str], prefs: Preferences, reference: bool) -> str:
    minutes = row["duration_minutes"]
    length = f", {minutes} min" if minutes else ""
    if minutes and minutes >= 60:
        length = f", about {round(minutes / 60)} h"
    topic = step.title.split(" (part ")[0]
    parts = [f"{row['media_type']}{length}"]
    parts.append(f"covers {', '.join(sorted(shared)[:3])}" if shared else f"close in meaning to “{topic}”")
    if reference:
        verb = "watch the videos" if row["media_type"] == "video" else "read the sections"
        parts.append(f"a reference: {verb} on {topic.removeprefix('Crash course: ')}")
    if row["media_type"] in prefs.media_types:
        parts.append("a format you prefer")
    if row["difficulty"] == step.difficulty:
        parts.append(f"{row['difficulty']} like this step")
    return "; ".join(parts)[:300]


_weak_cache: dict[tuple[int, int], frozenset[str]] = {}


def _weak_terms(index: Any) -> frozenset[str]:
    """Words so common in the catalogue that sharing one of them says little about relevance (per index build)."""
    key = (id(index), len(index))
    if key not in _weak_cache:
        rows = list(resources_active().values_list("title", "tags"))
        counts: dict[str, int] = {}
        for title, tags in rows:
            for term in _row_terms(title, tuple(tags or ())):
                counts[term] = counts.get(term, 0) + 1
        _weak_cache.clear()
        _weak_cache[key] = frozenset(t for t, n in counts.items() if n > WEAK_SHARE * max(len(rows), 1))
    return _weak_cache[key]


def _other_stack(step_terms: frozenset[str], row_terms: frozenset[str]) -> bool:
    """The resource is about another member of a stack the step names (Vue for a React step)."""
    for stack in STACKS:
        mine, theirs = step_terms & stack, row_terms & stack
        if mine and theirs and not mine & theirs:
            return True
    return False


def _step_meaning(step: PlannedStep) -> np.ndarray | None:
    """The precise vectors of what the step teaches: its topic's names and its title with its description (a crash
    course: those of every topic it condenses); None for a step of no topic."""
    from roadmaps.meaning import topic_vectors  # loads the model on first use

    g = graph()
    slugs = [s for s in ([step.topic_slug] if step.topic_slug else list(step.covers)) if s in g.topics]
    if not slugs:
        return None
    return np.vstack(list(topic_vectors(g, slugs).values()))


def _topic_names(step: PlannedStep) -> tuple[str, ...]:
    """The step's topic names (title, aliases) of four letters or more, normalised: a resource naming one of them
    whole in its title is about the step, whatever its description also covers."""
    g = graph()
    topic = g.topics.get(step.topic_slug)
    if topic is None:
        return ()
    return tuple(n for n in {normalise(x) for x in (topic.title, *topic.aliases)} if len(n) >= 4)


def _names_step(row: dict[str, Any], names: tuple[str, ...], fit: float) -> bool:
    """The resource names the step's topic whole: in its title, or in its tags while still somewhat close in meaning
    (a tag is the catalogue's broad filing: "networking" on Amazon VPC is no Computer Networks lesson)."""
    title = f" {normalise(row['title'])} "
    tags = f" {normalise(' '.join(row['tags'] or []))} "
    return any(f" {n} " in title for n in names) or (fit >= TAGGED_MEANING_MIN and any(f" {n} " in tags for n in names))


def meaning_fit(step_vectors: np.ndarray | None, stored: bytes | memoryview | None) -> float | None:
    """How close a resource's stored meaning is to the step's (the best cosine); None when either is unknown."""
    vector = decode_precise(stored)
    if step_vectors is None or vector is None:
        return None
    return float(np.max(step_vectors @ vector))


def pick_resources(steps: list[PlannedStep], prefs: Preferences) -> dict[str, list[Pick]]:
    """Up to 3 resources per step (first part of a split topic only; 1 for a crash course), different media types,
    each with a reason; none rather than one that does not fit."""
    index = get_index(CORPUS)
    if not len(index):
        return {}
    avoid = {t.lower() for t in prefs.avoid_tags}
    languages = plan_languages(steps)
    whole_hours: dict[str, int] = {}
    for step in steps:
        base = step.key.split("#")[0]
        whole_hours[base] = whole_hours.get(base, 0) + step.estimated_hours
    searches: dict[str, tuple[PlannedStep, set[str], list]] = {}
    for step in steps:
        if step.part > 1:
            continue
        query, specific = _step_terms(step)
        hits = index.search(query, k=CANDIDATES, min_semantic=MIN_SEMANTIC)
        searches[step.key] = (step, specific, hits)
    rows = _rows({h.id for _, _, hits in searches.values() for h in hits}, "meaning")
    # Facet words ("performance", "engineering") say what kind of work, not about what: Spark SQL tuning is no
    # web-performance lesson because both say "performance".
    weak = _weak_terms(index) | _facet_terms()
    areas = set(graph().areas)
    plan_words = " ".join(" ".join([s.title, s.topic_slug.replace("-", " "), *s.tags]) for s in steps)
    plan_stack = FRAMEWORK_STACKS & set(lexical_terms(plan_words))
    picks: dict[str, list[Pick]] = {}
    for key, (step, specific, hits) in searches.items():
        stack_terms = frozenset(lexical_terms(" ".join([step.title, step.topic_slug.replace("-", " "), *step.tags])))
        step_vectors = _step_meaning(step)
        step_names = _topic_names(step)
        own_stack = {w for stack in STACKS for w in stack_terms & stack}  # Unity Basics' material names Unity
        step_words = _words(" ".join([step.title, *step.tags]))
        step_tags = {t.lower() for t in step.tags}
        own_languages = (step_words & LANGUAGES) - NEUTRAL_LANGUAGES
        allowed = own_languages | ({"python"} if "jac" in own_languages else set()) or languages
        limit_minutes = LENGTH_FACTOR * whole_hours[key.split("#")[0]] * 60
        stack_languages = {w for lang in allowed for w in lexical_terms(lang)}
        stack_languages |= {"golang"} if "go" in allowed else set()
        scored = []
        for hit in hits:
            row = rows.get(hit.id)
            if row is None:
                continue
            tags = {t.lower() for t in row["tags"] or []}
            if avoid & tags:
                continue
            if prefs.max_duration and (row["duration_minutes"] or 0) > prefs.max_duration:
                continue
            langs = resource_languages(row)
            if langs and not langs & allowed:
                continue  # a JavaScript book for a Python learner: wrong even if relevant
            row_terms = _row_terms(row["title"], tuple(row["tags"] or ()))
            shared = specific & row_terms
            same_subject = {t for t in tags & step_tags if not set(lexical_terms(t)) <= weak}
            if not shared and not same_subject and hit.semantic < STRONG_SEMANTIC:
                continue
            if hit.semantic < RELEVANCE_FLOOR or (not shared and hit.semantic < MEANING_ONLY):
                continue  # Project Euler is no linear-algebra lesson because both are "math"
            if tags and not tags & step_tags and hit.semantic < SAME_WORDS_OTHER_SUBJECT:
                continue  # "computer" and "network" of computer vision's neural networks: no Computer Networks lesson
            if (
                ((shared <= weak and len(shared) < 2) or shared <= _facet_terms() | {"data"})
                and not same_subject
                and (hit.semantic < WEAK_SEMANTIC)
            ):
                continue  # only "data" or "line" in common: scikit-learn's text tutorial is no programming lesson
            if (tags & areas) - step_tags and not tags & step_tags and len(shared - weak) < 2:
                continue  # another field's material (unit testing for A/B testing) sharing a word or two
            if (
                (own_languages or own_stack)
                and not row_terms & (stack_languages | own_stack)
                and (hit.semantic < STRONG_SEMANTIC)
            ):
                continue  # a Rust step's material names Rust (PostgreSQL's MVCC is no Rust concurrency lesson)
            if _other_stack(stack_terms, row_terms):
                continue
            frameworks = row_terms & FRAMEWORK_STACKS
            if frameworks and not frameworks & own_stack and (own_languages or not frameworks & plan_stack):
                continue  # a framework's material on a step that does not teach it
            minutes = row["duration_minutes"] or 0
            preferred = row["media_type"] in prefs.media_types
            if not preferred and (
                row["media_type"] in ALWAYS_LONG or (row["media_type"] == "video" and minutes >= CHANNEL_MINUTES)
            ):
                continue  # a podcast feed or a whole channel is no step's reading
            if len(shared) < 2 and tags and not tags & step_tags and hit.semantic < STRONG_SEMANTIC:
                continue  # one common word ("model", "engineer") from another field: The Box Model is not ML
            fit = meaning_fit(step_vectors, row["meaning"])
            if fit is not None and fit < STEP_MEANING_MIN and not _names_step(row, step_names, fit):
                continue  # shares words with the step but is about something else
            if step.covers and row["difficulty"] == "advanced":
                continue  # a crash course is a first pass
            reference = False
            if row["duration_minutes"] and row["duration_minutes"] > limit_minutes:
                channel = preferred and row["media_type"] == "video" and minutes >= CHANNEL_MINUTES
                if row["media_type"] not in REFERENCE_TYPES and not channel:
                    continue  # a 40-hour book on a 3-hour step (a channel is browsed, for a learner who wants video)
                reference = True
            score = hit.score + 0.05 * len(shared)
            if row["media_type"] in prefs.media_types:
                score += MEDIA_BOOST
            if prefs.learning_style and row["learning_style"] == prefs.learning_style:
                score += 0.05
            if row["difficulty"] in DIFFICULTY_RANK:
                gap = abs(DIFFICULTY_RANK[row["difficulty"]] - DIFFICULTY_RANK.get(step.difficulty, 0))
                score += 0.06 if gap == 0 else (-0.1 if gap == 2 else 0)
            score += 0.03 * float(row["rating"] or 0) / 5
            scored.append((score, row["id"], shared, reference))
        scored.sort(key=lambda item: (-item[0], item[1]))
        chosen: list[Pick] = []
        media_seen: set[str] = set()
        wanted = 1 if step.covers else PER_STEP
        for score, resource_id, shared, reference in scored:
            row = rows[resource_id]
            if row["media_type"] in media_seen:
                continue
            media_seen.add(row["media_type"])
            chosen.append(Pick(resource_id, round(score, 4), _reason(row, step, shared, prefs, reference)))
            if len(chosen) == wanted:
                break
        picks[key] = chosen
    return picks


def close_to(text: str, ids: list[int], floor: float = REQUEST_MEANING_MIN) -> list[int]:
    """The resources among `ids` (in their order) whose stored meaning is at least `floor` close to `text` by the
    precise model: a resource that merely contains the words ("Unity Manual" for "manual testing") is dropped. A
    resource without a stored meaning yet (it is computed after a seed or scrape) cannot be judged and is kept."""
    from common.retrieval import embed_precise_texts

    if not ids or not text.strip():
        return list(ids)
    stored = dict(resources_active().filter(pk__in=ids).values_list("id", "meaning"))
    query = embed_precise_texts([normalise(text)])[0]
    kept = []
    for rid in ids:
        vector = decode_precise(stored.get(rid))
        if vector is None or float(vector @ query) >= floor:  # a row not yet embedded cannot be judged: kept
            kept.append(rid)
    return kept


def catalogue_fallback_steps(
    concept: str, prefs: Preferences, hours_budget: int, require_terms: list[str] | None = None
) -> list[dict[str, Any]]:
    """For a concept the topic graph does not know: the catalogue's best matches, grouped by their most common tags,
    easiest group first. Returns [{tag, difficulty, resource_ids, minutes}] (empty if the catalogue knows nothing).
    Only resources that name every key term (`require_terms`, else the concept's specific words) in their title,
    tags or description are used: a plan "for chess" is never built from Docker material."""
    index = get_index(CORPUS)
    if not len(index):
        return []
    terms = [normalise(t) for t in require_terms or []] or [
        w for w in normalise(concept).split() if w not in GENERIC and len(w) > 1
    ]
    if not terms:
        return []
    hits = index.search(concept, k=CANDIDATES, min_semantic=STRONG_SEMANTIC)
    rows = _rows({h.id for h in hits}, "description")
    avoid = {t.lower() for t in prefs.avoid_tags}
    chosen = []
    for hit in hits:
        row = rows.get(hit.id)
        if row is None or hit.score < MIN_SIMILARITY:
            continue
        tags = {t.lower() for t in row["tags"] or []}
        if avoid & tags or (prefs.max_duration and (row["duration_minutes"] or 0) > prefs.max_duration):
            continue
        text = f" {normalise(' '.join([row['title'], *tags, row['description']]))} "
        if not all(f" {t} " in text for t in terms):
            continue
        chosen.append(row)
    close = set(close_to(concept, [r["id"] for r in chosen]))
    chosen = [r for r in chosen if r["id"] in close]  # words in common are not enough: close in meaning too
    if not chosen:
        return []
    counts: dict[str, int] = {}
    for row in chosen:
        for tag in row["tags"] or []:
            counts[tag.lower()] = counts.get(tag.lower(), 0) + 1
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in chosen:
        tags = {t.lower() for t in row["tags"] or []} or {"general"}
        groups.setdefault(max(tags, key=lambda t: (counts.get(t, 0), t)), []).append(row)
    result = []
    for tag, members in groups.items():
        ranks = [DIFFICULTY_RANK.get(r["difficulty"] or "beginner", 0) for r in members]
        level = round(sum(ranks) / len(ranks))
        result.append(
            {
                "tag": tag,
                "difficulty": next(k for k, v in DIFFICULTY_RANK.items() if v == level),
                "resource_ids": [r["id"] for r in members[:PER_STEP]],
                "minutes": sum(r["duration_minutes"] or 60 for r in members[:PER_STEP]),
            }
        )
    result.sort(key=lambda g: (DIFFICULTY_RANK[g["difficulty"]], -len(g["resource_ids"]), g["tag"]))
    return result[:6]
