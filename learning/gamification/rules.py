"""The achievement rules: one table read both by the service that grants achievements and by the selectors that
show progress towards them, so what the page says and what the server grants cannot drift apart."""

from dataclasses import dataclass
from typing import Any

from learning.choices import AwardKind
from learning.models import PointAward, QuizAttempt
from users import services as user_services
from users.models import User


@dataclass(frozen=True)
class Rule:
    criteria_type: str  # the counter compared
    target: int
    category: str


ACHIEVEMENT_RULES: dict[str, Rule] = {
    "first-module": Rule("modules_completed", 1, "learning"),
    "five-modules": Rule("modules_completed", 5, "learning"),
    "twenty-five-modules": Rule("modules_completed", 25, "learning"),
    "first-path": Rule("paths_completed", 1, "milestone"),
    "streak-3": Rule("streak_days", 3, "streak"),
    "streak-7": Rule("streak_days", 7, "streak"),
    "perfect-quiz": Rule("perfect_quizzes", 1, "coding"),
    "first-exercise": Rule("exercises_passed", 1, "coding"),
    "first-quiz-passed": Rule("quizzes_passed", 1, "coding"),
}


def counters(*, user: User) -> dict[str, Any]:
    """The server-side counters every rule reads (3 queries)."""
    fresh = User.objects.only("total_modules_completed", "current_streak", "last_activity_date").get(pk=user.pk)
    kinds = dict.fromkeys((AwardKind.PATH_COMPLETED, AwardKind.EXERCISE_PASSED, AwardKind.QUIZ_PASSED), 0)
    for kind in PointAward.objects.filter(user=user, kind__in=list(kinds)).values_list("kind", flat=True):
        kinds[kind] += 1
    paths = set(PointAward.objects.filter(user=user, kind=AwardKind.PATH_COMPLETED).values_list("object_id", flat=True))
    return {
        "modules_completed": fresh.total_modules_completed,
        "streak_days": user_services.effective_streak(fresh),
        "paths_completed": kinds[AwardKind.PATH_COMPLETED],
        "completed_path_ids": paths,
        "perfect_quizzes": QuizAttempt.objects.filter(user=user, percentage__gte=100).values("quiz").distinct().count(),
        "exercises_passed": kinds[AwardKind.EXERCISE_PASSED],
        "quizzes_passed": kinds[AwardKind.QUIZ_PASSED],
    }


def met(code: str, values: dict[str, Any]) -> bool:
    rule = ACHIEVEMENT_RULES.get(code)
    return rule is not None and values[rule.criteria_type] >= rule.target
