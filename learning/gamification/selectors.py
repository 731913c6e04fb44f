"""Reads for the Achievements page and the assessment stats: always the requesting learner's own figures."""

from typing import Any

from django.db.models import Avg, Count, Max, Q

from learning.choices import QuizPurpose
from learning.gamification.rules import ACHIEVEMENT_RULES, counters
from learning.models import PointAward, Quiz, QuizAttempt
from users import services as user_services
from users.models import Achievement, Badge, User, UserAchievement, UserBadge

# Our icon names → the emoji the SPA renders as text.
ICON_EMOJI = {
    "footprints": "👣",
    "stack": "📚",
    "mountain": "⛰️",
    "flag": "🏁",
    "flame": "🔥",
    "calendar": "📅",
    "star": "⭐",
    "terminal": "💻",
    "check-circle": "✅",
    "python": "🐍",
    "graph": "🕸️",
    "plug": "🔌",
    "trophy": "🏆",
}
RARITY_MIN_LEARNERS = 20
POINTS_HISTORY_LIMIT = 100


def emoji(icon: str) -> str:
    return ICON_EMOJI.get(icon, "🏆" if icon else "")


def difficulty_for_points(points: int) -> str:
    if points <= 5:
        return "bronze"
    if points <= 15:
        return "silver"
    if points <= 25:
        return "gold"
    return "platinum"


def _rarity(holders: int, learners: int) -> str:
    if learners < RARITY_MIN_LEARNERS:
        return "common"
    share = holders / learners
    if share >= 0.5:
        return "common"
    if share >= 0.2:
        return "rare"
    if share >= 0.05:
        return "epic"
    return "legendary"


def _achievement_shape(a: Achievement, holders: int, learners: int) -> dict[str, Any]:
    rule = ACHIEVEMENT_RULES.get(a.code)
    return {
        "id": a.pk,
        "title": a.title,
        "description": a.description,
        "icon": emoji(a.icon),
        "category": rule.category if rule else "milestone",
        "difficulty": difficulty_for_points(a.points),
        "rarity": _rarity(holders, learners),
        "criteria_type": rule.criteria_type if rule else "manual",
        "criteria_value": rule.target if rule else 1,
        "criteria_operator": ">=",
        "points_reward": a.points,
    }


def user_achievements(*, user: User) -> list[dict[str, Any]]:
    """Every achievement, locked ones included, with the learner's progress from the rule's own counter."""
    values = counters(user=user)
    earned = dict(UserAchievement.objects.filter(user=user).values_list("achievement_id", "earned_date"))
    learners = User.objects.filter(is_active=True, is_staff=False).count()
    rows = []
    for a in Achievement.objects.annotate(holders=Count("earners")).order_by("id"):
        rule = ACHIEVEMENT_RULES.get(a.code)
        target = rule.target if rule else 1
        done_at = earned.get(a.pk)
        current = target if done_at else min(int(values[rule.criteria_type]) if rule else 0, target)
        rows.append(
            {
                "id": a.pk,
                "achievement": _achievement_shape(a, a.holders, learners),
                "current_progress": current,
                "target_progress": target,
                "progress_percentage": round(100.0 * current / target, 1),
                "is_completed": done_at is not None,
                "completed_at": done_at,
            }
        )
    return rows


def _badge_shape(b: Badge) -> dict[str, Any]:
    difficulty = "gold" if b.code.startswith("path-") else "silver"
    return {"id": b.pk, "name": b.name, "description": b.description, "icon": emoji(b.icon), "difficulty": difficulty}


def badges_catalogue() -> list[dict[str, Any]]:
    return [_badge_shape(b) for b in Badge.objects.order_by("id")]


def user_badges(*, user: User) -> list[dict[str, Any]]:
    rows = UserBadge.objects.filter(user=user).select_related("badge").order_by("-earned_date", "-id")
    return [{"id": r.badge_id, "badge": _badge_shape(r.badge), "earned_at": r.earned_date} for r in rows]


def user_level(*, user: User) -> dict[str, Any]:
    fresh = User.objects.only("total_points").get(pk=user.pk)
    level, experience, width = user_services.level_for_points(fresh.total_points)
    return {
        "level": level,
        "experience_level": experience,
        "total_points": fresh.total_points,
        "next_level_points": width,
    }


def user_points(*, user: User) -> dict[str, Any]:
    fresh = User.objects.only("total_points").get(pk=user.pk)
    history = PointAward.objects.filter(user=user).order_by("-created_at", "-id")[:POINTS_HISTORY_LIMIT]
    return {
        "total_points": fresh.total_points,
        "history": [{"points": a.points, "kind": a.kind, "awarded_at": a.created_at} for a in history],
    }


def learning_streak(*, user: User) -> dict[str, Any]:
    fresh = User.objects.only("current_streak", "longest_streak", "last_activity_date").get(pk=user.pk)
    return {
        "current_streak": user_services.effective_streak(fresh),
        "longest_streak": fresh.longest_streak,
        "last_activity_date": fresh.last_activity_date,
    }


def overview(*, user: User) -> dict[str, Any]:
    level = user_level(user=user)
    streak = learning_streak(user=user)
    recent_achievements = [
        {
            "id": r.achievement_id,
            "title": r.achievement.title,
            "icon": emoji(r.achievement.icon),
            "completed_at": r.earned_date,
        }
        for r in UserAchievement.objects.filter(user=user).select_related("achievement").order_by("-earned_date")[:5]
    ]
    recent_badges = user_badges(user=user)[:5]
    return {
        "total_points": level["total_points"],
        "current_level": level["level"],
        "current_streak": streak["current_streak"],
        "total_achievements": Achievement.objects.count(),
        "completed_achievements": UserAchievement.objects.filter(user=user).count(),
        "total_badges": Badge.objects.count(),
        "earned_badges": UserBadge.objects.filter(user=user).count(),
        "recent_achievements": recent_achievements,
        "recent_badges": recent_badges,
    }


def assessment_stats(*, user: User) -> dict[str, Any]:
    """The learner's own quiz figures, scores in percent."""
    agg = QuizAttempt.objects.filter(user=user).aggregate(
        n=Count("id"), avg=Avg("percentage"), best=Max("percentage"), passed=Count("id", filter=Q(passed=True))
    )
    available = Quiz.objects.filter(is_draft=False, purpose=QuizPurpose.ASSESSMENT).count()
    return {
        "total_attempts": agg["n"],
        "completed_attempts": agg["n"],
        "average_score": round(float(agg["avg"]), 1) if agg["avg"] is not None else 0.0,
        "best_score": float(agg["best"]) if agg["best"] is not None else 0.0,
        "passed": agg["passed"],
        "quizzes_available": available,
    }
