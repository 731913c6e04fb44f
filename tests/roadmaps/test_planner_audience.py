"""Issue 18, round 4 (fresh concepts read as a teacher): who a concept is for, career moves, sibling frameworks,
another area's project, descriptive words, and the goal's hours when time is short."""

import pytest

from roadmaps.planner import Budget, career_goal, choose_goals, plan_roadmap, split_audience
from roadmaps.topics import graph


def _taught(plan) -> set[str]:
    return {s.topic_slug for s in plan.steps if s.topic_slug}


@pytest.mark.parametrize(
    ("concept", "subject", "who", "kind"),
    [
        ("typescript for react developers", "typescript", "react developers", "programs"),
        ("pandas for excel users", "pandas", "excel users", "other"),
        ("mlops for data scientists", "mlops", "data scientists", "programs"),
        ("penetration testing for a total beginner", "penetration testing", "beginner", "beginner"),
        ("python for data analysis", "python for data analysis", "", ""),  # a purpose, not an audience
        ("statistics for A/B testing", "statistics for A/B testing", "", ""),
    ],
)
def test_the_audience_is_split_from_the_subject(concept, subject, who, kind):
    assert split_audience(concept) == (subject, who, kind)


def test_the_audience_is_known_and_not_a_goal():
    goals = choose_goals("typescript for react developers")
    assert "react-fundamentals" in goals.audience_known and "react-fundamentals" not in goals.core
    assert "react-with-typescript" in goals.core  # the topic named by both is the goal itself
    plan = plan_roadmap("typescript for react developers", Budget(4, 5))
    taught = _taught(plan)
    assert {"typescript-basics", "react-with-typescript"} <= taught
    assert "react-fundamentals" not in taught
    assert not any(g for g in taught | set(plan.metadata["trimmed_topics"]) if "angular" in g.lower())
    assert any("“for react developers” says you already know React Fundamentals" in a
               for a in plan.metadata["assumptions"])  # fmt: skip


def test_an_audience_word_is_never_an_unknown_term():
    goals = choose_goals("mlops for data scientists")
    assert goals.unknown_terms == [] and goals.core == ["mlops-fundamentals"]
    plan = plan_roadmap("mlops for data scientists", Budget(4, 5))
    assert plan.metadata["coverage"] == "full"
    assert "statistics-basics" not in _taught(plan) and "statistics-basics" not in set(plan.metadata["crash_course"])


def test_excel_users_are_not_taught_spreadsheets_again():
    plan = plan_roadmap("pandas for excel users", Budget(4, 5))
    assert "pandas" in _taught(plan) and "spreadsheet-basics" not in _taught(plan)


def test_for_beginners_never_assumes_the_learner_programs():
    plan = plan_roadmap("penetration testing for beginners", Budget(4, 5))
    assert not any("already program" in a for a in plan.metadata["assumptions"])


@pytest.mark.parametrize(
    ("concept", "goal"),
    [
        ("switch from accounting to data analyst", "data analyst"),
        ("im a teacher and want to switch careers into ux design", "ux design"),
        ("i want to switch careers into tech", None),  # left to the vague track
        ("docker", None),
    ],
)
def test_a_career_move_plans_the_destination(concept, goal):
    found = career_goal(concept)
    assert (found[0] if found else None) == goal


def test_a_career_move_is_planned_as_its_destination_with_the_reading_stated():
    goals = choose_goals("switch from accounting to data analyst")
    assert goals.strategy == "area" and graph().topics[goals.core[0]].area == "data-science"
    assert goals.unknown_terms == []
    assert any("read as a move into data analyst" in a for a in goals.assumptions)


def test_a_named_framework_excludes_a_sibling_frameworks_project():
    goals = choose_goals("build a rest api with fastapi")
    assert goals.core == ["fastapi-basics"]
    assert not any("django" in s for s in goals.relevance)


def test_another_areas_project_only_when_the_goals_area_has_none():
    plan = plan_roadmap("become a backend developer", Budget(8, 5))
    assert plan.metadata["goal_project"] and "Flutter" not in plan.metadata["goal_project"]
    assert not any(graph().topics[s].area == "mobile" for s in _taught(plan))


def test_descriptive_words_are_no_key_terms():
    goals = choose_goals("automate boring office tasks with python")
    assert "boring" not in goals.key_terms and goals.unknown_terms == []


def test_short_of_time_the_goal_keeps_its_hours_before_the_way_to_it():
    plan = plan_roadmap("docker for python developers", Budget(2, 5))
    hours: dict[str, int] = {}  # a crash course (no topic of its own) counts as one of the others
    for s in plan.steps:
        hours[s.topic_slug] = hours.get(s.topic_slug, 0) + s.estimated_hours
    others = [h for slug, h in hours.items() if slug != "docker-fundamentals"]
    assert hours["docker-fundamentals"] >= max(others, default=0)


def test_automating_office_tasks_has_a_topic_of_its_own():
    plan = plan_roadmap("automate boring office tasks with python", Budget(4, 5))
    assert "python-everyday-automation" in _taught(plan)
    assert plan.metadata["coverage"] == "full"
    ansible = choose_goals("ansible for automating my servers")
    assert ansible.core == ["configuration-management-ansible"]  # "automating" servers is not office scripting
