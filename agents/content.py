"""The offline content generator: a lesson outline and draft quiz questions built from our own content.

The topic is resolved with the tutor's retrieval (the best lesson about it) and the curated topic graph. The outline
follows the lesson's own sections (key sentences as points) framed by the graph: prerequisites first, what the topic
leads to last. Questions are clozes on the lesson's key terms (its **bold** words and `code`): short answers, and
multiple choice whose distractors are sibling terms of the same lesson or path (or related topics, when the topic
has no lesson). Everything is deterministic for a given topic and difficulty, so regenerating gives the same draft.
The questions have the shape of `learning.models.Question`, so staff can save them as a draft quiz.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agents.tutor import Source, quotable_units, split_sections, tutor_search
from learning import selectors as learning_selectors
from learning.choices import QuestionType
from roadmaps.topics import Topic, TopicGraph, TopicMatch, graph

if TYPE_CHECKING:
    from learning.models import Module

DIFFICULTIES = {"beginner": "beginner", "easy": "beginner", "intermediate": "intermediate", "medium": "intermediate",
                "advanced": "advanced", "hard": "advanced"}  # fmt: skip
# Which question types a quiz of each difficulty is made of, cycled: recognition first for beginners, recall for
# advanced learners.
MIX = {
    "beginner": [QuestionType.MULTIPLE_CHOICE, QuestionType.TRUE_FALSE, QuestionType.MULTIPLE_CHOICE,
                 QuestionType.SHORT_ANSWER],
    "intermediate": [QuestionType.MULTIPLE_CHOICE, QuestionType.SHORT_ANSWER, QuestionType.TRUE_FALSE],
    "advanced": [QuestionType.SHORT_ANSWER, QuestionType.MULTIPLE_CHOICE, QuestionType.SHORT_ANSWER],
}  # fmt: skip
POINTS = {"beginner": 1, "intermediate": 2, "advanced": 3}
SECTIONS = {"beginner": 4, "intermediate": 6, "advanced": 10}
SKIPPED_SECTIONS = {"summary", "hints", "example", "about the quiz"}
TOPIC_MATCH = 0.5  # a topic-graph match at least this good names the topic ("named"/"mentioned", not "similar")
_TERM = re.compile(r"\*\*([^*\n]{2,40})\*\*|`([^`\n]{1,30})`")


class UnknownTopic(Exception):
    """Neither a lesson nor a curated topic is about the requested topic."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        super().__init__(f"No lesson or curated topic matches {topic!r}.")


@dataclass(frozen=True)
class Cloze:
    sentence: str
    term: str  # as written in the lesson, without the ** or backticks
    kind: str  # "bold" | "code"
    source: Source


def _seed(*parts: str) -> random.Random:
    seed = int(hashlib.sha256("|".join(parts).lower().encode()).hexdigest()[:16], 16)
    return random.Random(seed)  # noqa: S311 - a reproducible shuffle of quiz options, not a secret


def _source(source: Source) -> dict[str, Any]:
    return {"type": source.type, "id": source.id, "title": source.title}


def _plain(text: str) -> str:
    return text.replace("**", "")


def _title_topic(topics: TopicGraph, title: str) -> str | None:
    best = topics.match(title, limit=1)
    return best[0].topic.slug if best and best[0].score >= TOPIC_MATCH else None


def _resolve(topic: str, module_id: int | None) -> tuple[Module | None, Topic | None]:
    topics = graph()
    matches: list[TopicMatch] = [m for m in topics.match(topic, limit=3) if m.score >= TOPIC_MATCH]
    if module_id is not None:
        module = learning_selectors.module_with_path(module_id=module_id)
        if module is None:
            raise UnknownTopic(topic)
        return module, matches[0].topic if matches else None
    lessons = [p for p in tutor_search(question=topic) if p.source.type == "module"]
    module = None
    if lessons:
        # A lesson teaches the topic; a review or an exercise only mentions it, so prefer a lesson that scores close.
        rows = learning_selectors.modules_with_path(module_ids=[p.source.id for p in lessons])
        close = [rows[p.source.id] for p in lessons if p.score >= 0.7 * lessons[0].score and p.source.id in rows]
        # Among close scores, the lesson whose own title names the request's best graph topic wins: "jac walkers" is
        # taught by "Walkers and Traversal", not by the path's introduction that merely says "Jac" as often.
        taught = [m for m in close if m.module_type == "lesson"]
        titled = (m for match in matches for m in taught if _title_topic(topics, m.title) == match.topic.slug)
        module = next(titled, taught[0] if taught else close[0] if close else None)
    if module is None and not matches:
        raise UnknownTopic(topic)
    found = matches[0].topic if matches else None
    if found is None and module is not None:
        by_title = [m for m in topics.match(module.title, limit=1) if m.score >= TOPIC_MATCH]
        found = by_title[0].topic if by_title else None
    return module, found


def _key_points(body: str, limit: int) -> list[str]:
    """The section's opening sentence and the ones that define a term (bold), in reading order."""
    prose = [u for u in quotable_units(body) if _statement(u) and 20 <= len(u) <= 260]
    chosen = prose[:1] + [u for u in prose[1:] if "**" in u]
    return [_plain(u) for u in chosen[:limit]]


def _outline(module: Module | None, topic: Topic | None, difficulty: str, learning_style: str) -> list[dict]:
    topics = graph()
    outline: list[dict] = []
    if topic is not None and topic.prerequisites:
        titles = [topics.topics[p].title for p in topic.prerequisites]
        outline.append(
            {
                "heading": "Before you start",
                "points": [f"Be comfortable with {', '.join(titles)}."],
                "source": _source(Source("topic", topic.slug, topic.title)),
            }
        )
    if module is not None:
        source = _source(Source("module", module.id, module.title))
        if module.description:
            outline.append({"heading": "Overview", "points": [module.description], "source": source})
        for heading, body in split_sections(module.content):
            if len(outline) >= SECTIONS[difficulty] + 1:
                break
            if not heading or heading == module.title or heading.lower() in SKIPPED_SECTIONS:
                continue
            if heading.lower() == "common mistakes" and difficulty == "beginner":
                continue
            points = _key_points(body, 2 if difficulty == "beginner" else 3)
            if points:
                outline.append({"heading": heading, "points": points, "source": source})
    elif topic is not None:
        sentences = [s for s in quotable_units(topic.description) if s]
        outline.append(
            {"heading": topic.title, "points": sentences, "source": _source(Source("topic", topic.slug, topic.title))}
        )
    practice = {
        "kinesthetic": "Work through the exercise before reading on; change the code and predict the output.",
        "visual": "Sketch the idea as a diagram (boxes for values, arrows for references or edges) as you read.",
        "auditory": "Explain each section out loud in your own words before moving to the next.",
        "reading": "Write a short summary of each section and compare it with the lesson's own summary.",
    }.get(learning_style)
    if practice and outline:
        outline.append({"heading": "How to study this", "points": [practice], "source": None})
    if topic is not None:
        after = [topics.topics[d].title for d in topics.dependents[topic.slug][:4]]
        if after:
            outline.append(
                {
                    "heading": "Where to go next",
                    "points": [f"Continue with {', '.join(after)}."],
                    "source": _source(Source("topic", topic.slug, topic.title)),
                }
            )
    return outline


def _clozes(module: Module) -> tuple[list[Cloze], dict[str, list[str]]]:
    """Sentences of the lesson with one key term to blank, and every term of the path by kind (for distractors)."""
    source = Source("module", module.id, module.title)
    clozes: list[Cloze] = []
    seen: set[str] = set()
    for heading, body in split_sections(module.content):
        if heading.lower() in {"common mistakes", "hints"}:
            continue  # mistakes are phrased as the wrong thing to do: a poor sentence to test recall on
        for unit in quotable_units(body):
            if not _statement(unit) or not 30 <= len(unit) <= 220:
                continue
            for match in _TERM.finditer(unit):
                term = match.group(1) or match.group(2)
                kind = "bold" if match.group(1) else "code"
                if term.lower() in seen or unit.count(match.group(0)) != 1 or len(term.strip()) < 2:
                    continue
                seen.add(term.lower())
                clozes.append(Cloze(unit, term, kind, source))
                break
    pool: dict[str, list[str]] = {"bold": [], "code": []}
    for content in [module.content, *learning_selectors.module_sibling_contents(module=module)]:
        for match in _TERM.finditer(content):
            term, kind = (match.group(1), "bold") if match.group(1) else (match.group(2), "code")
            if _distractor_like(term, kind) and term not in pool[kind]:
                pool[kind].append(term)
    return clozes, pool


def _statement(unit: str) -> bool:
    """A sentence that says something by itself (not code, not a lead-in to a code block ending in a colon)."""
    return not unit.startswith(("```", "~~~", "|")) and not unit.rstrip().endswith(":")


def _distractor_like(term: str, kind: str) -> bool:
    """Terms that read as a term: short names and expressions, not emphasised half-sentences."""
    if kind == "bold":
        return 0 < len(term.split()) <= 3 and not term.rstrip().endswith((".", ":", "!", "?"))
    return 1 < len(term.strip()) <= 25


def _shape(term: str) -> tuple[bool, bool, bool, bool]:
    return (term.isidentifier(), "(" in term, term.strip("-+. ").isdigit(), " " in term.strip())


def _blank(cloze: Cloze) -> str:
    marked = f"**{cloze.term}**" if cloze.kind == "bold" else f"`{cloze.term}`"
    return _plain(cloze.sentence.replace(marked, "____", 1))


def _distractors(answer: str, pool: list[str], rng: random.Random, count: int = 3) -> list[str]:
    """Distinct terms of the same kind, none equal to the answer (ignoring case and spacing), nearest first: the
    lesson's own terms come first in the pool, then the rest of the path's."""
    norm = lambda text: " ".join(text.lower().split()).rstrip("s;")  # noqa: E731 - "report" ≈ "reports;"
    taken = {norm(answer)}
    # Same shape first (identifiers with identifiers, calls with calls), so no option gives itself away.
    alike = [t for t in pool if _shape(t) == _shape(answer)]
    near, far = alike[:40], alike[40:] + [t for t in pool if _shape(t) != _shape(answer)]
    rng.shuffle(near)
    rng.shuffle(far)
    out = []
    for term in near + far:
        if norm(term) not in taken:
            taken.add(norm(term))
            out.append(term)
        if len(out) == count:
            break
    return out


def _question(kind: str, text: str, options: list[str], answer: Any, explanation: str, points: int) -> dict:
    return {
        "type": str(kind),
        "question": text,
        "options": options,
        "correct_answer": answer,
        "explanation": explanation,
        "points": points,
    }


def _lesson_questions(module: Module, difficulty: str, count: int, rng: random.Random) -> list[dict]:
    clozes, pool = _clozes(module)
    rng.shuffle(clozes)
    questions: list[dict] = []
    mix = MIX[difficulty]
    points = POINTS[difficulty]
    for cloze in clozes:
        if len(questions) >= count:
            break
        kind = mix[len(questions) % len(mix)]
        explanation = f"From “{module.title}”: {_plain(cloze.sentence)}"
        if kind == QuestionType.MULTIPLE_CHOICE:
            wrong = _distractors(cloze.term, pool[cloze.kind], rng)
            if len(wrong) < 3:
                kind = QuestionType.SHORT_ANSWER
            else:
                options = [cloze.term, *wrong]
                rng.shuffle(options)
                questions.append(
                    _question(
                        kind,
                        f"Which term completes the sentence?\n\n{_blank(cloze)}",
                        options,
                        cloze.term,
                        explanation,
                        points,
                    )
                )
        if kind == QuestionType.TRUE_FALSE:
            wrong = _distractors(cloze.term, pool[cloze.kind], rng, count=1)
            truthful = not wrong or rng.random() < 0.5
            shown = cloze.term if truthful else wrong[0]
            statement = _blank(cloze).replace("____", f"`{shown}`" if cloze.kind == "code" else shown, 1)
            questions.append(
                _question(
                    kind,
                    f"True or false: {statement}",
                    ["True", "False"],
                    "True" if truthful else "False",
                    explanation,
                    points,
                )
            )
        if kind == QuestionType.SHORT_ANSWER:
            questions.append(
                _question(kind, f"Fill in the blank:\n\n{_blank(cloze)}", [], [cloze.term], explanation, points)
            )
    return questions


def _topic_questions(topic: Topic, difficulty: str, count: int, rng: random.Random) -> list[dict]:
    """Questions on the topic graph itself: what the topic needs first, and which topic a description is about."""
    topics = graph()
    points = POINTS[difficulty]
    area = [t for t in topics.topics.values() if t.area == topic.area and t.slug != topic.slug]
    closure = topics.closure([topic.slug])
    questions: list[dict] = []
    for prereq in topic.prerequisites:
        pool = [t.title for t in area if t.slug not in closure and t.slug not in topics.dependents[topic.slug]]
        wrong = _distractors(topics.topics[prereq].title, pool, rng)
        if len(wrong) == 3:
            options = [topics.topics[prereq].title, *wrong]
            rng.shuffle(options)
            questions.append(
                _question(
                    QuestionType.MULTIPLE_CHOICE,
                    f"Which topic should you learn before {topic.title}?",
                    options,
                    topics.topics[prereq].title,
                    f"{topic.title} builds directly on {topics.topics[prereq].title}.",
                    points,
                )
            )
    description = quotable_units(topic.description)[0] if topic.description else ""
    if description:
        wrong = _distractors(topic.title, [t.title for t in area], rng)
        options = [topic.title, *wrong]
        rng.shuffle(options)
        if difficulty == "advanced" or len(wrong) < 3:
            questions.append(
                _question(
                    QuestionType.SHORT_ANSWER,
                    f"Which topic is this?\n\n{description}",
                    [],
                    [topic.title, *topic.aliases],
                    description,
                    points,
                )
            )
        else:
            questions.append(
                _question(
                    QuestionType.MULTIPLE_CHOICE,
                    f"Which topic is this?\n\n{description}",
                    options,
                    topic.title,
                    description,
                    points,
                )
            )
    return questions[:count]


def content_generate(
    *,
    topic: str,
    difficulty: str,
    learning_style: str | None = None,
    module_id: int | None = None,
    question_count: int = 5,
) -> dict[str, Any]:
    """A lesson outline and `question_count` draft quiz questions about `topic`, from our own content.

    Raises `UnknownTopic` when no lesson and no curated topic is about it, and `ValueError` for a difficulty outside
    beginner/intermediate/advanced (easy/medium/hard are accepted as their synonyms)."""
    level = DIFFICULTIES.get(difficulty.lower().strip())
    if level is None:
        raise ValueError(f"Unknown difficulty {difficulty!r}.")
    if not topic.strip():
        raise UnknownTopic(topic)
    count = max(1, min(int(question_count), 20))
    module, found = _resolve(topic, module_id)
    rng = _seed(topic.strip(), level, str(module_id or ""))
    outline = _outline(module, found, level, (learning_style or "").lower())
    questions: list[dict] = []
    if module is not None:
        questions = _lesson_questions(module, level, count, rng)
    asked_from_lesson = len(questions)
    if len(questions) < count and found is not None:
        questions += _topic_questions(found, level, count - len(questions), rng)
    if not questions:
        raise UnknownTopic(topic)
    for index, question in enumerate(questions):
        question["order_index"] = index
    sources: list[dict] = []
    for item in outline:
        if item["source"] and item["source"] not in sources:
            sources.append(item["source"])
    if module is not None and questions and _source(Source("module", module.id, module.title)) not in sources:
        sources.append(_source(Source("module", module.id, module.title)))
    if found is not None and len(questions) > asked_from_lesson:
        topic_source = _source(Source("topic", found.slug, found.title))
        if topic_source not in sources:
            sources.append(topic_source)
    title = module.title if module is not None else found.title  # type: ignore[union-attr]
    return {
        "topic": topic,
        "difficulty": level,
        "title": f"{title} ({level})",
        "outline": outline,
        "questions": questions,
        "sources": sources,
    }
