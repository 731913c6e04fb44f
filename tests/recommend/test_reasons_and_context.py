"""Reasons name evidence that holds for the item; declared interests and the learner's roadmap/module steer the list."""

import re

import numpy as np
import pytest

from common.retrieval import embed_text
from resources.models import Resource
from resources.recommend import content, context, services
from resources.services import resource_embedding_text
from roadmaps.models import Roadmap, RoadmapStep, StepResource
from tests.conftest import client_for
from tests.learning.factories import LearningPathFactory, ModuleFactory
from tests.recommend.test_recommendations import url
from tests.resources.factories import InteractionFactory, ResourceFactory
from users.models import UserPreferences

pytestmark = pytest.mark.django_db

# A small catalogue written like real listings, several topics and media types.
CATALOGUE = [
    ("SQLBolt", "interactive", ["sql", "databases"], "Interactive lessons and exercises to learn SQL queries."),
    ("Select Star SQL", "book", ["sql", "databases"], "An interactive book on SQL queries over real data."),
    ("PostgreSQL tutorial", "tutorial", ["sql", "postgresql"], "Learn PostgreSQL: joins, indexes, window functions."),
    ("SQL for data analysis", "course", ["sql", "data analysis"], "Query and aggregate data to answer questions."),
    ("Pandas in 10 minutes", "article", ["python", "pandas", "data analysis"], "Analyse tabular data with pandas."),
    ("Statistics for analysts", "video", ["statistics", "data analysis"], "Descriptive statistics for data analysts."),
    ("Kubernetes basics", "tutorial", ["kubernetes", "devops"], "Deploy containers on a Kubernetes cluster."),
    ("Kubernetes the hard way", "article", ["kubernetes", "devops"], "Bootstrap a Kubernetes cluster by hand."),
    ("Helm charts explained", "video", ["kubernetes", "helm"], "Package Kubernetes applications with Helm charts."),
    ("Docker for beginners", "course", ["docker", "containers"], "Build and run containers with Docker."),
    ("CSS Grid Garden", "interactive", ["css", "web"], "A game for learning CSS grid layout."),
    ("React tutorial", "tutorial", ["javascript", "react"], "Build a user interface with React components."),
    ("Flexbox Froggy", "interactive", ["css", "web"], "A game for learning CSS flexbox."),
    ("Rust by example", "book", ["rust"], "Learn Rust with runnable examples."),
    ("Intro to machine learning", "course", ["machine learning", "python"], "Supervised learning from scratch."),
    ("Git immersion", "tutorial", ["git"], "A guided tour of git basics."),
    ("Linux command line", "book", ["linux", "shell"], "The Linux command line from the ground up."),
    ("Podcast: Talk Python", "podcast", ["python"], "Weekly interviews about Python."),
]


@pytest.fixture
def listing(db):
    return {
        title: ResourceFactory(
            title=title,
            media_type=media,
            tags=tags,
            description=text,
            popularity=0,
            rating=0.0,
            rating_count=0,
            difficulty="beginner",
        )
        for title, media, tags, text in CATALOGUE
    }


def _vector(r: Resource) -> np.ndarray:
    return embed_text(resource_embedding_text(title=r.title, tags=r.tags, description=r.description))


def test_no_rating_claim_when_nobody_rated_and_no_popularity_claim_without_interactions(user, listing):
    items = client_for(user).get(url(user.pk), {"limit": 18}).json()
    assert len(items) == 18
    for item in items:
        for reason in item["reasons"]:
            assert "rated" not in reason.lower() and "popular" not in reason.lower(), reason


def test_because_you_liked_names_an_item_of_the_history_and_it_is_similar(user, listing):
    InteractionFactory(user=user, resource=listing["SQLBolt"], interaction_type="like")
    items = client_for(user).get(url(user.pk), {"limit": 10}).json()
    becauses = [(i, r) for i in items for r in i["reasons"] if r.startswith("Because you")]
    assert becauses, items
    for item, reason in becauses:
        assert reason == 'Because you liked "SQLBolt"'
        cos = float(_vector(Resource.objects.get(pk=item["id"])) @ _vector(listing["SQLBolt"]))
        assert cos >= content.MATCH_MIN
    assert listing["SQLBolt"].pk not in {i["id"] for i in items}  # seen: not recommended again


def test_goal_and_interest_reasons_hold_for_their_items(user, listing):
    user.current_goal = "data analysis"
    user.save()
    UserPreferences.objects.filter(user=user).update(interests=["Kubernetes"])
    items = client_for(user).get(url(user.pk), {"limit": 10}).json()
    goal = embed_text("data analysis")
    seen_goal = seen_interest = False
    for item in items:
        vector = _vector(Resource.objects.get(pk=item["id"]))
        for reason in item["reasons"]:
            if reason == "Matches your goal: data analysis":
                seen_goal = True
                assert float(vector @ goal) >= content.MATCH_MIN
            if reason.startswith("Matches your interest:"):
                seen_interest = True
                assert reason == "Matches your interest: Kubernetes"
                [(_, interest_text)] = context.interests(["Kubernetes"])
                assert float(vector @ embed_text(interest_text)) >= content.MATCH_MIN
    assert seen_goal and seen_interest
    top = {Resource.objects.get(pk=i["id"]).title for i in items[:6]}
    assert {"SQL for data analysis", "Pandas in 10 minutes", "Statistics for analysts"} & top
    assert {"Kubernetes basics", "Kubernetes the hard way", "Helm charts explained"} & top
    assert not {"CSS Grid Garden", "Flexbox Froggy", "Rust by example"} & top


def test_popular_with_learners_of_a_topic_only_for_popular_items(user, other_user, listing):
    for title in ("SQLBolt", "Select Star SQL"):
        Resource.objects.filter(pk=listing[title].pk).update(popularity=40)
    Resource.objects.filter(pk=listing["Git immersion"].pk).update(popularity=1)
    UserPreferences.objects.filter(user=user).update(interests=["sql"])
    items = client_for(user).get(url(user.pk), {"limit": 12}).json()
    popular = {i["id"]: r for i in items for r in i["reasons"] if r.startswith("Popular")}
    assert popular.get(listing["SQLBolt"].pk) == "Popular with learners of sql"
    for rid in popular:
        assert Resource.objects.get(pk=rid).popularity >= 40


def test_roadmap_current_step_resources_come_first(user, listing):
    roadmap = Roadmap.objects.create(user=user, title="Kubernetes roadmap", concept="Kubernetes", duration_weeks=4,
                                     status="active")  # fmt: skip
    done = RoadmapStep.objects.create(roadmap=roadmap, title="Containers with Docker", order_index=0,
                                      status="completed", topic_slug="docker")  # fmt: skip
    current = RoadmapStep.objects.create(roadmap=roadmap, title="Helm charts", order_index=1, prerequisites=[done.pk],
                                         topic_slug="helm")  # fmt: skip
    RoadmapStep.objects.create(roadmap=roadmap, title="Rust systems", order_index=2, prerequisites=[current.pk])
    StepResource.objects.create(step=current, resource=listing["Helm charts explained"], order_index=0)
    user.current_goal = "web design with CSS"  # the blend alone would start elsewhere
    user.save()
    items = client_for(user).get(url(user.pk), {"limit": 10}).json()
    first = items[0]
    assert first["id"] == listing["Helm charts explained"].pk
    assert first["reasons"][0] == 'Next step of your roadmap "Kubernetes roadmap": Helm charts'
    next_up = [i for i in items if any(r.startswith("Next step of your roadmap") for r in i["reasons"])]
    assert 1 <= len(next_up) <= services.NEXT_UP_STEP
    assert all(Resource.objects.get(pk=i["id"]).tags[0] in ("kubernetes", "helm") for i in next_up)
    assert items[: len(next_up)] == next_up  # they lead the list


def test_roadmap_progress_moves_next_up_at_once(user, listing):
    roadmap = Roadmap.objects.create(user=user, title="Data roadmap", concept="Data analysis", duration_weeks=4,
                                     status="active")  # fmt: skip
    sql = RoadmapStep.objects.create(roadmap=roadmap, title="SQL queries", order_index=0)
    stats = RoadmapStep.objects.create(roadmap=roadmap, title="Statistics", order_index=1, prerequisites=[sql.pk])
    StepResource.objects.create(step=sql, resource=listing["SQLBolt"], order_index=0)
    StepResource.objects.create(step=stats, resource=listing["Statistics for analysts"], order_index=0)
    client = client_for(user)
    assert client.get(url(user.pk)).json()[0]["id"] == listing["SQLBolt"].pk
    response = client.put(f"/api/roadmaps/{roadmap.pk}/progress/", {"step_id": sql.pk, "completed": True},
                           format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert client.get(url(user.pk)).json()[0]["id"] == listing["Statistics for analysts"].pk


def test_module_in_progress_leads_with_related_resources(user, listing):
    path = LearningPathFactory(title="Operations")
    module = ModuleFactory(learning_path=path, title="Deploying with Kubernetes",
                           description="Pods, deployments and services on a Kubernetes cluster.")  # fmt: skip
    client = client_for(user)
    response = client.patch(f"/api/learning/user-module-progress/?module={module.pk}", {"status": "in_progress"},
                            format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    items = client.get(url(user.pk), {"limit": 10}).json()
    assert items[0]["reasons"][0] == 'For the module you are studying: "Deploying with Kubernetes"'
    assert "kubernetes" in Resource.objects.get(pk=items[0]["id"]).tags


def test_interests_as_topic_ids_and_every_reason_is_one_of_the_known_shapes(user, listing):
    UserPreferences.objects.filter(user=user).update(interests=["kubernetes"], preferred_media_types=["video"])
    items = client_for(user).get(url(user.pk), {"limit": 8}).json()
    shapes = [
        r'^Because you (viewed|liked|saved|rated highly|completed) ".+"$', r"^Matches your (goal|interest): .+$",
        r'^Related to your roadmap ".+"$', r"^Matches your preference for .+$", r"^At your level \(\w+\)$",
        r"^Suits your \w+ learning style$", r"^Popular with (learners of .+|other learners)$",
        r"^Rated \d\.\d/5 by \d+ learners?$", r'^Next step of your roadmap ".+": .+$',
        r'^For the module you are studying: ".+"$', r"^Something new: a .+ you have not seen yet$",
    ]  # fmt: skip
    for item in items:
        assert 1 <= len(item["reasons"]) <= 3
        for reason in item["reasons"]:
            assert any(re.match(s, reason) for s in shapes), reason
    assert "kubernetes" in Resource.objects.get(pk=items[0]["id"]).tags


def test_declaring_interests_changes_the_very_next_list(user, listing):
    client = client_for(user)
    before = client.get(url(user.pk), {"limit": 5}).json()
    assert not any("kubernetes" in Resource.objects.get(pk=i["id"]).tags for i in before[:2])
    response = client.put(f"/api/users/{user.pk}/preferences/", {"interests": ["kubernetes"]}, format="json")
    assert response.status_code == 200
    after = client.get(url(user.pk), {"limit": 5}).json()
    assert [i["id"] for i in after] != [i["id"] for i in before]
    top = [Resource.objects.get(pk=i["id"]) for i in after[:2]]
    assert all("kubernetes" in r.tags for r in top), [r.title for r in top]
    assert after[0]["reasons"][0] == "Matches your interest: kubernetes"  # named as declared
    client.put(f"/api/users/{user.pk}/preferences/", {"interests": []}, format="json")
    assert client.get(url(user.pk), {"limit": 5}).json() == before  # back to what it was


def test_rating_claims_name_the_resources_own_ratings_and_only_when_they_exist(user, listing):
    Resource.objects.filter(pk=listing["SQLBolt"].pk).update(rating=4.6, rating_count=12, popularity=30)
    Resource.objects.filter(pk=listing["Rust by example"].pk).update(rating=4.0, rating_count=1, popularity=30)
    Resource.objects.filter(pk=listing["Git immersion"].pk).update(rating=4.9, rating_count=0, popularity=30)
    items = client_for(user).get(url(user.pk), {"limit": 18}).json()
    claims = {i["id"]: r for i in items for r in i["reasons"] if r.startswith("Rated")}
    assert claims.get(listing["SQLBolt"].pk) == "Rated 4.6/5 by 12 learners"
    assert claims.get(listing["Rust by example"].pk) == "Rated 4.0/5 by 1 learner"
    assert set(claims) <= {listing["SQLBolt"].pk, listing["Rust by example"].pk}


def test_declared_interests_weigh_as_one_source_together_so_they_cannot_drown_the_history():
    # Five history items along one direction, an item along another, the declared interests along that other.
    vectors = np.zeros((7, 4), dtype=np.float32)
    vectors[:6, 0] = 1.0  # items 0-4: the history; item 5: like the history
    vectors[6, 1] = 1.0  # item 6: like the interests
    history, weights = np.arange(5), np.ones(5, dtype=np.float32)
    sql = content.Evidence(kind="interest", label="sql", vector=vectors[6], weight=content.SOURCE_WEIGHTS["interest"])
    one = content.content_scores(vectors, [sql], history, weights)
    three = content.content_scores(vectors, [sql] * 3, history, weights)
    assert np.allclose(one, three, atol=1e-6)
    # A 5-item history weighs as much as all the interests together: both directions score alike.
    assert three[5] == pytest.approx(three[6], abs=1e-6) and three[5] > 0.5
