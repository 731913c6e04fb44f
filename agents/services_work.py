"""The work of the code evaluator, content generator, learning coordinator, progress tracker and knowledge graph.
Each call is recorded as a job row (common.jobs), so the agent's status, current task and metrics follow it."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from agents import evaluator
from agents.content import UnknownTopic, content_generate
from common import jobs
from common.errors import NotFound
from common.llm import OFFLINE_LABEL, LLMError, Message, data_block, get_provider
from executor import services as executor_services
from executor.models import CodeRun, RunState
from learning import selectors as learning_selectors
from learning import services_code, services_drafts
from learning.models import (
    CodeSubmission,
    LearningPath,
    Module,
    ProgressStatus,
    QuestionType,
    Quiz,
    UserModuleProgress,
)
from learning.review import selectors as review_selectors
from roadmaps.models import RoadmapStatus, RoadmapStep, StepStatus
from users.models import DailyActivity, User

logger = logging.getLogger(__name__)


# --- code evaluator -------------------------------------------------------------------------------------------------


def _static_python(code: str, check: CodeRun | None) -> dict[str, Any]:
    syntax = evaluator.python_syntax_errors(code)
    complete = check is not None and check.state == RunState.FINISHED and check.status == "success"
    findings = evaluator.ruff_findings(check.stdout) if complete and check is not None else []
    return {"checker": "ruff", "syntax_errors": syntax, "findings": findings, "complete": complete}


def _static_jac(check: CodeRun | None) -> dict[str, Any]:
    if check is None:
        return {"checker": "jac check", "syntax_errors": [], "findings": [], "complete": False}
    report = f"{check.stdout}\n{check.stderr}"
    findings = evaluator.jac_findings(report)
    syntax = [
        {"line": f["line"], "column": f["column"], "message": f"{f['code']}: {f['message']}"}
        for f in findings
        if f["severity"] == "error" and f["code"] < "E1000"  # E0xxx are the parser's errors
    ]
    complete = check.state == RunState.FINISHED and check.status in ("success", "runtime_error")
    return {"checker": "jac check", "syntax_errors": syntax, "findings": findings, "complete": complete}


def code_evaluate(
    *, user: User, code: str, language: str, test_cases: list[dict[str, str]] | None = None,
    module: Module | None = None, stdin: str = "",
) -> dict[str, Any]:  # fmt: skip
    """Run the code against the given (or the module's) test cases in the sandbox — or just run it when there are
    none — and add feedback: per-test results with a diff for each wrong output, syntax errors with line numbers and
    static findings (ruff for Python, `jac check` in the sandbox for Jac)."""
    submission: CodeSubmission | None = None
    run: CodeRun | None = None
    # One transaction: validation and admission of the grading come first, and nothing is enqueued before the
    # commit (on_commit), so a 400 or a 429 from any step leaves no row and costs no sandbox run.
    with transaction.atomic():
        if module is not None:
            submission = services_code.submission_create(user=user, module=module, code=code, language=language)
        elif test_cases:
            submission = services_code.submission_create_adhoc(
                user=user, code=code, language=language, test_cases=test_cases
            )
        else:
            run = executor_services.run_request(owner=user, language=language, source=code, stdin=stdin)
        # The language's checker (ruff, jac check) runs in the sandbox alongside the grading.
        check = executor_services.check_request(owner=user, language=language, source=code)
    if run is not None:
        run = executor_services.run_wait(run=run, timeout=executor_services.wait_budget(run))
    if submission is not None:
        submission = services_code.submission_wait(
            submission=submission, timeout=services_code.submission_wait_budget(submission)
        )
    if check is not None:
        check = executor_services.run_wait(run=check, timeout=executor_services.wait_budget(check))
    static = _static_python(code, check) if language == "python" else _static_jac(check)
    tests = evaluator.test_feedback(submission.results if submission else [])
    run_payload = services_code.execution_payload(run) if run is not None else None
    status = submission.status if submission else (run_payload or {}).get("status", "")
    return {
        "language": language,
        "status": status,
        "submission_id": submission.pk if submission else None,
        "run": run_payload,
        "tests_passed": submission.test_cases_passed if submission else None,
        "tests_total": submission.test_cases_total if submission else None,
        "score": submission.score if submission else None,
        "tests": tests,
        "static_analysis": static,
        "feedback": evaluator.summary_lines(
            tests=tests,
            syntax=static["syntax_errors"],
            findings=static["findings"],
            status=(run_payload or {}).get("status", ""),
        ),
    }


# --- content generator ----------------------------------------------------------------------------------------------

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
        out.append({
            "type": item["type"], "question": question[:1000], "options": options[:8], "correct_answer": answer,
            "explanation": str(item.get("explanation") or "")[:2000], "points": 1,
        })  # fmt: skip
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
        {"heading": str(o.get("heading", ""))[:200], "points": [str(p)[:500] for p in o.get("points", [])][:8],
         "source": None}
        for o in (raw_outline if isinstance(raw_outline, list) else [])
        if isinstance(o, dict) and o.get("heading")
    ]  # fmt: skip
    if not questions or not outline:
        raise LLMError(reply.parse_error or "the model's lesson was unusable")
    return {**base, "title": str(data.get("title") or base["title"])[:255], "outline": outline, "questions": questions,
            "provider": f"{reply.provider}:{reply.model}"}  # fmt: skip


def content_generate_for(
    *, user: User, topic: str, difficulty: str, learning_style: str | None = None, module_id: int | None = None,
    question_count: int = 5,
) -> dict[str, Any]:  # fmt: skip
    """A lesson outline and quiz questions (the Quiz question shape) for a topic: by the LLM when one is configured
    (grounded on our material, validated, falling back on failure), else generated from our own content."""
    with jobs.job_run(
        kind="content_generation", title=f"Generate content on “{topic[:120]}”", owner=user,
        input_data={"topic": topic[:200], "difficulty": difficulty, "learning_style": learning_style,
                    "module_id": module_id},
    ) as recorder:  # fmt: skip
        try:
            base = content_generate(
                topic=topic, difficulty=difficulty, learning_style=learning_style, module_id=module_id,
                question_count=question_count,
            )  # fmt: skip
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


# --- learning coordinator -------------------------------------------------------------------------------------------


def _progress_by_module(user: User) -> dict[int, str]:
    return dict(UserModuleProgress.objects.filter(user=user).values_list("module_id", "status"))


def coordinator_recommend(*, user: User, limit: int = 5) -> dict[str, Any]:
    """Next modules whose prerequisites are done, next learning paths and next roadmap steps — each with a reason."""
    with jobs.job_run(kind="learning_recommendation", title="Recommend what to learn next", owner=user) as recorder:
        status = _progress_by_module(user)
        completed = {mid for mid, s in status.items() if s == ProgressStatus.COMPLETED}
        modules = list(
            Module.objects.filter(learning_path__is_published=True)
            .select_related("learning_path")
            .prefetch_related("prerequisites")
            .order_by("learning_path_id", "order_index")
        )
        started_paths = {m.learning_path_id for m in modules if m.pk in status}
        next_modules = []
        for module in modules:
            if module.pk in completed:
                continue
            prereqs = list(module.prerequisites.all())
            if any(p.pk not in completed for p in prereqs):
                continue
            if status.get(module.pk) == ProgressStatus.IN_PROGRESS:
                reason, rank = "You started this module; finish it next.", 0
            elif prereqs:
                names = ", ".join(f"“{p.title}”" for p in prereqs[:3])
                reason, rank = f"Its prerequisites are done: {names}.", 1
            elif module.learning_path_id in started_paths:
                reason, rank = f"Next in “{module.learning_path.title}”, which you are following.", 2
            else:
                reason, rank = f"A starting point of “{module.learning_path.title}” (no prerequisites).", 3
            next_modules.append((rank, module, reason))
        next_modules.sort(key=lambda item: (item[0], item[1].learning_path_id, item[1].order_index))
        # one start module per untouched path is enough
        seen_fresh: set[int] = set()
        picked = []
        for rank, module, reason in next_modules:
            if rank == 3:
                if module.learning_path_id in seen_fresh:
                    continue
                seen_fresh.add(module.learning_path_id)
            picked.append({
                "module_id": module.pk, "title": module.title, "learning_path_id": module.learning_path_id,
                "learning_path": module.learning_path.title, "module_type": module.module_type,
                "estimated_duration": module.estimated_duration, "reason": reason,
            })  # fmt: skip
            if len(picked) >= limit:
                break
        paths = _next_paths(user, modules, completed, started_paths)
        steps = _next_roadmap_steps(user, limit)
        due = [
            {**row, "reason": f"{row['reviews_due']} review{'s' if row['reviews_due'] != 1 else ''} due in "
                              f"“{row['title']}”: recall it before it fades."}
            for row in review_selectors.due_by_module(user=user, limit=limit)
        ]  # fmt: skip
        recorder.output.update(modules=len(picked), paths=len(paths), roadmap_steps=len(steps), due_reviews=len(due))
    return {"due_reviews": due, "next_modules": picked, "next_paths": paths, "roadmap_steps": steps}


def _next_paths(user: User, modules: list[Module], completed: set[int], started: set[int]) -> list[dict[str, Any]]:
    by_path: dict[int, list[Module]] = {}
    for module in modules:
        by_path.setdefault(module.learning_path_id, []).append(module)
    order = {"beginner": 0, "intermediate": 1, "advanced": 2}
    finished_levels = [
        order.get(mods[0].learning_path.difficulty_level, 0)
        for pid, mods in by_path.items()
        if mods and all(m.pk in completed for m in mods)
    ]
    target = max(finished_levels, default=-1) + 1
    preferred = user.preferred_difficulty
    out = []
    for pid, mods in by_path.items():
        path = mods[0].learning_path
        done = sum(1 for m in mods if m.pk in completed)
        if done == len(mods):
            continue
        level = order.get(path.difficulty_level, 0)
        if pid in started:
            reason, rank = f"You are {round(100 * done / len(mods))}% through it.", 0
        elif preferred and path.difficulty_level == preferred:
            reason, rank = f"Matches your preferred difficulty ({preferred}).", 1
        elif level == target or (target > 2 and level == 2):
            reason, rank = (
                "The next level up from the paths you finished." if target else "A beginner path to start.",
                2,
            )
        else:
            reason, rank = f"A {path.difficulty_level} path.", 3 + abs(level - target)
        out.append((rank, path.pk, {"learning_path_id": path.pk, "title": path.title,
                                     "difficulty_level": path.difficulty_level, "modules_completed": done,
                                     "modules_total": len(mods), "reason": reason}))  # fmt: skip
    out.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in out[:3]]


def _next_roadmap_steps(user: User, limit: int) -> list[dict[str, Any]]:
    steps = (
        RoadmapStep.objects.filter(roadmap__user=user, roadmap__status__in=[RoadmapStatus.DRAFT, RoadmapStatus.ACTIVE])
        .exclude(status=StepStatus.COMPLETED)
        .select_related("roadmap")
        .order_by("roadmap_id", "order_index")
    )
    out: list[dict[str, Any]] = []
    per_roadmap: dict[int, int] = {}
    for step in steps[:200]:
        if per_roadmap.get(step.roadmap_id, 0) >= 2:
            continue
        per_roadmap[step.roadmap_id] = per_roadmap.get(step.roadmap_id, 0) + 1
        out.append({
            "roadmap_id": step.roadmap_id, "step_id": step.pk, "title": step.title, "week": step.week,
            "reason": f"Next open step (week {step.week}) of your roadmap “{step.roadmap.title}”.",
        })  # fmt: skip
        if len(out) >= limit:
            break
    return out


# --- progress tracker -----------------------------------------------------------------------------------------------


def weekly_activity(*, user: User, today: date | None = None) -> list[dict[str, Any]]:
    """The last seven UTC days, oldest first: minutes, actions, modules completed and points per day."""
    today = today or timezone.now().date()
    start = today - timedelta(days=6)
    rows = {row.date: row for row in DailyActivity.objects.filter(user=user, date__gte=start, date__lte=today)}
    out = []
    for offset in range(7):
        day = start + timedelta(days=offset)
        row = rows.get(day)
        out.append({
            "day": day.strftime("%a"), "date": day.isoformat(), "minutes": row.minutes if row else 0,
            "actions": row.actions if row else 0, "modules_completed": row.modules_completed if row else 0,
            "points": row.points if row else 0, "active": bool(row and (row.actions or row.minutes)),
        })  # fmt: skip
    return out


def _path_projection(user: User, pace_per_day: float, today: date) -> list[dict[str, Any]]:
    # The paths the user has touched, each with all its modules counted (a join filter would count only touched ones).
    touched = UserModuleProgress.objects.filter(user=user).values("module__learning_path_id")
    paths = (
        LearningPath.objects.filter(is_published=True, pk__in=touched)
        .annotate(total=Count("modules", distinct=True))
        .order_by("id")
    )
    done_by_path = dict(
        UserModuleProgress.objects.filter(user=user, status=ProgressStatus.COMPLETED)
        .values("module__learning_path_id")
        .annotate(n=Count("id"))
        .values_list("module__learning_path_id", "n")
    )
    out = []
    for path in paths:
        done = done_by_path.get(path.pk, 0)
        remaining = max(path.total - done, 0)
        projected = None
        if remaining == 0:
            projected = "completed"
        elif pace_per_day > 0:
            projected = (today + timedelta(days=int(-(-remaining // pace_per_day)))).isoformat()
        out.append({
            "learning_path_id": path.pk, "title": path.title, "modules_completed": done, "modules_total": path.total,
            "progress_percentage": round(100.0 * done / path.total, 1) if path.total else 0.0,
            "remaining_modules": remaining, "projected_completion": projected,
        })  # fmt: skip
    return out


def progress_track(*, user: User, module: Module | None = None) -> dict[str, Any]:
    """Stats, weekly activity, pace (modules a day over the last 28 days) and projected completion per path; with a
    module, that module's progress too."""
    with jobs.job_run(
        kind="progress_analysis", title="Analyse learning progress", owner=user,
        input_data={"module_id": module.pk if module else None},
    ) as recorder:  # fmt: skip
        today = timezone.now().date()
        window = DailyActivity.objects.filter(user=user, date__gt=today - timedelta(days=28)).aggregate(
            modules=Sum("modules_completed"), minutes=Sum("minutes"), days=Count("id", filter=Q(actions__gt=0))
        )
        modules_28 = window["modules"] or 0
        pace = modules_28 / 28.0
        user.refresh_from_db(fields=["total_modules_completed", "total_time_spent", "current_streak",
                                     "longest_streak", "total_points", "level", "next_level_points"])  # fmt: skip
        result: dict[str, Any] = {
            "stats": {
                "total_modules_completed": user.total_modules_completed, "total_time_spent": user.total_time_spent,
                "current_streak": user.current_streak, "longest_streak": user.longest_streak,
                "total_points": user.total_points, "level": user.level, "next_level_points": user.next_level_points,
            },
            "weekly_activity": weekly_activity(user=user, today=today),
            "pace": {
                "modules_per_week": round(pace * 7, 2), "minutes_per_week": round((window["minutes"] or 0) / 4.0, 1),
                "active_days_last_28": window["days"] or 0, "window_days": 28,
            },
            "paths": _path_projection(user, pace, today),
        }  # fmt: skip
        if module is not None:
            row = UserModuleProgress.objects.filter(user=user, module=module).first()
            result["module"] = {
                "module_id": module.pk, "title": module.title,
                "status": row.status if row else ProgressStatus.NOT_STARTED, "time_spent": row.time_spent if row else 0,
                "score": row.score if row else None, "completed_at": row.completed_at if row else None,
            }  # fmt: skip
        now = timezone.now()
        result["mastery"] = {
            **review_selectors.review_summary(user=user, at=now),
            "history": review_selectors.mastery_history(user=user, at=now),
        }
        result["insights"] = _insights(result)
        recorder.output.update(paths=len(result["paths"]), modules_per_week=result["pace"]["modules_per_week"])
    return result


def _insights(result: dict[str, Any]) -> list[str]:
    out = []
    active = sum(1 for d in result["weekly_activity"] if d["active"])
    out.append(f"Active on {active} of the last 7 days.")
    if result["pace"]["modules_per_week"]:
        out.append(f"Your pace: {result['pace']['modules_per_week']} modules a week over the last 4 weeks.")
    else:
        out.append("No modules completed in the last 4 weeks: projections need some recent progress.")
    mastery = result.get("mastery") or {}
    if mastery.get("reviews_due"):
        out.append(f"{mastery['reviews_due']} reviews are due: a few minutes of review keeps what you learned.")
    if mastery.get("history") and mastery["history"][-1]["items_learned"]:
        out.append(f"You recall about {mastery['mastery_percentage']:.0f}% of what you have reviewed.")
    for path in result["paths"]:
        if path["projected_completion"] and path["projected_completion"] != "completed":
            out.append(f"At this pace you finish “{path['title']}” around {path['projected_completion']}.")
    return out


# --- knowledge graph ------------------------------------------------------------------------------------------------


def knowledge_graph_record(*, user: User, title: str, query: dict[str, Any], build: Any) -> dict[str, Any]:
    with jobs.job_run(kind="knowledge_graph_query", title=title, owner=user, input_data=query) as recorder:
        result: dict[str, Any] = build()
        recorder.output.update(nodes=len(result.get("nodes", [])), edges=len(result.get("edges", [])))
    return result


def module_for_user(*, module_id: int) -> Module:
    return learning_selectors.module_get_published(module_id=module_id)
