"""Issue 18: the plan teaches what was asked. Properties over concepts phrased the way learners ask (hypothesis), and
the readings that the held-out review showed wrong before (a substitute presented as the concept)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmaps.planner import CRASH_KEY, Budget, UnknownConcept, choose_goals, plan_roadmap, validate_plan
from roadmaps.topics import graph, normalise

ASKED = [
    "react hooks", "statistics for A/B testing", "linear algebra for machine learning", "python for data analysis",
    "git and github", "Go microservices", "Rust async", "flutter apps", "excel for accountants", "SQL for marketing",
    "unity game development", "kotlin android development", "become a data engineer", "get a job in tech",
    "I want to build websites", "I want to learn coding", "docker for beginners", "deep learning with pytorch",
    "web accessibility", "AWS cloud practitioner", "unit testing in python", "Machine Learning", "kubernetes",
    "Jac walkers and graph programming", "css flexbox and grid", "typescript", "cybersecurity career",
]  # fmt: skip

asked = st.tuples(
    st.sampled_from(ASKED),
    st.integers(min_value=1, max_value=30),
    st.integers(min_value=1, max_value=20),
    st.sampled_from([None, "beginner", "intermediate", "advanced"]),
)


def _plan(concept, weeks, hours, level):
    budget = Budget(weeks=weeks, hours_per_week=hours)
    return budget, plan_roadmap(concept, budget, difficulty=level)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(asked)
def test_goal_present_or_the_plan_says_why_and_suggests_a_duration(args):
    budget, plan = _plan(*args)
    g = graph()
    meta = plan.metadata
    assert validate_plan(plan.steps, budget) == []
    taught = {s.topic_slug for s in plan.steps if s.topic_slug}
    core = {s for s in g.topics if g.topics[s].title in meta["goal_topics"]}
    assert core
    if not core <= taught:
        assert meta["suggested_duration_weeks"] and meta["suggested_duration_weeks"] > budget.weeks
        assert f"about {meta['suggested_duration_weeks']} weeks" in plan.description
    # the first goal topic is always taught as its own step, never only condensed
    assert taught & core
    # a goal project that is not in the plan is said not to fit, with a duration that would
    if meta["goal_project"] and not meta["project_included"] and meta["goal_reached"]:
        assert "does not fit" in plan.description and meta["suggested_duration_weeks"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(asked)
def test_a_crash_course_only_condenses_what_the_steps_build_on(args):
    _, plan = _plan(*args)
    g = graph()
    crash = [s for s in plan.steps if s.key.split("#")[0] == CRASH_KEY]
    steps = {s.topic_slug for s in plan.steps if s.topic_slug}
    for step in crash:
        assert step.order_index == 0 or step.part > 1, "the crash course comes first"
        for slug in step.covers:
            # nothing it condenses builds on a step taught after it (SQL Joins are not condensed before SQL Basics)
            assert not (g.closure([slug]) - {slug}) & steps, (slug, steps)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(asked)
def test_no_silent_substitute_every_key_term_is_taught_or_named(args):
    concept = args[0]
    _, plan = _plan(*args)
    g = graph()
    meta = plan.metadata
    if meta["assumptions"] and any("names no" in a or "is read as" in a for a in meta["assumptions"]):
        return  # a vague goal read as a track: the reading is stated (tested below)
    if not meta["goal_reached"]:  # too little time even for the goal: it says so, naming every goal topic
        assert all(title in plan.description for title in meta["goal_topics"])
        assert "too little" in plan.description and meta["suggested_duration_weeks"] > args[1]
        return
    names = " ".join(
        normalise(" ".join([t.slug, t.title, *t.aliases, *t.tags]))
        for t in (g.topics[s] for s in {s.topic_slug for s in plan.steps if s.topic_slug} | {
            c for s in plan.steps for c in s.covers})
    )  # fmt: skip
    for term in meta["key_terms"]:
        forms = {term, term.rstrip("s"), term.removesuffix("es"), term.removesuffix(".js")}
        assert any(f in names.split() for f in forms) or term in meta["unknown_terms"], (concept, term)
    if meta["unknown_terms"]:
        assert meta["coverage"] == "partial"
        assert all(f"“{t}”" in plan.description for t in meta["unknown_terms"])


@settings(max_examples=60, deadline=None)
@given(asked)
def test_deterministic(args):
    _, first = _plan(*args)
    _, second = _plan(*args)
    assert [(s.key, s.week, s.estimated_hours, s.prerequisites, s.covers) for s in first.steps] == [
        (s.key, s.week, s.estimated_hours, s.prerequisites, s.covers) for s in second.steps
    ]
    assert first.description == second.description and first.metadata == second.metadata


def _topics(concept, weeks=4, level=None):
    _, plan = _plan(concept, weeks, 5, level)
    return plan, {s.topic_slug for s in plan.steps if s.topic_slug}, {c for s in plan.steps for c in s.covers}


def test_react_hooks_is_not_taught_with_vue():
    _, steps, crash = _topics("react hooks")
    assert "react-hooks-and-state" in steps and "react-fundamentals" in steps
    assert not [s for s in steps | crash if s.startswith("vue")]


def test_ab_testing_is_statistics_not_software_testing():
    _, steps, _ = _topics("statistics for A/B testing")
    assert "ab-testing" in steps
    assert not [s for s in steps if "software-testing" in s or "pytest" in s]


def test_x_for_y_teaches_x():
    _, steps, _ = _topics("linear algebra for machine learning")
    assert choose_goals("linear algebra for machine learning").core[0] == "linear-algebra-basics"
    assert "linear-algebra-basics" in steps
    _, steps, _ = _topics("python for data analysis")
    assert "pandas" in steps


def test_named_tools_are_steps_not_condensed_foundations():
    _, steps, crash = _topics("git and github")
    assert {"git-basics", "git-workflows"} <= steps and "git-basics" not in crash


def test_vague_goals_are_read_as_a_track_and_say_so():
    for concept in ("get a job in tech", "I want to build websites"):
        plan, steps, _ = _topics(concept)
        assert {"html-basics", "css-basics"} <= steps
        assert plan.metadata["assumptions"] and plan.metadata["assumptions"][0] in plan.description
        assert f"“{concept}”" in plan.description


def test_an_advanced_goal_assumes_the_learner_programs_and_says_so():
    plan, steps, crash = _topics("Rust async")
    assert "rust-async-tokio" in steps
    assert "programming-basics" not in steps | crash
    assert any("assumed you already program" in a for a in plan.metadata["assumptions"])
    first = plan.steps[0]
    if first.covers:
        assert first.title.startswith("Crash course: Rust")  # the goal's language leads the crash course
    _, steps, crash = _topics("Rust async", level="beginner")
    assert "programming-basics" in steps | crash


def test_unknown_subjects_fail_honestly():
    for concept in ("learn to play chess", "learn japanese", "photography basics"):
        try:
            plan_roadmap(concept, Budget(weeks=4, hours_per_week=5))
        except UnknownConcept as exc:
            assert exc.unknown_terms
        else:  # pragma: no cover - the assertion message names the concept
            raise AssertionError(f"{concept} was planned from a substitute")


def test_the_seed_machine_learning_plan_teaches_machine_learning():
    plan, steps, _ = _topics("Machine Learning", weeks=8)
    assert plan.metadata["goal_reached"]
    assert {"machine-learning-fundamentals", "scikit-learn"} <= steps
    assert any(g.project for g in (graph().topics[s] for s in steps))


# --- held-out round 2 (bench/roadmaps_heldout2.yaml): the readings it showed wrong ------------------------------------


def test_what_transfers_carries_every_known_key_term_or_the_roadmap_fails():
    # "smart" alone is no reason for Rust smart pointers, "web apps" none for the OWASP Top 10, "3d" none for Unity.
    for concept in ("solidity smart contracts", "elixir phoenix web apps", "blender 3d modeling"):
        try:
            plan = plan_roadmap(concept, Budget(weeks=4, hours_per_week=5))
        except UnknownConcept as exc:
            assert exc.unknown_terms
        else:  # pragma: no cover - the assertion message names the concept
            raise AssertionError(f"{concept} was planned as {plan.metadata['goal_topics']}")


def test_a_concept_that_says_the_learner_programs_skips_programming_basics_and_says_so():
    plan, steps, crash = _topics("kubernetes for developers", weeks=8)
    assert "programming-basics" not in steps | crash
    assert any("“for developers” says you already program" in a for a in plan.metadata["assumptions"])
    assert {"kubernetes-fundamentals", "kubectl-and-manifests"} <= steps  # the learner named tag's family follows
    _, steps, crash = _topics("kubernetes for developers", weeks=8, level="beginner")
    assert "programming-basics" in steps | crash


def test_every_key_term_gets_the_topic_it_names():
    plan, steps, _ = _topics("terraform on azure")
    assert "azure-fundamentals" in steps
    assert "Microsoft Azure Fundamentals" in plan.metadata["goal_topics"]


def test_a_project_from_another_stack_is_not_proposed():
    plan, _, _ = _topics("node.js backend")
    assert "Django" not in (plan.metadata["goal_project"] or "")
    assert "Django" not in plan.description
    plan, _, _ = _topics("python web scraping", weeks=3)
    assert "Jac" not in (plan.metadata["goal_project"] or "")


def test_a_phrase_inside_an_area_topic_decides_the_area_goal():
    _, steps, _ = _topics("data analysis")
    assert "pandas" in steps
    assert not {"calculus-basics", "linear-algebra-basics"} & steps  # maths for ML is not data analysis's start


def test_foundations_taught_in_full_never_take_more_than_half_the_budget():
    g = graph()
    for concept, weeks in (("kubernetes for developers", 8), ("docker for beginners", 4), ("django", 6)):
        budget = Budget(weeks=weeks, hours_per_week=5)
        plan = plan_roadmap(concept, budget)
        areas = {g.topics[s].area for s in (s for s in g.topics if g.topics[s].title in plan.metadata["goal_topics"])}
        outside = [s for s in plan.steps if s.topic_slug and g.topics[s.topic_slug].area not in areas]
        named = set(plan.metadata["key_terms"])
        outside = [s for s in outside if not named & set(normalise(s.title).split())]
        assert sum(s.estimated_hours for s in outside) <= budget.hours, concept  # sanity: within the plan
        base = sum(g.topics[s.topic_slug].base_hours for s in outside if s.part == 1)
        assert base <= 0.5 * budget.hours, (concept, [s.title for s in outside])


def test_a_key_term_with_its_own_topic_left_out_is_named():
    plan, steps, _ = _topics("Go microservices")
    assert "microservices-architecture" not in steps
    assert plan.metadata["not_covered"] == ["Microservices Architecture"]
    assert "Not in this plan: Microservices Architecture" in plan.description
