"""The sequence model (items used one after another) and the learner's recency, from the engine to a served list."""

from datetime import timedelta

import numpy as np
import pytest
import scipy.sparse as sp
from django.utils import timezone

from resources.models import RecommenderModel, UserResourceInteraction
from resources.recommend import engine, services
from tests.factories import UserFactory
from tests.resources.factories import ResourceFactory


def _history(sequences: list[list[int]], n_items: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(positive weights, times) of users who used `sequences[u]` in that order."""
    rows, cols, when = [], [], []
    for u, seq in enumerate(sequences):
        for k, item in enumerate(seq):
            rows.append(u)
            cols.append(item)
            when.append(1000.0 * u + k + 1)
    shape = (len(sequences), n_items)
    weights = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=shape)
    return weights, sp.csr_matrix((np.array(when), (rows, cols)), shape=shape)


def test_sequence_counts_neighbours_in_time_not_whole_histories():
    # Every user holds the same four items (whole-history co-occurrence cannot tell them apart), always in the
    # order 0 → 1 → 2 → 3: with a window of 1 only the items used next to each other are similar.
    matrix, times = _history([[0, 1, 2, 3]] * 4, 4)
    model = engine.fit_sequence(matrix, times, np.arange(4), window=1)
    dense = model.similarity.toarray()
    # C[i, j] = pairs / √(n_i·n_j): 4 users each count the pair once, every item is held by 4 users.
    assert np.allclose(dense[0], [0, 1, 0, 0]) and np.allclose(dense[1], [1, 0, 1, 0])
    assert np.allclose(dense, dense.T)
    holder = sp.csr_matrix(([1.0], ([0], [0])), shape=(1, 4))
    scores = model.score(holder)
    assert scores[1] > 0 and scores[2] == 0 and scores[3] == 0
    # A wider window reaches further, and `keep` bounds each row.
    wide = engine.fit_sequence(matrix, times, np.arange(4), window=3, keep=2).similarity.toarray()
    assert (np.count_nonzero(wide, axis=1) <= 2).all() and wide[0, 1] > 0


def test_recency_ranks_and_the_decay_favour_the_newest_items():
    matrix, times = _history([[4, 0, 2]], 6)  # item 4 first, item 2 last
    ranks = engine.recency_ranks(matrix, times)
    assert dict(zip(ranks.indices.tolist(), ranks.data.tolist(), strict=True)) == {2: 1.0, 0: 2.0, 4: 3.0}
    # Neighbours: 0 ↔ 1 strongly, 2 ↔ 3 weakly (sequences seen by others).
    train, train_times = _history([[0, 1]] * 3 + [[2, 3]] + [[2, 5]] * 2, 6)
    flat = engine.fit_sequence(train, train_times, np.arange(6), window=1)
    recent = engine.fit_sequence(train, train_times, np.arange(6), window=1, decay=0.1)
    user = sp.csr_matrix(([1.0, 1.0], ([0, 0], [0, 2])), shape=(1, 6))
    user_ranks = sp.csr_matrix(([2.0, 1.0], ([0, 0], [0, 2])), shape=(1, 6))  # item 2 is the newer
    plain = flat.score(user, user_ranks)
    assert plain[1] > plain[3]  # without decay the stronger neighbour wins
    weighted = recent.score(user, user_ranks)
    assert weighted[3] > weighted[1]  # the newest item's neighbour leads
    assert np.allclose(recent.score(user), plain)  # no ranks given: every held item alike
    restored = engine.CollabModel.from_bytes(recent.to_bytes())
    assert restored.kind == "sequence" and restored.decay == pytest.approx(0.1)
    assert np.allclose(restored.score(user, user_ranks), weighted)
    blend = engine.blend_of([flat, recent], [0.5, 0.5])
    back = engine.CollabModel.from_bytes(blend.to_bytes())
    assert np.allclose(back.score_many(user, user_ranks), blend.score_many(user, user_ranks), atol=1e-6)
    assert np.allclose(engine.refit(recent, train, np.arange(6), train_times).similarity.toarray(),
                       recent.similarity.toarray())  # fmt: skip


def test_tuning_tries_the_sequence_model_only_when_times_are_known():
    rng = np.random.default_rng(5)
    sequences = [list(rng.permutation(30)[:12]) for _ in range(80)]
    matrix, times = _history(sequences, 30)
    _, without = engine.tune_and_fit(matrix, np.arange(30))
    assert not any("sequence_share" in key for key in without["blend"])
    models, grids = engine.tune_and_fit(matrix, np.arange(30), times=times)
    tried = [key for key in grids["blend"] if "sequence_share" in key]
    assert len(tried) == len(engine.SEQUENCE_SHARES) * len(engine.SEQUENCE_DECAYS)
    blend = models["blend"]
    assert [m.kind for m in blend.parts][:2] in (["als", "ease"], ["itemknn", "ease"])
    assert len(blend.parts) in (2, 3) and sum(blend.shares) == pytest.approx(1.0)


@pytest.mark.django_db
def test_a_served_sequence_model_ranks_the_neighbour_of_the_newest_item_first():
    # A catalogue alike in every respect but the model, so the collaborative score alone orders it.
    items = [
        ResourceFactory(title="Resource", description="Same", tags=["same"], media_type="article", popularity=0,
                        rating=0.0, rating_count=0, difficulty="beginner", duration_minutes=30)
        for _ in range(6)
    ]  # fmt: skip
    ids = np.array([r.pk for r in items])
    old_item, old_next, new_item, new_next = 0, 1, 2, 3
    sim = np.zeros((6, 6), np.float32)
    sim[old_item, old_next] = sim[old_next, old_item] = 1.0  # the older item's neighbour is the stronger one …
    sim[new_item, new_next] = sim[new_next, new_item] = 0.6
    model = engine.CollabModel(kind="sequence", item_ids=ids, similarity=sp.csr_matrix(sim), decay=0.1)
    version = RecommenderModel.objects.create(algorithm="sequence", status="promoted", is_current=True,
                                              data_signature="test", artifact=model.to_bytes())  # fmt: skip
    user = UserFactory()
    now = timezone.now()
    for position, age in ((old_item, timedelta(days=9)), (new_item, timedelta(hours=1))):
        row = UserResourceInteraction.objects.create(user=user, resource=items[position], interaction_type="like")
        UserResourceInteraction.objects.filter(pk=row.pk).update(updated_at=now - age)
    listed = {i["id"]: i["score"] for i in services.recommend(user=user, limit=4, model_version=version.pk)}
    # … but the learner's newest item weighs ten times the older one: its neighbour leads.
    assert listed[items[new_next].pk] > listed[items[old_next].pk]
