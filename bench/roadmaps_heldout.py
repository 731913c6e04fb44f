"""Held-out roadmap concepts (bench/roadmaps_heldout.yaml, written before looking at the topic graph), planned at the
default level and duration (4 weeks × 5 h/week, no preferences) through the real generation service, written to
bench/roadmaps-heldout-plans.md for a person to read and grade (bench/roadmaps-heldout-review.md).

Usage: DATABASE_URL=postgres://…/pw_bench .venv/bin/python bench/roadmaps_heldout.py
"""

import os
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from django.core.management import call_command

from bench import roadmaps as bench
from roadmaps import services
from roadmaps.models import Roadmap

HELDOUT = bench.ROOT / "bench" / "roadmaps_heldout.yaml"
OUT = bench.ROOT / "bench" / "roadmaps-heldout-plans.md"
DEFAULT_WEEKS = 4  # the API's default duration
EXTRA = [("Machine Learning", 8)]  # the seed's own example


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed", "--only", "learning", "resources", "--no-progress", verbosity=0)
    from users.models import User

    user = User.objects.filter(username="bench-heldout").first() or User.objects.create_user(
        "bench-heldout", "bench-heldout@example.com", "bench-Passw0rd!"
    )
    items = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))["concepts"]
    cases = [(i["title"], DEFAULT_WEEKS) for i in items] + EXTRA
    sections = ["# Held-out roadmaps (default level, default duration)", ""]
    for number, (concept, weeks) in enumerate(cases, start=1):
        roadmap = Roadmap.objects.create(user=user, title=concept, concept=concept, duration_weeks=weeks,
                                         hours_per_week=services.DEFAULT_HOURS_PER_WEEK, preferences={})  # fmt: skip
        services.roadmap_generate(roadmap_id=roadmap.pk)
        roadmap.refresh_from_db()
        text = bench.render(roadmap, None, None).replace("## ", f"## {number}. ", 1)
        sections.append(text)
    OUT.write_text("\n".join(sections))
    print(f"wrote {OUT.relative_to(bench.ROOT)} ({len(cases)} plans, db={os.environ['DATABASE_URL'].split(':')[0]})")


if __name__ == "__main__":
    main()
