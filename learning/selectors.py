"""Reads for learning: the public catalogue, and each user's own progress and attempts."""

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Avg, Count, Max, Model, Prefetch, QuerySet, Subquery
from django_filters import FilterSet

from common.errors import Invalid, NotFound
from learning.choices import ProgressStatus, QuizPurpose
from learning.filters import (
    AttemptFilter,
    LearningPathFilter,
    ModuleFilter,
    ProgressFilter,
    QuizFilter,
    SubmissionFilter,
)
from learning.models import (
    CodeSubmission,
    ExerciseTestCase,
    LearningPath,
    LessonSection,
    Module,
    Question,
    Quiz,
    QuizAttempt,
    UserModuleProgress,
)
from learning.retrieval_engine import EMBEDDING_DIM, MODEL_NAME, Doc
from learning.services_sections import PASSAGES_MODEL, section_embedding_text
from users.models import DailyActivity, User

SUMMARY_DEFER = ("content", "solution", "starter_code")


def _filtered[M: Model](filterset_class: type[FilterSet], params: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    if not any(name in params for name in filterset_class.base_filters):
        return queryset  # nothing to filter or validate (a plain page): skip building the FilterSet and its form
    filterset = filterset_class(params, queryset=queryset)
    if not filterset.is_valid():
        raise Invalid(fields=filterset.errors)
    filtered: QuerySet[M] = filterset.qs
    return filtered


def _prerequisite_ids() -> "Prefetch[str, QuerySet[Module], str]":
    return Prefetch("prerequisites", queryset=Module.objects.only("id").order_by("id"))


def learning_paths_list(*, params: Any) -> QuerySet[LearningPath]:
    return _filtered(LearningPathFilter, params, LearningPath.objects.filter(is_published=True).order_by("id"))


def learning_path_get(*, path_id: int) -> LearningPath:
    modules = Module.objects.defer(*SUMMARY_DEFER).prefetch_related(_prerequisite_ids()).order_by("order_index")
    path = (
        LearningPath.objects.filter(pk=path_id, is_published=True)
        .prefetch_related(Prefetch("modules", queryset=modules))
        .first()
    )
    if path is None:
        raise NotFound()
    return path


def learning_path_progress_percentage(*, user: User | None, learning_path: LearningPath) -> float | None:
    if user is None or not user.is_authenticated:
        return None
    total = len(learning_path.modules.all())
    if total == 0:
        return 0.0
    done = UserModuleProgress.objects.filter(
        user=user, module__learning_path=learning_path, status=ProgressStatus.COMPLETED
    ).count()
    return round(100.0 * done / total, 2)


def module_statuses(*, user: User | None, learning_path: LearningPath) -> dict[int, str]:
    """The learner's status per module of the path ({} for anonymous visitors)."""
    if user is None or not user.is_authenticated:
        return {}
    return dict(
        UserModuleProgress.objects.filter(user=user, module__learning_path=learning_path).values_list(
            "module_id", "status"
        )
    )


def activity_days(*, user: User, today: date, days: int = 28) -> list[dict[str, Any]]:
    """The last `days` UTC days up to `today`, oldest first: minutes and modules completed each day."""
    start = today - timedelta(days=days - 1)
    rows = {
        row["date"]: row
        for row in DailyActivity.objects.filter(user=user, date__gte=start, date__lte=today).values(
            "date", "minutes", "modules_completed"
        )
    }
    out = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        row = rows.get(day)
        out.append(
            {
                "date": day.isoformat(),
                "minutes": row["minutes"] if row else 0,
                "modules_completed": row["modules_completed"] if row else 0,
            }
        )
    return out


def modules_list(*, params: Any) -> QuerySet[Module]:
    queryset = (
        Module.objects.filter(learning_path__is_published=True)
        .defer("solution")
        .prefetch_related(_prerequisite_ids())
        .order_by("learning_path_id", "order_index", "id")
    )
    return _filtered(ModuleFilter, params, queryset)


def module_get_published(*, module_id: int) -> Module:
    """A published module, whole (the agents' evaluator and tutor read its solution and tests)."""
    module = Module.objects.filter(pk=module_id, learning_path__is_published=True).first()
    if module is None:
        raise NotFound("No such module.")
    return module


def module_get(*, module_id: int) -> Module:
    module = (
        Module.objects.filter(pk=module_id, learning_path__is_published=True)
        .defer("solution")
        .prefetch_related(_prerequisite_ids())
        .first()
    )
    if module is None:
        raise NotFound()
    return module


def progress_list(*, user: User, params: Any) -> QuerySet[UserModuleProgress]:
    queryset = UserModuleProgress.objects.filter(user=user).order_by("-last_accessed", "-id")
    return _filtered(ProgressFilter, params, queryset)


def test_cases_visible(*, module_id: int) -> QuerySet[ExerciseTestCase]:
    """Visible test cases only: hidden ones are graded but never shown to anybody through the API."""
    module_get(module_id=module_id)
    return ExerciseTestCase.objects.filter(module_id=module_id, is_hidden=False).order_by("order_index", "id")


def _quizzes() -> QuerySet[Quiz]:
    questions = Question.objects.order_by("order_index", "id")
    return Quiz.objects.filter(is_draft=False, purpose=QuizPurpose.ASSESSMENT).prefetch_related(
        Prefetch("questions", queryset=questions)
    )


def quizzes_list(*, params: Any) -> QuerySet[Quiz]:
    return _filtered(QuizFilter, params, _quizzes().order_by("id"))


def quiz_get(*, quiz_id: int) -> Quiz:
    quiz = _quizzes().filter(pk=quiz_id).first()
    if quiz is None:
        raise NotFound()
    return quiz


def attempts_list(*, user: User, params: Any) -> QuerySet[QuizAttempt]:
    queryset = QuizAttempt.objects.filter(user=user).order_by("-completed_at", "-id")
    return _filtered(AttemptFilter, params, queryset)


def attempt_get(*, user: User, attempt_id: int) -> QuizAttempt:
    """The user's own attempt (staff: anyone's); any other is a 404."""
    queryset = QuizAttempt.objects.all() if user.is_staff else QuizAttempt.objects.filter(user=user)
    attempt = queryset.filter(pk=attempt_id).first()
    if attempt is None:
        raise NotFound()
    return attempt


def submissions_list(*, user: User, params: Any) -> QuerySet[CodeSubmission]:
    queryset = CodeSubmission.objects.filter(user=user).order_by("-created_at", "-id")
    return _filtered(SubmissionFilter, params, queryset)


def submission_get(*, user: User, submission_id: int) -> CodeSubmission:
    """The user's own submission (staff: anyone's); any other is a 404."""
    queryset = CodeSubmission.objects.all() if user.is_staff else CodeSubmission.objects.filter(user=user)
    submission = queryset.filter(pk=submission_id).first()
    if submission is None:
        raise NotFound()
    return submission


# --- The lessons corpus (the tutor's retrieval units) -----------------------------------------------------------------


def lessons_corpus_version() -> str:
    """Changes whenever a section, a module or a path changes (count and latest updates, one query of three
    aggregates), so the shared engine rebuilds the `lessons` index exactly when it must. Deleting a module deletes
    its sections, which moves the count."""
    sections, modules, paths = (m._meta.db_table for m in (LessonSection, Module, LearningPath))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {sections}), (SELECT MAX(updated_at) FROM {sections}), "  # noqa: S608
            f"(SELECT MAX(id) FROM {sections}), (SELECT COUNT(*) FROM {modules}), "
            f"(SELECT MAX(updated_at) FROM {modules}), (SELECT MAX(updated_at) FROM {paths})"
        )
        return repr(cursor.fetchone())


def section_url(*, path_id: int, module_id: int, anchor: str) -> str:
    """The SPA's deep link to a lesson section."""
    return f"/learning/{path_id}/module/{module_id}#{anchor}"


def lesson_section_docs() -> list[Doc]:
    """Every section of the published paths' modules as a retrieval document with its stored vector (None when it
    was embedded by another model: the engine then computes it). `meta` carries what the tutor cites."""
    rows = (
        LessonSection.objects.filter(module__learning_path__is_published=True)
        .select_related("module__learning_path")
        .only(
            "id",
            "position",
            "level",
            "heading",
            "anchor",
            "body",
            "embedding",
            "embedding_model",
            "passages",
            "passages_model",
            "module__id",
            "module__title",
            "module__module_type",
            "module__order_index",
            "module__language",
            "module__learning_path__id",
            "module__learning_path__title",
            "module__learning_path__slug",
        )
        .order_by("module__learning_path_id", "module__order_index", "position")
    )
    docs = []
    for s in rows:
        module = s.module
        vector = None
        if s.embedding and s.embedding_model == MODEL_NAME:
            vector = np.frombuffer(bytes(s.embedding), dtype=np.float32)
            vector = vector if vector.shape == (EMBEDDING_DIM,) else None
        heading = s.heading or module.title
        docs.append(
            Doc(
                id=f"module:{module.id}#{s.anchor}",
                text=section_embedding_text(module_title=module.title, heading=s.heading, body=s.body),
                title=heading,
                vector=vector,
                meta={
                    "module_id": module.id,
                    "module_title": module.title,
                    "module_type": module.module_type,
                    "path_id": module.learning_path.id,
                    "path_title": module.learning_path.title,
                    "path_slug": module.learning_path.slug,
                    "anchor": s.anchor,
                    "heading": heading,
                    "level": s.level,
                    "position": s.position,
                    "body": s.body,
                    # the passages' precise vectors (float16 rows), or None: the tutor then embeds them itself
                    "passages": bytes(s.passages) if s.passages and s.passages_model == PASSAGES_MODEL else None,
                    "url": section_url(path_id=module.learning_path.id, module_id=module.id, anchor=s.anchor),
                },
            )
        )
    return docs


def learner_module_evidence(*, user: User) -> list[str]:
    """Slugs of the modules `user` has shown they know: completed modules, modules whose quiz they passed, and every
    module of a path whose final assessment quiz they passed or whose modules they all completed (sorted)."""
    done = UserModuleProgress.objects.filter(user=user, status=ProgressStatus.COMPLETED)
    completed = set(done.values_list("module_id", flat=True))
    passed = QuizAttempt.objects.filter(user=user, passed=True, quiz__module__isnull=False)
    passed_modules = set(passed.values_list("quiz__module_id", flat=True))
    modules = {row["id"]: row for row in Module.objects.values("id", "slug", "learning_path_id", "module_type")}
    by_path: dict[int, list[int]] = {}
    for row in modules.values():
        by_path.setdefault(row["learning_path_id"], []).append(row["id"])
    known = completed | passed_modules
    for path_modules in by_path.values():
        finished = all(m in completed for m in path_modules)
        assessed = any(m in passed_modules and modules[m]["module_type"] == "assessment" for m in path_modules)
        if finished or assessed:
            known.update(path_modules)
    return sorted(modules[m]["slug"] for m in known if m in modules)


def modules_by_slug(*, slugs: list[str]) -> dict[str, dict[str, Any]]:
    """Published modules by slug, as links: {slug: {id, title, learning_path_id, learning_path, minutes}}."""
    rows = (
        Module.objects.filter(slug__in=slugs, learning_path__is_published=True)
        .order_by("learning_path_id", "order_index")
        .values("id", "slug", "title", "learning_path_id", "learning_path__title", "estimated_duration")
    )
    return {
        r["slug"]: {
            "id": r["id"],
            "title": r["title"],
            "learning_path_id": r["learning_path_id"],
            "learning_path": r["learning_path__title"],
            "minutes": r["estimated_duration"],
        }
        for r in rows
    }


# --- For other apps (the recommender): plain data, no learning model leaves this app ---------------------------------


def progress_stamp_subqueries(*, user_ref: Any) -> dict[str, Subquery]:
    """Correlated subqueries (count, latest change) of the module progress rows of the user `user_ref` points at,
    for a caller's one-query cache identity."""
    mine = UserModuleProgress.objects.filter(user=user_ref).order_by().values("user")
    return {
        "mp_n": Subquery(mine.annotate(value=Count("id")).values("value")[:1]),
        "mp_last": Subquery(mine.annotate(value=Max("updated_at")).values("value")[:1]),
    }


def learner_modules(*, user: User, limit: int = 30) -> dict[str, Any]:
    """What the user studies, as plain data: `paths` (titles of the paths they started, most recent first) and
    `current` (`{title, description, path_title}` of the most recent module in progress, or None)."""
    progress = list(
        progress_list(user=user, params={})
        .select_related("module__learning_path")
        .only("status", "last_accessed", "module__title", "module__description", "module__learning_path__title")[:limit]
    )
    current = next((p for p in progress if p.status == ProgressStatus.IN_PROGRESS), None)
    return {
        "paths": list(dict.fromkeys(p.module.learning_path.title for p in progress)),
        "current": None
        if current is None
        else {
            "title": current.module.title,
            "description": current.module.description,
            "path_title": current.module.learning_path.title,
        },
    }


# --- For the agents app (content generator, knowledge graph, SPA panels and search) ----------------------------------


def module_with_path(*, module_id: int) -> Module | None:
    """A published module with its path loaded, or None (the content generator turns None into its own error)."""
    return Module.objects.select_related("learning_path").filter(pk=module_id, learning_path__is_published=True).first()


def modules_with_path(*, module_ids: list[int]) -> dict[int, Module]:
    """Modules by id with their paths loaded (ids come from the lesson index, which holds published modules)."""
    return Module.objects.select_related("learning_path").in_bulk(module_ids)


def module_sibling_contents(*, module: Module) -> list[str]:
    """The lesson text of the other modules of `module`'s path, in path order."""
    siblings = Module.objects.filter(learning_path_id=module.learning_path_id).order_by("order_index", "id")
    return list(siblings.exclude(pk=module.pk).values_list("content", flat=True))


def catalogue_signature() -> tuple[Any, ...]:
    """Count and latest change of modules and of paths: changes whenever the catalogue does."""
    modules = Module.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    paths = LearningPath.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    return (modules["n"], modules["at"], paths["n"], paths["at"])


def published_paths() -> dict[int, LearningPath]:
    return {p.pk: p for p in LearningPath.objects.filter(is_published=True).order_by("id")}


def modules_of_paths(*, path_ids: list[int]) -> QuerySet[Module]:
    """The paths' modules with their prerequisites, in path order."""
    return (
        Module.objects.filter(learning_path_id__in=path_ids)
        .prefetch_related("prerequisites")
        .order_by("learning_path_id", "order_index")
    )


def progress_statuses(*, user: User) -> dict[int, str]:
    """The learner's status per module, across every path."""
    return dict(UserModuleProgress.objects.filter(user=user).values_list("module_id", "status"))


def modules_completed_count(*, user: User) -> int:
    return UserModuleProgress.objects.filter(user=user, status=ProgressStatus.COMPLETED).count()


def attempts_mean_percentage(
    *, user: User | None = None, since: datetime | None = None, before: datetime | None = None
) -> float | None:
    """Mean score of quiz attempts (everyone's when `user` is None), completed at or after `since` and before
    `before` when given; None when there are none."""
    attempts = QuizAttempt.objects.all() if user is None else QuizAttempt.objects.filter(user=user)
    if since is not None:
        attempts = attempts.filter(completed_at__gte=since)
    if before is not None:
        attempts = attempts.filter(completed_at__lt=before)
    mean: float | None = attempts.aggregate(p=Avg("percentage"))["p"]
    return mean


def quizzes_signature() -> tuple[int, Any]:
    """Count and latest change of quizzes."""
    row = Quiz.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    return row["n"], row["at"]


def assessment_quizzes() -> QuerySet[Quiz]:
    """Published assessment quizzes (drafts and review checks left out), by id."""
    return Quiz.objects.filter(is_draft=False, purpose=QuizPurpose.ASSESSMENT).order_by("id")
