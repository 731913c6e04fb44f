"""Offline planner figures: p50/p95 for 50 concepts, planning plus resource attachment, and the full generation
including the database writes; and, for a fixed set of 20 concepts, the roadmaps themselves written to
bench/roadmaps-sample.md so a person can judge them.

Usage: DATABASE_URL=postgres://…/pathwise_bench .venv/bin/python bench/roadmaps.py [--no-sample]
(the database is migrated and the catalogue seeded first; without DATABASE_URL a throwaway SQLite file is used).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
os.environ.setdefault("DJANGO_SECRET_KEY", os.urandom(32).hex())
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/roadmaps.sqlite3")
os.environ["THROTTLE_ROADMAP_GENERATE"] = "1000000/1m"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from roadmaps import services  # noqa: E402
from roadmaps.attach import Preferences, catalogue_index, pick_resources  # noqa: E402
from roadmaps.generation import generate_plan  # noqa: E402
from roadmaps.models import Roadmap  # noqa: E402
from roadmaps.planner import Budget  # noqa: E402
from roadmaps.topics import graph  # noqa: E402

CONCEPTS = [
    "machine learning", "Django", "learn Jac", "Kubernetes", "react hooks", "SQL joins", "devops", "data science",
    "web development", "python decorators", "git", "docker", "web security", "large language models",
    "transformers", "algorithms", "typescript", "postgres", "REST APIs", "pandas", "statistics",
    "computer networks", "system design", "become a data scientist", "deep learning", "nlp", "terraform", "css",
    "owasp top 10", "celery", "fastapi", "linux", "bash scripting", "ci/cd", "graph databases", "redis",
    "object oriented programming", "testing with pytest", "asyncio", "numpy", "data visualization",
    "computer vision", "reinforcement learning", "cryptography", "operating systems", "compilers", "javascript",
    "html and css", "jac walkers", "backend developer",
]  # fmt: skip
SAMPLE = [
    ("machine learning", 12, 8, None), ("Django", 6, 6, "intermediate"), ("learn Jac", 6, 5, None),
    ("Kubernetes", 8, 5, "intermediate"), ("react hooks", 4, 6, "intermediate"), ("SQL joins", 2, 4, None),
    ("devops", 10, 6, None), ("data science", 10, 8, None), ("web development", 12, 6, None),
    ("python decorators", 2, 4, "intermediate"), ("git", 2, 4, None), ("docker", 3, 5, "intermediate"),
    ("web security", 6, 5, "intermediate"), ("large language models", 12, 8, "intermediate"),
    ("algorithms", 8, 6, None), ("typescript", 4, 6, "intermediate"), ("REST APIs", 4, 5, None),
    ("system design", 6, 6, "advanced"), ("deep learning", 10, 8, "intermediate"),
    ("technical interviews", 4, 4, None),
]  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def render(roadmap: Roadmap, level: str | None) -> str:
    meta = roadmap.generation_metadata
    lines = [
        f"## {roadmap.concept} — {roadmap.duration_weeks} weeks × {roadmap.hours_per_week} h/week"
        f" (level: {level or 'beginner'})", "",
        f"*{roadmap.description}*", "",
        f"Strategy `{meta.get('strategy')}`, {meta.get('estimated_total_hours')} h of {meta.get('budget_hours')} h.",
        "",
    ]  # fmt: skip
    if meta.get("assumed_known"):
        lines += [f"Assumed known: {', '.join(meta['assumed_known'][:12])}.", ""]
    week = None
    for step in roadmap.steps.order_by("order_index"):
        if step.week != week:
            week = step.week
            lines.append(f"**Week {week}**")
        lines.append(f"- {step.title} ({step.estimated_hours} h, {step.difficulty})")
        for link in step.step_resources.select_related("resource").order_by("order_index"):
            r = link.resource
            lines.append(
                f"  - [{r.title}]({r.url}) — {r.media_type}, {r.difficulty or '?'}; {link.recommendation_reason}"
            )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-sample", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("seed", "--only", "resources", "--no-progress", verbosity=0)
    from users.models import User

    user = User.objects.filter(username="bench-roadmaps").first() or User.objects.create_user(
        "bench-roadmaps", "bench-roadmaps@example.com", "bench-Passw0rd!"
    )
    started = time.perf_counter()
    graph()
    catalogue_index()
    warm = time.perf_counter() - started
    plan_times, full_times = [], []
    for concept in CONCEPTS:
        budget = Budget(weeks=8, hours_per_week=6)
        t0 = time.perf_counter()
        generated = generate_plan(concept, budget, Preferences(media_types=("video",)))
        pick_resources(generated.plan.steps, Preferences(media_types=("video",)))
        plan_times.append(time.perf_counter() - t0)
        roadmap = Roadmap.objects.create(user=user, title=concept, concept=concept, duration_weeks=8, hours_per_week=6)
        t0 = time.perf_counter()
        services.roadmap_generate(roadmap_id=roadmap.pk)
        full_times.append(time.perf_counter() - t0)
    db = os.environ["DATABASE_URL"].split(":", 1)[0]
    print(f"\nOffline planner, {len(CONCEPTS)} concepts, 8 weeks × 6 h, db={db} (warm-up {warm * 1000:.0f} ms)")
    for label, times in (("plan + resource attachment ", plan_times), ("full generation with writes", full_times)):
        print(f"  {label}  p50 {pct(times, 0.5) * 1000:6.1f} ms   p95 {pct(times, 0.95) * 1000:6.1f} ms")
    counts = [r.steps.count() for r in Roadmap.objects.filter(user=user)]
    print(f"  mean steps per roadmap {statistics.mean(counts):.1f}")
    if args.no_sample:
        return
    intro = "Generated by `bench/roadmaps.py` from the curated topic graph and the seeded catalogue."
    sections = ["# Sample roadmaps (offline planner)", "", intro, ""]
    for concept, weeks, hours, level in SAMPLE:
        roadmap = Roadmap.objects.create(
            user=user,
            title=concept,
            concept=concept,
            duration_weeks=weeks,
            hours_per_week=hours,
            preferences={"difficulty": level} if level else {},
        )
        services.roadmap_generate(roadmap_id=roadmap.pk)
        roadmap.refresh_from_db()
        sections.append(
            render(roadmap, level) if roadmap.status == "draft" else f"## {concept}\n\nNo roadmap: {roadmap.error}\n"
        )
    out = ROOT / "bench" / "roadmaps-sample.md"
    out.write_text("\n".join(sections))
    print(f"  wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
