"""The dashboard's real-time panels (SPA.md §2): public platform-wide aggregates for anonymous sockets, the learner's
own figures for a signed-in one. Public snapshots live in the cache (refreshed by `agents.refresh_panels` every
minute, or once a minute on demand), so an anonymous connect costs no database query in the steady state."""

import statistics
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from learning import selectors as learning_selectors
from users import services as user_services
from users.models import DailyActivity, User

PUBLIC_KEY = "spa:panels:public"
PUBLIC_TTL = 180
REFRESH_LOCK = "spa:panels:refreshing"
WINDOW_DAYS = 30
PUBLIC_INSIGHT = "Platform-wide figures for learners active in the last 30 days."


def _trend(recent: float | None, before: float | None) -> str:
    if recent is None or before is None:
        return "stable"
    if recent > before + 2:
        return "improving"
    if recent < before - 2:
        return "declining"
    return "stable"


def _total_modules() -> int:
    return learning_selectors.modules_list(params={}).count()


def public_snapshot() -> dict[str, Any]:
    """Both public frames, computed from the database (a few aggregate queries)."""
    now = timezone.now()
    today = now.date()
    recent_ids = list(
        DailyActivity.objects.filter(date__gt=today - timedelta(days=WINDOW_DAYS), actions__gt=0)
        .values_list("user_id", flat=True)
        .distinct()
    )
    learners = list(
        User.objects.filter(pk__in=recent_ids).only("total_modules_completed", "current_streak", "last_activity_date")
    )
    total = _total_modules()
    done = [u.total_modules_completed for u in learners]
    streaks = [user_services.effective_streak(u) for u in learners]
    completion = [min(100.0, 100.0 * d / total) for d in done] if total else []
    dashboard = {
        "type": "dashboard_update",
        "data": {
            "progress_summary": {
                "overall_progress": round(statistics.mean(completion), 1) if completion else 0.0,
                "current_level": "All learners",
                "modules_completed": int(statistics.median(done)) if done else 0,
                "total_modules": total,
                "streak_days": int(statistics.median(streaks)) if streaks else 0,
            },
            "insights": [PUBLIC_INSIGHT, f"{len(learners)} learners active in the last {WINDOW_DAYS} days."],
        },
    }
    active_today = DailyActivity.objects.filter(date=today, actions__gt=0)
    week = learning_selectors.attempts_mean_percentage(since=now - timedelta(days=7))
    before = learning_selectors.attempts_mean_percentage(since=now - timedelta(days=14), before=now - timedelta(days=7))
    metrics = {
        "type": "realtime_metrics",
        "metrics": {
            "daily_activities": active_today.aggregate(n=Sum("actions"))["n"] or 0,
            "average_score": round(float(week), 1) if week is not None else 0.0,
            "performance_trend": _trend(week, before),
            "engagement_level": round(100.0 * active_today.count() / len(recent_ids), 1) if recent_ids else 0.0,
            "last_updated": now.isoformat(),
        },
    }
    return {"dashboard_update": dashboard, "realtime_metrics": metrics}


def public_refresh() -> dict[str, Any]:
    snapshot = public_snapshot()
    cache.set(PUBLIC_KEY, snapshot, PUBLIC_TTL)
    return snapshot


def public_cached() -> dict[str, Any] | None:
    return cache.get(PUBLIC_KEY)


def public_claim_refresh() -> bool:
    """True for the one caller a minute that may recompute a missing public snapshot."""
    return bool(cache.add(REFRESH_LOCK, 1, 60))


def personal_snapshot(*, user: User) -> dict[str, Any]:
    """The same two frames from the learner's own data."""
    now = timezone.now()
    fresh = User.objects.get(pk=user.pk)
    total = _total_modules()
    done = learning_selectors.modules_completed_count(user=user)
    mean = learning_selectors.attempts_mean_percentage(user=user)
    week = learning_selectors.attempts_mean_percentage(user=user, since=now - timedelta(days=7))
    before = learning_selectors.attempts_mean_percentage(user=user, before=now - timedelta(days=7))
    days = DailyActivity.objects.filter(user=user, date__gt=now.date() - timedelta(days=7), actions__gt=0).count()
    today = DailyActivity.objects.filter(user=user, date=now.date()).first()
    level, _, _ = user_services.level_for_points(fresh.total_points)
    insights = [f"You have completed {done} of {total} modules."]
    if days:
        insights.append(f"Active on {days} of the last 7 days.")
    return {
        "dashboard_update": {
            "type": "dashboard_update",
            "data": {
                "progress_summary": {
                    "overall_progress": round(100.0 * done / total, 1) if total else 0.0,
                    "current_level": f"Level {level}",
                    "modules_completed": done,
                    "total_modules": total,
                    "streak_days": user_services.effective_streak(fresh),
                },
                "insights": insights,
            },
        },
        "realtime_metrics": {
            "type": "realtime_metrics",
            "metrics": {
                "daily_activities": today.actions if today else 0,
                "average_score": round(float(mean), 1) if mean is not None else 0.0,
                "performance_trend": _trend(week, before),
                "engagement_level": round(100.0 * days / 7, 1),
                "last_updated": now.isoformat(),
            },
        },
    }
