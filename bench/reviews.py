"""Spaced review, simulated and measured in one run.

1. 1,000 simulated learners over 90 days study new questions and answer whatever FSRS says is due. Their answers
   come from a ground-truth forgetting model that is NOT FSRS's (exponential forgetting, per-learner and per-item
   memory strength that grows with each successful recall and shrinks after a lapse), with answer times that are
   faster when memory is stronger, graded by the project's own rating rule. Prints reviews per learner per day,
   and FSRS's predicted recall next to the simulated (observed) recall, overall and by bin (calibration).
2. API p95 of GET /api/learning/reviews/due/ for a learner with 10,000 items (half of them due), through the full
   Django stack with a JWT, on DATABASE_URL (PostgreSQL) or a throwaway SQLite file. Target ≤ 50 ms.

Usage: .venv/bin/python bench/reviews.py [--learners 1000] [--days 90] [--requests 200]
"""

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_TMP = Path(tempfile.mkdtemp(prefix="pathwise-reviews-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
os.environ.setdefault("DJANGO_SECRET_KEY", os.urandom(32).hex())
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP / 'reviews.sqlite3'}")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("THROTTLE_USER", "1000000/1m")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from learning.models import ReviewItem  # noqa: E402
from learning.review import scheduler  # noqa: E402

NEW_PER_DAY = 5
STUDY_DAYS = 40  # new material on the first 40 days, then review only
BASE_SECONDS = 12.0


class TrueMemory:
    """Ground truth for one learner × item: recall probability exp(-t / strength), strength in days."""

    def __init__(self, rng: random.Random, ability: float) -> None:
        self.strength = max(0.2, rng.lognormvariate(math.log(3.0 * ability), 0.5))
        self.last = 0.0

    def recall(self, now: float) -> float:
        return math.exp(-(now - self.last) / self.strength)

    def answer(self, rng: random.Random, now: float) -> tuple[bool, float]:
        p = self.recall(now)
        correct = rng.random() < p
        seconds = BASE_SECONDS * (1.6 - p) * rng.lognormvariate(0, 0.3)
        if correct:  # spacing effect: a harder successful recall strengthens memory more
            self.strength *= 1.8 + 2.5 * (1 - p)
        else:
            self.strength = max(0.2, self.strength * 0.4)
        self.last = now
        return correct, seconds


def simulate(learners: int, days: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    reviews_per_day: list[int] = []
    predicted: list[float] = []
    observed: list[int] = []
    t0 = time.perf_counter()
    for _ in range(learners):
        ability = rng.lognormvariate(0, 0.4)
        items: list[tuple[ReviewItem, TrueMemory]] = []
        times: list[int] = []
        for day in range(days):
            session = start + timedelta(days=day, hours=rng.uniform(0, 10))
            now_days = (session - start).total_seconds() / 86400
            if day < STUDY_DAYS:
                for _ in range(NEW_PER_DAY):
                    memory = TrueMemory(rng, ability)
                    memory.last = now_days
                    items.append((ReviewItem(due=session, state=1), memory))
            done = 0
            # A session: answer what is due; learning steps due again within the session are answered too.
            for _round in range(3):
                due = [(item, mem) for item, mem in items if item.due <= session]
                for item, mem in due:
                    if item.last_review is not None:
                        predicted.append(scheduler.retrievability(item.stability, item.last_review, session))
                    correct, seconds = mem.answer(rng, now_days)
                    if item.last_review is not None:
                        observed.append(int(correct))
                    rating = scheduler.answer_rating(correct=correct, time_taken=round(seconds),
                                                     median_time=scheduler.median_time(times[-50:]))  # fmt: skip
                    times.append(round(seconds))
                    new = scheduler.review(item, rating, session)
                    item.state, item.step, item.stability, item.difficulty = (new.state, new.step, new.stability,
                                                                              new.difficulty)  # fmt: skip
                    item.due, item.last_review = new.due, new.last_review
                    done += 1
                session += timedelta(minutes=12)
                now_days = (session - start).total_seconds() / 86400
            reviews_per_day.append(done)
    elapsed = time.perf_counter() - t0
    n = len(predicted)
    print(f"simulation: {learners} learners × {days} days, {NEW_PER_DAY} new items a day for {STUDY_DAYS} days "
          f"({elapsed:.1f} s)")  # fmt: skip
    print(f"  reviews per learner per day: mean {statistics.mean(reviews_per_day):.1f}, "
          f"median {statistics.median(reviews_per_day):.0f}, p95 {_pct(reviews_per_day, 95):.0f}")  # fmt: skip
    print(f"  reviews of learned items: {n}; predicted recall {statistics.mean(predicted):.3f} vs simulated "
          f"{statistics.mean(observed):.3f} (desired retention {scheduler.scheduler().desired_retention})")  # fmt: skip
    print("  calibration (predicted bin → mean predicted / observed, n):")
    for lo, hi in [(0, 0.6), (0.6, 0.75), (0.75, 0.85), (0.85, 0.92), (0.92, 1.01)]:
        idx = [i for i, p in enumerate(predicted) if lo <= p < hi]
        if idx:
            mp = statistics.mean(predicted[i] for i in idx)
            mo = statistics.mean(observed[i] for i in idx)
            print(f"    [{lo:.2f}, {min(hi, 1):.2f}): {mp:.3f} / {mo:.3f}  (n={len(idx)})")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def api_due(items: int, requests: int) -> None:
    from learning.models import Question, Quiz
    from tests.factories import UserFactory
    from users.tokens import tokens_for_user

    call_command("migrate", "--noinput", verbosity=0)
    user = UserFactory()
    quiz = Quiz.objects.create(slug=f"bench-{user.pk.hex[:8]}", title="bench", purpose="review")
    Question.objects.bulk_create(
        [Question(quiz=quiz, order_index=i, type="true_false", question=f"Statement {i}?", options=["True", "False"],
                  correct_answer="True") for i in range(items)], batch_size=2000,
    )  # fmt: skip
    now = datetime.now(UTC)
    rng = random.Random(3)
    ReviewItem.objects.bulk_create(
        [ReviewItem(user=user, question=q, due=now + timedelta(hours=rng.uniform(-2000, 2000)), state=2,
                    stability=rng.uniform(1, 60), difficulty=5.0, last_review=now - timedelta(days=rng.uniform(1, 60)),
                    reps=3) for q in Question.objects.filter(quiz=quiz)], batch_size=2000,
    )  # fmt: skip
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access']}")
    timings = []
    for i in range(requests + 10):
        t = time.perf_counter()
        resp = client.get("/api/learning/reviews/due/?limit=20", HTTP_HOST="127.0.0.1")
        if i >= 10:
            timings.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, resp.content[:200]
    due = int(resp["X-Total-Count"])
    p95 = _pct(timings, 95)
    print(f"API GET /api/learning/reviews/due/?limit=20, {items} items ({due} due), {requests} requests "
          f"[{os.environ['DATABASE_URL'].split(':')[0]}]: p50 {statistics.median(timings):.1f} ms, "
          f"p95 {p95:.1f} ms — target ≤ 50 ms: {'PASS' if p95 <= 50 else 'MISS'}")  # fmt: skip
    t = time.perf_counter()
    client.get("/api/learning/mastery/", HTTP_HOST="127.0.0.1")
    print(f"API GET /api/learning/mastery/ with {items} items: {(time.perf_counter() - t) * 1000:.0f} ms")
    quiz.delete()
    user.delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    simulate(args.learners, args.days)
    api_due(args.items, args.requests)


if __name__ == "__main__":
    main()
