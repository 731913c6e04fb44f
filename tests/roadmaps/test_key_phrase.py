"""Issue 18, session 9: the goal is chosen from the request's key phrase, not from what the sentence says about the
learner, their deadline or what the learning is for; context words are never "terms we do not teach"; a known word
with an ending is not corrected into another word; resources attached to a step are close to it in meaning."""

import pytest

from roadmaps.phrase import key_phrase
from roadmaps.planner import Budget, UnknownConcept, plan_roadmap
from tests.roadmaps.test_views import catalogue  # noqa: F401  (the seeded catalogue, its index registered)

BUDGET = Budget(weeks=6, hours_per_week=5)


def _taught(plan) -> set[str]:
    return {s.topic_slug for s in plan.steps if s.topic_slug} | {c for s in plan.steps for c in s.covers}


@pytest.mark.parametrize(
    ("concept", "asked", "context"),
    [
        ("docker before my internship starts", "docker", ["before my internship starts"]),
        ("kubernetes for our startup", "kubernetes", ["for our startup"]),
        ("a roguelike in pygame from zero", "a roguelike in pygame", ["from zero"]),
        ("mobile tester from manual qa", "mobile tester", ["from manual qa"]),
        ("career changer here, i want to learn sql, about 5 weeks", "i want to learn sql", None),
        ("i work night shifts as a nurse. teach me python in 2 months", "teach me python", None),
    ],
)
def test_the_request_is_separated_from_what_is_said_about_the_learner(concept, asked, context):
    found = key_phrase(concept)
    assert found.text == asked
    if context is not None:
        assert found.context == context
    else:
        assert found.context  # something was set aside, and kept to be said back


@pytest.mark.parametrize(
    "concept",
    ["machine learning for tabular data", "python for data analysis", "sql window functions", "Machine Learning"],
)
def test_a_request_without_context_is_left_whole(concept):
    assert key_phrase(concept).text == concept
    assert key_phrase(concept).context == []


def test_a_tail_that_names_a_subject_we_teach_is_kept():
    assert key_phrase("statistics for the machine learning", frozenset({"machine learning"})).text == (
        "statistics for the machine learning"
    )


def test_a_sentence_about_the_learner_only_is_kept_whole():
    said = "our postgres queries got really slow after the table hit a few million rows"
    assert key_phrase(said).text == said


@pytest.mark.parametrize(
    ("concept", "slug"),
    [
        ("docker before my internship starts", "docker-fundamentals"),
        ("kubernetes for our startup", "kubernetes-fundamentals"),
        ("data structures and algorithms for a nursing graduate", "data-structures-basics"),
        ("sql, knows excel", "sql-basics"),
    ],
)
def test_context_words_are_not_terms_we_do_not_teach(concept, slug):
    plan = plan_roadmap(concept, BUDGET)
    assert plan.metadata["unknown_terms"] == []
    assert plan.metadata["coverage"] == "full"
    assert slug in _taught(plan)
    assert "We do not teach" not in plan.description


def test_the_context_set_aside_is_said_back():
    plan = plan_roadmap("kubernetes for our startup", BUDGET)
    assert plan.metadata["context"] == ["for our startup"]
    assert any("for our startup" in note for note in plan.metadata["assumptions"])


def test_a_term_we_do_not_teach_in_the_request_is_still_named():
    # The context rules must not hide the subject: "calligraphy" is what was asked, the wedding is what it is for.
    with pytest.raises(UnknownConcept) as caught:
        plan_roadmap("calligraphy for my sister's wedding invitations", BUDGET)
    assert "calligraphy" in caught.value.unknown_terms
    assert not {"wedding", "invitations", "sister's", "sister"} & set(caught.value.unknown_terms)


def test_a_known_word_with_an_ending_is_not_corrected_into_it():
    # "platformer" is a kind of game, not "platform"; the plan must not say it read one as the other.
    plan = plan_roadmap("a platformer in godot", BUDGET)
    assert not any("as 'platform'" in note for note in plan.metadata["assumptions"])
    assert "godot-basics" in _taught(plan)


def test_a_role_to_role_move_is_read_as_the_goal():
    plan = plan_roadmap("backend developer to devops engineer", BUDGET)
    assert plan.metadata["unknown_terms"] == []
    assert any(s.startswith(("docker", "ci-cd", "linux", "devops", "kubernetes")) for s in _taught(plan))


def test_goal_first_the_goal_and_its_project_get_the_hours_not_the_way_to_it():
    # Godot from scratch in 6 weeks: engine-agnostic theory (game loop, game maths, physics without an engine) is
    # condensed so that the Godot topics and the Godot project get most of the hours.
    plan = plan_roadmap("godot", BUDGET)
    godot = sum(s.estimated_hours for s in plan.steps if "Godot" in s.title)
    assert godot >= 0.6 * BUDGET.hours
    assert any(s.is_project for s in plan.steps)
    assert plan.metadata["goal_reached"]


@pytest.mark.parametrize(
    ("slug", "junk"),
    [
        ("vector-databases", "Database Normalization (Wikipedia)"),
        ("computer-networks", "What is Amazon VPC?"),
    ],
)
def test_a_resource_is_attached_only_when_it_is_close_to_the_step_in_meaning(catalogue, slug, junk):  # noqa: F811
    from resources.selectors import resources_active
    from roadmaps.attach import Preferences, pick_resources
    from roadmaps.planner import PlannedStep
    from roadmaps.topics import graph

    topic = graph().topics[slug]
    step = PlannedStep(
        key=slug, title=topic.title, description=topic.description, difficulty=topic.difficulty,
        estimated_hours=topic.base_hours, tags=list(topic.tags), topic_slug=slug,
    )  # fmt: skip
    picked = {p.resource_id for p in pick_resources([step], Preferences()).get(slug, [])}
    titles = set(resources_active().filter(pk__in=picked).values_list("title", flat=True))
    assert junk not in titles
