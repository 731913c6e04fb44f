"""The SPA's six chat personas (SPA.md §8) mapped onto our agents. Each reply is built from the agent's own service
(the coordinator's next steps, the content generator's questions, the progress tracker's figures, the knowledge
graph's prerequisites, the tutor's grounded answer) — never from the client's context."""

import re
from dataclasses import dataclass, field
from typing import Any

from agents import graph, services, services_work
from common.errors import NotFound
from users.models import User

PERSONAS = ("content_curator", "quiz_master", "evaluator", "progress_tracker", "motivator", "system_orchestrator")
PLAN_WORDS = re.compile(r"\b(recommend\w*|plan|next|what should i|where (do|should) i|roadmap|suggest\w*)\b", re.I)
RELATION = re.compile(
    r"(?:what (?:comes |do i need |should i learn )?before|prerequisites? (?:of|for)|"
    r"how does|relate[sd]? to|related to)\s+(?P<concept>[^?]+)",
    re.I,
)
CODE_LINE = re.compile(r"^\s*(def |class |for |while |if |import |from |print\(|return |\w+\s*=\s*\S)")


@dataclass
class Reply:
    content: str
    sources: list[dict[str, Any]] = field(default_factory=list)


def persona_for(agent_type: str | None) -> str:
    return agent_type if agent_type in PERSONAS else "chat_assistant"


def _chat(user: User, text: str, session: str) -> Reply:
    chat = services.chat_message_send(user=user, message=text, session_id=session[:100])
    return Reply(chat.response or "", list(chat.sources or []))


def _next_steps(user: User) -> Reply:
    plan = services_work.coordinator_recommend(user=user, limit=5)
    lines = [f"- {r['reason']}" for r in plan.get("due_reviews", [])]
    lines += [f"- {m['title']} ({m['learning_path']}): {m['reason']}" for m in plan["next_modules"]]
    lines += [f"- Roadmap: {s['title']} — {s['reason']}" for s in plan["roadmap_steps"][:3]]
    sources = [{"type": "module", "id": m["module_id"], "title": m["title"]} for m in plan["next_modules"]]
    if not lines:
        return Reply(
            "You have finished every module that is open to you. Generate a roadmap for what you want to learn next."
        )
    return Reply("Here is what I suggest next:\n" + "\n".join(lines), sources)


def _looks_like_code(text: str) -> bool:
    if "```" in text:
        return True
    return sum(1 for line in text.splitlines() if CODE_LINE.match(line)) >= 2


def _strip_fence(text: str) -> str:
    match = re.search(r"```[a-zA-Z]*\n(.*?)```", text, re.S)
    return match.group(1) if match else text


def _evaluate(user: User, text: str) -> Reply:
    result = services_work.code_evaluate(user=user, code=_strip_fence(text), language="python")
    run = result.get("run") or {}
    parts = []
    if run.get("output"):
        parts.append(f"Output:\n```\n{str(run['output'])[:1500]}\n```")
    if run.get("error") or run.get("stderr"):
        parts.append(f"Errors:\n```\n{str(run.get('error') or run.get('stderr'))[:1500]}\n```")
    feedback = result.get("feedback") or []
    parts += [f"- {f}" if isinstance(f, str) else f"- {f.get('message', f)}" for f in feedback[:10]]
    return Reply("\n".join(parts) or "Your code ran without output or findings.")


def _quiz(user: User, text: str) -> Reply:
    difficulty = user.preferred_difficulty or "beginner"
    try:
        result = services_work.content_generate_for(user=user, topic=text[:200], difficulty=difficulty)
    except NotFound as exc:
        return Reply(f"{exc.detail} Name a topic from our lessons, for example “Python lists” or “HTTP methods”.")
    lines = []
    for n, q in enumerate(result["questions"], start=1):
        options = "".join(f"\n   {chr(97 + i)}) {o}" for i, o in enumerate(q.get("options") or []))
        lines.append(f"{n}. {q['question']}{options}")
    return Reply(f"Practice questions on {result.get('title', text)}:\n" + "\n".join(lines))


def _progress(user: User, encourage: bool) -> Reply:
    track = services_work.progress_track(user=user)
    stats = track["stats"]
    if not encourage:
        return Reply(
            "\n".join(
                [
                    f"Modules completed: {stats['total_modules_completed']}; streak: {stats['current_streak']} days; "
                    f"points: {stats['total_points']} (level {stats['level']}).",
                    *track["insights"],
                ]
            )
        )
    plan = services_work.coordinator_recommend(user=user, limit=1)
    nxt = plan["next_modules"][0]["title"] if plan["next_modules"] else None
    streak = stats["current_streak"]
    lines = [f"You have {stats['total_points']} points and {stats['total_modules_completed']} modules behind you."]
    lines.append(f"A {streak}-day streak — keep it going today!" if streak else "Start a streak today: one module.")
    if nxt:
        lines.append(f"Your next step is “{nxt}”. You can do it.")
    return Reply(" ".join(lines))


def _relations(user: User, concept: str) -> Reply:
    try:
        result = graph.concept_relations(user=user, concept=concept)
    except NotFound as exc:
        return Reply(str(exc.detail))
    centre = result["concept"]
    before = [
        e["source"]
        for e in result["edges"]
        if e["type"] == "prerequisite" and e["target"].endswith(f":{centre['slug']}")
    ]
    titles = {n["id"]: n["label"] for n in result["nodes"]}
    names = ", ".join(titles[b] for b in before if b in titles) or "nothing in particular"
    return Reply(
        f"Before {centre['title']}, learn: {names}.",
        [{"type": "topic", "id": centre["slug"], "title": centre["title"]}],
    )


def persona_reply(*, user: User, persona: str, text: str, session_id: str) -> Reply:
    """The reply of one persona to one message; `session_id` keys each persona's own thread."""
    session = f"{session_id}:{persona}"[:100]
    if persona == "content_curator":
        return _next_steps(user) if PLAN_WORDS.search(text) else _chat(user, text, session)
    if persona == "quiz_master":
        return _quiz(user, text)
    if persona == "evaluator":
        return _evaluate(user, text) if _looks_like_code(text) else _chat(user, text, session)
    if persona == "progress_tracker":
        return _progress(user, encourage=False)
    if persona == "motivator":
        return _progress(user, encourage=True)
    if persona == "system_orchestrator":
        match = RELATION.search(text)
        if match:
            return _relations(user, match.group("concept").strip())
        return _next_steps(user)
    return _chat(user, text, session)
