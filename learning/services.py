"""Writes for learning: progress, quiz attempts, path ratings, awards and the seed loader.

Awards happen exactly once: each has a unique PointAward row (user, kind, object_id) created in a savepoint, and
the user's totals move with F() updates under a row lock (users.services).
"""

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, Model, Sum
from django.utils import timezone

from common.errors import Conflict
from common.seeding import edited_fields, forget, seed_upsert, skip
from learning.choices import AwardKind, ModuleType, ProgressStatus, QuizPurpose
from learning.errors import LearningErrorCode
from learning.gamification import rules
from learning.grading import is_correct
from learning.models import (
    PROGRESS_ORDER,
    ExerciseTestCase,
    LearningPath,
    LearningPathRating,
    Module,
    PointAward,
    Question,
    Quiz,
    QuizAttempt,
    UserModuleProgress,
)
from learning.review import services as review_services
from learning.services_sections import lesson_sections_sync
from users import services as user_services
from users.models import Achievement, Badge, User

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
MODULE_SEEDED_FIELDS = ("title", "description", "content", "estimated_duration", "module_type", "language",
                        "starter_code", "solution")  # fmt: skip
POINTS = {
    ModuleType.LESSON: 10,
    ModuleType.EXERCISE: 20,
    ModuleType.ASSESSMENT: 15,
    AwardKind.EXERCISE_PASSED: 20,
    AwardKind.QUIZ_PASSED: 25,
    AwardKind.PATH_COMPLETED: 50,
}
MAX_MINUTES_PER_UPDATE = 24 * 60


class PrerequisitesIncomplete(Conflict):
    default_detail = "Complete this module's prerequisites first."
    default_code = LearningErrorCode.PREREQUISITES_INCOMPLETE


class MaxAttemptsReached(Conflict):
    default_detail = "No attempts left for this quiz."
    default_code = LearningErrorCode.MAX_ATTEMPTS_REACHED


# --- Awards -----------------------------------------------------------------------------------------------------------


def award_once(*, user: User, kind: str, object_id: int, points: int) -> bool:
    """Grant `points` for (kind, object_id) unless already granted; True only for the request that granted it.

    The award row, the points counter and the level move in one transaction: either all of them or none."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                PointAward.objects.create(user=user, kind=kind, object_id=object_id, points=points)
        except IntegrityError:
            return False
        user_services.user_add_points(user=user, points=points)
    return True


def _completed_module_ids(user: User, module_ids: list[int] | None = None) -> set[int]:
    qs = UserModuleProgress.objects.filter(user=user, status=ProgressStatus.COMPLETED)
    if module_ids is not None:
        qs = qs.filter(module_id__in=module_ids)
    return set(qs.values_list("module_id", flat=True))


def _path_completed(user: User, path_id: int) -> bool:
    total = Module.objects.filter(learning_path_id=path_id).count()
    done = UserModuleProgress.objects.filter(
        user=user, module__learning_path_id=path_id, status=ProgressStatus.COMPLETED
    ).count()
    return total > 0 and done >= total


PATH_BADGES_KEY = "path"


def achievements_evaluate(*, user: User) -> list[str]:
    """Grant every achievement and badge whose rule the user now meets; returns the codes newly granted.

    Called explicitly after each event that can earn one (module completed, quiz attempted, exercise passed). The
    rules are `learning.gamification.rules.ACHIEVEMENT_RULES`, which the Achievements page reads too.
    """
    values = rules.counters(user=user)
    granted = [
        code
        for code in rules.ACHIEVEMENT_RULES
        if rules.met(code, values) and user_services.achievement_grant(user=user, code=code)
    ]
    badge_rules = {"streak-keeper": values["streak_days"] >= 7, "quiz-master": values["perfect_quizzes"] >= 1}
    if values["completed_path_ids"]:
        for slug in LearningPath.objects.filter(pk__in=values["completed_path_ids"]).values_list("slug", flat=True):
            badge_rules[f"path-{slug}"] = True
    granted += [code for code, ok in badge_rules.items() if ok and user_services.badge_grant(user=user, code=code)]
    return granted


# --- Progress ---------------------------------------------------------------------------------------------------------


def progress_touch(*, user: User, module: Module) -> UserModuleProgress:
    """The user's progress row for the module, created on first touch; records the access time."""
    progress, _ = UserModuleProgress.objects.get_or_create(user=user, module=module)
    now = timezone.now()
    UserModuleProgress.objects.filter(pk=progress.pk).update(last_accessed=now)
    progress.last_accessed = now
    return progress


def missing_prerequisites(*, user: User, module: Module) -> list[int]:
    required = list(module.prerequisites.values_list("id", flat=True))
    done = _completed_module_ids(user, required)
    return sorted(set(required) - done)


def _on_module_completed(user: User, module: Module) -> None:
    award_once(
        user=user, kind=AwardKind.MODULE_COMPLETED, object_id=module.pk, points=POINTS[ModuleType(module.module_type)]
    )
    if _path_completed(user, module.learning_path_id):
        award_once(
            user=user,
            kind=AwardKind.PATH_COMPLETED,
            object_id=module.learning_path_id,
            points=POINTS[AwardKind.PATH_COMPLETED],
        )
    achievements_evaluate(user=user)


@transaction.atomic
def progress_update(
    *,
    user: User,
    module: Module,
    status: str | None = None,
    time_spent: int | None = None,
    score: float | None = None,
    enforce_prerequisites: bool = True,
) -> UserModuleProgress:
    """Apply a learner's progress report.

    - status only moves forward (not_started → in_progress → completed); a backward status is ignored.
    - completing requires every prerequisite completed (409 `prerequisites_incomplete`).
    - `time_spent` is minutes spent since the last report and accumulates; `score` (0–100) keeps the best.
    - the first completion awards points once and updates the user's totals, streak and achievements.
    """
    UserModuleProgress.objects.get_or_create(user=user, module=module)
    progress = UserModuleProgress.objects.select_for_update().get(user=user, module=module)
    old_status = progress.status
    wants_completion = status == ProgressStatus.COMPLETED and old_status != ProgressStatus.COMPLETED
    if wants_completion and enforce_prerequisites:
        missing = missing_prerequisites(user=user, module=module)
        if missing:
            raise PrerequisitesIncomplete(
                f"Complete this module's prerequisites first (module ids: {', '.join(map(str, missing))})."
            )
    now = timezone.now()
    minutes = min(max(int(time_spent or 0), 0), MAX_MINUTES_PER_UPDATE)
    if status is not None and PROGRESS_ORDER[ProgressStatus(status)] > PROGRESS_ORDER[ProgressStatus(old_status)]:
        progress.status = status
    if minutes:
        progress.time_spent = F("time_spent") + minutes
    if score is not None:
        progress.score = score if progress.score is None else max(progress.score, score)
        progress.attempts = F("attempts") + 1
    newly_completed = progress.status == ProgressStatus.COMPLETED and old_status != ProgressStatus.COMPLETED
    if newly_completed:
        progress.completed_at = now
    progress.last_accessed = now
    progress.save()
    progress.refresh_from_db()

    if minutes or newly_completed or status is not None:
        user_services.user_record_activity(user=user, minutes=minutes, modules_completed=int(newly_completed))
    if newly_completed:
        _on_module_completed(user, module)
        review_services.review_items_for_module(user=user, module=module)
    return progress


# --- Quizzes ----------------------------------------------------------------------------------------------------------


def _grade(questions: list[Question], answers: dict[str, Any]) -> tuple[float, float, list[dict[str, Any]]]:
    score = 0.0
    max_score = 0.0
    results = []
    for q in questions:
        given = answers.get(str(q.pk))
        correct = is_correct(q.type, q.correct_answer, q.options or [], given)
        earned = q.points if correct else 0
        score += earned
        max_score += q.points
        results.append(
            {
                "question_id": q.pk,
                "user_answer": given,
                "correct_answer": q.correct_answer,
                "is_correct": correct,
                "points": earned,
                "explanation": q.explanation,
            }
        )
    return score, max_score, results


def quiz_attempt_submit(
    *, user: User, quiz: Quiz, answers: dict[str, Any], time_taken: int = 0, started_at: datetime | None = None
) -> QuizAttempt:
    """Score an attempt on the server. Attempts of one user are serialised (row lock) so `max_attempts` holds
    under concurrent submissions; the unique attempt number is the last guard."""
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        used = QuizAttempt.objects.filter(user=user, quiz=quiz).count()
        if used >= quiz.max_attempts:
            raise MaxAttemptsReached(f"All {quiz.max_attempts} attempts of this quiz are used.")
        questions = list(quiz.questions.all())
        known = {str(q.pk) for q in questions}
        kept = {k: v for k, v in answers.items() if k in known}
        score, max_score, results = _grade(questions, kept)
        percentage = round(100.0 * score / max_score, 2) if max_score else 0.0
        attempt = QuizAttempt.objects.create(
            quiz=quiz,
            user=user,
            answers=kept,
            score=score,
            max_score=max_score,
            percentage=percentage,
            passed=percentage >= quiz.passing_score,
            time_taken=time_taken,
            attempt_number=used + 1,
            started_at=started_at,
            detailed_results=results,
        )
        user_services.user_record_activity(user=user, minutes=round(time_taken / 60))
    review_services.review_record_quiz_attempt(user=user, attempt=attempt)
    if attempt.passed:
        award_once(user=user, kind=AwardKind.QUIZ_PASSED, object_id=quiz.pk, points=POINTS[AwardKind.QUIZ_PASSED])
        module = quiz.module if quiz.module_id else None
        if module is not None and not missing_prerequisites(user=user, module=module):
            progress_update(user=user, module=module, status=ProgressStatus.COMPLETED, score=percentage)
    achievements_evaluate(user=user)
    return attempt


# --- Paths ------------------------------------------------------------------------------------------------------------


@transaction.atomic
def learning_path_rate(*, user: User, learning_path: LearningPath, rating: int) -> LearningPath:
    """Record the user's 1–5 rating (replacing an earlier one) and recompute the mean in the same transaction."""
    locked = LearningPath.objects.select_for_update().get(pk=learning_path.pk)
    LearningPathRating.objects.update_or_create(user=user, learning_path=locked, defaults={"rating": rating})
    agg = LearningPathRating.objects.filter(learning_path=locked).aggregate(mean=Avg("rating"), n=Count("id"))
    locked.rating = round(float(agg["mean"] or 0.0), 4)
    locked.rating_count = agg["n"]
    locked.save(update_fields=["rating", "rating_count", "updated_at"])
    return locked


def learning_path_refresh_totals(*, learning_path: LearningPath) -> LearningPath:
    agg = learning_path.modules.aggregate(n=Count("id"), minutes=Sum("estimated_duration"))
    LearningPath.objects.filter(pk=learning_path.pk).update(
        modules_count=agg["n"], estimated_duration=agg["minutes"] or 0
    )
    learning_path.refresh_from_db()
    return learning_path


# --- Seed -------------------------------------------------------------------------------------------------------------


def _path_files() -> list[Path]:
    return sorted((DATA_DIR / "paths").glob("*.yaml"))


def seed_size() -> int:
    return len(_path_files()) + 1


def _upsert[M: Model](
    model: type[M], lookup: dict[str, Any], values: dict[str, Any], counts: dict[str, int], **kwargs: Any
) -> M:
    """Create or update by `lookup`, leaving rows staff edited since the last seed alone (common/seeding.py)."""
    obj = seed_upsert(model, lookup, values, counts, **kwargs)
    assert isinstance(obj, model)
    return obj


@transaction.atomic
def seed_gamification(counts: dict[str, int]) -> None:
    data = yaml.safe_load((DATA_DIR / "gamification.yaml").read_text(encoding="utf-8"))
    for item in data["achievements"]:
        _upsert(Achievement, {"code": item["code"]}, {k: v for k, v in item.items() if k != "code"}, counts)
    for item in data["badges"]:
        _upsert(Badge, {"code": item["code"]}, {k: v for k, v in item.items() if k != "code"}, counts)


@transaction.atomic
def seed_path(path_file: Path, counts: dict[str, int]) -> LearningPath:
    """Load one path file, updating by slug: paths, modules, prerequisites, test cases, quiz and questions."""
    data = yaml.safe_load(path_file.read_text(encoding="utf-8"))
    path = _upsert(
        LearningPath,
        {"slug": data["slug"]},
        {
            "title": data["title"],
            "description": data["description"].strip(),
            "difficulty_level": data["difficulty_level"],
        },
        counts,
    )
    # Move existing modules out of the way of the unique (path, order_index) while the order is rewritten.
    Module.objects.filter(learning_path=path).update(order_index=F("order_index") + 100_000)
    modules: dict[str, Module] = {}
    for index, item in enumerate(data["modules"], start=1):
        modules[item["slug"]] = _upsert(
            Module,
            {"slug": item["slug"]},
            {
                "title": item["title"],
                "description": item["description"].strip(),
                "content": item["content"],
                "estimated_duration": item["estimated_duration"],
                "module_type": item["module_type"],
                "language": item.get("language", ""),
                "starter_code": item.get("starter_code", ""),
                "solution": item.get("solution", ""),
            },
            counts,
            always={"learning_path": path, "order_index": index},
        )
    # Modules that left the file go only if the seed made them and nobody edited them since; a module staff added
    # or edited stays (moved behind the file's modules) and is reported.
    stale = list(Module.objects.filter(learning_path=path).exclude(slug__in=modules).order_by("order_index"))
    keep_index = len(modules)
    for module in stale:
        edited = edited_fields(module, MODULE_SEEDED_FIELDS)
        if edited is None or edited:
            keep_index += 1
            Module.objects.filter(pk=module.pk).update(order_index=keep_index)
            skip(module, edited or ["not seeded"], label=module.slug)
            counts["skipped"] += 1
        else:
            forget(Module, [module.pk])
            module.delete()
            counts["deleted"] += 1
    for item in data["modules"]:
        module = modules[item["slug"]]
        module.prerequisites.set([modules[slug] for slug in item.get("prerequisites", [])])
        _seed_checks(module, item.get("checks", []), counts)
        cases = item.get("test_cases", [])
        for index, case in enumerate(cases):
            _upsert(
                ExerciseTestCase,
                {"module": module, "order_index": index},
                {
                    "input": case["input"],
                    "expected_output": case["expected_output"],
                    "points": case.get("points", 10),
                    "is_hidden": case.get("is_hidden", False),
                },
                counts,
            )
        ExerciseTestCase.objects.filter(module=module, order_index__gte=len(cases)).delete()
    quiz_data = data.get("quiz")
    if quiz_data:
        quiz = _upsert(
            Quiz,
            {"slug": quiz_data["slug"]},
            {
                "title": quiz_data["title"],
                "description": quiz_data.get("description", "").strip(),
                "module": modules.get(quiz_data.get("module")),
                "difficulty": quiz_data.get("difficulty", "medium"),
                "time_limit": quiz_data.get("time_limit", 15),
                "max_attempts": quiz_data.get("max_attempts", 3),
                "passing_score": quiz_data.get("passing_score", 70),
                "is_draft": False,
            },
            counts,
        )
        questions = quiz_data["questions"]
        for index, q in enumerate(questions):
            _upsert(
                Question,
                {"quiz": quiz, "order_index": index},
                {**_question_values(q), "module": modules.get(q.get("covers"))},
                counts,
            )
        Question.objects.filter(quiz=quiz, order_index__gte=len(questions)).delete()
    for module in modules.values():
        lesson_sections_sync(module=module)
    learning_path_refresh_totals(learning_path=path)
    return path


def _question_values(q: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": q["type"],
        "question": q["question"],
        "options": q.get("options") or [],
        "correct_answer": q["correct_answer"],
        "explanation": q.get("explanation", ""),
        "points": q.get("points", 1),
    }


def _seed_checks(module: Module, checks: list[dict[str, Any]], counts: dict[str, int]) -> None:
    """A module's check questions: a review-purpose quiz (never served as a quiz) whose questions enter the
    learner's spaced review when the module is completed."""
    if not checks:
        Quiz.objects.filter(slug=f"{module.slug}-checks", purpose=QuizPurpose.REVIEW).delete()
        return
    quiz = _upsert(
        Quiz,
        {"slug": f"{module.slug}-checks"},
        {"title": f"Checks: {module.title}", "module": module, "purpose": QuizPurpose.REVIEW, "is_draft": False},
        counts,
    )
    for index, q in enumerate(checks):
        _upsert(Question, {"quiz": quiz, "order_index": index}, {**_question_values(q), "module": module}, counts)
    Question.objects.filter(quiz=quiz, order_index__gte=len(checks)).delete()


def seed_learning(advance: Callable[[int], None]) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "deleted": 0}
    seed_gamification(counts)
    advance(1)
    for path_file in _path_files():
        seed_path(path_file, counts)
        advance(1)
    return counts
