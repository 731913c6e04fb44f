"""This app's part of a user's learning history (see common.history)."""

from typing import Any

from django.db.models import Case, CharField, F, FloatField, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce

from learning.models import QuizAttempt, UserModuleProgress
from users.models import User


def progress_history(user: User) -> QuerySet[Any, Any]:
    return UserModuleProgress.objects.filter(user=user).values(
        h_kind=Value("module_progress", output_field=CharField()),
        h_id=F("module_id"),
        h_title=F("module__title"),
        h_status=F("status"),
        h_score=Cast("score", FloatField()),
        h_at=Coalesce("completed_at", "last_accessed", "updated_at"),
    )


def attempt_history(user: User) -> QuerySet[Any, Any]:
    return QuizAttempt.objects.filter(user=user).values(
        h_kind=Value("quiz_attempt", output_field=CharField()),
        h_id=F("id"),
        h_title=F("quiz__title"),
        h_status=Case(When(passed=True, then=Value("passed")), default=Value("failed"), output_field=CharField()),
        h_score=Cast("percentage", FloatField()),
        h_at=F("completed_at"),
    )
