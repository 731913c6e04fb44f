"""The `topics` corpus of the shared retrieval engine: every topic of the graph (title, aliases, tags, description,
outcomes). The graph is data shipped with the code, so its version is the number of topics and the loader's file
stamp: it changes only with a deploy. Used for nearby-topic suggestions when a concept is not taught."""

from common.retrieval import Doc, get_index, register_corpus
from roadmaps.topics import graph

CORPUS = "topics"


def version() -> str:
    return f"{len(graph().topics)}"


def docs() -> list[Doc]:
    return [
        Doc(
            id=t.slug,
            title=t.title,
            text=" ".join([*t.aliases, *t.tags, t.description, *t.outcomes]),
            meta={"area": t.area, "project": t.project},
        )
        for t in graph().topics.values()
    ]


def register() -> None:
    register_corpus(CORPUS, version=version, load=docs)


def nearby_topics(text: str, k: int = 4, min_semantic: float = 0.45) -> list[str]:
    """Titles of the topics closest to `text` (lexical or by meaning), best first."""
    index = get_index(CORPUS)
    hits = index.search(text, k=k + 4, min_semantic=min_semantic)
    g = graph()
    close = [h for h in hits if h.id in g.topics and (h.lexical > 0 or h.semantic >= min_semantic)]
    return [g.topics[h.id].title for h in close][:k]
