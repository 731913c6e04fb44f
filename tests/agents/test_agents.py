"""Agents, their derived status and metrics, tasks: through the API, with job rows moved by real services."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import Agent, AgentStatus
from common import jobs
from common.models import Job, JobStatus
from common.tasks import prune_jobs
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.users.test_auth_views import assert_error_shape

pytestmark = pytest.mark.django_db(transaction=True)  # job listeners run on commit, as in production

AGENT_KEYS = {"id", "name", "type", "description", "status", "current_task", "capabilities", "is_active",
              "performance_metrics", "last_active", "created_at"}  # fmt: skip
TASK_KEYS = {"id", "agent", "agent_type", "kind", "title", "description", "status", "priority", "input_data",
             "output_data", "error", "created_at", "started_at", "completed_at", "estimated_duration",
             "actual_duration"}  # fmt: skip


def agent(type_: str) -> Agent:
    return Agent.objects.get(type=type_)


def test_six_agents_are_listed_publicly_with_the_agent_shape(api_client):
    response = api_client.get("/api/agents/", HTTP_AUTHORIZATION="Bearer mock-jwt-token-123")
    assert response.status_code == 200
    body = response.json()
    assert [a["type"] for a in body] == ["code_evaluator", "learning_coordinator", "content_generator",
                                         "progress_tracker", "chat_assistant", "knowledge_graph"]  # fmt: skip
    assert response["X-Total-Count"] == "6"
    for item in body:
        assert set(item) == AGENT_KEYS
        assert item["status"] == "idle"
        assert item["performance_metrics"] == {"tasks_completed": 0, "average_response_time": 0.0, "success_rate": 1.0}
        assert item["capabilities"]
    one = api_client.get(f"/api/agents/{body[0]['id']}")
    assert one.status_code == 200 and one.json()["id"] == body[0]["id"]
    assert api_client.get("/api/agents/999999/").status_code == 404


def test_agent_list_query_count_is_constant(api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert api_client.get("/api/agents/").status_code == 200


def test_status_follows_a_task_busy_then_idle_then_error_and_restart_clears(user, staff_client):
    coordinator = agent("learning_coordinator")
    job = jobs.job_create(kind="roadmap_generation", ref="r-1", owner=user, title="Generate a roadmap for Rust")
    assert Job.objects.get(pk=job.pk).status == JobStatus.PENDING
    assert agent("learning_coordinator").status == AgentStatus.IDLE  # pending work does not make it busy
    assert jobs.job_start(kind="roadmap_generation", ref="r-1")
    busy = agent("learning_coordinator")
    assert (busy.status, busy.current_task) == (AgentStatus.BUSY, "Generate a roadmap for Rust")
    assert not jobs.job_start(kind="roadmap_generation", ref="r-1")  # a retry cannot start it twice
    assert jobs.job_finish(kind="roadmap_generation", ref="r-1", output={"steps": 4})
    idle = agent("learning_coordinator")
    assert (idle.status, idle.current_task) == (AgentStatus.IDLE, None)
    assert not jobs.job_finish(kind="roadmap_generation", ref="r-1", failed=True)  # finished stays finished
    failing = jobs.job_create(kind="recommender_retrain", title="Retrain", started=True)
    jobs.job_finish(job=failing, failed=True, error="boom")
    assert agent("learning_coordinator").status == AgentStatus.ERROR
    status = staff_client.get("/api/agents/status/").json()["agents"][str(coordinator.pk)]
    assert status["status"] == "error" and status["health_score"] == 25.0  # 1 of 2 finished ok, halved in error
    restarted = staff_client.post(f"/api/agents/{coordinator.pk}/restart/")
    assert restarted.status_code == 200 and restarted.json()["status"] == "idle"


def test_restart_and_writes_are_staff_only(auth_client, api_client, staff_client):
    chat = agent("chat_assistant")
    assert api_client.post(f"/api/agents/{chat.pk}/restart/").status_code == 401
    assert auth_client.post(f"/api/agents/{chat.pk}/restart/").status_code == 403
    assert auth_client.patch(f"/api/agents/{chat.pk}/", {"name": "Hacked"}, format="json").status_code == 403
    assert auth_client.delete(f"/api/agents/{chat.pk}/").status_code == 403
    assert auth_client.post("/api/agents/", {"type": "chat_assistant"}, format="json").status_code == 403
    assert agent("chat_assistant").name == "Chat Assistant"
    renamed = staff_client.patch(f"/api/agents/{chat.pk}/", {"name": "Tutor", "status": "error"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Tutor" and renamed.json()["status"] == "idle"
    duplicate = staff_client.post("/api/agents/", {"type": "chat_assistant"}, format="json")
    assert duplicate.status_code == 409
    assert_error_shape(duplicate.json(), "agent_exists")
    graph = agent("knowledge_graph")
    assert staff_client.delete(f"/api/agents/{graph.pk}/").status_code == 204
    recreated = staff_client.post("/api/agents/", {"type": "knowledge_graph"}, format="json")
    assert recreated.status_code == 201 and recreated.json()["name"] == "Knowledge Graph"
    assert staff_client.post("/api/agents/", {"type": "wizard"}, format="json").status_code == 400


def test_metrics_equal_what_the_task_rows_say(user, auth_client):
    evaluator = agent("code_evaluator")
    now = timezone.now()
    for n, (state, seconds) in enumerate([("completed", 1.0), ("completed", 3.0), ("failed", 2.0), ("pending", None)]):
        Job.objects.create(
            kind=["code_run", "code_submission", "code_evaluation", "code_run"][n], owner=user, title=f"job {n}",
            status=state, started_at=now if seconds else None, finished_at=now if seconds else None,
            duration=seconds,
        )  # fmt: skip
    Job.objects.create(kind="chat_reply", owner=user, title="other agent", status="completed", finished_at=now,
                       duration=9.0)  # fmt: skip
    rows = {r["agent_id"]: r for r in auth_client.get("/api/agents/metrics/").json()}
    mine = rows[evaluator.pk]
    assert (mine["total_requests"], mine["successful_requests"], mine["failed_requests"]) == (4, 2, 1)
    assert mine["average_response_time"] == 2.0 and mine["error_rate"] == round(1 / 3, 4)
    assert rows[agent("chat_assistant").pk]["total_requests"] == 1
    detail = auth_client.get(f"/api/agents/{evaluator.pk}/metrics/").json()
    assert detail == [mine]
    listed = {a["id"]: a for a in auth_client.get("/api/agents/").json()}
    assert listed[evaluator.pk]["performance_metrics"] == {
        "tasks_completed": 2, "average_response_time": 2.0, "success_rate": round(2 / 3, 4)
    }  # fmt: skip
    status = auth_client.get("/api/agents/status/").json()["agents"][str(evaluator.pk)]
    assert status["queue_size"] == 1
    assert set(status) == {"type", "name", "status", "current_task", "last_active", "queue_size", "uptime_hours",
                           "health_score"}  # fmt: skip


def test_status_and_metrics_need_a_login(api_client):
    for path in ("/api/agents/status/", "/api/agents/metrics/", "/api/tasks/"):
        response = api_client.get(path)
        assert response.status_code == 401
        assert_error_shape(response.json(), "not_authenticated")


def test_tasks_are_the_users_own_and_staff_see_all(user, other_user, auth_client, staff_client):
    mine = jobs.job_create(kind="chat_reply", owner=user, title="Answer a chat message", started=True)
    jobs.job_finish(job=mine, output={"message_id": 1})
    theirs = jobs.job_create(kind="code_run", ref="9", owner=other_user, title="Run python code")
    system = jobs.job_create(kind="recommender_retrain", title="Retrain")
    body = auth_client.get("/api/tasks/").json()
    assert [t["id"] for t in body] == [mine.pk]
    task = body[0]
    assert set(task) == TASK_KEYS
    assert task["agent"] == agent("chat_assistant").pk and task["status"] == "completed"
    assert task["completed_at"] and task["actual_duration"] is not None and task["output_data"] == {"message_id": 1}
    assert auth_client.get(f"/api/tasks/{theirs.pk}/").status_code == 404
    assert auth_client.get(f"/api/tasks/{mine.pk}").status_code == 200
    everything = [t["id"] for t in staff_client.get("/api/tasks/").json()]
    assert everything == [system.pk, theirs.pk, mine.pk]
    evaluator = agent("code_evaluator").pk
    assert [t["id"] for t in staff_client.get(f"/api/tasks/?agent={evaluator}").json()] == [theirs.pk]
    assert [t["id"] for t in staff_client.get("/api/tasks/?status=pending").json()] == [system.pk, theirs.pk]


@pytest.mark.parametrize("query", ["status=done", "agent=abc", "agent=0", "agent=99999999999999", "status=%00"])
def test_task_filters_reject_bad_values(auth_client, query):
    response = auth_client.get(f"/api/tasks/?{query}")
    assert response.status_code in (400, 404)
    assert_error_shape(response.json())


def test_task_list_query_count_is_constant(user, auth_client, django_assert_max_num_queries):
    for n in range(5):
        jobs.job_create(kind="chat_reply", owner=user, title=f"t{n}")
    with django_assert_max_num_queries(6):
        assert len(auth_client.get("/api/tasks/").json()) == 5


def test_task_list_is_paginated(user, auth_client):
    for n in range(7):
        jobs.job_create(kind="chat_reply", owner=user, title=f"t{n}")
    page = auth_client.get("/api/tasks/?limit=3&offset=3")
    assert page["X-Total-Count"] == "7" and len(page.json()) == 3 and 'rel="next"' in page["Link"]


def test_a_failing_listener_never_fails_the_work(user):
    def broken(job_id: int) -> None:
        raise RuntimeError("listener down")

    jobs.job_listen(broken)
    try:
        job = jobs.job_create(kind="chat_reply", owner=user, title="x", started=True)
        assert jobs.job_finish(job=job)
    finally:
        jobs._listeners.remove(broken)


def test_other_users_cannot_see_tasks_even_as_staff_filter(other_user):
    client = client_for(UserFactory())
    jobs.job_create(kind="chat_reply", owner=other_user, title="private")
    assert client.get("/api/tasks/").json() == []


def test_finished_jobs_past_retention_are_pruned_through_celery(user, celery_worker):
    old = timezone.now() - timedelta(days=120)
    stale = Job.objects.create(kind="chat_reply", owner=user, title="old", status="completed", finished_at=old)
    Job.objects.filter(pk=stale.pk).update(created_at=old)
    open_old = Job.objects.create(kind="code_run", owner=user, title="stuck", status="in_progress", started_at=old)
    recent = jobs.job_create(kind="chat_reply", owner=user, title="recent", started=True)
    jobs.job_finish(job=recent)
    prune_jobs.delay()  # through the worker (JSON, acks) when a broker is configured
    for _ in range(100):
        if not Job.objects.filter(pk=stale.pk).exists():
            break
        time.sleep(0.1)
    assert set(Job.objects.values_list("pk", flat=True)) == {open_old.pk, recent.pk}


def test_staff_restart_agents_from_the_admin(user, staff):
    from django.test import Client

    failing = jobs.job_create(kind="chat_reply", owner=user, title="x", started=True)
    jobs.job_finish(job=failing, failed=True, error="boom")
    chat = agent("chat_assistant")
    assert chat.status == AgentStatus.ERROR
    staff.is_superuser = True  # admin pages need model permissions; a superuser has them all
    staff.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(staff)
    response = client.post("/admin/agents/agent/", {"action": "restart", "_selected_action": [chat.pk]}, follow=True)
    assert response.status_code == 200
    assert agent("chat_assistant").status == AgentStatus.IDLE
    assert client.get(f"/admin/agents/agent/{chat.pk}/change/").status_code == 200
    assert client.get("/admin/agents/chatmessage/").status_code == 200
    assert client.get("/admin/common/job/").status_code == 200
