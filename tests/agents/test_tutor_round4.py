"""The tutor, fourth round (issue 17): a question that names a path's subject ("…in jac") is answered from that
path; an exercise's specification ranks below the lesson that teaches the same words; a pronoun follow-up keeps its
topic; the opening is the statement that says the question's own phrase, never a printed value, one line for each
word compared, and a code block's full-line comments count as statements."""

import re

import pytest

from agents.tutor import tutor_answer
from agents.tutor.markdown import Block, statements
from agents.tutor.retrieval import lessons_index, vocabulary

pytestmark = pytest.mark.django_db


def _opening(text: str) -> str:
    return text.split("\n\n")[0]


def test_path_names_come_from_path_titles_and_tell_paths_apart(seeded):
    names = vocabulary(lessons_index()).path_names
    assert names["jac"] == {"jac-fundamentals"}
    assert names["api"] == {"web-apis"}
    # every path's titles use "python" ("…Endpoints in Python…", "Imports and Python Interoperability"): it names none
    assert "python" not in names
    assert "fundamental" not in names and "programming" not in names  # words that name no subject


def test_a_question_that_names_jac_is_answered_from_the_jac_path(seeded):
    answer = tutor_answer(question="how are unit tests written in jac?")
    assert answer.confident is True
    assert answer.sources[0].anchor == "tests-live-next-to-the-code", [s.anchor for s in answer.sources]
    assert "jac test" in answer.text


def test_an_exercise_spec_ranks_below_the_lesson_that_teaches_it(seeded):
    answer = tutor_answer(question="is an empty list treated as False")
    assert answer.sources[0].anchor == "truthiness", [(s.title, s.anchor) for s in answer.sources]
    assert "count as false" in _opening(answer.text)


def test_a_pronoun_follow_up_stays_on_its_topic(seeded):
    question = "how are unit tests written in jac?"
    first = tutor_answer(question=question)
    follow = tutor_answer(question="and how do i run them?", history=[(question, first.text)])
    assert follow.confident is True
    assert follow.sources[0].title == "What Is Jac?", [(s.title, s.anchor) for s in follow.sources]
    assert "jac test" in _opening(follow.text) or "jac test" in follow.text.split("\n\n")[1]


def test_the_opening_says_the_questions_phrase_first(seeded):
    answer = tutor_answer(question="how can I get rid of the connection between two nodes in jac")
    opening = _opening(answer.text)
    assert opening.startswith("`box del --> pen;` — remove the edge"), opening


def test_a_printed_value_never_opens_the_answer(seeded):
    answer = tutor_answer(question="print(my_obj) gives <Money object at 0x7f...> instead of the amount, help")
    opening = _opening(answer.text)
    assert not opening.startswith("`print("), opening
    assert "__str__" in opening, opening


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("append vs extend on a list?", ("append", "extend")),
        ("what is the difference between pop and remove for lists", ("pop", "remove")),
    ],
)
def test_each_compared_word_gets_its_own_line_in_the_opening(seeded, question, words):
    opening = _opening(tutor_answer(question=question).text)
    assert all(w in opening for w in words), opening


def test_a_jac_block_comment_question_opens_with_the_block_comment(seeded):
    opening = _opening(tutor_answer(question="how do i comment out several lines in jac").text)
    assert "#* A block comment can span several lines. *#" in opening, opening


def test_full_line_comments_are_statements_with_the_code_they_describe():
    code = Block(
        "code",
        "```jac\n# file: shop.jac\n# A line comment starts with a hash.\n#* A block comment\n"
        "   can span several lines. *#\n# print(k)  would raise NameError\n# keys and values together\n"
        "for k, v in d.items():\n"
        "    print(k)   # the key\n```",
        0,
    )
    found = [st.text for st in statements([code]) if st.kind == "code_line"]
    assert found == [
        "`# A line comment starts with a hash.`",  # another comment follows: it stands alone
        "`#* A block comment can span several lines. *#`",  # one comment over two lines
        "`for k, v in d.items():` — keys and values together",  # the line it describes
        "`print(k)` — the key",
    ]
    assert not any(re.search(r"file: shop|NameError", t) for t in found)  # a file label, code switched off


def test_python_inside_a_jac_file_is_inline_python_and_the_opening_names_its_fence(seeded):
    answer = tutor_answer(question="is it possible to put some python inside my jac file?")
    assert answer.sources[0].section == "Inline Python with ::py::", [s.section for s in answer.sources]
    assert "::py::" in _opening(answer.text), _opening(answer.text)


def test_newest_first_is_a_descending_sort_of_the_api_not_pythons_reverse(seeded):
    answer = tutor_answer(question="sort by newest first")
    assert answer.sources[0].anchor == "filtering-searching-and-sorting", [s.anchor for s in answer.sources]
    assert "descending" in _opening(answer.text)


def test_the_list_item_that_answers_is_said_before_the_neighbour_picked_for_what_it_adds(seeded):
    answer = tutor_answer(question="which status should my api send back for malformed json")
    opening = _opening(answer.text)
    assert opening.startswith("Reject bodies with the wrong content type"), opening
    assert "400 Bad Request" in opening.split(". ")[0], opening
