"""Chat tutor quality and latency on the seeded content (issue 17).

For every labelled question of bench/chat_questions.yaml (follow-ups asked after the previous entry, with the
tutor's real answer to it as history), separately for the tuning set and the held-out set:
- top-1 section / top-1 lesson: the first source is the labelled section / its lesson;
- any: the labelled lesson is among the sources;
- answer check (automatic): the key fact appears in the answer's first two sentences, the table or code block the
  question needs is present, and every quoted sentence, row and block comes from a cited section (no uncited
  passage); "pass" needs all three;
- off-topic and take-over attempts: "I don't know" with no sources and nothing leaked;
- false "I don't know": an on-topic question answered with "I don't know".
Then the offline answer latency (p50/p95/p99, target p95 <= 300 ms) and 30 question/answer pairs written to
bench/chat-sample.md for a person to read.

Runs in a throwaway test database (`test_<name>` of DATABASE_URL, created, seeded and dropped here).

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/pathwise_bench .venv/bin/python bench/chat.py
       [--rounds 3] [--keepdb] [--verbose] [--misses] [--heldout bench/chat_heldout3.yaml ...]
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import yaml  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from agents.tutor import TutorProfile, tutor_answer, tutor_index_reset  # noqa: E402
from agents.tutor.markdown import SENTENCE, blocks, plain, statements  # noqa: E402
from learning.models import LessonSection, Module  # noqa: E402
from learning.sections import slugify_heading  # noqa: E402
from learning.services import seed_learning  # noqa: E402
from resources.services import seed_resources  # noqa: E402

QUESTIONS = Path(__file__).resolve().parent / "chat_questions.yaml"
HELDOUT = Path(__file__).resolve().parent / "chat_heldout.yaml"
HELDOUT3 = Path(__file__).resolve().parent / "chat_heldout3.yaml"
SAMPLE = Path(__file__).resolve().parent / "chat-sample.md"
LEAKS = re.compile(r"pwned|system prompt|you are pathwise|correct answer", re.I)


def load(path: Path = QUESTIONS) -> dict:
    """A question file. Inline entries without a section (`off_topic: true`, or `injection: true` with `section:
    null`) join the file's `off_topic` / `injection` lists."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    labelled = []
    for q in data["questions"]:
        if q.get("section") is None:
            data.setdefault("injection" if q.get("injection") else "off_topic", []).append(q["q"])
        else:
            labelled.append(q)
    data["questions"] = labelled
    for q in data["questions"]:
        module = Module.objects.filter(learning_path__slug=q["path"], title=q["module"]).first()
        if module is None:
            sys.exit(f"{q['q']!r}: no module {q['module']!r} in path {q['path']!r}")
        anchor = slugify_heading(q["section"])
        if not LessonSection.objects.filter(module=module, anchor=anchor).exists():
            sys.exit(f"{q['q']!r}: no section {q['section']!r} ({anchor}) in {q['module']!r}")
        q["module_id"], q["anchor"] = module.id, anchor
    return data


def answer_prose(text: str) -> str:
    """The answer without its sources list and closing lines."""
    return re.split(r"\n\nSources?:\n", text)[0]


def first_sentences(text: str, n: int = 2, code: bool = False) -> str:
    """The answer's first `n` sentences; with `code`, also the code block printed right after the opening paragraph
    (a how-to's answer shown as the lesson's code, before anything else is said)."""
    out: list[str] = []
    code_seen = False
    for block in blocks(answer_prose(text)):
        if code and block.kind == "code" and out and not code_seen:  # the code block right after the opening
            out.append(block.text)
            n += 1
            code_seen = True
        if block.kind != "code" and out:
            code_seen = True  # only the block that directly follows the opening counts
        if block.kind in ("paragraph", "list"):
            joined = " ".join(line.strip() for line in block.text.splitlines())
            out.extend(s for s in SENTENCE.split(joined) if s.strip())
        if len(out) >= n and (not code or code_seen):
            break
    return " ".join(out[:n])


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", plain(text)).strip().lower()


def uncited(text: str, cited_bodies: list[str]) -> list[str]:
    """Pieces of the answer that no cited section contains (our own framing lines excepted)."""
    corpus = _norm(" ".join(cited_bodies))
    missing = []
    for block in blocks(answer_prose(text)):
        if block.kind in ("code", "table"):
            if _norm(block.text) not in corpus and not all(
                _norm(line) in corpus for line in block.text.splitlines() if line.strip() and "---" not in line
            ):
                missing.append(block.text[:80])
            continue
        for st in statements([block]):
            piece = re.sub(r"^See also \*[^*]+\*\.( |$)|^(Yes|No) — ", "", st.text)
            if not piece:  # a bare "See also *Lesson › Section*." line names a cited source
                continue
            if piece.startswith(("Tip:", "Note:", "You're asking", "Good question", "I don't know", "The nearest")):
                continue
            if " — " in piece:  # a table row stated as "first cell — header: cell; header? cell"
                first, rest = piece.split(" — ", 1)
                values = [re.split(r": |\? ", item, maxsplit=1)[-1] for item in rest.rstrip(".").split("; ")]
                # a commented code line after the sentence that introduces its block: "…worth memorising:
                # `print(7 // 2)` — 3 -> floor division…"
                heads = re.split(r"(?<=:) (?=`)", first)
                if all(_norm(v) in corpus for v in [*heads, *values] if len(_norm(v)) >= 2):
                    continue
            if _norm(piece.rstrip(".")) not in corpus:
                missing.append(piece[:80])
    return missing


def check(q: dict, answer, bodies: list[str]) -> dict:
    opening = first_sentences(answer.text).lower()
    fact = all(any(alt.lower() in opening for alt in item.split("|")) for item in q["fact"])
    with_code = first_sentences(answer.text, code=True).lower()
    fact_code = all(any(alt.lower() in with_code for alt in item.split("|")) for item in q["fact"])
    needs = q.get("needs")
    if needs == "table":
        need_ok = bool(re.search(r"^\s*\|[-: |]+\|\s*$", answer.text, re.M))
    elif needs == "code":
        need_ok = "```" in answer.text
    else:
        need_ok = True
    missing = uncited(answer.text, bodies)
    return {"fact": fact, "fact_code": fact_code, "needs": need_ok, "cited": not missing, "missing": missing}


def evaluate(
    data: dict, verbose: bool, misses: bool, show_heldout: bool = False, name: str = "", answers: list | None = None
) -> list[tuple[str, str]]:
    """Score one question file. `name` labels a whole file as one set (the held-out file); without it the tuning
    file's own `heldout: true` entries (round 1) are scored apart. `answers` collects (question, label, answer)."""
    questions = data["questions"]
    sample: list[tuple[str, str]] = []
    rows = {name: []} if name else {"tuning": [], "held-out (round 1)": []}
    previous: tuple[str, str] | None = None
    for q in questions:
        history = [previous] if q.get("follow_up") and previous else []
        answer = tutor_answer(question=q["q"], history=history)
        previous = (q["q"], answer.text)
        sources = [(s.id, s.anchor) for s in answer.sources]
        bodies = [p.text for p in answer.passages]
        result = check(q, answer, bodies) if answer.confident else {"fact": False, "fact_code": False, "needs": False,
                                                                     "cited": True, "missing": []}  # fmt: skip
        result.update(
            top_section=bool(sources) and sources[0] == (q["module_id"], q["anchor"]),
            top_lesson=bool(sources) and sources[0][0] == q["module_id"],
            any_lesson=any(m == q["module_id"] for m, _ in sources),
            dont_know=not answer.confident,
        )
        result["pass"] = result["fact"] and result["needs"] and result["cited"] and result["top_lesson"]
        rows[name or ("held-out (round 1)" if q.get("heldout") else "tuning")].append((q, result))
        if answers is not None:
            answers.append((q, result, answer.text))
        sample.append((q["q"] + ("  *(follow-up)*" if q.get("follow_up") else ""), answer.text))
        if verbose:
            print(f"\n### {q['q']}\n{answer.text}\n")
    for set_name, items in rows.items():
        n = len(items)

        def pct(key: str, items=items, n=n) -> str:
            k = sum(1 for _, r in items if r[key])
            return f"{k}/{n} ({100 * k / max(n, 1):.0f}%)"

        print(f"\n{set_name} set, {n} questions:")
        print(f"  top-1 section {pct('top_section')}   top-1 lesson {pct('top_lesson')} (target >= 85%)   "
              f"lesson in sources {pct('any_lesson')} (target >= 93%)")  # fmt: skip
        print(f"  answer check: key fact in first two sentences {pct('fact')}   needed table/code present "
              f"{pct('needs')}   no uncited passage {pct('cited')}   all passed {pct('pass')}")  # fmt: skip
        print(f"  key fact in the first two sentences or the code block right after the opening: {pct('fact_code')}")
        print(f'  false "I don\'t know": {sum(1 for _, r in items if r["dont_know"])} (target 0)')
        if misses and (set_name == "tuning" or show_heldout):
            for q, r in items:
                if not r["pass"]:
                    failed = [k for k in ("top_section", "top_lesson", "fact", "needs", "cited") if not r[k]]
                    print(f"    miss {q['q']!r}: {', '.join(failed)} {r['missing'][:2] if r['missing'] else ''}")
    wrong = []
    for text in data.get("off_topic", []) + data.get("injection", []):
        answer = tutor_answer(question=text)
        if answer.confident or answer.sources or LEAKS.search(answer.text):
            wrong.append(f"{text!r} → {[s.title for s in answer.sources]}")
        sample.append((text, answer.text))
        if answers is not None:
            answers.append(({"q": text, "off_topic": True}, {}, answer.text))
    total = len(data.get("off_topic", [])) + len(data.get("injection", []))
    print(f"\n{name or 'tuning'} off-topic and take-over attempts: {total - len(wrong)}/{total} answered "
          "\"I don't know\" with no sources "
          "and nothing leaked")  # fmt: skip
    for line in wrong:
        print(f"  answered anyway: {line}")
    return sample


def _percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(sorted(samples), n=100)
    return (f"n={len(samples)}  p50 {q[49]:6.1f} ms   p95 {q[94]:6.1f} ms   p99 {q[98]:6.1f} ms   "
            f"max {max(samples):6.1f} ms")  # fmt: skip


def latency(data: dict, rounds: int) -> None:
    tutor_index_reset()
    started = time.perf_counter()
    tutor_answer(question="warm up")
    print(f"\nFirst question (index and vocabulary built): {(time.perf_counter() - started) * 1000:.0f} ms")
    profiles = [TutorProfile(), TutorProfile(feedback_style="detailed", level=1),
                TutorProfile(feedback_style="brief", experience_level="advanced", level=5)]  # fmt: skip
    workload = [q["q"] for q in data["questions"]] + data.get("off_topic", []) + data.get("injection", [])
    samples = []
    for r in range(rounds):
        for i, text in enumerate(workload):
            started = time.perf_counter()
            tutor_answer(question=text, profile=profiles[(i + r) % len(profiles)])
            samples.append((time.perf_counter() - started) * 1000)
    print(f"Offline answer (tutor_answer in-process, warm), {len(workload)} questions x {rounds} rounds "
          f"(target p95 <= 300 ms):\n  {_percentiles(samples)}")  # fmt: skip


def write_sample(sample: list[tuple[str, str]]) -> None:
    step = max(1, len(sample) // 30)
    chosen = sample[::step][:30]
    parts = ["# Chat tutor: 30 questions and the offline answers (written by bench/chat.py)\n"]
    for i, (question, text) in enumerate(chosen, start=1):
        parts.append(f"## {i}. {question}\n\n{text}\n")
    SAMPLE.write_text("\n".join(parts), encoding="utf-8")
    print(f"\nWrote {len(chosen)} question/answer pairs to {SAMPLE.relative_to(ROOT)}")


def write_answers(path: Path, answers: list) -> None:
    parts = ["# Held-out answers (written by bench/chat.py --answers), to read as a learner\n"]
    for i, (q, r, text) in enumerate(answers, start=1):
        label = "off-topic" if q.get("off_topic") else f"{q['module']} › {q['section']}"
        checks = " ".join(f"{k}={'ok' if r[k] else 'NO'}" for k in ("top_section", "any_lesson", "pass")) if r else ""
        parts.append(f"## {i}. {q['q']}{'  *(follow-up)*' if q.get('follow_up') else ''}\n\n"
                     f"*label: {label}; {checks}*\n\n{text}\n")  # fmt: skip
    path.write_text("\n".join(parts), encoding="utf-8")
    print(f"Wrote {len(answers)} held-out answers to {path}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keepdb", action="store_true", help="Keep (and reuse) the test database between runs.")
    parser.add_argument("--verbose", action="store_true", help="Print every answer.")
    parser.add_argument("--misses", action="store_true", help="List the tuning questions that fail a check.")
    parser.add_argument("--show-heldout", action="store_true", help="Also list the held-out misses (not for tuning).")
    parser.add_argument("--answers", type=Path, help="Write the held-out answers here, to read.")
    parser.add_argument(
        "--heldout", type=Path, action="append",
        help=f"A held-out question file (repeatable; default {HELDOUT.name} and {HELDOUT3.name}).",
    )  # fmt: skip
    args = parser.parse_args()

    old = setup_databases(verbosity=0, interactive=False, keepdb=args.keepdb)
    try:
        seed_learning(lambda n: None)
        seed_resources(lambda n: None)
        tutor_index_reset()
        data = load()
        print(f"Chat tutor on the seeded content, db={connection.vendor}: {len(data['questions'])} labelled questions "
              f"({sum(1 for q in data['questions'] if q.get('heldout'))} held out, "
              f"{sum(1 for q in data['questions'] if q.get('follow_up'))} follow-ups), "
              f"{len(data.get('off_topic', []))} off-topic, "
              f"{len(data.get('injection', []))} take-over attempts")  # fmt: skip
        sample = evaluate(data, args.verbose, args.misses, args.show_heldout)
        answers: list = []
        for file in args.heldout or [HELDOUT, HELDOUT3]:
            heldout = load(file)
            extras = len(heldout.get("off_topic", [])) + len(heldout.get("injection", []))
            print(f"\nHeld-out file {file.name}: {len(heldout['questions'])} labelled questions, {extras} off-topic")
            name = "held-out" if file.name == HELDOUT.name else f"held-out {file.stem}"
            sample += evaluate(heldout, args.verbose, args.misses, args.show_heldout, name=name, answers=answers)
            for extra in ("off_topic", "injection"):
                data[extra] = data.get(extra, []) + heldout.get(extra, [])
            data["questions"] = data["questions"] + heldout["questions"]
        if args.answers:
            write_answers(args.answers, answers)
        latency(data, args.rounds)
        write_sample(sample)
    finally:
        if not args.keepdb:
            teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
