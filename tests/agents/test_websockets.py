"""WebSockets through the real ASGI application and channel layer (Redis with REDIS_URL, else in-memory)."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db.models import F
from rest_framework_simplejwt.tokens import AccessToken

from agents import consumers
from agents.models import Agent
from common import jobs
from config.asgi import application
from tests.factories import UserFactory
from users.models import User
from users.tokens import tokens_for_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

TIMEOUT = 10


def access_for(user) -> str:
    return tokens_for_user(user=user)["access"]


async def connect(path: str, token: str | None) -> tuple[WebsocketCommunicator, dict]:
    url = f"{path}?token={token}" if token is not None else path
    communicator = WebsocketCommunicator(application, url)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    first = await communicator.receive_output(timeout=TIMEOUT)
    return communicator, first


async def drain_snapshot(communicator: WebsocketCommunicator) -> list[dict]:
    events = []
    for _ in range(6):
        events.append(await communicator.receive_json_from(timeout=TIMEOUT))
    return events


async def next_task_update(communicator: WebsocketCommunicator, *, status: str | None = None) -> dict:
    while True:
        event = await communicator.receive_json_from(timeout=TIMEOUT)
        if event["type"] == "task_update" and (status is None or event["task"]["status"] == status):
            return event


async def refused(path: str, token: str | None) -> bool:
    """True when the handshake is refused before accept (the client sees HTTP 403 and backs off)."""
    url = f"{path}?token={token}" if token is not None else path
    communicator = WebsocketCommunicator(application, url)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    if connected:
        await communicator.disconnect()
    return not connected


@pytest.mark.parametrize("path", ["/ws/agents/", "/ws/ai-interaction/", "/api/ws/ai-interaction/"])
@pytest.mark.parametrize("token", [None, "", "garbage", "mock-jwt-token-123"])
def test_a_missing_or_invalid_token_is_refused_before_accept(path, token):
    assert async_to_sync(refused)(path, token)


@pytest.mark.parametrize("path", ["/ws/dashboard/", "/ws/metrics/", "/ws/alerts/", "/api/ws/dashboard/"])
@pytest.mark.parametrize("token", ["garbage", "mock-jwt-token-123"])
def test_an_invalid_token_on_the_dashboard_sockets_is_refused_before_accept(path, token):
    assert async_to_sync(refused)(path, token)


def test_expired_inactive_or_revoked_tokens_are_refused_before_accept(user):
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=5))
    inactive_user = UserFactory()
    inactive = access_for(inactive_user)
    inactive_user.is_active = False
    inactive_user.save(update_fields=["is_active"])
    revoked = access_for(user)
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)  # what a password change does

    async def scenario():
        for token in (str(expired), inactive, revoked):
            for path in ("/ws/agents/", "/ws/dashboard/", "/ws/ai-interaction/"):
                assert await refused(path, token), (path, token)

    async_to_sync(scenario)()


def test_connect_sends_the_agents_then_only_own_task_updates(user, other_user):
    token = access_for(user)
    types = set(Agent.objects.values_list("type", flat=True))

    async def scenario():
        communicator, first = await connect("/ws/agents/", token)
        assert first["type"] == "websocket.send"
        snapshot = await drain_snapshot(communicator)
        assert [e["type"] for e in snapshot] == ["agent_status"] * 6
        assert {e["agent"]["type"] for e in snapshot} == types
        await sync_to_async(jobs.job_create)(kind="chat_reply", owner=other_user, title="someone else's")
        mine = await sync_to_async(jobs.job_create)(kind="chat_reply", owner=user, title="mine", started=True)
        event = await next_task_update(communicator)
        assert event["task"]["id"] == mine.pk and event["task"]["title"] == "mine"
        assert event["task"]["status"] == "in_progress"
        await communicator.send_json_to({"type": "ping"})
        while (reply := await communicator.receive_json_from(timeout=TIMEOUT))["type"] != "pong":
            assert reply["type"] == "agent_status"  # the chat agent went busy; nothing of the other user's
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_staff_receive_everyones_task_updates(staff, other_user):
    token = access_for(staff)

    async def scenario():
        communicator, _ = await connect("/ws/agents/", token)
        await drain_snapshot(communicator)
        theirs = await sync_to_async(jobs.job_create)(kind="code_run", ref="77", owner=other_user, title="their run")
        event = await next_task_update(communicator)
        assert event["task"]["id"] == theirs.pk
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_real_roadmap_generation_pushes_task_updates_and_agent_status(user):
    """A real task: the roadmap generation runs on the llm queue (a Celery worker when a broker is configured), and
    its job moves pending → in_progress → completed; each change arrives on the socket, and the coordinator agent
    goes busy then idle."""
    from tests.conftest import client_for

    client = client_for(user)

    token = access_for(user)

    async def scenario():
        communicator, _ = await connect("/ws/agents/", token)
        await drain_snapshot(communicator)
        response = await sync_to_async(client.post)(
            "/api/roadmaps/generate/", {"concept": "Python web development with Django", "duration": 4}, format="json"
        )
        assert response.status_code in (201, 202)
        seen_tasks, seen_agent = [], []
        while "completed" not in seen_tasks:
            event = await communicator.receive_json_from(timeout=30)
            if event["type"] == "task_update" and event["task"]["kind"] == "roadmap_generation":
                seen_tasks.append(event["task"]["status"])
            elif event["type"] == "agent_status" and event["agent"]["type"] == "learning_coordinator":
                seen_agent.append(event["agent"]["status"])
        assert seen_tasks[0] == "pending" and seen_tasks[-1] == "completed" and "in_progress" in seen_tasks
        await asyncio.sleep(0.2)
        while not await communicator.receive_nothing(timeout=0.5):
            event = await communicator.receive_json_from()
            if event["type"] == "agent_status" and event["agent"]["type"] == "learning_coordinator":
                seen_agent.append(event["agent"]["status"])
        assert "busy" in seen_agent and seen_agent[-1] == "idle"  # idle → busy while it runs → idle
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_ai_interaction_answers_agent_messages(user):
    token = access_for(user)

    async def scenario():
        communicator, _ = await connect("/ws/ai-interaction/", token)
        await drain_snapshot(communicator)
        await communicator.send_json_to(
            {"type": "agent_message", "agent_type": "chat_assistant", "message": "What is a walker in Jac?"}
        )
        events = []
        while not events or events[-1]["type"] not in ("agent_response", "error") or events[-1].get("partial"):
            event = await communicator.receive_json_from(timeout=TIMEOUT)
            if event["type"] in ("agent_typing", "agent_response", "error"):
                events.append(event)
        assert events[0] == {"type": "agent_typing", "agent_type": "chat_assistant", "is_typing": True}
        reply = events[-1]
        partials = [e["delta"] for e in events if e.get("partial")]
        assert partials and "".join(partials) == reply["response"]  # the reply streamed, then arrived whole
        assert reply["type"] == "agent_response", reply
        assert reply["message"] == "What is a walker in Jac?" and reply["user"] == str(user.pk)
        assert reply["agent"] == await sync_to_async(lambda: Agent.objects.get(type="chat_assistant").pk)()
        assert reply["session_id"] and isinstance(reply["sources"], list)
        await communicator.send_json_to({"type": "agent_message", "agent_type": "chat_assistant", "message": ""})
        while (event := await communicator.receive_json_from(timeout=TIMEOUT))["type"] != "error":
            pass
        assert event["errors"][0]["attr"] == "message"
        # An agent type that is not a chat persona is answered by the chat assistant (SPA.md §8).
        await communicator.send_json_to(
            {"type": "agent_message", "agent_type": "code_evaluator", "message": "What is a list?"}
        )
        while (event := await communicator.receive_json_from(timeout=TIMEOUT))["type"] not in (
            "agent_response",
            "error",
        ):
            pass
        assert event["type"] == "agent_response" and event["agent_type"] == "chat_assistant"
        await communicator.send_to(text_data="not json")
        while (event := await communicator.receive_json_from(timeout=TIMEOUT))["type"] != "error":
            pass
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_an_open_socket_is_closed_once_its_token_expires_or_is_revoked(user, settings):
    token = access_for(user)

    async def scenario():
        communicator, _ = await connect("/ws/agents/", token)
        await drain_snapshot(communicator)
        await communicator.send_json_to({"type": "ping"})
        assert (await communicator.receive_json_from(timeout=TIMEOUT))["type"] == "pong"
        # Revoke the session (what logout does) and let the once-a-minute check come due.
        await sync_to_async(User.objects.filter(pk=user.pk).update)(token_version=F("token_version") + 1)
        consumers.RECHECK_SECONDS = 0
        try:
            await communicator.send_json_to({"type": "ping"})
            assert await communicator.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4401}
        finally:
            consumers.RECHECK_SECONDS = 60

    async_to_sync(scenario)()


def test_an_expired_token_closes_the_socket_at_the_next_event(user, other_user):
    short = AccessToken.for_user(user)
    short["ver"] = user.token_version
    short.set_exp(lifetime=timedelta(seconds=2))
    token = str(short)

    async def scenario():
        communicator, first = await connect("/ws/agents/", token)
        assert first["type"] == "websocket.send"
        await drain_snapshot(communicator)
        await asyncio.sleep(2.5)
        await sync_to_async(jobs.job_create)(kind="chat_reply", owner=user, title="after expiry")
        assert await communicator.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4401}

    async_to_sync(scenario)()
