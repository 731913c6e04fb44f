"""Writes of the agents app: agent rows (status derived from their jobs, restart, staff edits), the job listener that
pushes live events, and the chat assistant's messages."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from agents import realtime
from agents.models import Agent, AgentStatus, ChatMessage
from agents.registry import AGENTS, BY_TYPE, TYPE_OF_KIND
from agents.selectors import agent_id_of_type_recent, agent_state, agent_with_state_now
from agents.tutor import TutorProfile, tutor_answer
from agents.tutor.grounding import build_messages, grounded_chunks
from common import jobs, throttling
from common.cache import CACHE_ERRORS
from common.errors import Conflict, Invalid, NotFound, RateLimited
from common.llm import OFFLINE_LABEL, LLMError, get_provider
from common.models import Job, JobStatus
from common.utils import get_by_pk
from learning.models import Module
from users.models import User, UserPreferences

logger = logging.getLogger(__name__)

CHAT_KIND = "chat_reply"
MAX_MESSAGE_CHARS = 4000
HISTORY_TURNS = 6


# --- agents -------------------------------------------------------------------------------------------------------


def agents_ensure() -> int:
    """Create any of the six agents that is missing (migrations create them; this heals a flushed table)."""
    existing = set(Agent.objects.values_list("type", flat=True))
    created = 0
    for spec in AGENTS:
        if spec.type not in existing:
            _, made = Agent.objects.get_or_create(
                type=spec.type,
                defaults={"name": spec.name, "description": spec.description, "capabilities": list(spec.capabilities)},
            )
            created += int(made)
    return created


def agent_for_type(agent_type: str) -> Agent:
    spec = BY_TYPE[agent_type]
    agent, _ = Agent.objects.get_or_create(
        type=agent_type,
        defaults={"name": spec.name, "description": spec.description, "capabilities": list(spec.capabilities)},
    )
    return agent


PUSHED_KEY = "agents:pushed:{type}"


def agent_refresh(*, agent_type: str, last_active: datetime | None = None) -> tuple[Agent, bool]:
    """The agent with its state derived from its jobs now, and whether that state (status, current task) differs
    from the last one pushed to the sockets (remembered in the cache; nothing is written to the agent row and no
    row is locked: the state is derived on read). `last_active`: the time of the job change that asks (the agent's
    latest activity); without it, read from the jobs."""
    found = agent_with_state_now(agent_type)
    if found is None:
        agent = agent_for_type(agent_type)
        found = agent_with_state_now(agent_type) or (agent, agent_state(agent))
    agent, state = found
    state["last_active"] = last_active or agent_state(agent)["last_active"]
    agent.set_state(state)
    key = PUSHED_KEY.format(type=agent_type)
    shown = [state["status"], state["current_task"]]
    try:
        changed = cache.get(key) != shown
        if changed:
            cache.set(key, shown, None)
    except CACHE_ERRORS:
        changed = True
    return agent, changed


def _shown_busy(agent_type: str) -> bool:
    try:
        shown = cache.get(PUSHED_KEY.format(type=agent_type))
    except CACHE_ERRORS:
        return False
    return bool(shown) and shown[0] == AgentStatus.BUSY


def agent_event(agent: Agent) -> dict[str, Any]:
    return {
        "type": "agent_status",
        "agent": {
            "id": agent.pk,
            "name": agent.name,
            "type": agent.type,
            "status": agent.status,
            "current_task": agent.current_task,
            "last_active": agent.last_active.isoformat() if agent.last_active else None,
        },
    }


def task_event(job: Job, agent_id: int | None) -> dict[str, Any]:
    from agents.selectors import task_payload

    return {"type": "task_update", "task": task_payload(job, agent_id)}


def on_job_changed(job_id: int) -> None:
    """The common.jobs listener: refresh the owning agent and push `task_update` (owner and staff) and, when the
    agent changed, `agent_status` (everyone)."""
    job = get_by_pk(Job, job_id)
    if job is None:
        return
    agent_type = TYPE_OF_KIND.get(job.kind)
    agent_id = None
    messages: list[tuple[list[str], dict[str, Any]]] = []
    if agent_type is not None:
        if job.status == JobStatus.PENDING or (job.status == JobStatus.IN_PROGRESS and _shown_busy(agent_type)):
            # Queued work changes no agent's state; nor does a start while the agent is shown busy (its task is
            # the longest-running one, and each finish recomputes and pushes the state).
            agent_id = agent_id_of_type_recent(agent_type)
        else:
            moment = job.finished_at or job.started_at or job.created_at
            agent, changed = agent_refresh(agent_type=agent_type, last_active=moment)
            agent_id = agent.pk
            if changed:
                messages.append(([realtime.AGENTS_GROUP], agent_event(agent)))
    groups = [realtime.STAFF_TASKS_GROUP]
    if job.owner_id:
        groups.append(realtime.user_tasks_group(job.owner_id))
    messages.append((groups, task_event(job, agent_id)))
    realtime.publish_all(messages)


def agent_restart(*, agent: Agent) -> Agent:
    """Clear `error`: failures before now no longer count. A running task keeps the agent busy."""
    Agent.objects.filter(pk=agent.pk).update(restarted_at=timezone.now())
    refreshed, _ = agent_refresh(agent_type=agent.type)
    realtime.publish([realtime.AGENTS_GROUP], agent_event(refreshed))
    return refreshed


def agent_create(*, data: dict[str, Any]) -> Agent:
    """Staff: re-create an agent of a type that was deleted (each type has exactly one agent)."""
    agent_type = data["type"]
    if Agent.objects.filter(type=agent_type).exists():
        raise Conflict(f"An agent of type {agent_type} already exists.", code="agent_exists")
    spec = BY_TYPE[agent_type]
    agent = Agent(
        type=agent_type,
        name=data.get("name") or spec.name,
        description=data.get("description", spec.description),
        capabilities=data.get("capabilities") or list(spec.capabilities),
    )
    agent.full_clean()
    agent.save()
    refreshed, _ = agent_refresh(agent_type=agent_type)
    return refreshed


def agent_update(*, agent: Agent, data: dict[str, Any]) -> Agent:
    """Staff: rename, describe or change capabilities. Status is derived, never written here."""
    fields = [name for name in ("name", "description", "capabilities", "is_active") if name in data]
    for name in fields:
        setattr(agent, name, data[name])
    if fields:
        agent.full_clean()
        agent.save(update_fields=fields)
    return agent


def agent_delete(*, agent: Agent) -> None:
    if agent.messages.exists():
        raise Conflict("This agent has chat history; deactivate it instead (is_active=false).", code="agent_in_use")
    agent.delete()


# --- chat assistant -------------------------------------------------------------------------------------------------


def _history(user: User, session_id: str) -> list[tuple[str, str]]:
    """The session's last turns, oldest first. An answer's cited sections are appended in the tutor's citation form
    (an LLM answer's text does not carry them), so a follow-up can be resolved against the passage it came from."""
    turns = list(
        ChatMessage.objects.filter(user=user, session_id=session_id)
        .order_by("-created_at", "-id")
        .values_list("message", "response", "sources")[:HISTORY_TURNS]
    )
    out = []
    for message, response, sources in reversed(turns):
        cited = [
            f"(module {s['id']}, section `#{s['anchor']}`)"
            for s in sources or []
            if isinstance(s, dict) and s.get("anchor") and f"section `#{s['anchor']}`" not in (response or "")
        ]
        out.append((message, "\n\n".join([response or "", *cited]).strip()))
    return out


def _profile(user: User) -> TutorProfile:
    prefs = UserPreferences.objects.filter(user=user).only("preferred_learning_style").first()
    style = user.learning_style or (prefs.preferred_learning_style if prefs else "") or ""
    return TutorProfile(
        level=user.level,
        learning_style=style,
        feedback_style=user.preferred_feedback_style or "",
        experience_level=str(user.experience_level or ""),
    )


def _chunks(text: str, size: int = 24) -> Iterator[str]:
    """The offline answer streamed like a model's: word-aligned pieces of about `size` characters."""
    piece = ""
    for word in re.findall(r"\S+\s*", text):
        piece += word
        if len(piece) >= size:
            yield piece
            piece = ""
    if piece:
        yield piece


def chat_rate_limit(user: User) -> None:
    try:
        state = throttling.hit("chat_message", f"user:{user.pk}")
    except throttling.CACHE_ERRORS:
        logger.warning("Chat rate limit unavailable (cache down); allowing the message")
        return
    if state.exceeded:
        raise RateLimited("Too many chat messages; try again shortly.", wait=state.retry_after)


def chat_message_stream(
    *, user: User, message: str, session_id: str | None = None, module_id: int | None = None
) -> Iterator[dict[str, Any]]:
    """Answer a chat message as a stream of events: `{"type": "chunk", "delta": str}` while the reply is written, then
    `{"type": "message", "chat": ChatMessage}` once it is stored (the stored `response` is authoritative: it may
    differ from the chunks when a model's reply failed the support check and the offline answer replaced it).

    Input errors raise before the first event. With an LLM configured it answers from the same lesson sections the
    offline tutor found, each sentence checked against them (`agents.tutor.grounding`); a provider failure or an
    unsupported reply falls back to the offline answer. `provider` says which answered."""
    text = message.strip()
    if not text:
        raise Invalid(fields={"message": ["This field may not be blank."]})
    if len(text) > MAX_MESSAGE_CHARS:
        raise Invalid(fields={"message": [f"At most {MAX_MESSAGE_CHARS} characters."]})
    module = None
    if module_id is not None:
        module = Module.objects.filter(pk=module_id).only("pk", "title").first()
        if module is None:
            raise NotFound("No such module.")
    chat_rate_limit(user)
    return _chat_events(user=user, text=text, session=session_id or uuid.uuid4().hex, module=module)


def _chat_events(*, user: User, text: str, session: str, module: Module | None) -> Iterator[dict[str, Any]]:
    agent = agent_for_type("chat_assistant")
    history = _history(user, session)
    profile = _profile(user)
    with jobs.job_run(
        kind=CHAT_KIND,
        title="Answer a chat message",
        owner=user,
        input_data={"session_id": session, "module_id": module.pk if module else None, "chars": len(text)},
    ) as recorder:
        offline = tutor_answer(question=text, module_id=module.pk if module else None, history=history, profile=profile)
        reply, provider = offline.text, OFFLINE_LABEL
        sources = [s.as_dict() for s in offline.sources]
        streamed = False
        llm = get_provider()
        if not llm.is_offline and offline.confident and offline.sections:
            grounding = offline.sections[:3]
            messages = build_messages(
                question=text,
                sections=grounding,
                history=history,
                profile=profile,
                module_title=module.title if module else "",
            )
            chunks = grounded_chunks(provider=llm, messages=messages, sections=grounding)
            result = None
            try:
                while result is None:
                    try:
                        piece = next(chunks)
                    except StopIteration as done:
                        result = done.value
                        break
                    streamed = True
                    yield {"type": "chunk", "delta": piece}
            except LLMError as exc:
                logger.warning("LLM chat failed (%s); the built-in tutor answers instead", exc)
                recorder.output["llm_error"] = str(exc)[:300]
            if result is not None:
                recorder.output["unsupported_removed"] = len(result.dropped)
                if result.usable:
                    reply, provider = result.text, f"{llm.name}:{llm.model}"[:60]
                    sources = [s.source.as_dict() for s in result.cited]
                else:
                    recorder.output["llm_rejected"] = "unsupported by the lesson sections"
        if not streamed or provider == OFFLINE_LABEL:
            for piece in _chunks(reply):
                yield {"type": "chunk", "delta": piece}
        chat = ChatMessage.objects.create(
            agent=agent,
            user=user,
            session_id=session,
            message=text,
            response=reply,
            module=module,
            provider=provider,
            sources=sources,
        )
        recorder.output.update(message_id=chat.pk, provider=provider, sources=len(sources))
    yield {"type": "message", "chat": chat}


def chat_message_send(
    *,
    user: User,
    message: str,
    session_id: str | None = None,
    module_id: int | None = None,
    on_chunk: Callable[[str], None] | None = None,
) -> ChatMessage:
    """Store the learner's message and the assistant's reply in one row (see `chat_message_stream`); `on_chunk`
    receives the reply's chunks as they are written."""
    chat = None
    for event in chat_message_stream(user=user, message=message, session_id=session_id, module_id=module_id):
        if event["type"] == "chunk" and on_chunk is not None:
            on_chunk(event["delta"])
        elif event["type"] == "message":
            chat = event["chat"]
    assert isinstance(chat, ChatMessage)
    return chat


def chat_message_rate(*, user: User, message_id: int, rating: int) -> ChatMessage:
    updated = ChatMessage.objects.filter(pk=message_id, user=user).update(feedback_rating=rating)
    if not updated:
        raise NotFound("No such message.")
    return ChatMessage.objects.select_related("agent").get(pk=message_id)
