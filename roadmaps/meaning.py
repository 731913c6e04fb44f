"""Matching a concept to a topic by meaning, for when its words do not name one ("build a recommendation system" for
Recommender Systems, "chat with my pdfs" for Retrieval-Augmented Generation).

The shared retrieval engine's `topics` corpus (roadmaps/corpus.py: BM25 and the fast static embedding) gives the
candidates; the engine's precise sentence model (common/retrieval/precise.py, all-MiniLM-L6-v2) scores the concept
against each candidate's names (title and every alias) and its title with its description, and the best cosine
decides. A concept the graph does not teach ("unreal engine blueprints", "solidity smart contracts") stays below
MEANING_MIN, so it is refused honestly instead of becoming its nearest neighbour.

MEANING_MIN was measured on a labelled set of 46 concepts with a topic and 20 without (learner phrasings, written
before measuring; see tests/roadmaps/test_meaning.py for a sample): at 0.62 about 36 of 46 find an acceptable topic
and 1 of 20 absent concepts matches (Haskell → Functional Programming Concepts, which keeps "haskell" as an unknown
term, so the plan is labelled partial); at 0.55 a second absent one matches; above 0.7 fewer than 34 of 46 are found.
"""

import threading

import numpy as np

from common.retrieval import embed_precise_texts, get_index
from roadmaps.topics import Topic, TopicGraph, normalise

CORPUS = "topics"
MEANING_MIN = 0.62  # a concept this close to a topic (cosine, precise model) is read as that topic
TERM_MIN = 0.6  # a word the graph does not know is part of the matched topic when it is this close to its names
SUPPORT_MIN = 0.5  # … and the whole concept at least this close when one word of it found the topic
CANDIDATES = 30

_lock = threading.Lock()
_names: dict[str, np.ndarray] = {}  # topic slug → its name texts' vectors (title, aliases; title with description)


def _texts(topic: Topic) -> list[str]:
    names = list(dict.fromkeys([topic.title, *topic.aliases]))
    return [*names, f"{topic.title}: {topic.description}"]


def _vectors(g: TopicGraph, slugs: list[str]) -> dict[str, np.ndarray]:
    """The name vectors of these topics, computed once per process (the graph is data shipped with the code)."""
    with _lock:
        missing = [s for s in slugs if s not in _names]
    if missing:
        texts = [_texts(g.topics[s]) for s in missing]
        flat = embed_precise_texts([t for group in texts for t in group])
        at = 0
        with _lock:
            for slug, group in zip(missing, texts, strict=True):
                _names[slug] = flat[at : at + len(group)]
                at += len(group)
    return {s: _names[s] for s in slugs}


def topic_vectors(g: TopicGraph, slugs: list[str]) -> dict[str, np.ndarray]:
    """The precise vectors of these topics' names and of each title with its description (cached per process)."""
    return _vectors(g, slugs)


def closest_topics(text: str, g: TopicGraph, *, projects: bool = False) -> list[tuple[str, float]]:
    """[(topic slug, cosine)] of the concept's nearest topics by meaning, best first (ties by slug)."""
    text = normalise(text)
    if not text:
        return []
    hits = get_index(CORPUS).search(text, k=CANDIDATES, min_semantic=0.3)
    slugs = sorted({str(h.id) for h in hits if str(h.id) in g.topics and (projects or not g.topics[str(h.id)].project)})
    if not slugs:
        return []
    query = embed_precise_texts([text])[0]
    scored = [(slug, float(np.max(vectors @ query))) for slug, vectors in _vectors(g, slugs).items()]
    return sorted(scored, key=lambda item: (-item[1], item[0]))


def closest_topic(text: str, g: TopicGraph) -> tuple[Topic, float] | None:
    """The topic the concept means, when one is at least MEANING_MIN close; else None."""
    ranked = closest_topics(text, g)
    if not ranked or ranked[0][1] < MEANING_MIN:
        return None
    return g.topics[ranked[0][0]], ranked[0][1]


def supports(text: str, topic: Topic, g: TopicGraph) -> bool:
    """The whole concept is at least SUPPORT_MIN close to the topic (a reading of one of its words found it)."""
    query = embed_precise_texts([normalise(text)])[0]
    return float(np.max(_vectors(g, [topic.slug])[topic.slug] @ query)) >= SUPPORT_MIN


def explained_terms(terms: list[str], topic: Topic, g: TopicGraph) -> list[str]:
    """The words among `terms` that say the topic in other words ("recommendation" for Recommender Systems), as
    opposed to a subject of their own that the topic does not teach ("haskell" for Functional Programming)."""
    if not terms:
        return []
    names = _vectors(g, [topic.slug])[topic.slug][:-1]  # its names only, not its description
    vectors = embed_precise_texts(list(terms))
    return [t for t, v in zip(terms, vectors, strict=True) if float(np.max(names @ v)) >= TERM_MIN]
