"""The retrieval engine's precise model (common/retrieval/precise.py): a transformer sentence encoder shipped in
PyPI packages, verified before use, that re-ranks candidates by meaning."""

import numpy as np
import pytest

from common.retrieval import (
    PRECISE_DIM,
    decode_precise,
    embed_precise_text,
    embed_precise_texts,
    embed_texts,
    encode_vector,
    precise,
)


def test_vectors_are_normalised_float32_of_the_model_size_and_deterministic():
    vectors = embed_precise_texts(["css flexbox layout", "undo a git commit", ""])
    assert vectors.dtype == np.float32 and vectors.shape == (3, PRECISE_DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # The same text gives the same vector alone or in a batch of other lengths (batches are grouped by length).
    assert np.allclose(embed_precise_text("undo a git commit"), vectors[1], atol=1e-5)
    assert embed_precise_texts([]).shape == (0, PRECISE_DIM)


def test_it_reads_word_order_and_context_where_static_embeddings_do_not():
    # A learner's sentence against two resources that share its words about equally: only one answers it.
    query = "new version of my app is broken, how do i roll back a deployment on kubernetes"
    answer = "kubectl rollout undo: return a Kubernetes Deployment to its previous revision"
    other = "Deploy your first app on Kubernetes: create a deployment and expose it with a service"
    q, a, o = embed_precise_texts([query, answer, other])
    assert float(q @ a) > float(q @ o)
    unrelated = embed_precise_text("pandas groupby: sum sales per month")
    assert float(q @ a) > float(q @ unrelated) + 0.2


def test_precise_vectors_round_trip_and_are_never_read_as_the_fast_models():
    vector = embed_precise_text("python decorators")
    stored = encode_vector(vector)
    assert len(stored) == PRECISE_DIM * 2
    assert np.allclose(decode_precise(stored), vector, atol=1e-3)
    assert decode_precise(None) is None
    assert decode_precise(encode_vector(embed_texts(["python decorators"])[0])) is None


def test_model_files_are_the_pinned_ones(tmp_path):
    model, tokenizer = precise.model_files()
    assert model.name == "model.onnx" and tokenizer.name == "tokenizer.json"
    forged = tmp_path / "model.onnx"
    forged.write_bytes(model.read_bytes()[:-1] + b"\x00")
    with pytest.raises(precise.ModelFileError, match="not the pinned file"):
        precise._verified(forged, precise.MODEL_SHA256)
    with pytest.raises(precise.ModelFileError, match="cannot read"):
        precise._verified(tmp_path / "missing.onnx", precise.MODEL_SHA256)


def test_recent_texts_are_remembered_within_a_bound(monkeypatch):
    monkeypatch.setattr(precise, "CACHE_SIZE", 2)
    precise._cache.clear()
    first = embed_precise_texts(["sql joins", "git rebase"])
    calls = []
    encode = precise._encode
    monkeypatch.setattr(precise, "_encode", lambda texts, n: calls.append(list(texts)) or encode(texts, n))
    again = embed_precise_texts(["git rebase", "sql joins", "git rebase"])
    assert calls == [] and np.array_equal(again[1], first[0]) and np.array_equal(again[0], first[1])
    embed_precise_texts(["docker volumes"])  # evicts the least recently used ("sql joins" was used before "git rebase")
    assert calls == [["docker volumes"]] and [text for text, _ in precise._cache] == ["git rebase", "docker volumes"]


def test_a_stored_document_is_read_up_to_doc_max_tokens_pieces_and_a_query_in_full():
    words = "one two three four five six seven eight nine ten eleven twelve".split()
    # [CLS] + six one-piece words + [SEP] = 8 pieces: the same vector as the first six words alone.
    cut = embed_precise_texts([" ".join(words)], max_tokens=8)[0]
    assert np.allclose(cut, embed_precise_text(" ".join(words[:6])), atol=1e-5)
    assert not np.allclose(cut, embed_precise_text(" ".join(words)), atol=1e-3)  # a query keeps every word
    # The cache tells the two readings of one text apart.
    assert np.allclose(embed_precise_texts([" ".join(words)], max_tokens=8)[0], cut, atol=1e-6)


def test_many_texts_embed_on_several_threads_exactly_as_one_at_a_time(monkeypatch):
    texts = [f"resource {i}: {'python ' * (i % 7)}testing with pytest fixtures number {i}" for i in range(3 * 32 + 5)]
    monkeypatch.setattr(precise, "BULK_THREADS", 2)
    bulk = precise._encode(texts, precise.DOC_MAX_TOKENS)  # four batches on two threads
    monkeypatch.setattr(precise, "BULK_THREADS", 1)
    alone = np.stack([precise._encode([t], precise.DOC_MAX_TOKENS)[0] for t in texts[::10]])
    assert np.allclose(bulk[::10], alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(bulk, axis=1), 1.0, atol=1e-4)
