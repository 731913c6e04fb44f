"""Writes of draft quizzes: generated questions stored for staff review, never served until published in the admin.

Learning owns its Quiz/Question rows; the agents app drafts through this service instead of writing them itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from common.errors import Invalid
from learning.models import Module, Question, Quiz

# A generated lesson's difficulty → the quiz's.
QUIZ_DIFFICULTY = {"beginner": "easy", "intermediate": "medium", "advanced": "hard"}


def _free_slug(base: str) -> str:
    slug, n = base, 1
    while Quiz.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def quiz_draft_create(
    *, title: str, topic: str, difficulty: str, questions: Sequence[Mapping[str, Any]], module: Module | None = None
) -> Quiz:
    """A draft quiz (is_draft) with its questions in order; each question is validated (full_clean) before saving."""
    if not questions:
        raise Invalid(fields={"questions": ["Nothing to save."]})
    title = title[:255]
    quiz = Quiz.objects.create(
        slug=_free_slug(slugify(f"draft-{title}")[:80] or "draft"),
        title=title,
        description=f"Generated draft on {topic}"[:2000],
        module=module,
        difficulty=QUIZ_DIFFICULTY.get(difficulty, "medium"),
        is_draft=True,
    )
    for index, item in enumerate(questions):
        row = Question(
            quiz=quiz,
            order_index=index,
            type=item["type"],
            question=item["question"],
            options=item.get("options") or [],
            correct_answer=item["correct_answer"],
            explanation=item.get("explanation", ""),
            points=int(item.get("points") or 1),
        )
        row.full_clean()
        row.save()
    return quiz
