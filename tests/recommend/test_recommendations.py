import json
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from resources import services as resource_services
from resources.models import RecommenderModel, UserResourceInteraction
from resources.recommend import engine, services
from resources.recommend.services import scoring
from resources.recommend.tasks import recommender_retrain
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.resources.factories import InteractionFactory, ResourceFactory
from users.models import UserPreferences

pytestmark = pytest.mark.django_db

MEDIA = ["video", "article", "course", "book", "podcast"]
TAGS = ["python", "django", "sql", "rust", "ml", "web"]
LEVELS = ["beginner", "intermediate", "advanced"]


def url(user_id) -> str:
    return f"/api/resources/recommendations/{user_id}/"


def make_catalogue(n: int = 40) -> list:
    return [
        ResourceFactory(
            title=f"{TAGS[i % 6]} guide {i}",
            description=f"Learn {TAGS[i % 6]} and {TAGS[(i + 1) % 6]}",
            media_type=MEDIA[i % 5],
            difficulty=LEVELS[i % 3],
            duration_minutes=None if i % 13 == 0 else 10 + (i * 7) % 120,
            tags=[TAGS[i % 6], TAGS[(i + 2) % 6]],
            rating=float(i % 5),
            rating_count=i % 7,
            popularity=i,
        )
        for i in range(n)
    ]


# --- Permissions and validation ---------------------------------------------------------------------------------------


def test_anonymous_is_401(api_client, user):
    assert api_client.get(url(user.pk)).status_code == 401


def test_another_user_is_404_self_and_staff_200(auth_client, other_client, staff_client, user):
    make_catalogue(12)
    assert other_client.get(url(user.pk)).status_code == 404
    mine = auth_client.get(url(user.pk))
    assert mine.status_code == 200
    assert staff_client.get(url(user.pk)).status_code == 200
    assert staff_client.get(url("00000000-0000-0000-0000-000000000000")).status_code == 404
    item = mine.json()[0]
    assert isinstance(item["score"], float) and item["reasons"] and "title" in item and "media_type" in item


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "201", "1.5"])
def test_bad_limit_is_400(auth_client, user, limit):
    response = auth_client.get(url(user.pk), {"limit": limit})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "limit"


def test_limit_bounds_the_list_and_no_trailing_slash_works(auth_client, user):
    make_catalogue(30)
    response = auth_client.get(url(user.pk).rstrip("/"), {"limit": 5})
    assert response.status_code == 200
    assert len(response.json()) == 5


# --- Cold start, boosts, diversity ---------------------------------------------------------------------------------


def test_cold_start_user_gets_results_from_preferences(user):
    make_catalogue(40)
    UserPreferences.objects.filter(user=user).update(
        preferred_media_types=["podcast"], preferred_difficulty="advanced", preferred_learning_style="reading"
    )
    items = services.recommend(user=user, limit=10, model_version=0)
    assert len(items) == 10
    media = [ResourceFactory._meta.model.objects.get(pk=i["id"]).media_type for i in items]
    assert media[0] == "podcast"
    assert media.count("podcast") == 3  # boosted, but capped by the diversity re-rank
    assert any("Matches your preference for podcasts" in r for r in items[0]["reasons"])


def test_diversity_at_most_three_of_a_media_type_per_ten(user):
    for i in range(30):
        ResourceFactory(media_type="video", rating=5.0, rating_count=50, popularity=1000 + i)
    for media in ["article", "book", "course"]:
        for _ in range(3):
            ResourceFactory(media_type=media)
    items = services.recommend(user=user, limit=20, model_version=0)
    media = [ResourceFactory._meta.model.objects.get(pk=i["id"]).media_type for i in items]
    assert media[:10].count("video") == 3
    assert media[:10].count("video") + 7 == 10
    assert engine.diversify([0, 1, 2, 3], ["v", "v", "v", "v"], 4) == [0, 1, 2, 3]  # one type: fill anyway


# --- Hard filters: property test --------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    return make_catalogue(40)


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    avoid=st.lists(st.sampled_from([*TAGS, "Python", "SQL"]), max_size=3, unique=True),
    max_duration=st.one_of(st.none(), st.integers(min_value=1, max_value=150)),
    completed=st.lists(st.integers(min_value=0, max_value=39), max_size=8, unique=True),
    disliked=st.lists(st.integers(min_value=0, max_value=39), max_size=8, unique=True),
    liked=st.lists(st.integers(min_value=0, max_value=39), max_size=8, unique=True),
    media=st.lists(st.sampled_from(MEDIA), max_size=2, unique=True),
    level=st.one_of(st.none(), st.sampled_from(LEVELS)),
    limit=st.integers(min_value=1, max_value=60),
)
def test_hard_filters_are_never_violated(catalogue, avoid, max_duration, completed, disliked, liked, media, level,
                                         limit):  # fmt: skip
    user = UserFactory()
    UserPreferences.objects.filter(user=user).update(
        avoid_tags=avoid, max_duration_minutes=max_duration, preferred_media_types=media, preferred_difficulty=level
    )
    for i in completed:
        InteractionFactory(user=user, resource=catalogue[i], interaction_type="complete", completed=True)
    for i in disliked:
        InteractionFactory(user=user, resource=catalogue[i], interaction_type="rate", rating=1 + i % 2)
    for i in liked:
        InteractionFactory(user=user, resource=catalogue[i], interaction_type="like")
    items = services.recommend(user=user, limit=limit, model_version=services.current_model_version())
    assert len(items) <= limit
    banned = {catalogue[i].pk for i in completed} | {catalogue[i].pk for i in disliked}
    by_id = {r.pk: r for r in catalogue}
    avoid_lower = {t.lower() for t in avoid}
    for item in items:
        resource = by_id[item["id"]]
        assert item["id"] not in banned
        assert not ({t.lower() for t in resource.tags} & avoid_lower)
        if max_duration is not None:
            assert resource.duration_minutes is not None and resource.duration_minutes <= max_duration
        assert item["reasons"]


# --- Cache ------------------------------------------------------------------------------------------------------------


def test_cache_hit_then_miss_after_own_interaction_not_for_another_user(user, other_user):
    resources = make_catalogue(20)
    me, other = client_for(user), client_for(other_user)
    with mock.patch.object(scoring, "recommend", wraps=scoring.recommend) as computed:
        first = me.get(url(user.pk)).json()
        assert computed.call_count == 1
        assert me.get(url(user.pk)).json() == first
        assert computed.call_count == 1  # hit
        other.get(url(other_user.pk))
        assert computed.call_count == 2
        resource_services.resource_mark(user=user, resource=resources[3], interaction_type="like")
        me.get(url(user.pk))
        assert computed.call_count == 3  # the user's new interaction: miss
        other.get(url(other_user.pk))
        assert computed.call_count == 3  # the other user's list is still cached


# --- Retraining -------------------------------------------------------------------------------------------------------


def clustered_interactions(n_users: int = 60, per_cluster: int = 20) -> list:
    """Two taste clusters: users of cluster c interact with items of cluster c only; every user's k-th interaction
    is newer than everybody's (k−1)-th, so the time-based holdout holds the latest items of every user."""
    items = make_catalogue(2 * per_cluster)
    start = timezone.now() - timedelta(days=30)
    for u in range(n_users):
        user = UserFactory()
        cluster = u % 2
        for k in range(8):
            item = items[cluster * per_cluster + (u * 3 + k * 5) % per_cluster]
            row, created = UserResourceInteraction.objects.get_or_create(
                user=user, resource=item, interaction_type="like"
            )
            if created:
                at = start + timedelta(minutes=k * n_users + u)
                UserResourceInteraction.objects.filter(pk=row.pk).update(updated_at=at)
    return items


def test_passes_gate():
    assert services.passes_gate(candidate=0.3, popularity=0.2, current=None)
    assert services.passes_gate(candidate=0.3, popularity=0.2, current=0.25)
    assert not services.passes_gate(candidate=0.3, popularity=0.2, current=0.3)
    assert not services.passes_gate(candidate=0.2, popularity=0.2, current=None)
    assert not services.passes_gate(candidate=0.1, popularity=0.2, current=0.05)


def test_retrain_promotes_a_model_that_beats_popularity_then_rejects_one_not_beating_current(user):
    clustered_interactions()
    first = services.retrain()
    assert first is not None and first.is_current and first.status == "promoted"
    assert first.metrics["candidate"]["ndcg@10"] > first.metrics["popularity"]["ndcg@10"]
    # Same data, forced: the current model has seen this holdout, so the candidate cannot beat it.
    second = services.retrain(force=True)
    assert second is not None and second.status == "rejected" and not second.is_current
    assert second.metrics["candidate"]["ndcg@10"] <= second.metrics["current"]["ndcg@10"]
    assert RecommenderModel.objects.get(is_current=True).pk == first.pk
    assert services.current_model_version() == first.pk


def test_retrain_skips_tiny_data(user):
    make_catalogue(5)
    assert services.retrain() is None
    assert not RecommenderModel.objects.exists()


def test_task_is_idempotent_with_json_args():
    clustered_interactions()
    kwargs = json.loads(json.dumps({"force": False}))
    first = recommender_retrain.apply(kwargs=kwargs).get()
    second = recommender_retrain.apply(kwargs=kwargs).get()
    assert first is not None and second is None
    assert RecommenderModel.objects.count() == 1


def test_trained_model_serves_collaborative_reasons_and_new_version_invalidates_cache():
    items = clustered_interactions()
    user = UserFactory()
    for k in range(4):
        InteractionFactory(user=user, resource=items[k], interaction_type="complete", completed=True)
    client = client_for(user)
    with mock.patch.object(scoring, "recommend", wraps=scoring.recommend) as computed:
        before = client.get(url(user.pk)).json()
        version = services.retrain()
        assert version is not None and version.is_current
        after = client.get(url(user.pk), {"limit": 10}).json()
        assert computed.call_count == 2  # retrain: every list misses
    assert before and after
    cluster = {r.pk for r in items[:20]}
    assert sum(item["id"] in cluster for item in after) >= 7
    # Issue 19: the reason names the learner's own evidence ("Because you completed <one of their 4 items>").
    mine = {f'Because you completed "{r.title}"' for r in items[:4]}
    assert any(reason in mine for item in after for reason in item["reasons"])
    assert not {r.pk for r in items[:4]} & {item["id"] for item in after}


# --- Engine -----------------------------------------------------------------------------------------------------------


def test_interaction_weights():
    assert engine.interaction_weight("view") == 1
    assert engine.interaction_weight("like") == 2
    assert engine.interaction_weight("save") == 3
    assert engine.interaction_weight("complete") == 4
    assert engine.interaction_weight("rate", 5) == 2.5
    assert engine.interaction_weight("rate", 2) < 0
    assert engine.combine([1.0, 4.0]) == 5.0
    assert engine.combine([1.0, -0.5]) < 0


def test_artifact_round_trip_both_kinds():
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    matrix = sp.random(50, 30, density=0.3, format="csr", dtype=np.float32, random_state=1)
    ids = np.arange(100, 130)
    for model in (engine.fit_itemknn(matrix, ids), engine.fit_collaborative(matrix, ids)):
        restored = engine.CollabModel.from_bytes(model.to_bytes())
        row = matrix[int(rng.integers(50))]
        assert restored.kind == model.kind
        assert np.allclose(restored.score(row), model.score(row), atol=1e-5)
    assert engine.fit_collaborative(matrix, ids).kind == "als"


def test_retrain_gate_evaluates_als_and_ease_records_both_and_promotes_the_better():
    clustered_interactions()
    version = services.retrain()
    assert version is not None and version.is_current
    candidates = version.metrics["candidates"]
    assert set(candidates) == {"als", "ease", "blend"} or set(candidates) == {"itemknn", "ease", "blend"}
    best = max(candidates, key=lambda kind: candidates[kind]["ndcg@10"])
    assert version.metrics["chosen"] == version.algorithm
    assert candidates[version.algorithm]["ndcg@10"] == candidates[best]["ndcg@10"]
    assert version.metrics["candidate"]["ndcg@10"] == candidates[version.algorithm]["ndcg@10"]
    restored = engine.CollabModel.from_bytes(bytes(version.artifact))
    assert restored.kind == version.algorithm


def test_ease_closed_form_matches_the_dense_formula_and_ranks_co_occurring_items():
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(3)
    x = sp.csr_matrix((rng.random((60, 12)) < 0.3).astype(np.float32))
    model = engine.fit_ease(x, np.arange(12), lam=5.0, min_count=1)
    g = (x.T @ x).toarray().astype(np.float64) + 5.0 * np.eye(12)
    p = np.linalg.inv(g)
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    assert np.allclose(model.similarity.toarray(), b, atol=1e-4)
    # Two items always taken together: a user holding one gets the other first.
    pairs = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 1, 0]], np.float32))
    ease = engine.fit_ease(pairs, np.arange(4), lam=0.5, min_count=1)
    assert int(np.argmax(ease.score(sp.csr_matrix(np.array([[0, 0, 0, 1]], np.float32))))) == 2


def test_ease_keeps_only_the_most_used_items_and_the_largest_weights_of_each_column():
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(5)
    dense = (rng.random((80, 10)) < np.linspace(0.1, 0.7, 10)).astype(np.float32)  # later columns more used
    x = sp.csr_matrix(dense)
    counts = dense.sum(axis=0)
    top = np.sort(np.argsort(-counts, kind="stable")[:6])
    model = engine.fit_ease(x, np.arange(10), lam=3.0, min_count=1, max_items=6)
    sub = dense[:, top].astype(np.float64)
    p = np.linalg.inv(sub.T @ sub + 3.0 * np.eye(6))
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    full = model.similarity.toarray()
    outside = np.setdiff1d(np.arange(10), top)
    assert not full[outside].any() and not full[:, outside].any()
    assert np.allclose(full[np.ix_(top, top)], b, atol=1e-4)
    # keep=2: each column holds exactly its two largest weights in magnitude.
    pruned = engine.fit_ease(x, np.arange(10), lam=3.0, min_count=1, max_items=6, keep=2).similarity.toarray()
    kept = pruned[np.ix_(top, top)]
    for j in range(6):
        expected = set(np.argsort(-np.abs(b[:, j]))[:2])
        assert set(np.flatnonzero(kept[:, j])) == expected
        assert np.allclose(kept[list(expected), j], b[list(expected), j], atol=1e-4)


def test_cooccurrence_is_the_share_of_an_items_users_who_also_have_the_other():
    import numpy as np
    import scipy.sparse as sp

    # Item 0 is held by users 0–3; of them, 3 also hold item 1 and 1 holds item 2. Weights are binarised.
    x = sp.csr_matrix(
        np.array([[2, 1, 0, 0], [1, 3, 0, 0], [1, 1, 1, 0], [4, 0, 0, 0], [0, 0, 1, 1]], dtype=np.float32)
    )
    co = engine.fit_cooccurrence(x).toarray()
    expected = np.array(
        [[0, 3 / 4, 1 / 4, 0], [1, 0, 1 / 3, 0], [1 / 2, 1 / 2, 0, 1 / 2], [0, 0, 1, 0]], dtype=np.float32
    )
    assert np.allclose(co, expected)
    # keep=1: each row holds its largest share only.
    assert np.allclose(engine.fit_cooccurrence(x, keep=1).toarray()[0], [0, 3 / 4, 0, 0])


def test_a_short_history_is_scored_by_cooccurrence_a_longer_one_by_the_model_and_both_survive_storage():
    import numpy as np
    import scipy.sparse as sp

    matrix = sp.random(60, 20, density=0.4, format="csr", dtype=np.float32, random_state=4)
    model = engine.fit_ease(matrix, np.arange(20), lam=5.0, min_count=1)
    model.cooccurrence = engine.fit_cooccurrence(matrix)
    short = sp.csr_matrix(([2.0, 1.0], ([0, 0], [3, 7])), shape=(1, 20), dtype=np.float32)
    expected = model.cooccurrence.toarray()[3] + model.cooccurrence.toarray()[7]
    assert np.allclose(model.score_personal(short), expected)
    long = sp.csr_matrix((np.ones(engine.SHORT_HISTORY + 1, np.float32), ([0] * 6, range(6))), shape=(1, 20))
    assert np.allclose(model.score_personal(long), model.score(long))
    both = sp.vstack([short, long]).tocsr()
    assert np.allclose(model.score_personal_many(both), np.vstack([expected, model.score(long)]))
    restored = engine.CollabModel.from_bytes(model.to_bytes())
    assert np.allclose(restored.score_personal(short), expected)
    assert np.allclose(restored.score_personal(long), model.score(long), atol=1e-6)
    # "Because you liked": for a co-occurrence-scored user, the history item whose users most often hold it.
    co = model.cooccurrence.toarray()
    target = int(np.argmax(expected))
    assert model.neighbour(target, np.array([3, 7]), short=True) == (3 if co[3, target] >= co[7, target] else 7)


def test_a_blend_mixes_its_parts_z_normalised_scores_and_survives_storage():
    import numpy as np
    import scipy.sparse as sp

    matrix = sp.random(80, 25, density=0.3, format="csr", dtype=np.float32, random_state=6)
    ids = np.arange(200, 225)
    als, ease = engine.fit_collaborative(matrix, ids), engine.fit_ease(matrix, ids, lam=5.0, min_count=1)
    blend = engine.blend_of([als, ease], [0.3, 0.7])
    rows = matrix[:7]
    fresh = rows.toarray() == 0
    expected = 0.3 * engine.znorm_rows(als.score_many(rows), fresh) + 0.7 * engine.znorm_rows(
        ease.score_many(rows), fresh
    )
    assert np.allclose(blend.score_many(rows), expected, atol=1e-5)
    assert np.allclose(blend.score(rows[2]), expected[2], atol=1e-5)
    restored = engine.CollabModel.from_bytes(blend.to_bytes())
    assert restored.kind == "blend" and restored.shares == [0.3, 0.7]
    assert [m.kind for m in restored.parts] == ["als", "ease"]
    assert np.allclose(restored.score_many(rows), expected, atol=1e-5)
    # "Because you liked": the part that weighs most (EASE here) names the neighbour.
    among = np.array([1, 4, 9, 16])
    assert blend.neighbour(3, among) == ease.neighbour(3, among)
    refitted = engine.refit(blend, matrix, ids)
    assert refitted.kind == "blend" and refitted.shares == [0.3, 0.7]
    assert refitted.parts[1].params == {"lambda": 5.0}


def test_retrain_stores_the_cooccurrence_with_the_served_model():
    import numpy as np

    items = clustered_interactions()
    version = services.retrain()
    assert version is not None and version.is_current
    restored = engine.CollabModel.from_bytes(bytes(version.artifact))
    assert restored.cooccurrence is not None
    position = {int(i): n for n, i in enumerate(restored.item_ids)}
    co = restored.cooccurrence.toarray()
    # Clusters never mix: an item of cluster 0 co-occurs with nothing of cluster 1.
    first, second = [position[r.pk] for r in items[:20]], [position[r.pk] for r in items[20:]]
    assert co[np.ix_(first, first)].sum() > 0
    assert co[np.ix_(first, second)].sum() == 0


def test_validation_split_by_time_holds_out_each_users_latest_items():
    import numpy as np
    import scipy.sparse as sp

    rows, cols = np.repeat([0, 1], 5), np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    times = np.array([5, 1, 4, 2, 3, 10, 50, 40, 30, 20], dtype=np.float64)
    matrix = sp.csr_matrix((np.ones(10, np.float32), (rows, cols)), shape=(2, 10))
    when = sp.csr_matrix((times, (rows, cols)), shape=(2, 10))
    rest, valid = engine.validation_split(matrix, share=0.4, times=when)
    assert valid == {0: {0, 2}, 1: {6, 7}}
    assert sorted(rest[0].indices) == [1, 3, 4] and sorted(rest[1].indices) == [5, 8, 9]
