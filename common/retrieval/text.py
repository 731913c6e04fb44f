"""The engine's text normaliser: lower-case, accents folded, stop words removed, plus a light stemmer for BM25."""

import re
import unicodedata

WORD_RE = re.compile(r"[^\W_]+")
STOP_WORDS = frozenset(
    "a an and are as at be but by can do does for from how i if in into is it its me my of on or so than that the "
    "their then there these this to was what when where which who why will with you your s t d ll re ve m".split()
)
_SUFFIXES = ("ies", "ing", "ers", "es", "ed", "er", "s")


def fold(text: str) -> str:
    """Lower-case with accents removed ("Café" → "cafe")."""
    if text.isascii():  # most text: nothing to fold, and the per-character pass below is the costly part
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokenize(text: str) -> list[str]:
    """The words of `text`: lower-case runs of letters and digits (accents folded), 1–60 characters, without stop
    words; order and repeats kept."""
    return [w for w in WORD_RE.findall(fold(text)) if len(w) <= 60 and w not in STOP_WORDS]


def stem(word: str) -> str:
    """A light suffix strip so that "hooks"/"hook", "queries"/"query" meet; never below four letters."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


_ALPHA_RE = re.compile(r"[^\W\d_]{2,}")


def terms(text: str) -> list[str]:
    """The lexical terms of `text`: tokenize, then stem; a word mixing letters and digits also gives its letter runs
    ("regex101" → regex101, regex; "python3" → python3, python)."""
    out = []
    for word in tokenize(text):
        out.append(stem(word))
        if not word.isalpha() and not word.isdigit():
            out.extend(stem(part) for part in _ALPHA_RE.findall(word) if part != word)
    return out
