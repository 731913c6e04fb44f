"""Re-scoring of the search window (resources.hybrid.Hybrid.fuse) and query understanding details: how rows read by
either database score, phrase-like queries, conversational filler."""

import json

from resources.hybrid import Hybrid
from resources.models import Resource
from resources.query import understand


def _row(pk: int, title: str, tags: list[str] | str, description: str) -> dict:
    return {"pk": pk, "title": title, "tags": tags, "description": description, "embedding": None, "rating": 0.0,
            "difficulty": "beginner", "media_type": "article", "duration_minutes": 60}  # fmt: skip


def _fuse(q: str, rows: list[dict]) -> dict[int, float]:
    understood = understand(q)
    return Hybrid(lambda: understood, Resource.objects.none()).fuse(
        {row["pk"]: 0.0 for row in rows}, {row["pk"]: row for row in rows}
    )


def test_tags_read_as_json_text_score_exactly_like_tags_read_as_a_list():
    # PostgreSQL's window query reads jsonb through a raw cursor: the tags arrive as their JSON text.
    tagged = ["nosql", "databases"]
    as_list = [_row(1, "MongoDB University", tagged, "Courses on documents."), _row(2, "Notes", ["misc"], "NoSQL.")]
    as_text = [{**row, "tags": json.dumps(row["tags"])} for row in as_list]
    scores = _fuse("nosql databases", as_list)
    assert _fuse("nosql databases", as_text) == scores
    assert scores[1] > scores[2]  # both words in its tags beat one word in a description


def test_words_the_candidates_have_side_by_side_rank_as_a_phrase():
    rows = [
        _row(1, "Guide to C Programming", ["c"], "Pointers, arrays and dynamic memory allocation in C."),
        _row(2, "Algorithms Illuminated", ["algorithms"], "Greedy algorithms and dynamic programming, gently."),
        _row(3, "Algorithms by Erickson", ["algorithms"], "Recursion, backtracking and dynamic programming."),
        _row(4, "CSES Problem Set", ["practice"], "Problems on sorting, dynamic programming and graphs."),
    ]
    scores = _fuse("dynamic programming", rows)
    # Every row has both words; three of four have them side by side, so the query reads as a phrase and the guide
    # with "Programming" in its title and "dynamic memory" in its description no longer comes first.
    assert max(scores, key=scores.__getitem__) != 1
    assert all(scores[pk] > scores[1] for pk in (2, 3, 4))


def test_words_rarely_side_by_side_are_not_read_as_a_phrase():
    rows = [
        _row(1, "Primer on Python Decorators", ["python", "decorators"], "Wrapping functions."),
        _row(2, "functools", ["python", "decorators"], "Higher-order functions."),
        _row(3, "Fluent Python", ["python", "decorators"], "Idiomatic Python, generators, decorators."),
    ]
    scores = _fuse("python decorators", rows)
    # Only the first has "python decorators" side by side; the others still score on both words in their tags.
    assert scores[2] > 0.5 and scores[3] > 0.5


def test_conversational_filler_and_how_does_x_work_are_left_out_of_matching():
    content = understand("what should i learn to become a backend developer").content.split()
    assert "backend" in content and "should" not in content
    assert understand("how does https work").content == "https"
    assert understand("how do computers work").content == "computers"
    # A filler word alone is still the query: nothing else to match.
    assert understand("something").content == "something"


def test_a_phrase_like_pair_stands_in_for_its_own_words_only():
    rows = [
        _row(1, "kubectl Quick Reference", ["kubernetes", "kubectl"], "Common kubectl commands on one page."),
        _row(2, "pandas Cheat Sheet", ["pandas"], "A two-page cheat sheet of pandas."),
        _row(3, "Big-O Cheat Sheet", ["algorithms"], "A cheat sheet of complexities."),
        _row(4, "OWASP Cheat Sheet Series", ["security"], "Cheat sheets on web security."),
    ]
    scores = _fuse("kubectl cheat sheet", rows)
    # "cheat sheet" reads as a phrase, but kubectl, the rarest word, still counts: its reference comes first.
    assert max(scores, key=scores.__getitem__) == 1


def test_conversational_phrasing_and_topic_names_are_read_as_meant():
    # "where do i start" / "get into" are intent; "video games" and "machine learning" are topics, not intent.
    games = understand("i want to make video games, where do i start")
    assert "video" in games.content.split() and games.media_types == () and games.difficulty == "beginner"
    assert understand("machine learning for beginners").content == "machine learning"
    assert understand("how do i get into cybersecurity").content == "cybersecurity"
    # After the basics, the next level; stop and question words are not content.
    after = understand("what should i learn after the python basics")
    assert after.content == "python" and after.difficulty == "intermediate"
    # A hand-written one-word synonym stands in for its word in a longer query; a concept paraphrase expands.
    assert "accessibility checklist" in understand("a11y checklist").expansions
    assert "continuous integration" in understand("run my tests automatically every time i push").expansions
    assert understand("python decorators").expansions == ()


def test_or_in_a_sentence_is_a_word_and_in_a_short_query_the_operator():
    from resources.query import websearch_syntax

    assert websearch_syntax("kubernetes or sql") and websearch_syntax('"step by step"')
    assert websearch_syntax("python -snake")
    question = (
        "everyone says add caching but i dont know if i need redis, http cache headers or to fix my postgres queries"
    )
    understood = understand(question)
    assert not websearch_syntax(question) and not understood.literal
    assert "redis" in understood.content and " or " not in f" {understood.content} "
