"""Issue 18 through the API: the learner's level and evidence, honest handling of key terms we do not teach, our own
lessons linked first, outcomes and checks on steps, and resources that fit the learner's language and the step."""

import pytest
from django.utils import timezone

from learning.models import LearningPath, ProgressStatus, UserModuleProgress
from learning.services import seed_learning
from resources.models import Resource
from resources.services import seed_resources
from roadmaps.attach import resource_languages
from roadmaps.models import RoadmapStep, StepStatus
from roadmaps.topics import graph
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]


@pytest.fixture
def platform(transactional_db):
    from resources.hybrid import register

    seed_learning(lambda n: None)
    seed_resources(lambda n: None)
    register()  # a fresh index for this test's rows (see test_views.catalogue)


def generate(client, concept, weeks=6, **preferences):
    body = {"concept": concept, "duration": weeks, "preferences": {"hours_per_week": 5, **preferences}}
    resp = client.post("/api/roadmaps/generate/", body, format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()


def slugs(body):
    ids = [s["id"] for s in body["roadmap"]["steps"]]
    rows = RoadmapStep.objects.filter(pk__in=ids)
    return {r.topic_slug for r in rows if r.topic_slug} | {c for r in rows for c in r.covers}


def test_a_learner_who_finished_the_python_path_is_not_taught_python_basics_again(platform, user, other_user):
    path = LearningPath.objects.get(slug="python-fundamentals")
    for module in path.modules.all():
        UserModuleProgress.objects.create(
            user=user, module=module, status=ProgressStatus.COMPLETED, completed_at=timezone.now(), time_spent=30
        )
    finished = generate(client_for(user), "Django")
    fresh = generate(client_for(other_user), "Django")
    assert "python-basics" in slugs(fresh) and "control-flow" in slugs(fresh)
    assert "python-basics" not in slugs(finished) and "control-flow" not in slugs(finished)
    meta = finished["generation_metadata"]
    assert "python-classes-and-objects" in meta["known_from"]["modules"]
    assert "Python Basics" in meta["known_topics"]
    assert "django-basics" in slugs(finished)


def test_known_topics_by_name_or_id_are_skipped_and_unknown_names_reported(platform, auth_client):
    body = generate(auth_client, "Django", known_topics=["Python Basics", "command-line-basics", "basket weaving"])
    assert not {"python-basics", "command-line-basics", "programming-basics"} & slugs(body)
    meta = body["generation_metadata"]
    assert meta["known_from"]["named"] == ["command-line-basics", "python-basics"]
    assert meta["unresolved_known_topics"] == ["basket weaving"]


def test_completed_roadmap_steps_count_as_known(platform, user):
    client = client_for(user)
    first = generate(client, "git", weeks=2)
    RoadmapStep.objects.filter(roadmap_id=first["roadmap"]["id"]).update(status=StepStatus.COMPLETED)
    learned = slugs(first)
    again = generate(client, "git", weeks=2)
    meta = again["generation_metadata"]
    assert set(meta["known_from"]["roadmap_steps"]) == learned
    repeated = learned & slugs(again)
    # only the goal itself is taught again (the learner asked for it); its foundations are not
    assert {graph().topics[s].title for s in repeated} <= set(meta["goal_topics"])


def test_an_unknown_level_is_assumed_and_said_a_given_level_is_not(platform, auth_client):
    assumed = generate(auth_client, "kubernetes")["generation_metadata"]
    assert assumed["level_source"] == "assumed" and assumed["level"] == "beginner"
    assert "preferences.difficulty" in assumed["assumptions"][0]
    given = generate(auth_client, "kubernetes", difficulty="intermediate")["generation_metadata"]
    assert given["level_source"] == "request" and given["assumptions"] == []
    alias = generate(auth_client, "kubernetes", level="intermediate")["generation_metadata"]
    assert alias["level"] == "intermediate"


def test_the_seed_example_machine_learning_8_weeks_teaches_machine_learning(platform, auth_client):
    body = generate(auth_client, "Machine Learning", weeks=8)
    steps = body["roadmap"]["steps"]
    assert "machine-learning-fundamentals" in slugs(body)
    assert any(s["is_project"] for s in steps)
    assert sum(s["estimated_hours"] for s in steps) <= 40
    meta = body["generation_metadata"]
    assert meta["goal_reached"] is True and meta["coverage"] == "full"
    assert steps[0]["title"].startswith("Crash course:") and steps[0]["covers"]
    first = next(s for s in steps if "(part " not in s["title"] or "(part 1 of" in s["title"])
    assert first["outcomes"] and first["done_when"]


def test_a_key_term_we_do_not_teach_is_named_never_silently_substituted(platform, auth_client):
    partial = generate(auth_client, "Haskell web development")
    meta = partial["generation_metadata"]
    assert meta["coverage"] == "partial" and meta["unknown_terms"] == ["haskell"]
    assert "We do not teach “haskell” yet" in partial["roadmap"]["description"]
    refused = generate(auth_client, "learn to play chess")
    assert refused["roadmap"]["status"] == "failed" and refused["roadmap"]["steps"] == []
    assert "chess" in refused["roadmap"]["error"]
    assert refused["generation_metadata"]["unknown_terms"] == ["chess"]


def test_our_own_module_is_linked_before_external_resources(platform, auth_client):
    body = generate(auth_client, "Jac walkers and graph programming", weeks=8, difficulty="intermediate")
    walker = next(s for s in body["roadmap"]["steps"] if s["title"].startswith("Jac Walkers"))
    lesson = walker["lessons"][0]
    assert lesson["type"] == "module" and lesson["title"] == "Walkers and Traversal"
    assert lesson["url"] == f"/learning/{lesson['learning_path_id']}/module/{lesson['module_id']}"
    client_module = auth_client.get(lesson["api"]).json()
    assert client_module["id"] == lesson["module_id"]


def test_attached_resources_fit_the_learners_language_and_the_steps_length(platform, auth_client):
    body = generate(auth_client, "machine learning for tabular data", weeks=12)
    steps = body["roadmap"]["steps"]
    hours: dict[str, int] = {}
    for step in steps:
        base = step["title"].split(" (part ")[0]
        hours[base] = hours.get(base, 0) + step["estimated_hours"]
    attached = 0
    for step in steps:
        base = step["title"].split(" (part ")[0]
        assert len(step["resources"]) <= (1 if step["covers"] else 3)
        for r in step["resources"]:
            attached += 1
            row = Resource.objects.values("tags", "title").get(pk=r["id"])
            assert not resource_languages(row) - {"python"}, (step["title"], r["title"])
            assert r["recommendation_reason"]
            fits = (r["duration_minutes"] or 0) <= 1.5 * 60 * hours[base]
            assert fits or "read the sections on" in r["recommendation_reason"], (step["title"], r["title"])
    assert attached >= len(steps) // 2
