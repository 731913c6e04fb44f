"""Search quality and latency.

1. Quality: MRR@10 and recall@10 of the labelled queries in bench/search_queries.yaml over the seeded catalogue,
   through the API (`GET /api/resources/search/?q=`), overall and for the typo queries alone.
2. Scale: the catalogue grown to --rows resources with synthetic ones (titles, tags and descriptions drawn from the
   real catalogue's vocabulary, so words are as common as in real data), then the same quality figures (the real
   resources now compete with ~100k distractors) and the p50/p95/p99 latency of search requests through the whole
   Django/DRF stack in-process (no network), for plain, typo, filtered and sorted queries.
3. The EXPLAIN (ANALYZE) of a broad query, to show which index serves it.

Runs in a throwaway test database (Django's test-database machinery: `test_<name>` of DATABASE_URL, created and
dropped here), so it never touches real data. PostgreSQL is needed for the latency figures (the target is p95 ≤ 50 ms
at 100k rows); on SQLite it reports quality only.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/pathwise_bench .venv/bin/python bench/search.py
       [--rows 100000] [--rounds 3] [--quality-only] [--keepdb] [--pg-set random_page_cost=1.1]
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import yaml  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from common.choices import Difficulty, LearningStyle, MediaType  # noqa: E402
from resources import selectors, services  # noqa: E402
from resources.models import Resource  # noqa: E402
from resources.results import catalogue_changed  # noqa: E402
from resources.scraping.normalize import canonical_url  # noqa: E402
from resources.search import words  # noqa: E402

QUERIES = Path(__file__).resolve().parent / "search_queries.yaml"
SEARCH = "/api/resources/search/"


def load_queries() -> list[dict]:
    queries = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    known = {canonical_url(e["url"]) for e in services.load_catalogue()}
    for query in queries:
        missing = [u for u in query["relevant"] if canonical_url(u) not in known]
        if missing:
            sys.exit(f"{query['q']!r}: relevant URLs not in the catalogue: {missing}")
    return queries


def quality(client: Client, queries: list[dict]) -> dict[str, float]:
    reciprocal, recall, typo_rr = [], [], []
    misses = []
    for query in queries:
        body = client.get(SEARCH, {"q": query["q"], "limit": 10}).json()
        ranked = [canonical_url(item["url"]) for item in body]
        relevant = {canonical_url(u) for u in query["relevant"]}
        first = next((i for i, url in enumerate(ranked, start=1) if url in relevant), None)
        rr = 1.0 / first if first else 0.0
        reciprocal.append(rr)
        recall.append(len(relevant & set(ranked)) / len(relevant))
        if query.get("typo"):
            typo_rr.append(rr)
        if rr < 0.5:
            misses.append(f"{query['q']!r} first relevant at {first or '>10'}: top {[i['title'] for i in body[:3]]}")
    return {
        "mrr": statistics.fmean(reciprocal),
        "recall": statistics.fmean(recall),
        "typo_mrr": statistics.fmean(typo_rr) if typo_rr else float("nan"),
        "misses": misses,  # type: ignore[dict-item]
    }


def grow(rows: int, seed: int = 7) -> float:
    """Add synthetic resources until the catalogue has `rows`; returns seconds taken."""
    rng = random.Random(seed)
    entries = services.load_catalogue()
    vocabulary = Counter(w for e in entries for w in words(e["description"]))
    pool, weights = zip(*vocabulary.items(), strict=True)
    tags = sorted({t for e in entries for t in e["tags"]})
    title_words = [w for e in entries for w in e["title"].split() if w.isalpha()]
    forms = ["Guide", "Notes", "Course", "Workshop", "Handbook", "Walkthrough", "Cookbook", "Lectures", "Primer"]
    started = time.perf_counter()
    need = rows - Resource.objects.count()
    batch: list[Resource] = []
    for i in range(need):
        chosen_tags = rng.sample(tags, rng.randint(2, 4))
        title = f"{' '.join(rng.sample(title_words, 2))} {chosen_tags[0].replace('-', ' ').title()} {rng.choice(forms)}"
        description = " ".join(rng.choices(pool, weights=weights, k=rng.randint(40, 70))).capitalize() + "."
        url = f"https://synthetic.example.org/{i}"
        batch.append(Resource(
            title=title[:255], description=description, url=url, canonical_url=url,
            media_type=rng.choice(MediaType.values), difficulty=rng.choice(Difficulty.values),
            duration_minutes=rng.randint(5, 3000), tags=chosen_tags, learning_style=rng.choice(LearningStyle.values),
            source=rng.choice(["Synthetic U", "Example Press", "Demo Channel", "Sample Docs"]),
            rating=round(rng.uniform(0, 5), 2), rating_count=rng.randint(0, 500), popularity=rng.randint(0, 5000),
            origin="scraped",
        ))  # fmt: skip
        if len(batch) == 5000:
            Resource.objects.bulk_create(batch)
            batch = []
    if batch:
        Resource.objects.bulk_create(batch)
    services.search_terms_rebuild()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE resources")
            cursor.execute("ANALYZE resources_searchterm")
    return time.perf_counter() - started


def latency_workload(queries: list[dict]) -> list[dict[str, str]]:
    workload: list[dict[str, str]] = [{"q": q["q"]} for q in queries]
    workload += [{"q": w} for w in ("python", "tutorial", "data", "web development", "beginner javascript",
                                    "learn sql", "security", "video course", "neural networks", "testing")]  # fmt: skip
    workload += [
        {"q": "python", "media_type": "video", "sort": "rating"},
        {"q": "machine learning", "difficulty": "beginner", "max_duration": "120"},
        {"q": "pyhton", "filters": '{"media_type": ["book", "course"], "min_rating": 3}'},
        {"filters": '{"tags": {"all": ["python", "testing"]}}', "sort": "popularity"},
        {"tags": "devops,cloud", "sort": "created_at", "order": "desc"},
        {"media_type": "podcast", "sort": "title"},
        {"sort": "rating", "order": "desc"},
        {"q": "kubernets", "sort": "duration_minutes", "order": "asc"},
    ]
    return workload


def _percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    q = statistics.quantiles(samples, n=100)
    return {"n": len(samples), "p50": q[49], "p95": q[94], "p99": q[98], "max": samples[-1]}


def latency(client: Client, workload: list[dict[str, str]], rounds: int) -> dict[str, dict[str, float]]:
    """Cold: every request after a catalogue change (nothing cached). Warm: the same request again."""
    for params in workload:  # warm the database's buffers and the connection
        assert client.get(SEARCH, params).status_code == 200
    cold, warm = [], []
    for _ in range(rounds):
        for params in workload:
            catalogue_changed()
            for samples in (cold, warm):
                started = time.perf_counter()
                resp = client.get(SEARCH, params)
                samples.append((time.perf_counter() - started) * 1000)
                assert resp.status_code == 200, resp.content
    return {"cold (uncached)": _percentiles(cold), "warm (cached window/total)": _percentiles(warm)}


def explain(q: str) -> str:
    catalogue_changed()
    plan = selectors.resource_search(q=q).explain(analyze=True)
    keep = [line for line in plan.splitlines() if any(k in line for k in ("Index", "Scan", "Sort", "Execution", "--"))]
    return "\n".join(f"    {line.strip()}" for line in keep)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--keepdb", action="store_true", help="Keep (and reuse) the test database between runs.")
    parser.add_argument("--pg-set", action="append", default=[], metavar="NAME=VALUE",
                        help="A PostgreSQL setting for the session, e.g. random_page_cost=1.1 (SSD).")  # fmt: skip
    args = parser.parse_args()

    old = setup_databases(verbosity=0, interactive=False, keepdb=args.keepdb)
    try:
        queries = load_queries()
        if args.pg_set and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for setting in args.pg_set:
                    name, _, value = setting.partition("=")
                    cursor.execute("SELECT set_config(%s, %s, false)", [name.strip(), value.strip()])
            print(f"PostgreSQL session settings: {', '.join(args.pg_set)}")
        services.seed_resources(lambda n: None)
        client = Client(HTTP_HOST="127.0.0.1")
        n = Resource.objects.count()
        db = connection.vendor
        print(f"Search quality: {len(queries)} labelled queries "
              f"({sum(1 for q in queries if q.get('typo'))} with typos), db={db}")  # fmt: skip
        seeded = quality(client, queries)
        print(f"  seeded catalogue ({n} resources):  MRR@10 {seeded['mrr']:.3f}   recall@10 {seeded['recall']:.3f}"
              f"   typo-query MRR@10 {seeded['typo_mrr']:.3f}")  # fmt: skip
        for miss in seeded["misses"]:
            print(f"    weak: {miss}")
        if args.quality_only or db != "postgresql":
            if db != "postgresql":
                print("Latency at scale needs PostgreSQL (set DATABASE_URL); skipped.")
            return
        seconds = grow(args.rows)
        total = Resource.objects.count()
        print(f"\nGrew the catalogue to {total} resources in {seconds:.1f} s (synthetic rows + vocabulary + ANALYZE)")
        grown = quality(client, queries)
        print(f"  with {total - n} distractors:     MRR@10 {grown['mrr']:.3f}   recall@10 {grown['recall']:.3f}"
              f"   typo-query MRR@10 {grown['typo_mrr']:.3f}")  # fmt: skip
        workload = latency_workload(queries)
        figures = latency(client, workload, args.rounds)
        print(f"\nSearch latency, {total} resources, whole API stack in-process, {len(workload)} distinct requests "
              f"x {args.rounds} rounds, limit 50 (target p95 <= 50 ms):")  # fmt: skip
        for label, f in figures.items():
            print(f"  {label:27} p50 {f['p50']:6.1f} ms   p95 {f['p95']:6.1f} ms   p99 {f['p99']:6.1f} ms   "
                  f"max {f['max']:6.1f} ms")  # fmt: skip
        print("\nEXPLAIN ANALYZE of the broad query 'python':")
        print(explain("python"))
        print("EXPLAIN ANALYZE of 'flexbox' (a selective word):")
        print(explain("flexbox"))
    finally:
        if not args.keepdb:
            teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
