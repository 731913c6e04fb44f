"""The SPA's dashboard panels and chat personas over WebSocket (SPA.md §2, §8), through the real ASGI application."""

import time

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.spa import panels
from config.asgi import application
from learning import services as learning_services
from tests.learning.factories import ModuleFactory
from users.tokens import tokens_for_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

TIMEOUT = 10


async def open_socket(path: str, token: str | None = None) -> WebsocketCommunicator:
    url = f"{path}?token={token}" if token else path
    communicator = WebsocketCommunicator(application, url)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected, url
    return communicator


def test_anonymous_panels_get_public_aggregates_only(user):
    module = ModuleFactory()
    learning_services.progress_update(user=user, module=module, status="completed", enforce_prerequisites=False)
    cache.delete(panels.PUBLIC_KEY)
    cache.delete(panels.REFRESH_LOCK)

    async def scenario():
        dash = await open_socket("/ws/dashboard/")
        frame = await dash.receive_json_from(timeout=TIMEOUT)
        assert frame["type"] == "dashboard_update"
        summary = frame["data"]["progress_summary"]
        assert summary["current_level"] == "All learners" and summary["total_modules"] == 1
        assert summary["overall_progress"] == 100.0 and summary["modules_completed"] == 1
        assert isinstance(summary["overall_progress"], float)
        assert frame["data"]["insights"][0] == panels.PUBLIC_INSIGHT
        await dash.send_json_to({"type": "request_update"})
        assert (await dash.receive_json_from(timeout=TIMEOUT))["type"] == "dashboard_update"
        await dash.send_json_to({"type": "acknowledge_alert", "alert_id": "a1"})
        await dash.send_json_to({"type": "something_else"})
        assert await dash.receive_nothing(timeout=0.3)  # no error frames, ever
        await dash.disconnect()
        metrics = await open_socket("/api/ws/metrics/")
        frame = await metrics.receive_json_from(timeout=TIMEOUT)
        assert frame["type"] == "realtime_metrics" and frame["metrics"]["daily_activities"] >= 1
        assert isinstance(frame["metrics"]["average_score"], float)
        await metrics.disconnect()
        alerts = await open_socket("/ws/alerts/")
        assert await alerts.receive_nothing(timeout=0.3)  # nothing replayed on connect
        await alerts.disconnect()

    async_to_sync(scenario)()


def test_a_signed_in_dashboard_socket_gets_the_learners_own_figures(user, other_user):
    module = ModuleFactory()
    learning_services.progress_update(user=other_user, module=module, status="completed", enforce_prerequisites=False)
    token = tokens_for_user(user=user)["access"]

    async def scenario():
        dash = await open_socket("/ws/dashboard/", token)
        frame = await dash.receive_json_from(timeout=TIMEOUT)
        summary = frame["data"]["progress_summary"]
        assert summary["modules_completed"] == 0 and summary["current_level"] == "Level 1"
        await dash.disconnect()

    async_to_sync(scenario)()


def test_a_thousand_anonymous_reconnects_cost_no_query_once_cached(db):
    panels.public_refresh()

    async def loop(n: int) -> float:
        start = time.process_time()
        for _ in range(n):
            communicator = WebsocketCommunicator(application, "/ws/metrics/")
            connected, _ = await communicator.connect(timeout=TIMEOUT)
            assert connected
            assert (await communicator.receive_json_from(timeout=TIMEOUT))["type"] == "realtime_metrics"
            await communicator.disconnect()
        return time.process_time() - start

    with CaptureQueriesContext(connection) as queries:
        cpu = async_to_sync(loop)(1000)
    assert len(queries.captured_queries) == 0
    print(f"1000 anonymous connects/disconnects: {cpu:.2f} s CPU ({cpu:.2f} ms each)")


def _persona_reply(communicator, persona: str, text: str) -> dict:
    async def scenario():
        await communicator.send_json_to({"type": "join_room", "data": {"agent_id": persona, "agent_type": persona,
                                         "session_id": "multi-agent-1-abc"}})  # fmt: skip
        await communicator.send_json_to({"type": "agent_message", "agent_type": persona, "agent_id": persona,
                                         "content": text, "session_id": "multi-agent-1-abc",
                                         "data": {"user_message": text}})  # fmt: skip
        frames = []
        while True:
            frame = await communicator.receive_json_from(timeout=TIMEOUT)
            if frame["type"] in ("agent_typing", "agent_response", "error"):
                frames.append(frame)
            if frame["type"] in ("agent_response", "error"):
                return frames

    return scenario


def test_personas_answer_in_the_spa_protocol(user):
    token = tokens_for_user(user=user)["access"]
    module = ModuleFactory(title="Lists and Tuples")
    assert module.pk

    async def scenario():
        communicator = await open_socket("/ws/ai-interaction/", token)
        for persona, text in [("content_curator", "What should I learn next?"),
                              ("progress_tracker", "How am I doing?"), ("motivator", "I feel stuck"),
                              ("system_orchestrator", "plan my week")]:  # fmt: skip
            frames = await _persona_reply(communicator, persona, text)()
            assert frames[0] == {"type": "agent_typing", "agent_id": persona}
            reply = frames[-1]
            assert reply["type"] == "agent_response", reply
            assert reply["agent_id"] == persona and reply["agent_type"] == persona
            assert reply["content"] and reply["timestamp"] and reply["session_id"] == "multi-agent-1-abc"
            assert isinstance(reply["metadata"]["sources"], list)
        frames = await _persona_reply(communicator, "content_curator", "   ")()
        assert frames[-1]["type"] == "error" and frames[-1]["message"]
        await communicator.send_json_to({"type": "leave_room", "data": {"agent_id": "motivator"}})
        while not await communicator.receive_nothing(timeout=0.3):  # join/leave are never answered with an error
            assert (await communicator.receive_json_from(timeout=TIMEOUT))["type"] not in ("error", "agent_response")
        await communicator.disconnect()

    async_to_sync(scenario)()
