"""The progress tracker: weekly activity, pace, projected completion and insights, as one job."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from common import jobs
from learning.choices import ProgressStatus
from learning.models import LearningPath, Module, UserModuleProgress
from learning.review import selectors as review_selectors
from users.models import DailyActivity, User


def weekly_activity(*, user: User, today: date | None = None) -> list[dict[str, Any]]:
    """The last seven UTC days, oldest first: minutes, actions, modules completed and points per day."""
    today = today or timezone.now().date()
    start = today - timedelta(days=6)
    rows = {row.date: row for row in DailyActivity.objects.filter(user=user, date__gte=start, date__lte=today)}
    out = []
    for offset in range(7):
        day = start + timedelta(days=offset)
        row = rows.get(day)
        out.append(
            {
                "day": day.strftime("%a"),
                "date": day.isoformat(),
                "minutes": row.minutes if row else 0,
                "actions": row.actions if row else 0,
                "modules_completed": row.modules_completed if row else 0,
                "points": row.points if row else 0,
                "active": bool(row and (row.actions or row.minutes)),
            }
        )
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
        out.append(
            {
                "learning_path_id": path.pk,
                "title": path.title,
                "modules_completed": done,
                "modules_total": path.total,
                "progress_percentage": round(100.0 * done / path.total, 1) if path.total else 0.0,
                "remaining_modules": remaining,
                "projected_completion": projected,
            }
        )
    return out


def progress_track(*, user: User, module: Module | None = None) -> dict[str, Any]:
    """Stats, weekly activity, pace (modules a day over the last 28 days) and projected completion per path; with a
    module, that module's progress too."""
    with jobs.job_run(
        kind="progress_analysis",
        title="Analyse learning progress",
        owner=user,
        input_data={"module_id": module.pk if module else None},
    ) as recorder:
        today = timezone.now().date()
        window = DailyActivity.objects.filter(user=user, date__gt=today - timedelta(days=28)).aggregate(
            modules=Sum("modules_completed"), minutes=Sum("minutes"), days=Count("id", filter=Q(actions__gt=0))
        )
        modules_28 = window["modules"] or 0
        pace = modules_28 / 28.0
        user.refresh_from_db(
            fields=[
                "total_modules_completed",
                "total_time_spent",
                "current_streak",
                "longest_streak",
                "total_points",
                "level",
                "next_level_points",
            ]
        )
        result: dict[str, Any] = {
            "stats": {
                "total_modules_completed": user.total_modules_completed,
                "total_time_spent": user.total_time_spent,
                "current_streak": user.current_streak,
                "longest_streak": user.longest_streak,
                "total_points": user.total_points,
                "level": user.level,
                "next_level_points": user.next_level_points,
            },
            "weekly_activity": weekly_activity(user=user, today=today),
            "pace": {
                "modules_per_week": round(pace * 7, 2),
                "minutes_per_week": round((window["minutes"] or 0) / 4.0, 1),
                "active_days_last_28": window["days"] or 0,
                "window_days": 28,
            },
            "paths": _path_projection(user, pace, today),
        }
        if module is not None:
            row = UserModuleProgress.objects.filter(user=user, module=module).first()
            result["module"] = {
                "module_id": module.pk,
                "title": module.title,
                "status": row.status if row else ProgressStatus.NOT_STARTED,
                "time_spent": row.time_spent if row else 0,
                "score": row.score if row else None,
                "completed_at": row.completed_at if row else None,
            }
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
