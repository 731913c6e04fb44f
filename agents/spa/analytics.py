"""The Progress page's "Advanced Analytics" panel (SPA.md §6): findings from the progress tracker's own figures and
recommendations from the learning coordinator, for the caller only."""

from datetime import timedelta
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from agents import services_work
from users.models import DailyActivity, User


def _quality(events: int) -> str:
    return "low" if events < 5 else ("medium" if events < 20 else "high")


def dashboard(*, user: User, include_recommendations: bool) -> dict[str, Any]:
    track = services_work.progress_track(user=user)
    since = timezone.now().date() - timedelta(days=30)
    events = DailyActivity.objects.filter(user=user, date__gt=since).aggregate(n=Sum("actions"))["n"] or 0
    stats = track["stats"]
    week = sum(d["modules_completed"] for d in track["weekly_activity"])
    total = sum(p["modules_total"] for p in track["paths"]) if track["paths"] else 0
    findings = [f"You have completed {stats['total_modules_completed']} modules, {week} in the last 7 days."]
    if total:
        findings[0] = (
            f"You have completed {stats['total_modules_completed']} of {total} modules in your paths, "
            f"{week} in the last 7 days."
        )
    findings += [line for line in track["insights"] if line not in findings]
    recommendations: list[str] = []
    if include_recommendations:
        plan = services_work.coordinator_recommend(user=user, limit=5)
        recommendations = [f"Next: {m['title']} ({m['learning_path']})" for m in plan["next_modules"]]
        recommendations += [f"Roadmap step: {s.get('title', '')}" for s in plan.get("roadmap_steps", [])[:2]]
    quality = _quality(events)
    status = "Not enough activity yet" if quality == "low" else "Up to date"
    return {
        "dashboard_summary": {
            "overall_data_quality": quality,
            "confidence_level": quality,
            "analysis_status": status,
            "key_findings": [str(f) for f in findings],
            "top_recommendations": [str(r) for r in recommendations],
        }
    }
