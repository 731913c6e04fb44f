"""The tutor, sixth round (issue 17): a real word is not "corrected" into another, a follow-up that says "it" keeps
its topic (each word counted once), a word the lesson's prose explains is enough to answer, a choice question shows
both options, and a "No" is read only off a rule about what was asked."""

import re

import pytest

from agents.tutor import tutor_answer
from agents.tutor.conversation import is_follow_up
from agents.tutor.retrieval import clean, fold, lessons_index, symbols, vocabulary

pytestmark = pytest.mark.django_db


def _opening(text: str) -> str:
    return text.split("\n\n")[0]


def test_a_real_word_is_not_rewritten_into_a_lesson_word(seeded):
    vocab = vocabulary(lessons_index())
    assert "sentence" in clean(vocab, "is a word inside a sentence")  # not "sequence"
    assert "difference" in clean(vocab, "whats the diffrence")  # a typo still is corrected


def test_https_is_not_a_plural_and_pagination_folds_like_paginated():
    assert fold("https") != fold("http")
    assert fold("pagination") == fold("paginated")


def test_a_comparison_operator_at_the_end_of_the_question_counts():
    assert "==" in symbols("whats the difference between = and ==")


def test_a_pronoun_follow_up_keeps_its_topic(seeded):
    vocab = vocabulary(lessons_index())
    assert is_follow_up(vocab, "how long should it be valid")
    first = tutor_answer(question="what is a jwt")
    answer = tutor_answer(question="how long should it be valid", history=[("what is a jwt", first.text)])
    assert answer.confident is True
    assert answer.sources[0].anchor == "token-lifetimes-and-refresh-tokens", [s.anchor for s in answer.sources]


def test_a_follow_up_opens_with_its_own_point(seeded):
    first = tutor_answer(question="how do i check whether a key exists in a dict")
    answer = tutor_answer(
        question="what happens if the key is missing?",
        history=[("how do i check whether a key exists in a dict", first.text)],
    )
    assert "KeyError" in _opening(answer.text)


def test_a_word_the_prose_explains_is_enough_to_answer(seeded):
    answer = tutor_answer(question="what is a traceback")
    assert answer.confident is True
    assert "traceback" in answer.text.lower()


def test_a_choice_question_shows_both_options(seeded):
    answer = tutor_answer(question="should i use random tokens stored in the db or jwts for my api login")
    assert "opaque token" in answer.text and "self-contained token" in answer.text


def test_no_is_read_only_off_a_rule_about_what_was_asked(seeded):
    # "always HTTPS, never credentials in URLs": the "never" is about credentials
    answer = tutor_answer(question="do i really need https for my api")
    assert not re.match(r"No — ", answer.text), _opening(answer.text)
    answer = tutor_answer(question="can i put comments in a json file? my parser keeps failing")
    assert answer.text.startswith("No — "), _opening(answer.text)
