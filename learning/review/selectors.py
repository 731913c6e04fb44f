"""Reads of spaced review, always scoped to the requesting learner: what is due, and mastery (the mean recall
probability now) per learning path ("topic") and per module."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from learning.models import ReviewItem, ReviewLog
from learning.review import scheduler
from users.models import User


def reviews_due(*, user: User, at: datetime | None = None) -> QuerySet[ReviewItem]:
    """The learner's items due at `at`, most overdue first (ties by id)."""
    at = at or timezone.now()
    return (
        ReviewItem.objects.filter(user=user, due__lte=at)
        .select_related("question", "module", "module__learning_path")
        .order_by("due", "id")
    )


def recall_probability(item: ReviewItem, at: datetime) -> float:
    return scheduler.retrievability(item.stability, item.last_review, at)


@dataclass
class _Group:
    id: int
    title: str
    recall: list[float]
    due: int = 0
    learned: int = 0
    items: int = 0
    learning_path_id: int | None = None

    def row(self) -> dict[str, Any]:
        mean = float(np.mean(self.recall)) if self.recall else 0.0
        row = {
            "id": self.id,
            "title": self.title,
            "mastery": round(mean, 4),
            "items": self.items,
            "items_learned": self.learned,
            "items_due": self.due,
        }
        if self.learning_path_id is not None:
            row["learning_path_id"] = self.learning_path_id
        return row


def _item_rows(user: User) -> list[tuple[Any, ...]]:
    return list(
        ReviewItem.objects.filter(user=user).values_list(
            "module_id",
            "module__title",
            "module__learning_path_id",
            "module__learning_path__title",
            "stability",
            "last_review",
            "due",
        )
    )


def _recalls(rows: list[tuple[Any, ...]], at: datetime) -> np.ndarray:
    if not rows:
        return np.zeros(0)
    stability = np.array([r[4] if r[4] is not None else np.nan for r in rows], dtype=float)
    elapsed = np.array([(at - r[5]).total_seconds() if r[5] is not None else 0.0 for r in rows], dtype=float)
    recall = scheduler.recall_many(np.nan_to_num(stability, nan=1.0), elapsed)
    return np.where(np.isnan(stability), 0.0, recall)


def mastery(*, user: User, at: datetime | None = None) -> dict[str, Any]:
    """Per learning path (`topics`) and per module: mean recall probability now over learned items (reviewed at
    least once), items due, items learned; plus the learner's summary."""
    at = at or timezone.now()
    rows = _item_rows(user)
    recall = _recalls(rows, at)
    topics: dict[int, _Group] = {}
    modules: dict[int, _Group] = {}
    for (module_id, module_title, path_id, path_title, _stability, last_review, due), r in zip(
        rows, recall, strict=True
    ):
        groups = []
        if path_id is not None:
            groups.append(topics.setdefault(path_id, _Group(path_id, path_title, [])))
        if module_id is not None:
            groups.append(modules.setdefault(module_id, _Group(module_id, module_title, [], learning_path_id=path_id)))
        for g in groups:
            g.items += 1
            g.due += int(due <= at)
            if last_review is not None:
                g.learned += 1
                g.recall.append(float(r))
    return {
        "summary": _summary(rows, recall, at),
        "topics": [topics[k].row() for k in sorted(topics)],
        "modules": [modules[k].row() for k in sorted(modules)],
    }


def _summary(rows: list[tuple[Any, ...]], recall: np.ndarray, at: datetime) -> dict[str, Any]:
    learned = [float(r) for row, r in zip(rows, recall, strict=True) if row[5] is not None]
    return {
        "reviews_due": sum(1 for row in rows if row[6] <= at),
        "items": len(rows),
        "items_learned": len(learned),
        "mastery_percentage": round(100.0 * float(np.mean(learned)), 1) if learned else 0.0,
    }


def review_summary(*, user: User, at: datetime | None = None) -> dict[str, Any]:
    """`reviews_due` and `mastery_percentage` for /api/users/stats/."""
    at = at or timezone.now()
    rows = _item_rows(user)
    summary = _summary(rows, _recalls(rows, at), at)
    return {"reviews_due": summary["reviews_due"], "mastery_percentage": summary["mastery_percentage"]}


def mastered_module_ids(*, user: User, at: datetime | None = None) -> set[int]:
    """Modules whose learned items the learner recalls with mean probability ≥ REVIEW_MASTERED_RECALL now."""
    result = mastery(user=user, at=at)
    threshold = settings.REVIEW_MASTERED_RECALL
    return {m["id"] for m in result["modules"] if m["items_learned"] and m["mastery"] >= threshold}


def due_by_module(*, user: User, at: datetime | None = None, limit: int = 5) -> list[dict[str, Any]]:
    """Modules with due reviews, most due first: what the learning coordinator lists before anything new."""
    at = at or timezone.now()
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for module_id, title in ReviewItem.objects.filter(user=user, due__lte=at, module__isnull=False).values_list(
        "module_id", "module__title"
    ):
        counts[(module_id, title)] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))[:limit]
    return [{"module_id": mid, "title": title, "reviews_due": n} for (mid, title), n in ranked]


def mastery_history(*, user: User, at: datetime | None = None, weeks: int = 4) -> list[dict[str, Any]]:
    """Mastery at the end of each of the last `weeks` weeks (oldest first), replayed from the review log: at each
    date, every item's latest answer before it gives its stability and the time since."""
    at = at or timezone.now()
    logs = list(
        ReviewLog.objects.filter(item__user=user, reviewed_at__lte=at)
        .order_by("item_id", "reviewed_at", "id")
        .values_list("item_id", "reviewed_at", "stability")
    )
    out = []
    for back in range(weeks - 1, -1, -1):
        when = at - timedelta(days=7 * back)
        latest: dict[int, tuple[datetime, float | None]] = {}
        for item_id, reviewed_at, stability in logs:
            if reviewed_at <= when:
                latest[item_id] = (reviewed_at, stability)
        values = [scheduler.retrievability(s, t, when) for t, s in latest.values()]
        out.append(
            {
                "date": when.date().isoformat(),
                "items_learned": len(values),
                "mastery_percentage": round(100.0 * float(np.mean(values)), 1) if values else 0.0,
            }
        )
    return out
