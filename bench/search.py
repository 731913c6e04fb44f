"""Search quality and latency, lexical-only vs hybrid, on PostgreSQL and SQLite side by side.

1. Quality: nDCG@10, P@5, MRR@10 and recall@10 of the labelled queries in bench/search_queries.yaml (graded 0-3)
   over the seeded catalogue, through the API (`GET /api/resources/search/?q=&limit=10`), for the lexical search
   alone (RESOURCES_SEARCH_HYBRID off) and the hybrid one, per query set (the older binary-labelled queries, the
   learner-style tuning queries, the learner-style held-out ones), plus how many queries list fewer than 5 results
   although at least 5 resources are relevant. With no --db, the script runs itself once per database (PostgreSQL
   from DATABASE_URL, then SQLite) and prints both side by side at the end.
2. Scale: the catalogue grown to --rows resources with synthetic ones (titles, tags and descriptions drawn from the
   real catalogue's vocabulary, so words are as common as in real data), then the same quality figures (the real
   resources now compete with ~100k distractors) and the p50/p95/p99 latency of search requests through the whole
   Django/DRF stack in-process (no network), for plain, typo, filtered and sorted queries.
3. The EXPLAIN (ANALYZE) of a broad query, to show which index serves it.

Runs in a throwaway test database (Django's test-database machinery: `test_<name>` of DATABASE_URL, created and
dropped here), so it never touches real data. PostgreSQL is needed for the latency figures (the target is p95 ≤ 50 ms
at 100k rows); on SQLite it reports quality only.

At scale (PostgreSQL) it also prints the time to embed the synthetic rows and the growth of this process's resident
memory from before the first search at scale to after the latency run (the shared index and model included).

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/pathwise_bench .venv/bin/python bench/search.py
       [--rows 100000] [--rounds 3] [--quality-only] [--keepdb] [--pg-set random_page_cost=1.1] [--db current]
"""

import argparse
import json
import math
import os
import random
import statistics
import subprocess
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
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_databases, teardown_databases  # noqa: E402

from common.choices import Difficulty, LearningStyle, MediaType  # noqa: E402
from resources import selectors, services  # noqa: E402
from resources.models import Resource  # noqa: E402
from resources.results import _VERSION_KEY, catalogue_changed  # noqa: E402
from resources.scraping.normalize import canonical_url  # noqa: E402
from resources.search import words  # noqa: E402

QUERIES = Path(__file__).resolve().parent / "search_queries.yaml"
# Written before this round of tuning and never tuned on (issue 16): scored as its own set, "heldout".
HELDOUT = Path(__file__).resolve().parent / "search_heldout.yaml"
# A second set written and graded before the next round of tuning (issue 16, session 3): "heldout2".
HELDOUT2 = Path(__file__).resolve().parent / "search_heldout2.yaml"
# A third, blind set written from the catalogue alone by someone who never saw the search code (session 5): "heldout3".
HELDOUT3 = Path(__file__).resolve().parent / "search_heldout3.yaml"
# A fourth blind set (session 6), written from the catalogue alone while the search was tuned on the first three:
# "heldout4". Scored once on the merged tree for the closing note.
HELDOUT4 = Path(__file__).resolve().parent / "search_heldout4.yaml"
# A fifth blind set (session 7), written from the catalogue alone by a helper who never saw the code, kept outside the
# repository while search was changed, and scored once on the merged tree: "heldout5".
HELDOUT5 = Path(__file__).resolve().parent / "search_heldout5.yaml"
# Blind set 6 (session 8), written from the data alone by someone who never read the code: "heldout6".
HELDOUT6 = Path(__file__).resolve().parent / "search_heldout6.yaml"
# Blind set 7 (session 9), the same way; scored before and after that session's changes with SEARCH_HELDOUT_FILES.
HELDOUT7 = Path(__file__).resolve().parent / "search_heldout7.yaml"
# The dev set of session 10's search helper (issue 16), written and graded before it changed anything; developed on,
# so scored apart like the held-out sets and never part of "all": "dev10".
DEV10 = Path(__file__).resolve().parent / "search_dev10.yaml"
SEARCH = "/api/resources/search/"
# Scored apart and never part of "all" (the tuning figures).
# More held-out files, e.g. a blind set kept outside the repository: SEARCH_HELDOUT_FILES=/path/a.yaml:/path/b.yaml
# (each scored apart under its file's stem; the subprocess of `--db both` inherits the variable).
EXTRA_HELDOUT = [(Path(p).stem, Path(p)) for p in os.environ.get("SEARCH_HELDOUT_FILES", "").split(os.pathsep) if p]
HELD_OUT_SETS = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "dev10",
                 *(n for n, _ in EXTRA_HELDOUT))  # fmt: skip


def load_queries() -> list[dict]:
    """The labelled queries, each with `grades` (canonical URL → 1-3) and `set` (older / tuning / holdout)."""
    queries = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    heldout = yaml.safe_load(HELDOUT.read_text(encoding="utf-8")) if HELDOUT.exists() else []
    for query in heldout:
        query["heldout"] = "heldout"
    queries += heldout
    sets = (("heldout2", HELDOUT2), ("heldout3", HELDOUT3), ("heldout4", HELDOUT4), ("heldout5", HELDOUT5))
    for name, path in (*sets, ("heldout6", HELDOUT6), ("heldout7", HELDOUT7), ("dev10", DEV10), *EXTRA_HELDOUT):
        extra = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []
        for query in extra:
            query["heldout"] = name
        queries += extra
    known = {canonical_url(e["url"]) for e in services.load_catalogue()}
    for query in queries:
        relevant = query["relevant"]
        graded = relevant if isinstance(relevant, dict) else dict.fromkeys(relevant, 2)
        missing = [u for u in graded if canonical_url(u) not in known]
        if missing:
            sys.exit(f"{query['q']!r}: relevant URLs not in the catalogue: {missing}")
        query["grades"] = {canonical_url(u): int(g) for u, g in graded.items()}
        if query.get("heldout"):
            query["set"] = query["heldout"]
        else:
            query["set"] = "holdout" if query.get("holdout") else ("tuning" if "kind" in query else "older")
    return queries


def _dcg(gains: list[float]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def quality(client: Client, queries: list[dict]) -> dict[str, dict]:
    """Per query set: nDCG@10, P@5, MRR@10, recall@10, starved (fewer than 5 results with 5+ relevant), weak."""
    per_set: dict[str, dict[str, list]] = {}
    for query in queries:
        body = client.get(SEARCH, {"q": query["q"], "limit": 10}).json()
        ranked = [canonical_url(item["url"]) for item in body]
        grades = query["grades"]
        gains = [grades.get(url, 0) for url in ranked[:10]]
        ideal = _dcg(sorted(grades.values(), reverse=True)[:10])
        first = next((i for i, g in enumerate(gains, start=1) if g > 0), None)
        figures = {
            "ndcg": _dcg(gains) / ideal if ideal else 0.0,
            "p5": sum(1 for g in gains[:5] if g > 0) / 5,
            "mrr": 1.0 / first if first else 0.0,
            "recall": sum(1 for g in gains if g > 0) / len(grades),
            "starved": 1.0 if len(grades) >= 5 and len(body) < 5 else 0.0,
        }
        for name in (query["set"],) if query["set"] in HELD_OUT_SETS else (query["set"], "all"):
            bucket = per_set.setdefault(name, {k: [] for k in [*figures, "weak"]})
            for key, value in figures.items():
                bucket[key].append(value)
            if (figures["mrr"] < 0.5 or figures["p5"] < 0.4) and query["set"] not in (
                "holdout",
                *HELD_OUT_SETS,
            ):  # not read
                bucket["weak"].append(f"{query['q']!r}: P@5 {figures['p5']:.1f}, top {[i['title'] for i in body[:3]]}")
            if figures["starved"]:
                bucket.setdefault("starved_queries", []).append(f"{query['q']!r}: {len(body)} results")
    out: dict[str, dict] = {}
    for name, bucket in per_set.items():
        out[name] = {
            k: statistics.fmean(v) for k, v in bucket.items() if k not in ("weak", "starved", "starved_queries")
        }
        out[name]["starved_queries"] = bucket.get("starved_queries", [])
        out[name]["starved"] = int(sum(bucket["starved"]))
        out[name]["n"] = len(bucket["ndcg"])
        out[name]["weak"] = bucket["weak"]
    return out


def both_modes(client: Client, queries: list[dict]) -> dict[str, dict]:
    """Quality with the lexical search alone and with the hybrid one, in this process."""
    figures = {}
    for mode, hybrid in (("lexical", False), ("hybrid", True)):
        with override_settings(RESOURCES_SEARCH_HYBRID=hybrid):
            catalogue_changed()
            figures[mode] = quality(client, queries)
    return figures


def print_quality(figures: dict[str, dict], label: str, *, show_weak: bool = True) -> None:
    print(f"  {label}")
    print(f"    {'set':9} {'n':>4}  {'mode':8} {'nDCG@10':>8} {'P@5':>6} {'MRR@10':>7} {'R@10':>6} {'starved':>8}")
    for name in ("older", "tuning", "holdout", *HELD_OUT_SETS, "all"):
        for mode in ("lexical", "hybrid"):
            f = figures[mode].get(name)
            if f:
                print(f"    {name:9} {f['n']:4}  {mode:8} {f['ndcg']:8.3f} {f['p5']:6.3f} {f['mrr']:7.3f} "
                      f"{f['recall']:6.3f} {f['starved']:8}")  # fmt: skip
    if show_weak:
        for miss in figures["hybrid"]["all"]["weak"]:
            print(f"      weak (hybrid): {miss}")
    for name, f in figures["hybrid"].items():
        for starved in f.get("starved_queries", []):
            print(f"      starved (hybrid, {name}): {starved}")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def uncached() -> None:
    """Drop every cached search without bumping the catalogue version (which would rebuild the shared index)."""
    version = cache.get(_VERSION_KEY)
    cache.clear()
    if version is not None:
        cache.set(_VERSION_KEY, version, timeout=None)


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
    embed_started, embed_cpu = time.perf_counter(), time.process_time()
    embedded = services.resource_embeddings_compute(only_missing=True)
    grow.embed_seconds = time.perf_counter() - embed_started  # type: ignore[attr-defined]
    grow.embed_cpu = time.process_time() - embed_cpu  # type: ignore[attr-defined]
    grow.embedded = embedded  # type: ignore[attr-defined]
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
            uncached()
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


def run_other_databases(args: argparse.Namespace) -> None:
    """Run this script once per database (PostgreSQL from DATABASE_URL, then SQLite) and print both side by side."""
    runs = []
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        runs.append(("postgresql", dict(os.environ)))
    sqlite_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    runs.append(("sqlite", sqlite_env))
    summary = {}
    for name, env in runs:
        command = [sys.executable, __file__, "--db", "current", "--rows", str(args.rows),
                   "--rounds", str(args.rounds), *(["--quality-only"] if args.quality_only else []),
                   *(["--keepdb"] if args.keepdb else []), *[f"--pg-set={s}" for s in args.pg_set]]  # fmt: skip
        print(f"=== {name} ===", flush=True)
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        for line in done.stdout.splitlines():
            if line.startswith("SUMMARY "):
                summary[name] = json.loads(line[len("SUMMARY ") :])
            else:
                print(line)
        if done.returncode:
            print(done.stderr[-3000:])
    print("\n=== Side by side: seeded catalogue, limit 10, through the API ===")
    for name, figures in summary.items():
        print_quality(figures, f"{name}:", show_weak=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--db", choices=["both", "current"], default="both",
                        help="both: PostgreSQL (DATABASE_URL), then SQLite; current: this process only")  # fmt: skip
    parser.add_argument("--keepdb", action="store_true", help="Keep (and reuse) the test database between runs.")
    parser.add_argument("--pg-set", action="append", default=[], metavar="NAME=VALUE",
                        help="A PostgreSQL setting for the session, e.g. random_page_cost=1.1 (SSD).")  # fmt: skip
    args = parser.parse_args()
    if args.db == "both":
        run_other_databases(args)
        return

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
        counts = {s: sum(1 for q in queries if q["set"] == s) for s in ("older", "tuning", "holdout", *HELD_OUT_SETS)}
        print(f"Search quality: {len(queries)} labelled queries {counts}, db={db}, {n} resources")
        seeded = both_modes(client, queries)
        print_quality(seeded, "seeded catalogue:")
        print("SUMMARY " + json.dumps({m: {k: {x: y for x, y in v.items() if x != "weak"} for k, v in f.items()}
                                       for m, f in seeded.items()}))  # fmt: skip
        if args.quality_only or db != "postgresql":
            if db != "postgresql":
                print("Latency at scale needs PostgreSQL (set DATABASE_URL); skipped.")
            return
        seconds = grow(args.rows)
        total = Resource.objects.count()
        print(f"\nGrew the catalogue to {total} resources in {seconds:.1f} s (synthetic rows + embeddings + vocabulary "
              f"+ ANALYZE); embedding {grow.embedded} resources took {grow.embed_seconds:.1f} s "  # type: ignore[attr-defined]
              f"(target: 100,000 in <= 600 s on 2 cores), {grow.embed_cpu:.1f} s of CPU over all threads "  # type: ignore[attr-defined]
              f"(load average {os.getloadavg()[0]:.1f}: other work slows the wall time)")  # fmt: skip
        rss_before = rss_mb()
        grown = both_modes(client, queries)
        print_quality(grown, f"with {total - n} distractors:", show_weak=False)
        workload = latency_workload(queries)
        for mode, hybrid in (("lexical", False), ("hybrid", True)):
            with override_settings(RESOURCES_SEARCH_HYBRID=hybrid):
                figures = latency(client, workload, args.rounds)
            print(f"\nSearch latency ({mode}), {total} resources, whole API stack in-process, {len(workload)} distinct "
                  f"requests x {args.rounds} rounds, limit 50 (target p95 <= 50 ms):")  # fmt: skip
            for label, f in figures.items():
                print(f"  {label:27} p50 {f['p50']:6.1f} ms   p95 {f['p95']:6.1f} ms   p99 {f['p99']:6.1f} ms   "
                      f"max {f['max']:6.1f} ms")  # fmt: skip
        print(f"\nResident memory of this process: {rss_before:.0f} MB before searching at {total} resources, "
              f"{rss_mb():.0f} MB after (growth {rss_mb() - rss_before:.0f} MB; target <= 150 MB)")  # fmt: skip
        print("\nEXPLAIN ANALYZE of the broad query 'python':")
        print(explain("python"))
        print("EXPLAIN ANALYZE of 'flexbox' (a selective word):")
        print(explain("flexbox"))
    finally:
        if not args.keepdb:
            teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
