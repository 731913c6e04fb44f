"""Roadmap quality and speed (issue 18): the labelled concepts of bench/roadmap_concepts.yaml (written as learners type
them, before tuning) × levels (beginner, intermediate, known topics given) × durations (2, 6, 12 weeks at 5 h/week),
with an automatic rubric per plan and in total, the planner's p50/p95 including resource attachment, and
bench/roadmaps-sample.md regenerated through the real generation service so a person can read the plans.

Rubric (per plan; "-" = does not apply):
  goal     every `expect` group appears in a step's title, topic id or aliases (teach: yes/partial)
  project  a project step is present where the graph has a project built on the goal's topics ("~" = absent but the
           plan says it does not fit and suggests a duration)
  order    every step's prerequisites (graph) are taught earlier, condensed earlier, or known/assumed
  budget   validate_plan: total within budget, weekly load ≤ 1.25 × hours/week, weeks in range
  fit      attached resources consistent with the plan's language and no longer than 1.5 × the step's hours (unless
           named as a reference to read in parts)
  empty    steps left without any resource or lesson although the catalogue has one naming the topic
  honest   every key term is taught, or named as unknown (coverage partial), or the roadmap failed; a `teach: no`
           concept must fail or be labelled; a catalogue fallback only from resources naming the term

Usage: DATABASE_URL=postgres://…/pw_bench .venv/bin/python bench/roadmaps.py [--no-sample] [--quiet]
(migrates and seeds the catalogue and learning paths first; without DATABASE_URL a throwaway SQLite file is used).
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
os.environ.setdefault("DJANGO_SECRET_KEY", os.urandom(32).hex())
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/roadmaps.sqlite3")
os.environ["THROTTLE_ROADMAP_GENERATE"] = "1000000/1m"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from common.retrieval import get_index  # noqa: E402
from resources.models import Resource  # noqa: E402
from roadmaps import services  # noqa: E402
from roadmaps.attach import Preferences, pick_resources, plan_languages, resource_languages  # noqa: E402
from roadmaps.generation import generate_plan  # noqa: E402
from roadmaps.learner import lessons_for  # noqa: E402
from roadmaps.models import Roadmap  # noqa: E402
from roadmaps.planner import Budget, UnknownConcept, resolve_topics, validate_plan  # noqa: E402
from roadmaps.topics import graph, normalise  # noqa: E402

CONCEPTS = ROOT / "bench" / "roadmap_concepts.yaml"
HOURS_PER_WEEK = 5
DURATIONS = (2, 6, 12)
KNOWN = ["Programming Basics", "Python Basics", "Git Basics"]
LEVELS = ("beginner", "intermediate", "known")
SAMPLE = [
    ("Machine Learning", 8, 5, None, None), ("machine learning for tabular data", 12, 5, None, None),
    ("kubernetes", 6, 5, None, None), ("Jac walkers and graph programming", 6, 5, None, None),
    ("Rust async programming", 6, 5, None, None), ("learn to play chess", 4, 5, None, None),
    ("Unity game development", 8, 5, None, None), ("excel for business analysis", 4, 5, None, None),
    ("react hooks", 4, 6, "intermediate", None), ("Django", 6, 6, None, ["Python Basics"]),
    ("i want to become a data scientist", 12, 8, None, None), ("Kubernetes", 1, 3, None, None),
    ("Go programming language", 6, 5, "intermediate", None), ("css flexbox and grid", 2, 5, None, None),
    ("quantum computing", 6, 5, None, None), ("AI", 8, 5, None, None),
]  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w+#]){re.escape(normalise(phrase))}(?![\w+#])", text) is not None


class Catalogue:
    """The active catalogue as the rubric reads it (independent of the attachment code's scoring)."""

    def __init__(self) -> None:
        self.rows = {
            r["id"]: r
            for r in Resource.objects.filter(is_active=True).values(
                "id", "title", "tags", "description", "duration_minutes", "media_type"
            )
        }
        self.texts = {
            pk: " " + normalise(" ".join([r["title"], *(r["tags"] or [])])) + " " for pk, r in self.rows.items()
        }
        self.full = {
            pk: normalise(" ".join([r["title"], *(r["tags"] or []), r["description"]])) for pk, r in self.rows.items()
        }

    def has_match(self, slug: str, languages: set[str]) -> bool:
        topic = graph().topics[slug]
        names = [n for n in (topic.title, *topic.aliases, topic.slug.replace("-", " ")) if len(normalise(n)) >= 4]
        for pk, text in self.texts.items():
            if any(has(text, n) for n in names):
                langs = resource_languages(self.rows[pk])
                if not langs or langs & languages:
                    return True
        return False


def step_text(step) -> str:
    g = graph()
    parts = [step.title, step.topic_slug.replace("-", " ")]
    topic = g.topics.get(step.topic_slug)
    if topic:
        parts += list(topic.aliases)
    return " " + normalise(" ".join(parts)) + " "


def evaluate(item: dict, plan, picks, lessons, failed, budget: Budget, known: set[str], cat: Catalogue) -> dict:
    g = graph()
    teach = item["teach"]
    row = {}
    if failed is not None:
        named = {normalise(t) for t in failed.unknown_terms}
        keys_named = all(normalise(k) in named or any(w in named for w in normalise(k).split()) for k in item["key"])
        row.update(goal="fail" if teach == "yes" else "-", project="-", order="-", budget="-", fit=(0, 0), empty=0)
        row["honest"] = "pass" if (teach != "yes" or keys_named or not item["key"]) else "fail"
        row["steps"] = row["served"] = 0
        row["outcome"] = "failed"
        return row
    steps = plan.steps
    meta = plan.metadata
    texts = [step_text(s) for s in steps]
    joined = " ".join(texts)
    groups = item["expect"] or []
    if teach == "no":
        row["goal"] = "-"
    elif not groups:
        row["goal"] = "pass" if steps else "fail"
    else:
        row["goal"] = "pass" if all(any(has(joined, alt) for alt in grp.split("|")) for grp in groups) else "fail"
    core = {s.topic_slug for s, t in zip(steps, texts, strict=True) if s.topic_slug and any(
        has(t, alt) for grp in groups for alt in grp.split("|"))} or {
        s for s in g.topics if g.topics[s].title in (meta.get("goal_topics") or [])}  # fmt: skip
    available = any(t.project and core & g.closure([t.slug]) for t in g.topics.values()) if core else False
    if teach == "no" or not available:
        row["project"] = "-"
    elif any(s.is_project for s in steps):
        row["project"] = "pass"
    elif meta.get("suggested_duration_weeks") and "does not fit" in plan.description:
        row["project"] = "~"
    else:
        row["project"] = "fail"
    titles = {t.title: s for s, t in g.topics.items()}
    assumed = {titles[t] for t in (meta.get("assumed_known") or []) + (meta.get("known_topics") or []) if t in titles}
    assumed = g.closure(list(assumed | known)) if (assumed or known) else set()
    seen: set[str] = set()
    order_ok = True
    for step in steps:
        if step.topic_slug in g.topics and step.part == 1:
            missing = set(g.topics[step.topic_slug].prerequisites) - seen - assumed
            if missing:
                order_ok = False
        seen |= {step.topic_slug, *step.covers}
    row["order"] = "pass" if order_ok else "fail"
    row["budget"] = "pass" if not validate_plan(steps, budget) else "fail"
    languages = plan_languages(steps)
    hours: dict[str, int] = {}
    for step in steps:
        hours[step.key.split("#")[0]] = hours.get(step.key.split("#")[0], 0) + step.estimated_hours
    good = total = 0
    for key, chosen in picks.items():
        for pick in chosen:
            r = cat.rows[pick.resource_id]
            langs = resource_languages(r)
            lang_ok = not langs or bool(langs & languages) or any(has(step_text(s), lg) for s in steps for lg in langs)
            length_ok = not r["duration_minutes"] or r["duration_minutes"] <= 1.5 * 60 * hours[key.split("#")[0]]
            length_ok = length_ok or "a reference: " in pick.reason
            total += 1
            good += lang_ok and length_ok
    row["fit"] = (good, total)
    firsts = [s for s in steps if s.part == 1]
    served = [s for s in firsts if picks.get(s.key) or lessons.get(s.key)]
    row["steps"], row["served"] = len(firsts), len(served)
    row["empty"] = sum(
        1 for s in firsts
        if not picks.get(s.key) and not lessons.get(s.key) and s.topic_slug and cat.has_match(s.topic_slug, languages)
    )  # fmt: skip
    unknown = {normalise(t) for t in meta.get("unknown_terms") or []}
    condensed = " " + normalise(" ".join(g.topics[c].title + " " + " ".join(g.topics[c].aliases)
                                         for s in steps for c in s.covers)) + " "  # fmt: skip
    honest = True
    for key in item["key"]:
        k = normalise(key)
        if not (has(joined, k) or has(condensed, k) or k in unknown or any(w in unknown for w in k.split())):
            honest = False
    if teach == "no" and meta.get("coverage") not in ("partial", "catalogue"):
        honest = False
    if meta.get("coverage") == "catalogue":
        for ids in (meta.get("fallback_resources") or {}).values():
            for pk in ids:
                if not any(t in cat.full[pk] for t in unknown or {normalise(k) for k in item["key"]}):
                    honest = False
    row["honest"] = "pass" if honest else "fail"
    row["outcome"] = meta.get("coverage", "full")
    return row


def run_matrix(quiet: bool) -> None:
    items = yaml.safe_load(CONCEPTS.read_text(encoding="utf-8"))
    for item in items:  # YAML reads a bare yes/no as a boolean
        item["teach"] = {True: "yes", False: "no"}.get(item["teach"], item["teach"])
    cat = Catalogue()
    known_slugs = frozenset(resolve_topics(KNOWN))
    rows, times = [], []
    print(f"\n{'concept':42} {'level':12} {'wk':>2}  outcome  goal proj order budg  fit    empty honest")
    for item in items:
        for level in LEVELS:
            for weeks in DURATIONS:
                budget = Budget(weeks=weeks, hours_per_week=HOURS_PER_WEEK)
                if level == "known":
                    prefs = Preferences(difficulty="beginner", known_topics=known_slugs, level_source="request")
                else:
                    prefs = Preferences(difficulty=level, level_source="request")
                t0 = time.perf_counter()
                failed = plan = None
                picks, lessons = {}, {}
                try:
                    plan = generate_plan(item["concept"], budget, prefs).plan
                    picks = pick_resources(plan.steps, prefs)
                    lessons = lessons_for(plan.steps)
                except UnknownConcept as exc:
                    failed = exc
                times.append(time.perf_counter() - t0)
                known = set(known_slugs) if level == "known" else set()
                row = evaluate(item, plan, picks, lessons, failed, budget, known, cat)
                row.update(concept=item["concept"], level=level, weeks=weeks, teach=item["teach"])
                rows.append(row)
                if not quiet:
                    good, total = row["fit"]
                    print(
                        f"{item['concept'][:42]:42} {level:12} {weeks:>2}  {row['outcome']:8} {row['goal']:4} "
                        f"{row['project']:4} {row['order']:5} {row['budget']:4} {good:>2}/{total:<3} "
                        f"{row['empty']:>5} {row['honest']}"
                    )
    db = os.environ["DATABASE_URL"].split(":", 1)[0]

    def ratio(key: str, ok=("pass",)) -> str:
        applicable = [r for r in rows if r[key] not in ("-",)]
        passed = sum(r[key] in ok for r in applicable)
        return f"{passed}/{len(applicable)} ({100 * passed / max(len(applicable), 1):.0f}%)"

    good = sum(r["fit"][0] for r in rows)
    total = sum(r["fit"][1] for r in rows)
    steps = sum(r["steps"] for r in rows)
    served = sum(r["served"] for r in rows)
    print(
        f"\nTotals over {len(rows)} plans ({len(items)} concepts × {len(LEVELS)} levels × {len(DURATIONS)} durations):"
    )
    print(f"  goal topics present ............ {ratio('goal')}")
    explained = ratio("project", ("pass", "~"))
    print(f"  project present ................ {ratio('project')}   (present or explained: {explained})")
    print(f"  prerequisite order ............. {ratio('order')}")
    print(f"  budget and weekly load ......... {ratio('budget')}")
    print(f"  resource fit (language, length)  {good}/{total} ({100 * good / max(total, 1):.0f}%)")
    print(f"  steps with a resource or lesson  {served}/{steps} ({100 * served / max(steps, 1):.0f}%)")
    print(f"  empty steps with a catalogue match {sum(r['empty'] for r in rows)} of {steps} steps")
    print(f"  honest handling of key terms ... {ratio('honest')}")
    outcomes = {}
    for r in rows:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    print(f"  outcomes: {outcomes}")
    for teach in ("yes", "partial", "no"):
        subset = [r for r in rows if r["teach"] == teach]
        if subset:
            ok = sum(r["honest"] == "pass" and r["goal"] in ("pass", "-") for r in subset)
            print(f"  teach={teach:7}: goal and honesty both pass in {ok}/{len(subset)}")
    p50, p95 = pct(times, 0.5) * 1000, pct(times, 0.95) * 1000
    print(f"\nPlanner incl. resource attachment and lessons, {len(times)} plans, db={db}:")
    print(f"  p50 {p50:.1f} ms   p95 {p95:.1f} ms   (target p95 ≤ 300 ms)")


def render(roadmap: Roadmap, level: str | None, known: list[str] | None) -> str:
    meta = roadmap.generation_metadata
    who = f"level: {level or 'not given'}" + (f", knows {', '.join(known)}" if known else "")
    lines = [f"## {roadmap.concept} — {roadmap.duration_weeks} weeks × {roadmap.hours_per_week} h/week ({who})", ""]
    if roadmap.status != "draft":
        lines += [f"**No roadmap** ({roadmap.status}): {roadmap.error}", ""]
        return "\n".join(lines)
    lines += [f"*{roadmap.description}*", ""]
    lines.append(
        f"Strategy `{meta.get('strategy')}`, coverage `{meta.get('coverage')}`, {meta.get('estimated_total_hours')} h "
        f"of {meta.get('budget_hours')} h" + (f", suggested duration {meta['suggested_duration_weeks']} weeks"
                                              if meta.get("suggested_duration_weeks") else "") + "."
    )  # fmt: skip
    for note in meta.get("assumptions") or []:
        lines += ["", f"> Assumption: {note}"]
    if meta.get("assumed_known"):
        lines += ["", f"Assumed known: {', '.join(meta['assumed_known'][:10])}."]
    lines.append("")
    week = None
    for step in roadmap.steps.order_by("order_index"):
        if step.week != week:
            week = step.week
            lines.append(f"**Week {week}**")
        lines.append(f"- {step.title} ({step.estimated_hours} h, {step.difficulty})")
        if step.outcomes and ("(part " not in step.title or "(part 1 of" in step.title):
            lines.append(f"  - outcomes: {' / '.join(step.outcomes[:3])}")
        if step.done_when and ("(part " not in step.title or "(part 1 of" in step.title):
            lines.append(f"  - done when: {step.done_when}")
        for lesson in step.lessons:
            lines.append(f"  - our lesson: [{lesson['title']}]({lesson['url']}) ({lesson['learning_path']})")
        for link in step.step_resources.select_related("resource").order_by("order_index"):
            r = link.resource
            lines.append(f"  - [{r.title}]({r.url}) — {r.difficulty or '?'}; {link.recommendation_reason}")
    lines.append("")
    return "\n".join(lines)


def write_sample(user) -> list[float]:
    intro = (
        "Generated by `bench/roadmaps.py` through the real generation service (offline planner, topic graph v2, seeded "
        "catalogue and learning paths). Each step shows its outcomes, its “done when” check, our own lessons first, "
        "then catalogue resources with the reason they were chosen."
    )
    sections = ["# Sample roadmaps (offline planner)", "", intro, ""]
    times = []
    for concept, weeks, hours, level, known in SAMPLE:
        preferences = {"hours_per_week": hours}
        if level:
            preferences["difficulty"] = level
        if known:
            preferences["known_topics"] = known
        roadmap = Roadmap.objects.create(user=user, title=concept, concept=concept, duration_weeks=weeks,
                                         hours_per_week=hours, preferences=preferences)  # fmt: skip
        t0 = time.perf_counter()
        services.roadmap_generate(roadmap_id=roadmap.pk)
        times.append(time.perf_counter() - t0)
        roadmap.refresh_from_db()
        sections.append(render(roadmap, level, known))
    out = ROOT / "bench" / "roadmaps-sample.md"
    out.write_text("\n".join(sections))
    print(f"  wrote {out.relative_to(ROOT)}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-sample", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="totals only, no line per plan")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("seed", "--only", "learning", "resources", "--no-progress", verbosity=0)
    from users.models import User

    user = User.objects.filter(username="bench-roadmaps").first() or User.objects.create_user(
        "bench-roadmaps", "bench-roadmaps@example.com", "bench-Passw0rd!"
    )
    started = time.perf_counter()
    graph()
    get_index("resources")
    get_index("topics")
    # The topics' precise vectors (names, title with description): computed once per process, on first use.
    from roadmaps.meaning import topic_vectors

    topic_vectors(graph(), list(graph().topics))
    print(f"warm-up (graph, retrieval indexes, topic vectors) {1000 * (time.perf_counter() - started):.0f} ms")
    run_matrix(args.quiet)
    if not args.no_sample:
        times = write_sample(user)
        steps = statistics.mean(r.steps.count() for r in Roadmap.objects.filter(user=user))
        print(f"  full generation with writes ({len(times)} sample roadmaps): p50 {pct(times, 0.5) * 1000:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms; mean steps {steps:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
