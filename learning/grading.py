"""Scoring of quiz answers, one rule per question type. Pure functions: no database."""

import re
import unicodedata
from typing import Any

from learning.choices import QuestionType

_SPACE = re.compile(r"\s+")
_TRAILING_PUNCT = re.compile(r"[.!?;:,]+$")
TRUE_WORDS = {"true", "t", "yes", "1"}
FALSE_WORDS = {"false", "f", "no", "0"}


def normalise_text(value: Any) -> str:
    """Case-, width- and whitespace-insensitive form of a free-text answer."""
    text = unicodedata.normalize("NFKC", str(value)).casefold().strip()
    text = _SPACE.sub(" ", text)
    return _TRAILING_PUNCT.sub("", text).strip()


def normalise_code(value: Any) -> str:
    """Code answers compare without any whitespace and without a trailing semicolon: `len( x )` == `len(x)`."""
    text = unicodedata.normalize("NFKC", str(value)).strip().rstrip(";")
    return _SPACE.sub("", text)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _choice_text(answer: Any, options: list[str]) -> str:
    """A multiple-choice answer may be the option's text or its 0-based index."""
    if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(options):
        return normalise_text(options[answer])
    return normalise_text(answer)


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    word = normalise_text(value)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def is_correct(question_type: str, correct_answer: Any, options: list[str], answer: Any) -> bool:
    if answer is None or answer == "" or answer == []:
        return False
    if question_type == QuestionType.MULTIPLE_CHOICE:
        expected = {normalise_text(a) for a in _as_list(correct_answer)}
        given = {_choice_text(a, options) for a in _as_list(answer)}
        return given == expected
    if question_type == QuestionType.TRUE_FALSE:
        return _truth(answer) is not None and _truth(answer) == _truth(correct_answer)
    if question_type == QuestionType.SHORT_ANSWER:
        if isinstance(answer, (list, tuple)):
            return False
        return normalise_text(answer) in {normalise_text(a) for a in _as_list(correct_answer)}
    if question_type == QuestionType.CODE_COMPLETION:
        if isinstance(answer, (list, tuple)):
            return False
        return normalise_code(answer) in {normalise_code(a) for a in _as_list(correct_answer)}
    return False
