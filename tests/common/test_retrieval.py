"""The shared retrieval engine (common/retrieval): embeddings, BM25, fusion, the once-per-version registry."""

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from common.retrieval import (
    EMBEDDING_DIM,
    Doc,
    HybridIndex,
    decode_vector,
    embed_text,
    embed_texts,
    encode_vector,
    get_index,
    index_builds,
    register_corpus,
    tokenize,
)

DOCS = [
    Doc(id=1, title="A Complete Guide to Flexbox", text="CSS flexible box layout: align and center items in a row"),
    Doc(id=2, title="Learn Git Branching", text="Interactive git exercises: commit, branch, rebase, reset"),
    Doc(id=3, title="Oh Shit, Git!?!", text="How to undo a git commit and fix common mistakes with reset and reflog"),
    Doc(id=4, title="Regex101", text="Test regular expressions with live explanation and practice"),
    Doc(id=5, title="pandas: 10 minutes", text="A short introduction to pandas DataFrame and Series for beginners"),
    Doc(id=6, title="Cloudflare Learning Center", text="Articles explaining DNS, CDN and network security"),
]


def test_embeddings_are_normalised_float32_of_the_model_size_and_deterministic():
    vectors = embed_texts(["css flexbox layout", "undo a git commit", ""])
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, EMBEDDING_DIM)
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-5)
    assert not vectors[2].any()  # no token, no direction
    assert np.array_equal(embed_text("css flexbox layout"), vectors[0])
    assert embed_texts([]).shape == (0, EMBEDDING_DIM)


def test_embeddings_place_related_texts_closer_than_unrelated_ones():
    query, near, far = embed_texts(["centering elements with css", "flexbox layout guide", "git commit history"])
    assert float(query @ near) > float(query @ far) + 0.05


def test_vectors_round_trip_through_compact_storage():
    vector = embed_text("python decorators")
    stored = encode_vector(vector)
    assert len(stored) == EMBEDDING_DIM * 2  # float16
    assert np.allclose(decode_vector(stored), vector, atol=1e-3)
    assert decode_vector(b"") is None
    assert decode_vector(b"\x00\x00" * 3) is None  # another model's size is ignored, not misread


def test_tokenize_folds_case_and_accents_and_drops_stop_words():
    assert tokenize("How to use the Café's API?") == ["use", "cafe", "api"]


def test_search_ranks_lexical_and_semantic_matches_and_reports_both_scores():
    index = HybridIndex(DOCS)
    hits = index.search("undo last git commit", k=3)
    assert [h.id for h in hits][:1] == [3]
    assert all(h.lexical > 0 for h in hits[:2])
    assert all(-1.0 <= h.semantic <= 1.0 for h in hits)
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_search_restricted_to_ids_never_returns_others():
    index = HybridIndex(DOCS)
    hits = index.search("git", k=10, ids={1, 2, 99})
    assert {h.id for h in hits} <= {1, 2}
    assert hits[0].id == 2


def test_pure_lexical_weight_lists_only_word_matches_and_min_semantic_bounds_the_rest():
    index = HybridIndex(DOCS)
    assert {h.id for h in index.search("regex", k=10, lexical_weight=1.0)} == {4}
    loose = index.search("regular expression practice", k=10, min_semantic=0.99)
    assert {h.id for h in loose} == {4}  # only the word match: nothing else is that close in meaning


def test_results_are_deterministic_with_ties_broken_by_id():
    twins = [Doc(id=i, title="Same title", text="same text") for i in (5, 3, 9, 1)]
    index = HybridIndex(twins)
    first = [h.id for h in index.search("same", k=3)]
    assert first == [1, 3, 5]
    assert [h.id for h in index.search("same", k=3)] == first
    assert [h.id for h in index.similar(embed_text("same text"), k=4)] == [1, 3, 5, 9]


def test_stored_vectors_are_used_instead_of_recomputed():
    marker = np.zeros(EMBEDDING_DIM, dtype=np.float32)
    marker[0] = 1.0
    index = HybridIndex([Doc(id="a", text="anything", vector=marker), Doc(id="b", text="other")])
    assert np.array_equal(index.vector("a"), marker)
    assert index.similar(marker, k=1)[0].id == "a"
    assert len(index) == 2


def test_index_without_lexical_part_ranks_by_meaning_only():
    index = HybridIndex(DOCS, lexical=False)
    hits = index.search("undo a git commit", k=2)
    assert all(h.lexical == 0 for h in hits)
    assert {h.id for h in hits} & {2, 3}


def test_registry_rebuilds_exactly_once_per_version_change_under_concurrency():
    state = {"version": "1", "loads": 0}

    def load():
        state["loads"] += 1
        return DOCS[: 3 + state["loads"]]

    register_corpus("test-once", version=lambda: state["version"], load=load)
    first = get_index("test-once")
    assert get_index("test-once") is first
    state["version"] = "2"
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(get_index("test-once"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state["loads"] == 2
    assert index_builds("test-once") == 2
    assert len({id(index) for index in seen}) == 1
    assert len(seen[0]) == 5


def test_unknown_corpus_is_a_lookup_error():
    with pytest.raises(LookupError):
        get_index("no-such-corpus")


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from common.retrieval import Doc, get_index, index_builds, register_corpus

    version_file, ready = Path(sys.argv[1]), Path(sys.argv[2])
    register_corpus("child", version=version_file.read_text, load=lambda: [Doc(id=1, text="x")])
    get_index("child")
    ready.write_text("ready")
    deadline = time.monotonic() + 150
    while version_file.read_text() != "2" and time.monotonic() < deadline:
        get_index("child")
        time.sleep(0.005)
    for _ in range(50):
        get_index("child")
    print(index_builds("child"))
    """
)


def test_each_of_two_processes_rebuilds_once_after_a_shared_version_change(tmp_path):
    root = Path(__file__).resolve().parents[2]
    version_file = tmp_path / "version"
    version_file.write_text("1")
    readies = [tmp_path / f"ready{i}" for i in range(2)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(version_file), str(ready)], cwd=root, stdout=subprocess.PIPE, text=True
        )
        for ready in readies
    ]
    # Both children must have built version 1 before it changes (a slow start under load is not a failure of the
    # index: wait for it, and say so if it never comes).
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in readies) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(r.exists() for r in readies), "a child process never built its first index"
    version_file.write_text("2")
    outputs = [int(child.communicate(timeout=60)[0].strip()) for child in children]
    assert outputs == [2, 2]
