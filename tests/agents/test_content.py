import re

import pytest

from agents.content import UnknownTopic, content_generate
from learning import grading
from learning.models import Module, Question, QuestionType, Quiz
from roadmaps.topics import graph

pytestmark = pytest.mark.django_db

TYPES = set(QuestionType.values)


def _plain(text: str) -> str:
    return text.replace("**", "").replace("`", "")


def _check_shape(result: dict) -> None:
    assert set(result) == {"topic", "difficulty", "title", "outline", "questions", "sources"}
    assert result["outline"] and result["questions"]
    for item in result["outline"]:
        assert set(item) == {"heading", "points", "source"} and item["points"]
    for index, q in enumerate(result["questions"]):
        assert set(q) == {"type", "question", "options", "correct_answer", "explanation", "points", "order_index"}
        assert q["type"] in TYPES and q["order_index"] == index and q["points"] >= 1 and q["explanation"]
        if q["type"] == QuestionType.MULTIPLE_CHOICE:
            assert len(q["options"]) == 4
            assert q["options"].count(q["correct_answer"]) == 1
            assert len({o.lower() for o in q["options"]}) == 4  # distractors distinct from each other and the answer
            assert grading.is_correct(q["type"], q["correct_answer"], q["options"], q["correct_answer"])
        elif q["type"] == QuestionType.TRUE_FALSE:
            assert q["options"] == ["True", "False"] and q["correct_answer"] in ("True", "False")
        else:
            assert q["options"] == [] and isinstance(q["correct_answer"], list) and q["correct_answer"]
    for source in result["sources"]:
        if source["type"] == "module":
            assert Module.objects.get(pk=source["id"]).title == source["title"]
        else:
            assert source["type"] == "topic" and graph().topics[source["id"]].title == source["title"]


@pytest.mark.parametrize("difficulty", ["beginner", "intermediate", "advanced"])
def test_lesson_topic_gives_outline_and_questions_from_that_lesson(seeded, difficulty):
    module = Module.objects.get(learning_path__slug="python-fundamentals", title="Dictionaries and Sets")
    result = content_generate(topic="python dictionaries", difficulty=difficulty, question_count=6)
    _check_shape(result)
    assert result["difficulty"] == difficulty and len(result["questions"]) == 6
    assert {"type": "module", "id": module.id, "title": module.title} in result["sources"]
    headings = [item["heading"] for item in result["outline"]]
    assert "Creating and using dictionaries" in headings
    lesson = _plain(module.content)
    for q in result["questions"]:
        if q["type"] == QuestionType.SHORT_ANSWER:  # the cloze's answer and its sentence come from the lesson
            assert q["correct_answer"][0] in lesson
            blank = q["question"].split("\n\n", 1)[1]
            assert _plain(blank.replace("____", q["correct_answer"][0])) in lesson
        if q["type"] == QuestionType.MULTIPLE_CHOICE:
            assert q["correct_answer"] in lesson


def test_difficulty_shapes_the_question_mix(seeded):
    kinds = {
        d: [q["type"] for q in content_generate(topic="python dictionaries", difficulty=d)["questions"]]
        for d in ("beginner", "advanced")
    }
    assert kinds["beginner"].count("short_answer") < kinds["advanced"].count("short_answer")
    assert "true_false" in kinds["beginner"] and "true_false" not in kinds["advanced"]


def test_generation_is_deterministic_per_topic(seeded):
    first = content_generate(topic="jac walkers", difficulty="intermediate")
    assert content_generate(topic="jac walkers", difficulty="intermediate") == first
    module = Module.objects.get(learning_path__slug="jac-fundamentals", title="Walkers and Traversal")
    assert first["title"].startswith(module.title)


def test_topic_without_a_lesson_uses_the_topic_graph(seeded):
    result = content_generate(topic="kubernetes", difficulty="beginner", learning_style="visual", question_count=3)
    _check_shape(result)
    topic = graph().topics["kubernetes-fundamentals"]
    assert result["sources"] == [{"type": "topic", "id": topic.slug, "title": topic.title}]
    prereqs = {graph().topics[p].title for p in topic.prerequisites}
    for q in result["questions"]:
        if q["question"].startswith("Which topic should you learn before"):
            assert q["correct_answer"] in prereqs
            assert not prereqs & (set(q["options"]) - {q["correct_answer"]})  # no second right answer
    assert any(item["heading"] == "How to study this" for item in result["outline"])


def test_module_id_selects_the_lesson(seeded):
    module = Module.objects.get(learning_path__slug="web-apis", title="HTTP Status Codes and Error Responses")
    result = content_generate(topic="errors", difficulty="intermediate", module_id=module.id)
    assert result["title"].startswith(module.title)
    assert {"type": "module", "id": module.id, "title": module.title} in result["sources"]


def test_generated_questions_save_as_a_draft_quiz(seeded):
    result = content_generate(topic="HTTP status codes", difficulty="intermediate")
    quiz = Quiz.objects.create(slug="generated-http", title=result["title"], is_draft=True)
    for q in result["questions"]:
        question = Question(quiz=quiz, **q)
        question.full_clean()
        question.save()
    assert quiz.questions.count() == len(result["questions"])


@pytest.mark.parametrize("topic", ["best pizza in Naples", "   ", "qwertyuiop asdfgh"])
def test_unknown_topic_raises(seeded, topic):
    with pytest.raises(UnknownTopic):
        content_generate(topic=topic, difficulty="beginner")


def test_unknown_module_raises_unknown_topic(seeded):
    with pytest.raises(UnknownTopic):
        content_generate(topic="python dictionaries", difficulty="beginner", module_id=10**9)


def test_invalid_difficulty_is_a_value_error(seeded):
    with pytest.raises(ValueError, match="difficulty"):
        content_generate(topic="python dictionaries", difficulty="impossible")


def test_cloze_blanks_exactly_one_term(seeded):
    result = content_generate(topic="jac walkers", difficulty="advanced", question_count=8)
    for q in result["questions"]:
        assert len(re.findall("____", q["question"])) <= 1
