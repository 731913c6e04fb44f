"""Planner round 6 (issue 18, held-out set 4's remaining causes): a domain audience's own topic is the goal, a learner
with software of their own is not taught what it is built from, a crash course too short to be a course says so,
and facet words ("performance") alone attach no resource from another field."""

import pytest

from resources.selectors import resources_active
from roadmaps.attach import Preferences, pick_resources
from roadmaps.planner import Budget, plan_roadmap
from tests.roadmaps.test_views import catalogue  # noqa: F401  (the seeded catalogue, its index registered)


def _taught(plan) -> set[str]:
    return {s.topic_slug for s in plan.steps if s.topic_slug} | {c for s in plan.steps for c in s.covers}


def test_a_domain_audience_gets_its_own_topic_and_is_not_assumed_to_program():
    plan = plan_roadmap("python for network engineers", Budget(weeks=8, hours_per_week=4))
    assert "network-automation-python" in {s.topic_slug for s in plan.steps}
    assert plan.metadata["coverage"] == "full"
    assert plan.metadata["not_covered"] == []
    assert not any("already program" in a for a in plan.metadata["assumptions"])
    assert "programming-basics" in _taught(plan)  # taught (condensed), not assumed


def test_a_domain_audience_without_a_topic_of_its_own_is_still_said_uncovered():
    plan = plan_roadmap("R for public health researchers", Budget(weeks=4, hours_per_week=3))
    assert "r-basics" in {s.topic_slug for s in plan.steps}
    assert plan.metadata["coverage"] == "partial"
    assert any("public health researchers" in item for item in plan.metadata["not_covered"])


@pytest.mark.parametrize(
    ("concept", "goal", "known"),
    [
        ("make my website load faster", "web-performance", "html-basics"),
        ("add search to my app with elasticsearch", "full-text-search", "programming-basics"),
    ],
)
def test_software_of_your_own_means_its_beginner_foundations_are_known(concept, goal, known):
    plan = plan_roadmap(concept, Budget(weeks=4, hours_per_week=5))
    assert goal in {s.topic_slug for s in plan.steps}
    assert known not in _taught(plan)
    assert any("says you already built it" in a for a in plan.metadata["assumptions"])
    # the same goal asked by a declared beginner teaches them
    beginner = plan_roadmap(concept, Budget(weeks=4, hours_per_week=5), difficulty="beginner")
    assert known in _taught(beginner)


def test_a_crash_course_short_of_a_real_course_is_said_to_be_a_review_with_a_duration():
    plan = plan_roadmap("Machine Learning", Budget(weeks=8, hours_per_week=5))
    assert {"machine-learning-fundamentals", "scikit-learn"} <= {s.topic_slug for s in plan.steps}
    assert any(s.is_project for s in plan.steps)
    assert plan.metadata["crash_squeezed"] is True
    assert "too short to learn them from scratch" in plan.description
    assert plan.metadata["suggested_duration_weeks"] > 8


def test_a_crash_course_that_fits_is_a_real_share_of_its_topics():
    plan = plan_roadmap("build a chrome extension", Budget(weeks=4, hours_per_week=5))
    crash = [s for s in plan.steps if s.covers]
    assert plan.metadata["crash_squeezed"] is False or "too short" in plan.description
    assert "browser-extensions" in {s.topic_slug for s in plan.steps}
    assert sum(s.estimated_hours for s in plan.steps if s.key.startswith("crash-course")) >= 7
    assert crash


def test_facet_words_alone_attach_nothing_from_another_field(catalogue):  # noqa: F811
    plan = plan_roadmap("web performance optimisation", Budget(weeks=4, hours_per_week=5), difficulty="advanced")
    picks = pick_resources(plan.steps, Preferences())
    titles = {r.title for r in resources_active().filter(pk__in=[p.resource_id for ps in picks.values() for p in ps])}
    assert "Spark SQL Performance Tuning" not in titles
    assert "web.dev Learn Performance" in titles
