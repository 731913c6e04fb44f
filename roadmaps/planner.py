"""The offline roadmap planner: a real planner over the curated topic graph, deterministic for equal inputs.

1. Match the concept to goal topics (names, aliases, area tags, TF-IDF) with a relevance each.
2. Take the prerequisite closure and order it topologically (deterministic tie-breaks).
3. Fit the budget (`weeks` × `hours_per_week`): drop optional and then the least relevant goals (never a
   prerequisite of a kept topic), scale hours within [0.6×, 1.5×]; if even one goal's foundations exceed the budget,
   keep the longest prerequisite-closed prefix and say so. Everything trimmed is reported.
4. Pack steps into weeks on a continuous timeline: a step that crosses a week boundary is split into parts, so no
   week carries more than 1.25 × hours_per_week.

`validate_plan` checks the invariants and is shared with the LLM path.
"""

from dataclasses import dataclass, field
from typing import Any

from roadmaps.topics import DIFFICULTY_RANK, Topic, TopicGraph, graph, normalise, strip_filler

MIN_SCALE = 0.6
MAX_SCALE = 1.5
WEEK_SLACK = 1.25


@dataclass
class PlannedStep:
    key: str
    title: str
    description: str
    difficulty: str
    estimated_hours: int
    week: int = 1
    order_index: int = 0
    prerequisites: list[str] = field(default_factory=list)  # keys of earlier steps
    tags: list[str] = field(default_factory=list)
    topic_slug: str = ""
    is_project: bool = False
    part: int = 1
    parts: int = 1


@dataclass
class Plan:
    title: str
    description: str
    steps: list[PlannedStep]
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Budget:
    weeks: int
    hours_per_week: int

    @property
    def hours(self) -> int:
        return self.weeks * self.hours_per_week


class UnknownConcept(Exception):
    """Nothing in the topic graph matches; the caller falls back to the catalogue."""


# --- goals --------------------------------------------------------------------------------------------------------


def _specific_tag(g: TopicGraph, topic: Topic) -> str | None:
    counts = {tag: sum(1 for t in g.topics.values() if tag in t.tags) for tag in topic.tags[1:]}
    counts = {tag: n for tag, n in counts.items() if n >= 2}
    return min(counts, key=lambda tag: (counts[tag], tag)) if counts else None


def choose_goals(concept: str, g: TopicGraph | None = None) -> tuple[dict[str, float], str, list[str]]:
    """(goal slug → relevance, strategy, matched slugs). Raises UnknownConcept."""
    g = g or graph()
    matches = g.match(concept)
    goals: dict[str, float] = {}
    area = g.area_for(concept)
    strong = [m for m in matches if m.reason in ("named", "mentioned")]
    if area:
        for topic in g.topics.values():
            if topic.area != area:
                continue
            relevance = 0.2 if topic.optional else 0.6 - 0.01 * g.depth[topic.slug]
            if topic.project:
                relevance = 0.15 if topic.optional else 0.45
            goals[topic.slug] = relevance
        for m in strong:
            goals[m.topic.slug] = max(goals.get(m.topic.slug, 0), m.score)
        return goals, "area", [m.topic.slug for m in matches]
    if strong:
        primary = strong[0].topic
        for m in strong:
            goals[m.topic.slug] = m.score
        tag = _specific_tag(g, primary)
        family = [t for t in g.topics.values() if tag and tag in t.tags and t.area == primary.area and not t.optional]
        for topic in family:
            goals.setdefault(topic.slug, 0.5 - 0.01 * g.depth[topic.slug])
        for topic in g.topics.values():
            if topic.project and topic.area == primary.area and primary.slug in g.closure([topic.slug]):
                goals.setdefault(topic.slug, 0.3 if not topic.optional else 0.1)
        return goals, "named", [m.topic.slug for m in matches]
    words = [w for w in strip_filler(concept).split() if len(w) > 2]

    def covers(topic: Topic) -> bool:
        # A merely similar topic must share most of the concept's words ("quantum computing" is not cloud computing).
        text = normalise(" ".join([topic.title, *topic.aliases, *topic.tags, topic.description]))
        return sum(w in text for w in words) >= max(1, 2 * len(words) / 3)

    similar = [m for m in matches if m.score >= 0.15 and covers(m.topic)][:3]
    if not similar:
        raise UnknownConcept(concept)
    return {m.topic.slug: m.score for m in similar}, "similar", [m.topic.slug for m in matches]


# --- budget ---------------------------------------------------------------------------------------------------------


def _total(g: TopicGraph, slugs: set[str]) -> int:
    return sum(g.topics[s].base_hours for s in slugs)


def assumed_known(goals: dict[str, float], level: str | None, g: TopicGraph) -> set[str]:
    """Topics a learner at `level` is taken to know already: easier topics outside the goals' areas (an intermediate
    learner asking for Django is not taught what a variable is). Beginners (the default) are assumed to know nothing."""
    rank = DIFFICULTY_RANK.get(level or "beginner", 0)
    if rank == 0:
        return set()
    areas = {g.topics[s].area for s in goals}
    return {
        slug for slug, topic in g.topics.items()
        if topic.area not in areas and DIFFICULTY_RANK[topic.difficulty] < rank and slug not in goals
    }  # fmt: skip


def _closure(g: TopicGraph, slugs: list[str], known: set[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(slugs)
    while stack:
        slug = stack.pop()
        if slug in seen or slug in known:
            continue
        seen.add(slug)
        stack.extend(g.topics[slug].prerequisites)
    return seen


def fit_budget(
    goals: dict[str, float], budget: Budget, g: TopicGraph, known: set[str] | None = None
) -> tuple[list[str], dict[str, int], dict]:
    """The topics to teach (topological order), their hours, and what was trimmed or scaled.

    Goals are added greedily, most relevant first and cheapest (in hours they would add, prerequisites included)
    among equals, while everything fits at the smallest allowed scale. The best goal is always kept; if even its
    foundations do not fit, the longest prerequisite-closed prefix of them is taught and the metadata says so.
    """
    known = known or set()
    remaining = dict(goals)
    closures = {slug: _closure(g, [slug], known) for slug in goals}
    nodes: set[str] = set()
    kept: list[str] = []
    while remaining:
        # Most relevant first; each hour a goal would add (prerequisites included) costs a little relevance.
        scores = {
            slug: (-(relevance - 0.004 * _total(g, closures[slug] - nodes)), g.depth[slug], slug)
            for slug, relevance in remaining.items()
        }
        best = min(scores, key=scores.__getitem__)
        candidate = nodes | closures[best]
        if kept and _total(g, candidate) * MIN_SCALE > budget.hours:
            # Try the others (a cheaper goal may still fit); this one is trimmed.
            del remaining[best]
            continue
        kept.append(best)
        nodes = candidate
        del remaining[best]
    trimmed = [s for s in goals if s not in kept]
    ordered = g.topological(nodes)
    truncated = False
    if _total(g, set(ordered)) * MIN_SCALE > budget.hours:
        prefix: list[str] = []
        used = 0.0
        for slug in ordered:
            cost = max(1.0, g.topics[slug].base_hours * MIN_SCALE)
            if used + cost > budget.hours:
                break
            prefix.append(slug)
            used += cost
        trimmed.extend(s for s in ordered if s not in prefix)
        ordered = prefix or ordered[:1]
        truncated = True
    base_total = _total(g, set(ordered))
    factor = min(MAX_SCALE, max(MIN_SCALE, budget.hours / base_total)) if base_total else 1.0
    hours = {s: max(1, round(g.topics[s].base_hours * factor)) for s in ordered}
    while sum(hours.values()) > budget.hours and any(h > 1 for h in hours.values()):
        largest = max(hours, key=lambda s: (hours[s], s))
        hours[largest] -= 1
    return (
        ordered,
        hours,
        {
            "trimmed_topics": [g.topics[s].title for s in trimmed],
            "assumed_known": sorted(g.topics[s].title for s in known & g.closure(list(goals))),
            "hours_scale": round(factor, 3),
            "goal_reached": not truncated,
        },
    )


# --- weeks ----------------------------------------------------------------------------------------------------------


def _pack(steps: list[PlannedStep], budget: Budget, min_fragment: int) -> list[PlannedStep]:
    capacity = budget.hours_per_week
    slack = WEEK_SLACK * capacity
    packed: list[PlannedStep] = []
    renamed: dict[str, str] = {}
    week, load = 1, 0
    for step in steps:
        remaining = step.estimated_hours
        chunks: list[tuple[int, int]] = []
        while remaining > 0:
            room = capacity - load
            if room <= 0:
                week, load = week + 1, 0
                continue
            if remaining <= room or load + remaining <= slack:
                chunks.append((week, remaining))
                load += remaining
                remaining = 0
            elif room >= min_fragment or load == 0:
                chunks.append((week, room))
                load += room
                remaining -= room
            else:
                week, load = week + 1, 0
        previous_key = None
        for index, (chunk_week, chunk_hours) in enumerate(chunks, start=1):
            key = step.key if len(chunks) == 1 else f"{step.key}#{index}"
            title = step.title if len(chunks) == 1 else f"{step.title} (part {index} of {len(chunks)})"
            prereqs = [renamed.get(p, p) for p in step.prerequisites] if index == 1 else [previous_key]
            packed.append(PlannedStep(
                key=key, title=title, description=step.description, difficulty=step.difficulty,
                estimated_hours=chunk_hours, week=chunk_week, prerequisites=prereqs, tags=step.tags,
                topic_slug=step.topic_slug, is_project=step.is_project, part=index, parts=len(chunks),
            ))  # fmt: skip
            previous_key = key
        if len(chunks) > 1:
            renamed[step.key] = previous_key  # later steps depend on the whole topic: its last part
    for index, step in enumerate(packed):
        step.order_index = index
    return packed


def pack_weeks(steps: list[PlannedStep], budget: Budget) -> list[PlannedStep]:
    """Lay steps on a timeline of `hours_per_week` per week, splitting a step at a week boundary unless the rest fits
    in the week's 25% slack. Small leftovers of a week are skipped rather than cut into 1-hour parts, as long as the
    plan still fits its weeks; split parts depend on the part before them."""
    tidy = _pack(steps, budget, min_fragment=max(2, budget.hours_per_week // 3))
    if tidy and tidy[-1].week <= budget.weeks:
        return tidy
    return _pack(steps, budget, min_fragment=1)


# --- plan -----------------------------------------------------------------------------------------------------------


def _describe(topic: Topic) -> str:
    return topic.description


def plan_roadmap(concept: str, budget: Budget, *, difficulty: str | None = None) -> Plan:
    """The planner's roadmap for `concept` within `budget`. Raises UnknownConcept when nothing matches."""
    g = graph()
    goals, strategy, matched = choose_goals(concept, g)
    if difficulty == "advanced":
        # An advanced learner wants the advanced material kept first when trimming.
        goals = {s: r + (0.1 if g.topics[s].difficulty == "advanced" else 0) for s, r in goals.items()}
    ordered, hours, fit = fit_budget(goals, budget, g, assumed_known(goals, difficulty, g))
    present = set(ordered)
    steps = [
        PlannedStep(
            key=slug,
            title=g.topics[slug].title,
            description=_describe(g.topics[slug]),
            difficulty=g.topics[slug].difficulty,
            estimated_hours=hours[slug],
            prerequisites=[p for p in g.topics[slug].prerequisites if p in present],
            tags=list(g.topics[slug].tags),
            topic_slug=slug,
            is_project=g.topics[slug].project,
        )
        for slug in ordered
    ]
    steps = pack_weeks(steps, budget)
    ranked = sorted(goals, key=lambda s: (-goals[s], s))
    focus = [g.topics[s].title for s in ranked if s in present][:4] or [g.topics[ranked[0]].title]
    title = f"{concept.strip()[:150]} roadmap"
    description = (
        f"A {budget.weeks}-week plan at about {budget.hours_per_week} hours a week, from "
        f"{g.topics[ordered[0]].title} to {g.topics[ordered[-1]].title}, "
        + (f"focused on {', '.join(focus)}." if fit["goal_reached"] else f"building toward {focus[0]}.")
    )
    if fit["trimmed_topics"]:
        description += f" Left out to fit the time: {', '.join(fit['trimmed_topics'][:6])}."
    if not fit["goal_reached"]:
        description += " The budget covers the foundations only; extend the duration to reach the goal."
    metadata = {
        "strategy": f"topic_graph:{strategy}",
        "matched_topics": matched[:8],
        "budget_hours": budget.hours,
        "estimated_total_hours": sum(s.estimated_hours for s in steps),
        **fit,
    }
    return Plan(title=title, description=description, steps=steps, metadata=metadata)


def validate_plan(steps: list[PlannedStep], budget: Budget) -> list[str]:
    """Errors that make a plan unusable (empty list when valid). Shared by the planner and the LLM path."""
    errors: list[str] = []
    if not steps:
        return ["the roadmap has no steps"]
    seen: set[str] = set()
    week_load: dict[int, int] = {}
    previous_week = 1
    for index, step in enumerate(steps):
        if not step.title.strip():
            errors.append(f"step {index + 1} has no title")
        if step.key in seen:
            errors.append(f"duplicate step {step.key!r}")
        for prereq in step.prerequisites:
            if prereq == step.key:
                errors.append(f"step {step.key!r} depends on itself")
            elif prereq not in seen:
                errors.append(f"step {step.key!r} comes before its prerequisite {prereq!r} (or it does not exist)")
        seen.add(step.key)
        if not isinstance(step.estimated_hours, int) or step.estimated_hours < 1:
            errors.append(f"step {step.key!r} has invalid hours {step.estimated_hours!r}")
        if not 1 <= step.week <= budget.weeks:
            errors.append(f"step {step.key!r} is in week {step.week}, outside 1..{budget.weeks}")
        if step.week < previous_week:
            errors.append(f"step {step.key!r} goes back to week {step.week}")
        previous_week = step.week
        if step.difficulty not in DIFFICULTY_RANK:
            errors.append(f"step {step.key!r} has invalid difficulty {step.difficulty!r}")
        week_load[step.week] = week_load.get(step.week, 0) + (step.estimated_hours or 0)
    total = sum(s.estimated_hours for s in steps if isinstance(s.estimated_hours, int))
    if total > budget.hours:
        errors.append(f"total {total} h is over the budget of {budget.hours} h")
    for week, load in sorted(week_load.items()):
        if load > WEEK_SLACK * budget.hours_per_week:
            errors.append(f"week {week} carries {load} h, over {WEEK_SLACK} × {budget.hours_per_week} h")
    return errors


def concept_key(concept: str) -> str:
    return normalise(concept)[:200]
