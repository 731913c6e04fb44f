"""Chat tutor quality and latency on the seeded content.

1. Quality: the share of the labelled questions in bench/chat_questions.yaml whose expected module is among the
   sources `tutor_answer` cites (target ≥ 80%), listing the misses; follow-up questions are asked with the previous
   question as history. Also the off-topic questions, which must come back not confident and without sources.
2. Latency of `tutor_answer` in-process with a warm index (p50/p95/p99 over --rounds rounds; target p95 ≤ 200 ms),
   and the cold build of the index.
3. With --api: p50/p95 of `POST /api/agents/chat-assistant/message/` (`{message, session_id}` → 201 ChatMessage
   with `sources: [{type, id, title}]`) through Django's test Client as an authenticated user.

Runs in a throwaway test database (Django's test-database machinery: `test_<name>` of DATABASE_URL, created, seeded
with `manage.py seed`'s learning paths and resource catalogue, and dropped here), so it never touches real data.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/pathwise_bench .venv/bin/python bench/chat.py
       [--rounds 5] [--api] [--keepdb] [--verbose]
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import yaml  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from agents.tutor import CONFIDENT_SCORE, TutorProfile, tutor_answer, tutor_index_reset, tutor_retrieve  # noqa: E402
from learning.models import Module  # noqa: E402
from learning.services import seed_learning  # noqa: E402
from resources.services import seed_resources  # noqa: E402

QUESTIONS = Path(__file__).resolve().parent / "chat_questions.yaml"
CHAT = "/api/agents/chat-assistant/message/"


def load_questions() -> tuple[list[dict], list[str]]:
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    questions = data["questions"]
    for q in questions:
        module = Module.objects.filter(learning_path__slug=q["path"], title=q["module"]).first()
        if module is None:
            sys.exit(f"{q['q']!r}: no module {q['module']!r} in path {q['path']!r}")
        q["module_id"] = module.id
    return questions, data.get("off_topic", [])


def histories(questions: list[dict]) -> list[list[tuple[str, str]]]:
    """A follow-up is asked after the question before it (with that question's answer as the response)."""
    out: list[list[tuple[str, str]]] = []
    for i, q in enumerate(questions):
        out.append([(questions[i - 1]["q"], "")] if q.get("follow_up") and i else [])
    return out


def quality(questions: list[dict], off_topic: list[str], verbose: bool) -> None:
    hits, misses = 0, []
    for q, history in zip(questions, histories(questions), strict=True):
        answer = tutor_answer(question=q["q"], history=history)
        cited = [(s.type, s.id) for s in answer.sources]
        if ("module", q["module_id"]) in cited:
            hits += 1
        else:
            top = [f"{p.source.type}:{p.source.title} {p.score:.3f}" for p in tutor_retrieve(
                question=q["q"], history=[m for m, _ in history], limit=3)]  # fmt: skip
            misses.append(f"{q['q']!r} (expected {q['module']!r}): cited {[s.title for s in answer.sources]}, "
                          f"top {top}")  # fmt: skip
        if verbose:
            print(f"\n### {q['q']}\n{answer.text}\n")
    print(f"Retrieval quality: {hits}/{len(questions)} questions cite their expected module "
          f"({100 * hits / len(questions):.0f}%, target >= 80%)")  # fmt: skip
    for miss in misses:
        print(f"  miss: {miss}")
    wrong = []
    for text in off_topic:
        answer = tutor_answer(question=text)
        if answer.confident or answer.sources:
            wrong.append(f"{text!r} → {[s.title for s in answer.sources]}")
    print(f"Off-topic: {len(off_topic) - len(wrong)}/{len(off_topic)} answered 'I don't know' with no sources")
    for line in wrong:
        print(f"  answered anyway: {line}")
    on = sorted(top_score(q["q"], [m for m, _ in h]) for q, h in zip(questions, histories(questions), strict=True))
    off = [top_score(t, []) for t in off_topic]
    print(f"  calibration: on-topic best-passage scores min {on[0]:.3f}, median {statistics.median(on):.3f}; "
          f"off-topic best scores up to {max(off, default=0):.3f} (a stray shared word scores high: those are "
          f"refused by the word-coverage test; the score floor {CONFIDENT_SCORE} catches near-zero)")  # fmt: skip


def top_score(question: str, history: list[str]) -> float:
    passages = tutor_retrieve(question=question, history=history, limit=1)
    return passages[0].score if passages else 0.0


def _percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(sorted(samples), n=100)
    return (f"n={len(samples)}  p50 {q[49]:6.1f} ms   p95 {q[94]:6.1f} ms   p99 {q[98]:6.1f} ms   "
            f"max {max(samples):6.1f} ms")  # fmt: skip


def latency(questions: list[dict], off_topic: list[str], rounds: int) -> None:
    tutor_index_reset()
    started = time.perf_counter()
    tutor_answer(question="warm up")
    print(f"\nIndex build (cold, first question): {(time.perf_counter() - started) * 1000:.0f} ms")
    profiles = [TutorProfile(), TutorProfile(feedback_style="detailed", level=1),
                TutorProfile(feedback_style="concise", experience_level="advanced", level=5)]  # fmt: skip
    samples = []
    workload = list(zip([q["q"] for q in questions], histories(questions), strict=True))
    workload += [(t, []) for t in off_topic]
    for r in range(rounds):
        for i, (text, history) in enumerate(workload):
            started = time.perf_counter()
            tutor_answer(question=text, history=history, profile=profiles[(i + r) % len(profiles)])
            samples.append((time.perf_counter() - started) * 1000)
    print(f"tutor_answer in-process, warm index, {len(workload)} questions x {rounds} rounds (target p95 <= 200 ms):")
    print(f"  {_percentiles(samples)}")


def api_latency(questions: list[dict], rounds: int) -> None:
    from users.models import User
    from users.tokens import tokens_for_user

    user = User.objects.filter(username="bench-chat").first() or User.objects.create_user(
        "bench-chat", "bench-chat@example.com", "bench-Passw0rd!"
    )
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access']}")
    samples, failures = [], []
    for _ in range(rounds):
        session = str(uuid.uuid4())
        for q in questions:
            started = time.perf_counter()
            resp = client.post(CHAT, {"message": q["q"], "session_id": session}, content_type="application/json")
            samples.append((time.perf_counter() - started) * 1000)
            body = resp.json() if resp.headers.get("Content-Type", "").startswith("application/json") else {}
            if resp.status_code != 201 or not isinstance(body.get("sources"), list):
                failures.append(f"{resp.status_code} {str(body)[:120]}")
    print(f"\nPOST {CHAT} through the test Client, {len(questions)} questions x {rounds} rounds:")
    if failures:
        print(f"  {len(failures)} unexpected responses, e.g. {failures[0]}")
    if len(failures) == len(samples):
        print("  no 201 at all: is the endpoint deployed? (no latency figures)")
        return
    print(f"  {_percentiles(samples)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--api", action="store_true", help="Also time the chat endpoint through the test Client.")
    parser.add_argument("--keepdb", action="store_true", help="Keep (and reuse) the test database between runs.")
    parser.add_argument("--verbose", action="store_true", help="Print every answer.")
    args = parser.parse_args()

    old = setup_databases(verbosity=0, interactive=False, keepdb=args.keepdb)
    try:
        seed_learning(lambda n: None)
        seed_resources(lambda n: None)
        tutor_index_reset()
        questions, off_topic = load_questions()
        print(f"Chat tutor on the seeded content, db={connection.vendor}: {len(questions)} labelled questions "
              f"({sum(1 for q in questions if q.get('typo'))} with typos, "
              f"{sum(1 for q in questions if q.get('follow_up'))} follow-ups), {len(off_topic)} off-topic")  # fmt: skip
        quality(questions, off_topic, args.verbose)
        latency(questions, off_topic, args.rounds)
        if args.api:
            api_latency(questions, args.rounds)
    finally:
        if not args.keepdb:
            teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
