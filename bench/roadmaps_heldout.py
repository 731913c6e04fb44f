"""Held-out roadmap concepts (bench/roadmaps_heldout.yaml, written before looking at the topic graph), planned at the
default level and duration (4 weeks × 5 h/week, no preferences) through the real generation service, written to
bench/roadmaps-heldout-plans.md for a person to read and grade (bench/roadmaps-heldout-review.md).

A set may give a concept its own `weeks` and `hours_per_week` (what a client sends for "… in 3 weeks, 10 hours a
week"); the level stays the default.

Usage: DATABASE_URL=postgres://…/pw_bench .venv/bin/python bench/roadmaps_heldout.py [--set 2]
(set 2: bench/roadmaps_heldout2.yaml → bench/roadmaps-heldout2-plans.md, without the seed's example; set 3 with it;
set fresh: bench/roadmaps_fresh.yaml → bench/roadmaps-fresh-plans.md; fresh2 likewise;
--file SET.yaml --out PLANS.md [--seed-example] for a set kept outside the repo, e.g. a helper's blind dev set)
"""

import argparse
import os
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from django.core.management import call_command

from bench import roadmaps as bench
from roadmaps import services
from roadmaps.models import Roadmap

SETS = {
    # Blind set 7 (session 9), written from the data alone, planned once before and once after that session's changes.
    "7-before": (
        bench.ROOT / "bench" / "roadmaps_heldout7.yaml",
        bench.ROOT / "bench" / "roadmaps-heldout7-before-plans.md",
    ),
    "7": (bench.ROOT / "bench" / "roadmaps_heldout7.yaml", bench.ROOT / "bench" / "roadmaps-heldout7-plans.md"),
    # Blind set 6 (session 8), written from the data alone, scored once before and once after that session's changes.
    "6-before": (
        bench.ROOT / "bench" / "roadmaps_heldout6.yaml",
        bench.ROOT / "bench" / "roadmaps-heldout6-before-plans.md",
    ),
    "6": (bench.ROOT / "bench" / "roadmaps_heldout6.yaml", bench.ROOT / "bench" / "roadmaps-heldout6-plans.md"),
    "1": (bench.ROOT / "bench" / "roadmaps_heldout.yaml", bench.ROOT / "bench" / "roadmaps-heldout-plans.md"),
    "2": (bench.ROOT / "bench" / "roadmaps_heldout2.yaml", bench.ROOT / "bench" / "roadmaps-heldout2-plans.md"),
    "3": (bench.ROOT / "bench" / "roadmaps_heldout3.yaml", bench.ROOT / "bench" / "roadmaps-heldout3-plans.md"),
    "4": (bench.ROOT / "bench" / "roadmaps_heldout4.yaml", bench.ROOT / "bench" / "roadmaps-heldout4-plans.md"),
    # Blind set 5 (session 7): planned once on the session's starting tree ("5-before") and once on the merged tree.
    "5-before": (
        bench.ROOT / "bench" / "roadmaps_heldout5.yaml",
        bench.ROOT / "bench" / "roadmaps-heldout5-before-plans.md",
    ),
    "5": (bench.ROOT / "bench" / "roadmaps_heldout5.yaml", bench.ROOT / "bench" / "roadmaps-heldout5-plans.md"),
    # After the Flask topics were added (seen: set 5's grading named the gap).
    "5-seen": (
        bench.ROOT / "bench" / "roadmaps_heldout5.yaml",
        bench.ROOT / "bench" / "roadmaps-heldout5-seen-plans.md",
    ),
    "4-after": (
        bench.ROOT / "bench" / "roadmaps_heldout4.yaml",
        bench.ROOT / "bench" / "roadmaps-heldout4-after-plans.md",
    ),
    "fresh": (bench.ROOT / "bench" / "roadmaps_fresh.yaml", bench.ROOT / "bench" / "roadmaps-fresh-plans.md"),
    "fresh2": (bench.ROOT / "bench" / "roadmaps_fresh2.yaml", bench.ROOT / "bench" / "roadmaps-fresh2-plans.md"),
    "4-r6-before": (
        bench.ROOT / "bench" / "roadmaps_heldout4.yaml",
        bench.ROOT / "bench" / "roadmaps-heldout4-r6-before-plans.md",
    ),
    "4-r6": (bench.ROOT / "bench" / "roadmaps_heldout4.yaml", bench.ROOT / "bench" / "roadmaps-heldout4-r6-plans.md"),
    "fresh3": (bench.ROOT / "bench" / "roadmaps_fresh3.yaml", bench.ROOT / "bench" / "roadmaps-fresh3-plans.md"),
    "fresh3-r7-before": (
        bench.ROOT / "bench" / "roadmaps_fresh3.yaml",
        bench.ROOT / "bench" / "roadmaps-fresh3-r7-before-plans.md",
    ),
    "fresh4-before": (
        bench.ROOT / "bench" / "roadmaps_fresh4.yaml",
        bench.ROOT / "bench" / "roadmaps-fresh4-before-plans.md",
    ),
    "fresh4": (bench.ROOT / "bench" / "roadmaps_fresh4.yaml", bench.ROOT / "bench" / "roadmaps-fresh4-plans.md"),
}
DEFAULT_WEEKS = 4  # the API's default duration
EXTRA = [("Machine Learning", 8, None)]  # the seed's own example


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=sorted(SETS), default="1")
    parser.add_argument("--file", type=Path, help="a set of concepts outside the repo (same format); needs --out")
    parser.add_argument("--out", type=Path, help="where to write the plans of --file")
    parser.add_argument("--seed-example", action="store_true", help="with --file: also plan the seed's example")
    args = parser.parse_args()
    heldout, out = SETS[args.set]
    if args.file:
        if not args.out:
            parser.error("--file needs --out")
        heldout, out = args.file.resolve(), args.out.resolve()
    call_command("migrate", verbosity=0)
    call_command("seed", "--only", "learning", "resources", "--no-progress", verbosity=0)
    from users.models import User

    user = User.objects.filter(username="bench-heldout").first() or User.objects.create_user(
        "bench-heldout", "bench-heldout@example.com", "bench-Passw0rd!"
    )
    items = yaml.safe_load(heldout.read_text(encoding="utf-8"))["concepts"]
    # `preferences` (set 5 on): what a client sends with the concept when the learner's sentence implies it.
    cases = [(i["title"], i.get("weeks", DEFAULT_WEEKS), i.get("hours_per_week"), i.get("preferences") or {})
             for i in items]  # fmt: skip
    with_seed = ("1", "3", "5", "5-before", "5-seen", "6", "6-before", "7", "7-before")
    seed = args.seed_example if args.file else args.set in with_seed
    cases += [(*extra, {}) for extra in EXTRA] if seed else []
    sections = ["# Held-out roadmaps (default level, default duration)", ""]
    for number, (concept, weeks, hours, asked) in enumerate(cases, start=1):
        prefs = {**asked, **({"hours_per_week": hours} if hours else {})}
        roadmap = Roadmap.objects.create(user=user, title=concept, concept=concept, duration_weeks=weeks,
                                         hours_per_week=hours or services.DEFAULT_HOURS_PER_WEEK,
                                         preferences=prefs)  # fmt: skip
        services.roadmap_generate(roadmap_id=roadmap.pk)
        roadmap.refresh_from_db()
        level = asked.get("difficulty") or asked.get("level")
        text = bench.render(roadmap, level, asked.get("known_topics")).replace("## ", f"## {number}. ", 1)
        sections.append(text)
    out.write_text("\n".join(sections))
    shown = out.relative_to(bench.ROOT) if out.is_relative_to(bench.ROOT) else out
    print(f"wrote {shown} ({len(cases)} plans, db={os.environ['DATABASE_URL'].split(':')[0]})")


if __name__ == "__main__":
    main()
