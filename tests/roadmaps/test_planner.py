"""The offline planner's invariants, over many concepts × durations × preferences (hypothesis)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmaps.planner import MAX_SCALE, WEEK_SLACK, Budget, UnknownConcept, plan_roadmap, validate_plan
from roadmaps.topics import graph

CONCEPTS = [
    "machine learning", "Django", "learn Jac", "Kubernetes", "k8s", "react hooks", "SQL joins", "devops",
    "data science", "web development", "python decorators", "pyhton decorators", "git", "docker", "security",
    "LLM", "transformers", "algorithms", "typescript", "postgres", "REST APIs", "pandas", "statistics",
    "computer networks", "system design", "become a data scientist", "learn machine learning from scratch",
    "walkers in jac", "celery", "fastapi", "deep learning", "nlp", "terraform", "css", "owasp",
    # what the learner says they know, read out of the concept; a concept matched by meaning
    "flask web apps, i already know python", "vue.js, coming from react", "graphql api in node, i know express",
    "build a recommendation system", "typescript, i know some javascript",
]  # fmt: skip

plans = st.tuples(
    st.sampled_from(CONCEPTS),
    st.integers(min_value=1, max_value=52),
    st.integers(min_value=1, max_value=40),
    st.sampled_from([None, "beginner", "intermediate", "advanced"]),
)


def test_topic_graph_is_a_valid_dag():
    g = graph()
    assert len(g.topics) >= 150
    for topic in g.topics.values():
        for prereq in topic.prerequisites:
            assert prereq in g.topics, (topic.slug, prereq)
    assert len(g.topological(set(g.topics))) == len(g.topics)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans)
def test_planner_invariants(args):
    concept, weeks, hours, level = args
    budget = Budget(weeks=weeks, hours_per_week=hours)
    plan = plan_roadmap(concept, budget, difficulty=level)
    steps = plan.steps
    assert validate_plan(steps, budget) == []
    # every prerequisite before its dependent, no duplicates, no cycles
    seen = set()
    for step in steps:
        assert step.key not in seen
        assert all(p in seen for p in step.prerequisites)
        seen.add(step.key)
    # within the budget, weekly load within 1.25 × hours per week, weeks in range and in order
    assert sum(s.estimated_hours for s in steps) <= budget.hours
    loads = {}
    for step in steps:
        loads[step.week] = loads.get(step.week, 0) + step.estimated_hours
    assert max(loads.values()) <= WEEK_SLACK * hours
    assert [s.week for s in steps] == sorted(s.week for s in steps)
    assert all(1 <= s.week <= weeks for s in steps)
    # topics appear with every prerequisite the graph gives them (as a step or condensed in the crash course, taught
    # before them), unless prior knowledge says so or the budget is too small and the plan says so
    g = graph()
    taught = {s.topic_slug for s in steps if s.topic_slug} | {c for s in steps for c in s.covers}
    if plan.metadata["goal_reached"] and not plan.metadata["assumed_known"]:
        for slug in taught:
            assert set(g.topics[slug].prerequisites) <= taught, slug
    seen_topics: set[str] = set()
    for step in steps:
        if step.topic_slug and plan.metadata["goal_reached"] and not plan.metadata["assumed_known"]:
            assert set(g.topics[step.topic_slug].prerequisites) <= seen_topics | {step.topic_slug}, step.key
        seen_topics |= {step.topic_slug, *step.covers}
    # the goal is always present, or the plan says why and suggests a duration
    core = {s for s in g.topics if g.topics[s].title in plan.metadata["goal_topics"]}
    assert core and (core <= taught or plan.metadata["suggested_duration_weeks"]), plan.metadata
    assert {s.topic_slug for s in steps} & core, "at least the first goal topic is always taught as a step"
    if not plan.metadata["goal_reached"]:
        assert plan.metadata["suggested_duration_weeks"] > weeks
        assert f"about {plan.metadata['suggested_duration_weeks']} weeks" in plan.description
    # a crash course condenses: fewer hours than its topics would take
    for step in steps:
        if step.covers:
            assert 1 <= step.estimated_hours <= sum(g.topics[c].base_hours for c in step.covers)
    # hours of whole topics stay within the scaling bounds (small topics round up to at least 1 h)
    per_topic = {}
    for step in steps:
        if step.topic_slug:
            per_topic[step.topic_slug] = per_topic.get(step.topic_slug, 0) + step.estimated_hours
    for slug, total in per_topic.items():
        base = g.topics[slug].base_hours
        assert total <= max(1, round(base * MAX_SCALE)), (slug, total, base)
        assert total >= 1
    assert plan.metadata["estimated_total_hours"] == sum(s.estimated_hours for s in steps)


@settings(max_examples=60, deadline=None)
@given(plans)
def test_planner_is_deterministic(args):
    concept, weeks, hours, level = args
    budget = Budget(weeks=weeks, hours_per_week=hours)
    first = plan_roadmap(concept, budget, difficulty=level)
    second = plan_roadmap(concept, budget, difficulty=level)
    assert [(s.key, s.week, s.estimated_hours, s.prerequisites) for s in first.steps] == [
        (s.key, s.week, s.estimated_hours, s.prerequisites) for s in second.steps
    ]
    assert first.description == second.description


def test_budget_trimming_keeps_the_goal_and_reports_what_was_left_out():
    roomy = plan_roadmap("machine learning", Budget(weeks=40, hours_per_week=10))
    tight = plan_roadmap("machine learning", Budget(weeks=10, hours_per_week=6))
    assert len(tight.steps) < len(roomy.steps)
    assert tight.metadata["trimmed_topics"]
    assert "machine-learning-fundamentals" in {s.topic_slug for s in tight.steps}
    assert "Left out to fit the time" in tight.description
    assert sum(s.estimated_hours for s in tight.steps) <= 60


def test_tiny_budget_teaches_a_taste_of_the_goal_says_so_and_suggests_a_duration():
    # Issue 18 replaced "foundations only": the goal is never dropped for its foundations.
    plan = plan_roadmap("Kubernetes", Budget(weeks=1, hours_per_week=3))
    assert plan.metadata["goal_reached"] is False
    assert "kubernetes-fundamentals" in {s.topic_slug for s in plan.steps}
    weeks = plan.metadata["suggested_duration_weeks"]
    assert weeks > 1 and f"choose about {weeks} weeks" in plan.description
    assert "too little to learn Kubernetes Fundamentals properly" in plan.description
    assert validate_plan(plan.steps, Budget(weeks=1, hours_per_week=3)) == []


def test_intermediate_learners_skip_other_areas_beginner_topics():
    beginner = plan_roadmap("Django", Budget(weeks=8, hours_per_week=6), difficulty="beginner")
    intermediate = plan_roadmap("Django", Budget(weeks=8, hours_per_week=6), difficulty="intermediate")

    def taught(plan):
        return {s.topic_slug for s in plan.steps} | {c for s in plan.steps for c in s.covers}

    assert "programming-basics" in taught(beginner)
    assert "programming-basics" not in taught(intermediate)
    assert "Programming Basics" in intermediate.metadata["assumed_known"]
    assert "django-basics" in {s.topic_slug for s in intermediate.steps}


def test_long_topics_are_split_at_week_boundaries():
    plan = plan_roadmap("pandas", Budget(weeks=6, hours_per_week=2))
    parts = [s for s in plan.steps if s.parts > 1]
    assert parts, "a 2 h/week plan must split multi-hour topics"
    for later in parts:
        if later.part > 1:
            assert later.prerequisites == [f"{later.key.split('#')[0]}#{later.part - 1}"]


def test_unknown_concepts_raise_for_the_catalogue_fallback():
    with pytest.raises(UnknownConcept):
        plan_roadmap("quantum basket weaving for llamas", Budget(weeks=4, hours_per_week=5))


def test_validator_rejects_broken_plans():
    from roadmaps.planner import PlannedStep

    budget = Budget(weeks=2, hours_per_week=5)
    ok = PlannedStep(key="a", title="A", description="", difficulty="beginner", estimated_hours=3, week=1)
    cyc = PlannedStep(key="b", title="B", description="", difficulty="beginner", estimated_hours=2, week=1,
                      prerequisites=["c"])  # fmt: skip
    c = PlannedStep(key="c", title="C", description="", difficulty="beginner", estimated_hours=2, week=2,
                    prerequisites=["b"])  # fmt: skip
    assert validate_plan([ok], budget) == []
    errors = validate_plan([ok, cyc, c], budget)
    assert any("before its prerequisite" in e for e in errors)
    heavy = PlannedStep(key="h", title="H", description="", difficulty="beginner", estimated_hours=9, week=1)
    assert any("carries" in e for e in validate_plan([heavy], budget))
    over = [
        PlannedStep(key=str(i), title="x", description="", difficulty="beginner", estimated_hours=4, week=1 + i // 2)
        for i in range(4)
    ]  # fmt: skip
    assert any("over the budget" in e for e in validate_plan(over, budget))
    dup = [ok, PlannedStep(key="a", title="A2", description="", difficulty="expert", estimated_hours=0, week=3)]
    errors = validate_plan(dup, budget)
    assert any("duplicate" in e for e in errors) and any("difficulty" in e for e in errors)
    assert any("hours" in e for e in errors) and any("outside" in e for e in errors)
