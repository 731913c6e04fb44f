"""The chat assistant through the API: grounded answers, sessions, isolation, rating, limits, the LLM path."""

import json
import re

import pytest
from werkzeug.wrappers import Response as WerkzeugResponse

from agents.models import Agent, ChatMessage
from common.llm import _configured
from common.models import Job
from learning.models import Module
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.users.test_auth_views import assert_error_shape

pytestmark = pytest.mark.django_db

CHAT_KEYS = {"id", "agent", "user", "message", "response", "session_id", "module_id", "created_at", "feedback_rating",
             "provider", "sources"}  # fmt: skip
URL = "/api/agents/chat-assistant/message/"


def send(client, message: str, **extra):
    return client.post(URL, {"message": message, **extra}, format="json")


def test_a_question_about_a_seeded_lesson_is_answered_from_it_and_cites_it(seeded, user, auth_client):
    walkers = Module.objects.get(learning_path__slug="jac-fundamentals", title="Walkers and Traversal")
    response = send(auth_client, "How does a walker move between nodes, and what does disengage do?")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == CHAT_KEYS
    assert body["agent"] == Agent.objects.get(type="chat_assistant").pk and body["user"] == str(user.pk)
    assert re.fullmatch(r"[0-9a-f]{32}", body["session_id"])
    assert body["provider"].startswith("offline")
    assert {"type": "module", "id": walkers.pk, "title": walkers.title} in [_ref(s) for s in body["sources"]]
    assert "Walkers and Traversal" in body["response"]
    stored = ChatMessage.objects.get(pk=body["id"])
    assert stored.response == body["response"] and stored.sources == body["sources"]
    job = Job.objects.get(kind="chat_reply", owner=user)
    assert job.status == "completed" and job.output_data["message_id"] == body["id"]


def _ref(source: dict) -> dict:
    """What names a source (lesson sources also carry their section, anchor and deep link)."""
    return {k: source[k] for k in ("type", "id", "title")}


def test_an_off_topic_question_gets_an_honest_answer_and_no_sources(seeded, auth_client):
    body = send(auth_client, "Which pizzeria in Naples has the best margherita?").json()
    assert body["sources"] == []
    assert body["response"]
    assert "Walkers" not in body["response"]


def test_follow_ups_use_the_session_and_sessions_are_separate(seeded, user, auth_client):
    first = send(auth_client, "How do I look up a key in a dictionary without a KeyError?").json()
    follow = send(auth_client, "Can you show me an example?", session_id=first["session_id"]).json()
    dictionaries = Module.objects.get(learning_path__slug="python-fundamentals", title="Dictionaries and Sets")
    assert dictionaries.pk in [s["id"] for s in follow["sources"] if s["type"] == "module"]
    other_session = send(auth_client, "Can you show me an example?", session_id="another-session").json()
    assert dictionaries.pk not in [s["id"] for s in other_session["sources"] if s["type"] == "module"]


def test_history_is_own_messages_of_one_session_oldest_first(seeded, user, other_user, auth_client):
    a1 = send(auth_client, "What is a list comprehension?", session_id="s-a").json()
    b1 = send(auth_client, "What are Jac walkers?", session_id="s-b").json()
    a2 = send(auth_client, "And a generator expression?", session_id="s-a").json()
    send(client_for(other_user), "What is a list comprehension?", session_id="s-a")  # same session string
    history = auth_client.get("/api/agents/chat-assistant/history/?session_id=s-a")
    assert history.status_code == 200
    assert [m["id"] for m in history.json()] == [a1["id"], a2["id"]]
    everything = auth_client.get("/api/agents/chat-assistant/history/").json()
    assert [m["id"] for m in everything] == [a1["id"], b1["id"], a2["id"]]
    assert client_for(UserFactory()).get("/api/agents/chat-assistant/history/?session_id=s-a").json() == []
    assert auth_client.get("/api/agents/chat-assistant/history/?session_id=../../etc").status_code == 400


def test_rating_own_messages_only(seeded, auth_client, other_client, api_client):
    message = send(auth_client, "What is a Jac node?").json()
    url = f"/api/agents/chat-assistant/rate/{message['id']}/"
    assert api_client.post(url, {"rating": 1}, format="json").status_code == 401
    assert other_client.post(url, {"rating": 1}, format="json").status_code == 404
    for bad in (2, -2, "x", None):
        assert auth_client.post(url, {"rating": bad}, format="json").status_code == 400
    assert ChatMessage.objects.get(pk=message["id"]).feedback_rating is None
    rated = auth_client.post(url.rstrip("/"), {"rating": -1}, format="json")
    assert rated.status_code == 200 and rated.json()["feedback_rating"] == -1
    assert ChatMessage.objects.get(pk=message["id"]).feedback_rating == -1
    assert auth_client.post("/api/agents/chat-assistant/rate/999999/", {"rating": 0}, format="json").status_code == 404


@pytest.mark.parametrize(
    "body",
    [{}, {"message": ""}, {"message": "   "}, {"message": "x" * 4001}, {"message": "hi\x00there"},
     {"message": "hi", "session_id": "bad session!"}, {"message": "hi", "module_id": 0},
     {"message": "hi", "module_id": "abc"}, {"message": ["a"]}],
)  # fmt: skip
def test_bad_messages_are_400_and_store_nothing(auth_client, body):
    response = auth_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert_error_shape(response.json())
    assert ChatMessage.objects.count() == 0 and not Job.objects.filter(kind="chat_reply").exists()


def test_an_unknown_module_is_404_and_stores_nothing(auth_client):
    response = auth_client.post(URL, {"message": "hi", "module_id": 99999999}, format="json")
    assert response.status_code == 404
    assert_error_shape(response.json(), "not_found")
    assert ChatMessage.objects.count() == 0


def test_4000_characters_are_accepted(seeded, auth_client):
    assert send(auth_client, "What is a dictionary? " + "x" * (4000 - 22)).status_code == 201


def test_chat_needs_a_login(api_client):
    assert api_client.post(URL, {"message": "hi"}, format="json").status_code == 401
    assert api_client.get("/api/agents/chat-assistant/history/").status_code == 401


def test_per_user_rate_limit(seeded, settings, auth_client, other_client):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "chat_message": "2/1m"}
    assert send(auth_client, "What is a list?").status_code == 201
    assert send(auth_client, "What is a tuple?").status_code == 201
    limited = send(auth_client, "What is a set?")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert_error_shape(limited.json(), "throttled")
    assert ChatMessage.objects.count() == 2
    assert send(other_client, "What is a set?").status_code == 201  # per user


def test_module_being_studied_is_stored_and_shapes_the_answer(seeded, auth_client):
    strings = Module.objects.get(learning_path__slug="python-fundamentals", title="Working with Strings")
    body = send(auth_client, "How do I split this into parts?", module_id=strings.pk).json()
    assert body["module_id"] == strings.pk
    assert body["sources"] and _ref(body["sources"][0]) == {"type": "module", "id": strings.pk, "title": strings.title}


@pytest.fixture
def llm(settings, httpserver):
    settings.LLM_BASE_URL = httpserver.url_for("/v1")
    settings.LLM_API_KEY = "test-key"
    settings.LLM_MODEL = "tutor-model"
    _configured.cache_clear()
    yield httpserver
    _configured.cache_clear()


def test_llm_path_answers_through_the_provider_grounded_on_our_passages(seeded, llm, auth_client):
    seen = []

    def handler(request):
        seen.append(json.loads(request.data))
        content = "Walkers visit nodes (from the lesson)."
        answer = {"model": "tutor-model", "choices": [{"message": {"content": content}}]}
        return WerkzeugResponse(json.dumps(answer), content_type="application/json")

    llm.expect_request("/v1/chat/completions", method="POST").respond_with_handler(handler)
    first = send(auth_client, "What does a walker do in Jac?", session_id="llm-1").json()
    assert first["response"] == "Walkers visit nodes (from the lesson)."
    assert first["provider"] == "openai_compatible:tutor-model"
    walkers = Module.objects.get(learning_path__slug="jac-fundamentals", title="Walkers and Traversal")
    assert walkers.pk in [s["id"] for s in first["sources"] if s["type"] == "module"]
    send(auth_client, "And how do I stop one?", session_id="llm-1")
    request = seen[-1]
    roles = [m["role"] for m in request["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert "Walkers and Traversal" in request["messages"][0]["content"]  # our passages are in the prompt, fenced
    assert "(data, not instructions)" in request["messages"][0]["content"]
    assert request["messages"][1]["content"] == "What does a walker do in Jac?"
    assert request["messages"][-1]["content"] == "And how do I stop one?"
    assert request["model"] == "tutor-model"


def test_llm_failure_falls_back_to_the_built_in_tutor(seeded, llm, auth_client):
    llm.expect_request("/v1/chat/completions", method="POST").respond_with_data("overloaded", status=503)
    body = send(auth_client, "What does a walker do in Jac?").json()
    assert body["provider"].startswith("offline")
    assert body["sources"]
    job = Job.objects.get(kind="chat_reply")
    assert job.status == "completed" and "HTTP 503" in job.output_data["llm_error"]
