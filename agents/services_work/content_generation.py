"""The content generator: a lesson outline and quiz questions for a topic (LLM when configured, else our own
content), and saving them as a draft quiz through learning."""

from __future__ import annotations

import logging
from typing import Any

from agents.content import UnknownTopic, content_generate
from common import jobs
from common.errors import NotFound
from common.llm import OFFLINE_LABEL, LLMError, Message, data_block, get_provider
from learning import services_drafts
from learning.choices import QuestionType
from learning.models import Module, Quiz
from users.models import User

logger = logging.getLogger(__name__)


CONTENT_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "outline": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"heading": {"type": "string"}, "points": {"type": "array", "items": {"type": "string"}}},
                "required": ["heading", "points"],
            },
        },
        "questions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": list(QuestionType.values)},
                    "question": {"type": "string"},
                    "options": {"type": "array", "items": {"type": "string"}},
                    "correct_answer": {},
                    "explanation": {"type": "string"},
                },
                "required": ["type", "question", "correct_answer"],
            },
        },
    },
    "required": ["title", "outline", "questions"],
}


def _valid_llm_questions(items: Any) -> list[dict[str, Any]]:
    """Keep only questions in the Quiz question shape whose answer is consistent (an MCQ answer among its options)."""
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("type") not in QuestionType.values:
            continue
        question = str(item.get("question") or "").strip()
        options = [str(o) for o in item.get("options") or []] if isinstance(item.get("options"), list) else []
        answer = item.get("correct_answer")
        if not question or answer in (None, ""):
            continue
        if item["type"] == QuestionType.MULTIPLE_CHOICE and (len(options) < 2 or str(answer) not in options):
            continue
        out.append(
            {
                "type": item["type"],
                "question": question[:1000],
                "options": options[:8],
                "correct_answer": answer,
                "explanation": str(item.get("explanation") or "")[:2000],
                "points": 1,
            }
        )
    return out


def _content_by_llm(base: dict[str, Any], topic: str, difficulty: str, learning_style: str | None) -> dict[str, Any]:
    provider = get_provider()
    grounding = "\n".join(f"- {o['heading']}: {'; '.join(o['points'])}" for o in base["outline"])
    messages = [
        Message("system", "You write short lessons and quizzes for Pathwise, a programming course. Answer in JSON."),
        Message(
            "user",
            f"Write a lesson outline and {len(base['questions']) or 5} quiz questions about the topic below for a "
            f"{difficulty} learner" + (f" who prefers {learning_style} learning" if learning_style else "") + ". "
            "Question types: multiple_choice (options + correct_answer among them), true_false, short_answer.\n\n"
            + data_block("topic", topic, 300)
            + "\n\n"
            + data_block("our course material on it", grounding, 4000),
        ),
    ]
    reply = provider.complete(messages, json_schema=CONTENT_SCHEMA, schema_name="lesson", max_tokens=2500)
    data: dict[str, Any] = reply.data if isinstance(reply.data, dict) else {}
    questions = _valid_llm_questions(data.get("questions")) if data else []
    raw_outline = data.get("outline")
    outline = [
        {
            "heading": str(o.get("heading", ""))[:200],
            "points": [str(p)[:500] for p in o.get("points", [])][:8],
            "source": None,
        }
        for o in (raw_outline if isinstance(raw_outline, list) else [])
        if isinstance(o, dict) and o.get("heading")
    ]
    if not questions or not outline:
        raise LLMError(reply.parse_error or "the model's lesson was unusable")
    return {
        **base,
        "title": str(data.get("title") or base["title"])[:255],
        "outline": outline,
        "questions": questions,
        "provider": f"{reply.provider}:{reply.model}",
    }


def content_generate_for(
    *,
    user: User,
    topic: str,
    difficulty: str,
    learning_style: str | None = None,
    module_id: int | None = None,
    question_count: int = 5,
) -> dict[str, Any]:
    """A lesson outline and quiz questions (the Quiz question shape) for a topic: by the LLM when one is configured
    (grounded on our material, validated, falling back on failure), else generated from our own content."""
    with jobs.job_run(
        kind="content_generation",
        title=f"Generate content on “{topic[:120]}”",
        owner=user,
        input_data={
            "topic": topic[:200],
            "difficulty": difficulty,
            "learning_style": learning_style,
            "module_id": module_id,
        },
    ) as recorder:
        try:
            base = content_generate(
                topic=topic,
                difficulty=difficulty,
                learning_style=learning_style,
                module_id=module_id,
                question_count=question_count,
            )
        except UnknownTopic as exc:  # like an unknown concept in the knowledge graph: nothing of ours to build on
            recorder.output["outcome"] = "unknown_topic"
            raise NotFound(str(exc)) from None
        result = {**base, "provider": OFFLINE_LABEL}
        if not get_provider().is_offline:
            try:
                result = _content_by_llm(base, topic, difficulty, learning_style)
            except LLMError as exc:
                logger.warning("LLM content generation failed (%s); using the built-in generator", exc)
        recorder.output.update(outcome="generated", questions=len(result["questions"]), provider=result["provider"])
    assert recorder.job is not None
    result["task_id"] = recorder.job.pk
    return result


def content_save_draft(*, user: User, content: dict[str, Any], module: Module | None = None) -> Quiz:
    """Staff: store generated questions as a draft quiz (not served to learners until published in the admin)."""
    return services_drafts.quiz_draft_create(
        title=str(content.get("title") or content.get("topic") or "Generated quiz"),
        topic=str(content.get("topic", "")),
        difficulty=str(content.get("difficulty")),
        questions=content.get("questions") or [],
        module=module,
    )
