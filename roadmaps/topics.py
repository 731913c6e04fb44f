"""The curated topic graph, loaded once per process, and concept matching over it.

Format v2 (/work/issues/TOPICS_FORMAT.md): `data/topics.yaml`, then every `data/topics/*.yaml` in sorted order (same
entry format), with `data/topic_outcomes.yaml` (`slug: {outcomes, check}`) merged into the topics that do not carry
`outcomes`/`check` inline. Slugs are unique across files; prerequisites may point into any file.

Matching combines exact names (slug, title, aliases), whole-phrase mentions inside the concept, area tags
("devops", "machine learning"), and TF-IDF similarity over titles, aliases, tags and descriptions.
"""

import re
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
DATA = DATA_DIR / "topics.yaml"
DIFFICULTY_RANK = {"beginner": 0, "intermediate": 1, "advanced": 2}
LEADING = re.compile(
    r"^(i want to |i'd like to |how to |how do i )?(learn(ing)?|master(ing)?|study(ing)?|get(ting)? started with|"
    r"become an?|introduction to|intro to|basics of|fundamentals of|the)\s+"
)
TRAILING = re.compile(r"\s+(roadmap|road map|for beginners|from scratch|course|in depth|step by step|basics)$")
ROLES = {"scientist": "science", "developer": "development", "engineer": "engineering", "analyst": "analysis",
         "programmer": "programming", "dev": "development"}  # fmt: skip


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    aliases: tuple[str, ...]
    description: str
    base_hours: int
    difficulty: str
    tags: tuple[str, ...]
    prerequisites: tuple[str, ...]
    optional: bool
    project: bool
    outcomes: tuple[str, ...] = ()  # "You can …": what a learner can do once the topic is learned
    check: str = ""  # a short exercise or question that shows it ("Write a … that …")

    @property
    def area(self) -> str:
        return self.tags[0]


@dataclass(frozen=True)
class TopicMatch:
    topic: Topic
    score: float
    reason: str


def normalise(text: str) -> str:
    text = text.lower().replace("_", " ").replace("-", " ")
    text = re.sub(r"[^\w#+./ ]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def strip_filler(text: str) -> str:
    """ "learn machine learning from scratch" → "machine learning" (only leading/trailing filler is removed)."""
    text = normalise(text)
    previous = None
    while previous != text:
        previous = text
        text = TRAILING.sub("", LEADING.sub("", text)).strip()
    words = text.split()
    if words and words[-1] in ROLES:  # "data scientist" → "data science", "backend developer" → "backend development"
        words[-1] = ROLES[words[-1]]
    return " ".join(words)


class TopicGraph:
    def __init__(self, topics: list[Topic]) -> None:
        self.topics = {t.slug: t for t in topics}
        self.order = [t.slug for t in topics]
        self.dependents: dict[str, list[str]] = {slug: [] for slug in self.topics}
        for topic in topics:
            for prereq in topic.prerequisites:
                self.dependents[prereq].append(topic.slug)
        self.names: dict[str, str] = {}
        for topic in topics:
            for name in (topic.slug, topic.title, *topic.aliases):
                self.names.setdefault(normalise(name), topic.slug)
        self.areas = sorted({t.area for t in topics})
        self.depth = {slug: self._depth(slug, {}) for slug in self.topics}

    @cached_property
    def _tfidf(self) -> tuple[Any, Any]:
        """The topics' TF-IDF vectorizer and matrix, built on the first `match` (a plan), not with the graph: the
        recommender reads only the graph's names and topics, and a web worker's first recommendation paid scikit-learn's
        import and this fit (~1.8 s of CPU with the YAML, ~5 s of wall under load) for nothing. Imported here, not at
        module level: scikit-learn costs every web worker ~2 s at start."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, stop_words="english")
        return vectorizer, vectorizer.fit_transform([self._document(self.topics[slug]) for slug in self.order])

    @property
    def vectorizer(self) -> Any:
        return self._tfidf[0]

    @property
    def matrix(self) -> Any:
        return self._tfidf[1]

    @staticmethod
    def _document(topic: Topic) -> str:
        names = " ".join([topic.title] * 3 + list(topic.aliases) * 2 + list(topic.tags) * 2)
        return normalise(f"{names} {topic.description}")

    def _depth(self, slug: str, memo: dict[str, int]) -> int:
        if slug not in memo:
            prereqs = self.topics[slug].prerequisites
            memo[slug] = 0 if not prereqs else 1 + max(self._depth(p, memo) for p in prereqs)
        return memo[slug]

    def closure(self, slugs: list[str]) -> set[str]:
        """The topics and all their prerequisites, transitively."""
        seen: set[str] = set()
        stack = list(slugs)
        while stack:
            slug = stack.pop()
            if slug in seen:
                continue
            seen.add(slug)
            stack.extend(self.topics[slug].prerequisites)
        return seen

    def topological(self, slugs: set[str]) -> list[str]:
        """Prerequisites first; ties broken by depth, then difficulty, then curated file order (deterministic)."""
        position = {slug: i for i, slug in enumerate(self.order)}
        indegree = {s: sum(1 for p in self.topics[s].prerequisites if p in slugs) for s in slugs}
        key = lambda s: (self.depth[s], DIFFICULTY_RANK[self.topics[s].difficulty], position[s])  # noqa: E731
        ready = sorted((s for s, d in indegree.items() if d == 0), key=key)
        ordered: list[str] = []
        while ready:
            slug = ready.pop(0)
            ordered.append(slug)
            for dependent in self.dependents[slug]:
                if dependent in indegree:
                    indegree[dependent] -= 1
                    if indegree[dependent] == 0:
                        ready.append(dependent)
                        ready.sort(key=key)
        if len(ordered) != len(slugs):  # pragma: no cover - the data file is validated as a DAG by tests
            raise ValueError("topic graph has a cycle")
        return ordered

    def match(self, concept: str, limit: int = 12) -> list[TopicMatch]:
        """Topics the concept names or is about, best first."""
        raw = normalise(concept)
        core = strip_filler(concept) or raw
        found: dict[str, TopicMatch] = {}

        def add(slug: str, score: float, reason: str) -> None:
            if slug not in found or found[slug].score < score:
                found[slug] = TopicMatch(self.topics[slug], round(score, 4), reason)

        for candidate in {raw, core}:
            if candidate in self.names:
                add(self.names[candidate], 1.0, "named")
        padded = f" {core} "
        for name, slug in self.names.items():
            if len(name) >= 2 and f" {name} " in padded and name != core:
                add(slug, 0.55 + 0.35 * min(len(name) / max(len(core), 1), 1.0), "mentioned")
        vector = self.vectorizer.transform([core])
        if vector.nnz:
            sims = (self.matrix @ vector.T).toarray().ravel()
            for index in np.argsort(-sims)[:limit]:
                if sims[index] >= 0.12:
                    add(self.order[index], 0.6 * float(sims[index]), "similar")
        return sorted(found.values(), key=lambda m: (-m.score, self.depth[m.topic.slug], m.topic.slug))[:limit]

    def area_for(self, concept: str) -> str | None:
        """The area a broad concept names ("devops", "machine learning", "web development"…), if any."""
        core = strip_filler(concept)
        for area in self.areas:
            words = normalise(area)
            if core in (words, f"{words} development", f"{words} engineering") or core == area:
                return area
        return None


def _topic(item: dict, extra: dict) -> Topic:
    outcomes = item.get("outcomes") or extra.get("outcomes") or ()
    return Topic(
        slug=item["slug"],
        title=item["title"],
        aliases=tuple(item.get("aliases") or ()),
        description=" ".join(item["description"].split()),
        base_hours=int(item["base_hours"]),
        difficulty=item["difficulty"],
        tags=tuple(item["tags"]),
        prerequisites=tuple(item.get("prerequisites") or ()),
        optional=bool(item.get("optional", False)),
        project=bool(item.get("project", False)),
        outcomes=tuple(" ".join(str(o).split()) for o in outcomes),
        check=" ".join(str(item.get("check") or extra.get("check") or "").split()),
    )


# libyaml's safe loader when PyYAML was built with it (the wheels are): the 17 topic files took ~1 s of CPU to parse in
# pure Python on a worker's first plan or recommendation.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader


def load_topics(data_dir: Path = DATA_DIR) -> list[Topic]:
    """Every topic of the graph in `data_dir` (topics.yaml, then topics/*.yaml sorted), outcomes merged.

    Raises ValueError on a duplicate slug or a prerequisite that no file defines, naming the file."""
    files = [data_dir / "topics.yaml", *sorted((data_dir / "topics").glob("*.yaml"))]
    outcomes_file = data_dir / "topic_outcomes.yaml"
    extras = (_load_yaml(outcomes_file) or {}) if outcomes_file.exists() else {}
    topics: list[Topic] = []
    origin: dict[str, str] = {}
    for path in files:
        if not path.exists():
            continue
        for item in _load_yaml(path) or []:
            slug = item["slug"]
            if slug in origin:
                raise ValueError(f"topic {slug!r} in {path.name} is already defined in {origin[slug]}")
            origin[slug] = path.name
            topics.append(_topic(item, extras.get(slug) or {}))
    for topic in topics:
        for prereq in topic.prerequisites:
            if prereq not in origin:
                raise ValueError(f"topic {topic.slug!r} ({origin[topic.slug]}) needs unknown prerequisite {prereq!r}")
    return topics


@cache
def graph() -> TopicGraph:
    return TopicGraph(load_topics())
