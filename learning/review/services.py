"""Writes of spaced review: items start when a learner first meets a question, and every graded answer (in a
review or a quiz attempt) moves the item's FSRS schedule and is logged."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from learning.choices import AwardKind, ReviewSource
from learning.grading import is_correct
from learning.models import Module, Question, QuizAttempt, ReviewItem, ReviewLog
from learning.review import scheduler
from users import services as user_services
from users.models import User

RECENT_TIMES = 50


def review_award_id(*, item_id: int, day: date) -> int:
    """The PointAward object id that makes review points happen once per item per day: item id and UTC date."""
    return item_id * 100_000_000 + int(day.strftime("%Y%m%d"))


def _question_module_id(question: Question) -> int | None:
    return question.module_id or question.quiz.module_id


def review_items_introduce(*, user: User, questions: Iterable[Question], at: datetime | None = None) -> int:
    """Start a review item for each question the learner has no item for yet (due now: the first recall check).
    Returns how many were created; concurrent calls create each item once (unique user+question)."""
    at = at or timezone.now()
    rows = [ReviewItem(user=user, question=q, module_id=_question_module_id(q), due=at) for q in questions]
    if not rows:
        return 0
    known = set(
        ReviewItem.objects.filter(user=user, question__in=[r.question for r in rows]).values_list(
            "question_id", flat=True
        )
    )
    fresh = [r for r in rows if r.question_id not in known]
    ReviewItem.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def review_items_for_module(*, user: User, module: Module) -> int:
    """A completed module's check questions (its own and the quiz questions that cover it) enter review."""
    questions = Question.objects.filter(module=module).select_related("quiz")
    return review_items_introduce(user=user, questions=questions)


def _median_time(user: User) -> float | None:
    times = (
        ReviewLog.objects.filter(item__user=user)
        .order_by("-reviewed_at", "-id")
        .values_list("time_taken", flat=True)[:RECENT_TIMES]
    )
    return scheduler.median_time(list(times))


def _apply(
    item: ReviewItem,
    *,
    correct: bool,
    time_taken: int,
    source: str,
    at: datetime,
    median: float | None,
    used_hint: bool = False,
) -> ReviewLog:
    rating = scheduler.answer_rating(correct=correct, time_taken=time_taken, median_time=median, used_hint=used_hint)
    due_before = item.due
    new = scheduler.review(item, rating, at)
    item.state, item.step, item.stability, item.difficulty = new.state, new.step, new.stability, new.difficulty
    item.due, item.last_review = new.due, new.last_review
    item.reps += 1
    if not correct and due_before <= at and item.reps > 1:
        item.lapses += 1
    item.save(update_fields=["state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses"])
    return ReviewLog.objects.create(
        item=item,
        rating=rating,
        correct=correct,
        time_taken=time_taken,
        source=source,
        reviewed_at=at,
        due_before=due_before,
        due_after=item.due,
        stability=item.stability,
    )


@dataclass(frozen=True)
class ReviewResult:
    item: ReviewItem
    log: ReviewLog
    correct_answer: Any
    explanation: str
    recall_probability: float
    points_awarded: int


def review_answer(
    *,
    user: User,
    item_id: int,
    answer: Any,
    time_taken: int = 0,
    used_hint: bool = False,
    at: datetime | None = None,
) -> ReviewResult:
    """Score a review answer on the server like a quiz answer, reschedule the item and log it. Another learner's
    item is a 404. Points (REVIEW_POINTS) at most once per item per UTC day; a review day counts for the streak."""
    from learning.services import award_once  # learning.services imports this module for its hooks

    at = at or timezone.now()
    with transaction.atomic():
        item = (
            ReviewItem.objects.select_for_update(of=("self",))
            .select_related("question")
            .filter(pk=item_id, user=user)
            .first()
        )
        if item is None:
            raise Http404("No such review item.")
        q = item.question
        correct = is_correct(q.type, q.correct_answer, q.options or [], answer)
        log = _apply(
            item,
            correct=correct,
            time_taken=time_taken,
            source=ReviewSource.REVIEW,
            at=at,
            median=_median_time(user),
            used_hint=used_hint,
        )
    points = settings.REVIEW_POINTS
    granted = points > 0 and award_once(
        user=user, kind=AwardKind.REVIEW, object_id=review_award_id(item_id=item.pk, day=at.date()), points=points
    )
    user_services.user_record_activity(user=user, minutes=round(time_taken / 60))
    return ReviewResult(
        item=item,
        log=log,
        correct_answer=q.correct_answer,
        explanation=q.explanation,
        recall_probability=scheduler.retrievability(item.stability, item.last_review, at),
        points_awarded=points if granted else 0,
    )


def review_record_quiz_attempt(*, user: User, attempt: QuizAttempt) -> int:
    """Every question answered in a quiz attempt becomes (or moves) a review item, graded like a review; the time
    per question is the attempt's time shared evenly. Returns the number of items moved."""
    results = [r for r in attempt.detailed_results if r.get("user_answer") is not None]
    if not results:
        return 0
    at = timezone.now()
    questions = {
        q.pk: q for q in Question.objects.filter(pk__in=[r["question_id"] for r in results]).select_related("quiz")
    }
    review_items_introduce(user=user, questions=questions.values(), at=at)
    per_question = round(attempt.time_taken / len(results)) if attempt.time_taken else 0
    median = _median_time(user)
    with transaction.atomic():
        items = {
            i.question_id: i
            for i in ReviewItem.objects.select_for_update().filter(user=user, question_id__in=list(questions))
        }
        for r in results:
            item = items.get(r["question_id"])
            if item is not None:
                _apply(
                    item,
                    correct=bool(r["is_correct"]),
                    time_taken=per_question,
                    source=ReviewSource.QUIZ,
                    at=at,
                    median=median,
                )
    return len(items)
