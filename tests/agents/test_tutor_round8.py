"""The tutor, eighth round (issue 17): code a learner pastes picks the section that shows it, and a "difference
between A and B" question picks the section with a line that names both."""

import pytest

from agents.tutor import tutor_answer
from agents.tutor.retrieval import code_match, code_spans, compared_terms, compares

pytestmark = pytest.mark.django_db


def test_code_spans_are_the_pasted_code_normalised():
    assert code_spans("i keep writing score = score + 1 everywhere, is there a shorter way") == ["score=score+1"]
    assert code_spans("why does name.upper() not change my string??") == []  # a bare name is a word
    assert code_spans("flatten [[1, 2], [3, 4]] into one list") == ["[[1,2],[3,4]]"]
    assert code_spans("see /orders?limit=20&offset=40 please") == ["/orders?limit=20&offset=40"]
    # words with hyphens, abbreviations and plain English carry no code
    assert code_spans("how do i use f-strings, e.g. with numbers? it's well-known") == []


def test_code_match_is_the_share_of_the_pasted_code_a_section_holds():
    assert code_match(["score=score+1"], "```python\nscore = score + 1\n```") == 1.0
    assert code_match(["score=score+1"], "The score of a test.") < 0.3
    # two pieces pasted, one shown: the share of all the pasted code's pieces (10 of 16), squared
    pasted = ["[[1,2],[3,4]]", "x.upper()+y"]
    assert code_match(pasted, "m = [[1, 2], [3, 4]]") == (10 / 16) ** 2
    assert code_match(pasted, "m = [[1, 2], [3, 4]]\nx.upper() + y") == 1.0
    # the same code with other names: the lesson's `score = score + 5` for a learner's `total = total + 1`
    assert code_match(["total=total+1"], "```python\nscore = score + 5   # 15\n```") == 0.7


def test_compared_terms_and_the_line_that_names_both():
    assert compared_terms("whats the difference between def and can in jac") == ("def", "can")
    assert compared_terms("list vs tuple?") == ("list", "tuple")
    assert compared_terms("how do i sort a list") is None
    # "can" is English too: only as code does it count
    assert compares(("def", "can"), "| `def` | `can ... with X entry` |")
    assert not compares(("def", "can"), "You can use `def` here.")
    assert not compares(("def", "can"), "```jac\ndef f() {}\ncan g with entry {}\n```")


@pytest.mark.parametrize(
    ("question", "anchor"),
    [
        ("i keep typing total = total + 1, is there a shorter way to write it", "reassignment-and-updating"),
        ("i wrote [a -->:Road:-->] and jac wont parse it", "common-mistakes"),
        ("a list like [[1, 2], [3, 4]] should become [1, 2, 3, 4], how", "nested-loops"),
    ],
)
def test_pasted_code_picks_the_section_that_shows_it(seeded, question, anchor):
    answer = tutor_answer(question=question)
    assert answer.confident
    assert answer.sources[0].anchor == anchor, [(s.title, s.anchor) for s in answer.sources]


def test_a_difference_question_picks_the_section_that_sets_both_side_by_side(seeded):
    answer = tutor_answer(question="what's the difference between def and can in jac")
    assert answer.sources[0].anchor == "abilities-behaviour-triggered-by-location", [s.anchor for s in answer.sources]
    assert "| `def`" in answer.text  # the comparison table, whole
