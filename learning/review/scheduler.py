"""The FSRS-6 scheduler (PyPI `fsrs`, MIT) configured from settings, and the one rule that turns an answer into a
rating. Pure functions: no database.

How an answer becomes a rating (`answer_rating`):
- wrong → Again (the item goes back to short learning steps);
- right after a hint, or taking more than twice the learner's median time → Hard;
- right in under half the learner's median time → Easy (only once the learner has a median: 3+ timed answers);
- otherwise right → Good.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import numpy as np
from django.conf import settings
from fsrs import Card, Rating, Scheduler, State

from learning.choices import ReviewRating
from learning.models import ReviewItem

SLOW_FACTOR = 2.0
FAST_FACTOR = 0.5
MIN_TIMED_ANSWERS = 3


@cache
def scheduler() -> Scheduler:
    return Scheduler(
        desired_retention=settings.REVIEW_DESIRED_RETENTION,
        maximum_interval=settings.REVIEW_MAXIMUM_INTERVAL_DAYS,
        enable_fuzzing=settings.REVIEW_ENABLE_FUZZING,
    )


def answer_rating(*, correct: bool, time_taken: float, median_time: float | None, used_hint: bool = False) -> int:
    """The FSRS rating (1 Again … 4 Easy) of one answer; see the module docstring."""
    if not correct:
        return ReviewRating.AGAIN
    if used_hint or (median_time and time_taken > SLOW_FACTOR * median_time):
        return ReviewRating.HARD
    if median_time and 0 < time_taken < FAST_FACTOR * median_time:
        return ReviewRating.EASY
    return ReviewRating.GOOD


def median_time(times: Sequence[int]) -> float | None:
    """The learner's median answer time, from recent timed answers (None until there are enough)."""
    timed = [t for t in times if t > 0]
    return float(statistics.median(timed)) if len(timed) >= MIN_TIMED_ANSWERS else None


def card_of(item: ReviewItem) -> Card:
    return Card(
        card_id=item.pk or 0,
        state=State(item.state),
        step=item.step,
        stability=item.stability,
        difficulty=item.difficulty,
        due=item.due,
        last_review=item.last_review,
    )


@dataclass(frozen=True)
class Scheduled:
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None


def review(item: ReviewItem, rating: int, at: datetime) -> Scheduled:
    """The item's new memory state and due date after an answer rated `rating` at time `at` (UTC-aware)."""
    card, _log = scheduler().review_card(card_of(item), Rating(rating), at)
    return Scheduled(
        state=int(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def retrievability(stability: float | None, last_review: datetime | None, at: datetime) -> float:
    """The probability of recalling the item at `at` (0 for an item never reviewed)."""
    if stability is None or last_review is None:
        return 0.0
    decay = -scheduler().parameters[20]
    days = max((at - last_review).total_seconds(), 0.0) / 86400.0
    return (1 + (0.9 ** (1 / decay) - 1) * days / max(stability, 1e-6)) ** decay


def recall_many(stability: np.ndarray, elapsed_seconds: np.ndarray) -> np.ndarray:
    """FSRS-6's forgetting curve R(t, S) = (1 + F·t/S)^(−w20), F = 0.9^(−1/w20) − 1, over arrays (t in days)."""
    decay = -scheduler().parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    days = np.maximum(elapsed_seconds, 0) / 86400.0
    return np.power(1 + factor * days / np.maximum(stability, 1e-6), decay)
