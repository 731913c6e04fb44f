"""Retrieval at section granularity over the shared engine's `lessons` corpus (registered by learning/).

The question is cleaned first (English uses of Python keywords dropped, "f strings" → "fstrings", misspelt words
corrected against the lessons' own vocabulary, a few programming synonyms added), then the engine's hybrid index
(BM25 + embeddings) ranks sections, and the tutor re-weighs them: lesson sections outrank exercises, reviews,
summaries and a lesson's introduction (its blurb), the module the learner is studying and the modules of the
session's previous turns are boosted, and a heading that names the question's terms lifts its section.

Whether the best sections are about the question at all (rather than sharing a stray word with it) is decided by
`is_relevant`: the question's distinctive words must be covered by the top sections.
"""

import contextvars
import functools
import importlib.util
import re
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

from agents.tutor.types import Section
from learning.retrieval_engine import Hit, HybridIndex, embed_text, get_index

if TYPE_CHECKING:
    from agents.tutor.passages import PassageScores

CORPUS = "lessons"
POOL = 40  # engine hits re-weighed per question
MODULE_BOOST = 1.5  # the module the learner is studying
SESSION_BOOST = 1.12  # modules the session's previous answers came from
MIN_COVERAGE = 0.45  # the share of the question's distinctive words the best sections must contain
LITERAL_COVERAGE = 0.35  # …or this share, when the best section has a status code or symbol of the question
MIN_SEMANTIC = 0.45  # …or, with fewer words covered, this cosine between question and best section
# An exercise's sections are a task's specification (input format, steps to do), not an explanation: a lesson that
# teaches the same words answers "how/why/what" better. Reviews repeat the lessons, condensed.
TYPE_PRIOR = {"lesson": 1.0, "exercise": 0.65, "assessment": 0.55}
HEADING_PRIOR = {"summary": 0.6, "common mistakes": 0.8, "hints": 0.8, "example": 0.85, "about the quiz": 0.5}
CODE_HEAVY_SHARE = 0.6  # a section this much code (by characters) is an example more than an explanation
PROSE_MIN_SHARE = 0.6  # …and a prose section of its lesson this close to it may answer instead
BODY_COVERAGE = 0.5  # lift for a section whose text holds all of the question's distinctive words
INTRO_PRIOR = 0.65  # the text before a lesson's first heading: an overview, like the module blurb
NAMED_PATH_BOOST = 1.4  # a question that names a path's subject ("…in jac", "my api") leans to that path's sections
UNNAMED_PATH_PRIOR = 0.75  # …and away from the paths it does not name
# Path-title words that name no subject of their own ("Jac Programming Fundamentals", "Building Web APIs").
_GENERIC_TITLE_WORDS = {"fundamental", "programming", "building", "build", "basic", "introduction", "intro", "course"}
CONTEXT_WEIGHT = 0.5  # a follow-up's earlier topic counts, less than its own words

# Chat filler that says nothing about the subject ("can you explain…", "what's the difference…").
_FILLER = {
    "explain", "tell", "please", "thanks", "thank", "example", "examples", "help", "want", "know", "understand",
    "mean", "means", "meaning", "difference", "different", "does", "did", "doing", "way", "ways", "use", "using",
    "used", "work", "works", "thing", "things", "good", "best", "need", "really", "just", "like", "actually",
    "question", "ok", "okay", "lesson", "module", "course", "learn", "learning", "write",
    "make", "happens", "happen", "show", "give", "say", "says", "wrong", "right", "correct", "whats", "s", "t",
    "isnt", "dont", "doesnt", "cant", "im", "ive", "nicest", "better", "tutor", "anyone", "someone", "sure", "goes",
    "go", "going", "able", "possible", "instead", "happening", "stuff", "exactly", "vs", "versus", "ignore",
    "instructions", "previous", "yes", "no", "idea", "cool", "great", "quick", "quickest", "easiest", "pls", "plz",
    "thx", "got", "normal", "regular", "ordinary", "usual",
    "doesn", "don", "isn", "aren", "wasn", "didn", "won", "can", "shouldn", "wouldn", "couldn", "bad", "fine",
}  # fmt: skip
# Words that matter in programming (Python keywords, method names) but sit in scikit-learn's English stop list.
_KEEP = {
    "get", "call", "empty", "system", "bottom", "top", "first", "last", "fill", "find", "back", "none", "not", "while",
    "for", "if", "else", "return", "from", "with", "break", "continue", "global", "except", "together", "put",
    "move", "name", "part", "whole", "full", "side", "still", "keep", "show",
}  # fmt: skip


def _english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop list, read from its data module alone: importing scikit-learn costs every web
    worker ~2 s at start (its package imports scipy.stats), and the vectorizer is needed only when an index builds."""
    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    assert spec is not None and spec.origin is not None, "scikit-learn is a runtime requirement"
    path = Path(spec.origin).parent / "feature_extraction" / "_stop_words.py"
    module_spec = importlib.util.spec_from_file_location("_pathwise_sklearn_stop_words", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)  # a module holding one frozenset literal, no imports
    return frozenset(module.ENGLISH_STOP_WORDS)


STOP_WORDS = frozenset((_english_stop_words() - _KEEP) | _FILLER)
# Words learners use for what the lessons call otherwise (added to the query, never replacing a word).
SYNONYMS = {
    "password": "secret", "passwords": "secrets", "throw": "raise", "delete": "remove", "remove": "delete",
    "error": "exception", "crash": "exception", "crashes": "exception", "ternary": "conditional expression",
    "switch": "match", "duplicates": "unique set", "encrypted": "encoded", "encripted": "encoded",
    "virtualenv": "venv virtual environment", "function": "def", "install": "installing pip",
    "descending": "reverse", "biggest": "reverse", "largest": "reverse", "backwards": "reverse",
    "verb": "method", "verbs": "methods", "env": "venv virtual environment", "venv": "virtual environment",
    "2": "two several multiple", "3": "three several multiple", "4": "four several", "5": "five several",
    "spaces": "whitespace", "space": "whitespace", "blanks": "whitespace", "beginning": "surrounding start",
    "lookup": "look up", "lookups": "look up",
    "membership": "in checks", "lazy": "generator on demand",
    "lazily": "generator on demand", "signal": "raise", "connection": "edge", "connections": "edges",
    "letter": "character", "letters": "characters", "optional": "default",
    "element": "item", "elements": "items", "pick": "choice choose", "subclass": "inherit inheritance",
    "subclasses": "inherit inheritance", "superclass": "parent inherit", "multi": "several", "multiline": "several",
    "broken": "invalid malformed", "malformed": "invalid", "newest": "descending created",
    "latest": "descending created", "catch": "except handle", "catching": "except handle", "two": "several multiple",
    "number": "digit", "numbers": "digits", "dict": "dictionary", "dicts": "dictionaries", "sentence": "string text",
    "sentences": "strings text", "library": "package", "libraries": "packages",
    "anonymous": "lambda", "iterate": "loop", "iterating": "loop", "shorter": "shortcut", "shorthand": "shortcut",
}  # fmt: skip
# Learners describe a situation where the lessons name the concept: phrases that add the lesson's words to the query.
_PHRASES = [
    (
        re.compile(r"\bfor\s+\(?\w+\s*,\s*\w+\)?\s+in\b|\(\w+\s*,\s*\w+\)\s*=|\b\w+\s*,\s*\w+\s*=\s*\w", re.I),
        "unpacking",
    ),
    (
        re.compile(
            r"\b(changed?|changes|modified|updated?)\b[^.?!]{0,15}\b(too|as well|also)\b|\bboth\b[^.?!]{0,20}"
            r"\bchang|\bcopy (of )?(a|the|my) list",
            re.I,
        ),
        "copy alias same object",
    ),
    (
        re.compile(
            r"\b(lists?|tuples?|dicts?|dictionar(y|ies)|sets?)\b[^.?!]{0,60}\b(good idea|good choice|right choice|"
            r"best choice|should i use|which (one|collection)|too slow|fast enough)\b|\bwhich (collection|data "
            r"structure)|\b(should i use|which (one )?should i|choose between|pick between)\b[^.?!]{0,20}\b(a |an )?"
            r"(list|tuple|dict|dictionary|set)\b[^.?!]{0,10}\b(or|vs|versus)\b",
            re.I,
        ),
        "choosing a collection need use",
    ),
    (
        re.compile(r"\bif\s+(?!else\b|not\b)\w+\s+in\s+(?!python\b|jac\b)\w+|`in`|\bin checks?\b", re.I),
        "fast in checks",
    ),
    (re.compile(r"\b(is|are|gets?|getting|too|so|very|really) slow\b", re.I), "fast"),
    (
        re.compile(
            r"\bwithout (making|creating|building|storing) (a |the )?(\w+ )?list|\b(save|saving|less) memory\b", re.I
        ),
        "generator expression memory",
    ),
    (re.compile(r"\b(\d+|three|main )?(parts|pieces|structure) of (a|an|the)\b", re.I), "anatomy"),
    (  # "put a variable inside a string": what f-strings do
        re.compile(
            r"\b(variables?|values?|numbers?|expressions?)\b[^.?!]{0,25}\b(in|into|inside)\b (a |the |my )?strings?\b",
            re.I,
        ),
        "fstrings embed format",
    ),
    (  # "the last letter / item": indexing from the end
        re.compile(r"\blast (\d+ |few |two |three )?(letter|character|char|item|element|one|value)s?\b", re.I),
        "negative index end",
    ),
    (
        re.compile(r"\b(my|your|our) own (\w+ )?(error|exception) (types?|class(es)?|kinds?)\b", re.I),
        "custom",
    ),
    (re.compile(r"\bquestion ?marks?\b|\?\w+=", re.I), "query string parameters"),  # "the part after the ?"
    (  # "python code inside a jac file": inline Python
        re.compile(
            r"\bpython\b[^.?!]{0,30}\b(inside|within|into|directly in|in the middle of)\b (a |the |my )?jac\b", re.I
        ),
        "inline ::py::",
    ),
    (
        re.compile(
            r"\b(if|unless|when) (it|one|they)? ?(does ?n.?t|do ?n.?t|is ?n.?t|not) (already )?(exist|there)", re.I
        ),
        "get-or-create get or create visit else",
    ),
    (re.compile(r"\b(go|goes|going|walk|step|run)\s+(through|over)\b", re.I), "loop"),  # "go through a dict"
    (re.compile(r"\bcall(s|ing)? (itself|themselves)\b", re.I), "recursion recursive"),
    (  # "a function from another file I wrote": a module of one's own
        re.compile(r"\b(another|other|different|separate|second) (python |jac |\.py |\.jac )?files?\b", re.I),
        "module import",
    ),
    (re.compile(r"\b(keep (only|just)|only keep)\b", re.I), "filter"),
    (re.compile(r"\b(never (stops?|ends?|finish(es)?|terminates?)|infinite(ly)?|forever)\b", re.I), "infinite while"),
    (  # "check if a word is inside a sentence": the `in` operator on text
        re.compile(
            r"\b(check|see|test|tell|know)\b[^.?!]{0,15}\b(if|whether)\b[^.?!]{0,40}\b(in|inside|contains?|part of|"
            r"appears in) (a |the |my |some )?(string|sentence|text|word|line|name|email)s?\b",
            re.I,
        ),
        "in membership",
    ),
    (re.compile(r"(?<![=!<>])==(?!=)|\bdouble equals?\b", re.I), "comparison operators equal"),
    (  # "loop over a list and get the index too"
        re.compile(
            r"\b(index|position|counter)\b[^.?!]{0,25}\b(too|as well|also)\b|\bloop\w*\b[^.?!]{0,40}\b(index|position)",
            re.I,
        ),
        "enumerate position",
    ),
    (re.compile(r"\b(turn|switch)(s|ing)? on\b|\benabl(e|es|ing)\b", re.I), "configured"),
    (re.compile(r"\b(start|starts|begin|begins) (running|executing)\b|\bentry ?point\b", re.I), "entry __main__"),
    (  # "when something goes wrong", "if the request fails": an error
        re.compile(r"\b(go(es)?|went|gone) wrong\b|\bsomething (fails|breaks|is wrong)\b", re.I),
        "error errors",
    ),
    (  # "a dict inside another dict", "lists within lists": nested data
        re.compile(
            r"\b(dict|dictionar(y|ies)|list|object|array)s?\b[^.?!]{0,15}\b(inside|within|in|of)\b "
            r"(an?other |an? |the )?(dict|dictionar(y|ies)|list|object|array)s?\b"
            r"|\b(another|an?) (dict|dictionary|list|object|array) inside\b",
            re.I,
        ),
        "nested nest",
    ),
    (  # "pass a function to another function", "a function as an argument": functions are values
        re.compile(
            r"\bpass(es|ed|ing)? (a |the |my |one )?functions? (to|into|as)\b|\bfunctions? as (an? )?"
            r"(argument|parameter|value|variable)s?\b",
            re.I,
        ),
        "functions values passed",
    ),
    (  # "call my jac code from a python script": Jac used from Python
        re.compile(
            r"\bjac\b[^.?!]{0,40}\b(from|inside|into) (a |an |my |the )?(normal |plain |regular |existing )?python\b"
            r"|\bpython\b[^.?!]{0,30}\b(import|call|use|run)s? (a |my |the )?jac\b",
            re.I,
        ),
        "using jac from python import hook",
    ),
    (  # "how do I get jac on my computer": installing it
        re.compile(r"\b(get|put|set up|setup)\b[^.?!]{0,25}\bon (my|a|the) (computer|machine|laptop|pc|mac)\b", re.I),
        "installing install",
    ),
]
_WORD = re.compile(r"[a-z_][a-z0-9_]*|\d+")
_HYPHENATED = re.compile(r"\b[a-z]+(?:-[a-z]+)+\b")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_LETTER_WORD = re.compile(r"\b([a-z]) ([a-z]{3,})\b")
# Python keywords that are also everyday English ("even if", "while reading", "what is it for"): in a question they
# count as the keyword only next to a word that says so ("a while loop", "if statement", "`with`").
_ENGLISH_KEYWORDS = re.compile(
    r"(?<!`)\b(while|for|if|else|from|with|except)\b(?!`)(?!\s+(loops?|statements?|blocks?|clauses?|keywords?|"
    r"else|elif|true|__name__|and|or|vs|versus|finally)\b)"
)
# Symbols a question may hinge on ("7 // 2", "++>", "::py::", "[-1]", "__init__"): matched literally.
SYMBOL = re.compile(
    r"__\w+__|::\w+::|\bimport \*"
    r"|\+\+>|<\+\+|-->|(?<![:/])//(?!/)|\*\*|\[-?\d*:?-?\d*\]|\b\w+\(\)|[=!<>]=|(?<!\w)@(?!\w)"
    r"|\b[A-Z][a-z]+(?:[A-Z][a-z0-9]+)+\b"  # CamelCase names: KeyError, NameError, APIView
)
_CAMEL_NAME = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z0-9]+)+")
_VERB_PATH = re.compile(r"(?<![\w/])/(get|create|update|delete|add|remove|fetch|list|set|make|edit)[A-Z_-]", re.I)
# "offset pagination is slow, what should I use?": the answer is the alternative, not the section about the subject.
_ALTERNATIVE = re.compile(
    r"\b(?P<subject>\w+(?: \w+)?) (?:is|are) (?:getting |too |so |very |really )*(?:slow|bad|broken|a problem)\b"
    r"[^?]*\b(what|which)\b[^?]*\b(use|instead|alternative|better)\b",
    re.I,
)
ALTERNATIVE_DEMOTE = 0.5  # a section about the subject the learner wants to move away from
ALTERNATIVE_LIFT = 1.3
RARE_IDF = 4.0  # a word this rare in the lessons (about one section in 50 or fewer) names the question's subject
RARE_POOL = 5  # …and is looked for in the best sections
RARE_MIN_SHARE = 0.5  # whose score is at least this share of the best one
_DISTINCTIVE = re.compile(r"[1-5]\d\d")  # an HTTP status code: one section says what it means
# A question answered by showing code ("how do I…", "syntax for…"), not by a fact the prose or a table states.
_HOW_TO = re.compile(
    r"\bhow\b|\b(syntax|example|code|snippet|write|implement|make|create|build|define|declare|show)\b", re.I
)
# A question that asks to see code, not a fact: the words it shares with an example's code count in full.
_WANTS_CODE = re.compile(
    r"\b(syntax|example|snippet|implement|write|writing|code for|show me|how (do|can|would|should) (i|you|we) "
    r"(write|code|define|declare|create|make|build|implement|loop|call|use))\b",
    re.I,
)
LONG_EXAMPLE_CHARS = 500  # …at least this much code: a short snippet under its heading is the answer shown whole


def _long_example(body: str) -> bool:
    return code_share(body) >= CODE_HEAVY_SHARE and sum(len(m) for m in _FENCED.findall(body)) >= LONG_EXAMPLE_CHARS


CODE_ONLY_DISCOUNT = 0.5  # in a long example (a section mostly code), a question word met only in its code counts half
_NOT_CODE = re.compile(r"\b(status|error|response|exit|return|http|country|zip|post(al)?) codes?\b", re.I)
_GREETING = re.compile(r"^\s*(hi|hello|hey)\b[\s,!.]*(?!world)", re.I)


_NOT_PLURAL = {"https"}  # not more than one "http"


def fold(word: str) -> str:
    """A light stemmer, identical for questions and sections: plurals and -ing/-ed/-e endings."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "os")) and word not in _NOT_PLURAL:
        word = word[:-1]
    elif len(word) == 4 and word.endswith("is") and word != "this":  # "apis" → "api" (but "basis" stays)
        word = word[:-1]
    stem = word
    if len(word) >= 9 and word.endswith("ation"):  # "pagination" ~ "paginated", "validation" ~ "validate"
        word = word[:-3]
    elif len(word) >= 6 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) >= 5 and word.endswith("ed"):
        word = word[:-2]
    # A doubled final consonant left by the ending ("swapped", "beginning", "getting") is the base word's single one
    # ("swap", "begin", "get"), as a learner's "swap" or misspelt "begining" fold to; l, s, z, f stay ("called").
    if word != stem and len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "aeioulszf":
        word = word[:-1]
    if len(word) >= 4 and word.endswith("e"):
        word = word[:-1]
    return word


_STOP_FOLDED = frozenset(STOP_WORDS | {fold(w) for w in STOP_WORDS})


def raw_words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def terms(text: str) -> list[str]:
    """Content words, folded; camelCase split ("getAllBooks" → get, all, book) and hyphenated compounds joined."""
    return list(_terms(text))


@functools.lru_cache(maxsize=50_000)  # sections, headings and titles are read again for every question
def _terms(text: str) -> tuple[str, ...]:
    text = _CAMEL.sub(" ", text) + " " + text
    lowered = text.lower()
    words = [f for w in raw_words(lowered) if (len(w) > 1 or w.isdigit()) and (f := fold(w)) not in _STOP_FOLDED]
    return tuple(words + [fold(w.replace("-", "")) for w in _HYPHENATED.findall(lowered)])


_DOTTED_CALL = re.compile(r"\b[a-z_]\w*\.\w+\(\)")


def symbols(text: str) -> list[str]:
    """The symbols a text spells out, and its calls on a name as written ("name.upper()": the learner's own line,
    which a section quoting it holds, besides the bare "upper()")."""
    padded = f" {text} "
    found = [s for s in SYMBOL.findall(text) if s not in ("==", "!=", "<=", ">=") or f" {s} " in padded]
    return found + _DOTTED_CALL.findall(text)


@dataclass
class Vocabulary:
    """Document frequencies and spelling candidates of one built index (rebuilt with it)."""

    idf: dict[str, float]
    max_idf: float
    topical: frozenset[str]  # words of headings and lesson titles: what the course is about
    spelling: "TfidfVectorizer"
    spelling_matrix: Any
    words: list[str]
    # A word of a path's title that names what the path is about ("jac", "api"), with the paths whose titles (path
    # or module) use it: "python" names the Python path and the web-API path ("…Endpoints in Python…"), not Jac.
    path_names: dict[str, frozenset[str]] = field(default_factory=dict)


_vocabularies: "weakref.WeakKeyDictionary[Any, Vocabulary]" = weakref.WeakKeyDictionary()
_vocab_lock = threading.Lock()


# One index per answer: `get_index` asks the corpus version (a database query) on every call.
current_index: contextvars.ContextVar[HybridIndex | None] = contextvars.ContextVar("tutor_index", default=None)


def lessons_index() -> HybridIndex:
    index = current_index.get()
    return index if index is not None else get_index(CORPUS)


def _docs(index: HybridIndex) -> list[Any]:
    return list(getattr(index, "docs", []))


def vocabulary(index: HybridIndex) -> Vocabulary:
    with _vocab_lock:
        found = _vocabularies.get(index)
        if found is not None:
            return found
        docs = _docs(index)
        df: dict[str, int] = {}
        for doc in docs:
            for t in set(terms(doc.text)):
                df[t] = df.get(t, 0) + 1
        n = max(len(docs), 1)
        idf = {t: float(np.log1p((n - c + 0.5) / (c + 0.5))) for t, c in df.items()}
        titles = [f"{d.title} {d.meta.get('module_title', '')}" for d in docs]
        # "Data classes" is about "dataclass" too: adjacent title words joined count as a topic word.
        joined = {fold(a + b) for t in titles for a, b in zip(raw_words(t), raw_words(t)[1:], strict=False)}
        topical = frozenset({t for title in titles for t in terms(title)} | joined)
        words = sorted({w for d in docs for w in raw_words(d.text) if len(w) > 2 and w not in STOP_WORDS})
        # Chat filler is a candidate too: "diffrence" corrects to "difference", then drops out as filler.
        words = sorted(set(words) | {w for w in _FILLER if len(w) > 3})
        from sklearn.feature_extraction.text import TfidfVectorizer  # lazily: see _english_stop_words

        spelling = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), dtype=np.float32)
        matrix = spelling.fit_transform(words or ["empty"])
        found = Vocabulary(
            idf, max(idf.values(), default=1.0), topical, spelling, matrix, words or ["empty"], _path_names(docs)
        )
        _vocabularies[index] = found
        return found


def _path_names(docs: list[Any]) -> dict[str, frozenset[str]]:
    """{word: paths} for the words of the path titles that name a subject, each with the paths that use it in a
    path or module title. A word every path uses tells none apart."""
    titled: dict[str, set[str]] = {}
    path_words: set[str] = set()
    slugs: set[str] = set()
    for doc in docs:
        slug = doc.meta.get("path_slug")
        if not slug:
            continue
        slugs.add(slug)
        path_words |= set(terms(doc.meta.get("path_title", "")))
        for t in terms(f"{doc.meta.get('path_title', '')} {doc.meta.get('module_title', '')}"):
            titled.setdefault(t, set()).add(slug)
    generic = {fold(w) for w in _GENERIC_TITLE_WORDS}
    return {t: frozenset(titled[t]) for t in path_words - generic if t in titled and len(titled[t]) < len(slugs)}


def edit_distance(a: str, b: str, limit: int) -> int:
    """Edit distance with swapped neighbours as one edit ("tupel" → "tuple"), giving up (returning limit + 1) once
    it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


SPELLING_SIMILARITY = {0: 0.0, 1: 0.45, 2: 0.6}  # character n-gram cosine a correction needs, by edit distance


def _correct(vocab: Vocabulary, word: str) -> str:
    """A question word the lessons never use → the closest lesson word (typos), or itself."""
    if word in STOP_WORDS or len(word) < 4 or word.isdigit() or fold(word) in vocab.idf:
        return word
    sims = (vocab.spelling_matrix @ vocab.spelling.transform([word]).T).toarray().ravel()
    allowed = 1 if len(word) <= 6 else 2
    candidates = []
    for best in np.argsort(-sims)[:10]:
        candidate = vocab.words[int(best)]
        if sims[best] < 0.4:
            break
        distance = edit_distance(word, candidate, allowed)
        # Two edits apart, only a close spelling is a typo ("iteration" ~ "iterating"); a real word the lessons
        # never use ("sentence", "calories") is not rewritten into another ("sequence", "carries").
        if candidate[0] == word[0] and distance <= allowed and sims[best] >= SPELLING_SIMILARITY[distance]:
            candidates.append((distance, -float(sims[best]), candidate))
    return min(candidates)[2] if candidates else word


_COMPARATIVE = re.compile(r"\b([a-z]{3,}?)(er|r) than\b", re.I)


def _plain_adjective(vocab: Vocabulary, match: re.Match[str]) -> str:
    """ "faster than" → "fast than" when the lessons say "fast" but never "faster" (and "bigger" → "big")."""
    word, stem = match[1] + match[2], match[1]
    if fold(word.lower()) in vocab.idf:
        return match[0]
    doubled = stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else stem
    for base in (stem, doubled, stem + "e"):
        if fold(base.lower()) in vocab.idf:
            return f"{base} than"
    return match[0]


def clean(vocab: Vocabulary, text: str) -> str:
    """The question as the lessons would word it: a greeting and keywords used as English dropped, typos fixed."""
    text = _GREETING.sub("", text)
    text = re.sub(r"\bget(ting)? rid of\b", "remove", text, flags=re.I)
    text = _COMPARATIVE.sub(lambda m: _plain_adjective(vocab, m), text)
    # "write to a file without deleting what's there": not a question about deleting, but about appending
    text = re.sub(r"\bwithout (deleting|erasing|overwriting|replacing|losing|wiping)\b", "append", text, flags=re.I)
    text = re.sub(r"\bjson web tokens?\b", "jwt", text, flags=re.I)  # the lessons say JWT
    if _VERB_PATH.search(text):  # "/getAllBooks": a verb in a URL path is a question about naming resources
        text += " verbs in the url actions resources"
    text += "".join(f" {words}" for pattern, words in _PHRASES if pattern.search(text))
    # A CamelCase name the lessons never use ("KeyErorr") is a typo: its corrected words carry it, not the name.
    kept = " ".join(s for s in symbols(text) if not _CAMEL_NAME.fullmatch(s) or fold(s.lower()) in vocab.idf)
    text = _CAMEL.sub(" ", text)
    text = _ENGLISH_KEYWORDS.sub(" ", text.lower())
    text = text.replace("-", "")  # "f-strings" → "fstrings", as the lessons' words are indexed
    text = _LETTER_WORD.sub(lambda m: m[1] + m[2] if fold(m[1] + m[2]) in vocab.idf else m[0], text)
    words = [_correct(vocab, w) for w in raw_words(text)]
    return " ".join([*words, kept]).strip()


# The same, for a misspelt word that folds like the key ("begining" → "begin", as "beginning").
_SYNONYMS_BY_FOLD = {fold(k): v for k, v in SYNONYMS.items()}


def expand(cleaned: str) -> str:
    """The cleaned question with the lessons' words for what learners call otherwise (for the engine's query)."""
    extra = [SYNONYMS.get(w) or _SYNONYMS_BY_FOLD.get(fold(w), "") for w in raw_words(cleaned)]
    return " ".join([cleaned, *extra])


_FOLDED_SYNONYMS = {fold(k): {t for w in v.split() for t in terms(w)} for k, v in SYNONYMS.items()}


def key_weights(vocab: Vocabulary, text: str) -> dict[str, float]:
    """The question's distinctive words with their IDF (a word the lessons never use weighs the most), and its
    symbols ("@", "//", "++>"), which weigh like rare words."""
    weights = {t: vocab.idf.get(t, vocab.max_idf) for t in terms(text)}
    weights.update({s: 0.8 * vocab.max_idf for s in symbols(text)})
    return weights


def present(text: str) -> frozenset[str]:
    return _present(text)


# A name the lessons spell out where a learner uses its short form: the text says the short form too.
_SPELLED_OUT = [(re.compile(r"\bjson web tokens?\b", re.I), "jwt")]


@functools.lru_cache(maxsize=50_000)
def _present(text: str) -> frozenset[str]:
    spelled = {short for pattern, short in _SPELLED_OUT if pattern.search(text)}
    return frozenset(_terms(text)) | frozenset(symbols(text)) | spelled


def synonyms_of(term: str) -> set[str]:
    return _FOLDED_SYNONYMS.get(term, set())


def covered(term: str, found: set[str]) -> bool:
    return term in found or bool(_FOLDED_SYNONYMS.get(term, set()) & found)


def _prior(section: Section) -> float:
    prior = TYPE_PRIOR.get(section.module_type, 1.0)
    prior *= HEADING_PRIOR.get(section.heading.lower(), 1.0)
    if section.level <= 1:
        prior *= INTRO_PRIOR
    return prior


def _section(hit: Any, score: float) -> Section:
    meta = hit.doc.meta
    return Section(
        doc_id=str(hit.id),
        module_id=meta["module_id"],
        module_title=meta["module_title"],
        module_type=meta["module_type"],
        path_id=meta["path_id"],
        path_title=meta["path_title"],
        path_slug=meta["path_slug"],
        anchor=meta["anchor"],
        heading=meta["heading"],
        body=meta["body"],
        url=meta["url"],
        level=meta["level"],
        position=meta["position"],
        score=round(score, 4),
        semantic=round(float(hit.semantic), 4),
    )


def search_sections(
    question: str,
    *,
    context: str = "",
    module_id: int | None = None,
    session_modules: tuple[int, ...] = (),
    path_slug: str | None = None,
    limit: int = 8,
    context_weight: float = CONTEXT_WEIGHT,
    code: bool = False,
    passages: "PassageScores | None" = None,
    prefer_modules: tuple[int, ...] = (),
    section_lift: float | None = None,
) -> tuple[list[Section], Vocabulary, str]:
    """(sections best first, the vocabulary, the cleaned question). `context` is the earlier topic a follow-up
    refers to (weighted lower by being only part of the query); `path_slug` restricts to one path ("and in Jac?")."""
    index = lessons_index()
    vocab = vocabulary(index)
    cleaned = clean(vocab, question)
    query = expand(f"{cleaned} {clean(vocab, context)}".strip() if context else cleaned)
    if not query:
        return [], vocab, cleaned
    ids = None
    if path_slug:
        ids = [d.id for d in _docs(index) if d.meta.get("path_slug") == path_slug]
    pasted = code_spans(question)
    hits = index.search(query, k=POOL, ids=ids)
    if passages is not None:
        hits = _with_passage_candidates(index, query, hits, passages, ids)
    weights = key_weights(vocab, cleaned)
    if context:  # a follow-up ("and how do I run them?") is still about its topic's words, a little less
        for t, w in key_weights(vocab, clean(vocab, context)).items():
            weights.setdefault(t, context_weight * w)
    named = [vocab.path_names[t] for t in weights if t in vocab.path_names]
    total = sum(weights.values()) or 1.0
    wanted = set(symbols(question)) | set(re.findall(r"\b[1-5]\d\d\b", question))  # "204": a status code
    subject: set[str] = set()
    if (alternative := _ALTERNATIVE.search(question)) is not None:
        words = terms(alternative["subject"])
        subject = {max(words, key=lambda t: vocab.idf.get(t, vocab.max_idf))} if words else set()
    compared = compared_terms(question)
    # a sentence is read by meaning; two or three keywords ("jac walkers") are matched better by their words
    count = len(set(terms(cleaned)))
    meaning_weight = min(1.0, max(0.0, (count - KEYWORD_QUERY_TERMS) / SENTENCE_QUERY_TERMS))
    told = min(1.0, max(0.0, (count - SECTION_FROM) / (SECTION_FULL - SECTION_FROM)))
    section_lift = told * (SECTION_PASSAGE_LIFT if section_lift is None else section_lift)
    wants_code = code or bool(pasted) or bool(_WANTS_CODE.search(question))
    asked = f" {' '.join(raw_words(question))} "
    scored = []
    for hit in hits:
        section = _section(hit, 0.0)
        # The engine's blend counts meaning at 40 %; among sections that share the question's words, the one closest
        # in meaning ("what goes in the body besides the status code" ~ "Designing error bodies") is lifted a little.
        score = float(hit.score) * _prior(section) * float(np.exp(SEMANTIC_LIFT * hit.semantic))
        for paths in named:  # "unit tests in jac": the Jac path's section, not the web-API path's
            score *= NAMED_PATH_BOOST if section.path_slug in paths else UNNAMED_PATH_PRIOR
        score *= _where_lift(
            section, module_id, prefer_modules, session_modules, passages, meaning_weight, section_lift
        )
        # A heading (or, less, a lesson title) that names what is asked: "401 versus 403", "Versioning". Rare words
        # count: "walker" in a heading says more than "jac".
        heading = present(section.heading)
        in_heading = sum(w for t, w in weights.items() if covered(t, heading))
        if in_heading:
            score *= 1 + 0.5 * in_heading / total + 0.15 * sum(covered(t, heading) for t in weights) / len(heading)
        titled = sum(w for t, w in weights.items() if covered(t, present(section.module_title)))
        score *= 1 + 0.15 * titled / total
        # The section's own text holds the question's distinctive words ("making the argument optional"), not only
        # its title: a section that covers more of them (by IDF) is more likely the one that answers.
        body = present(section_text(section))
        said = sum(w for t, w in weights.items() if covered(t, body))
        if not wants_code and _long_example(section.body):
            # a fact is stated in prose or a table; a long example's names only show it in use
            prose = present(prose_text(section))
            said -= CODE_ONLY_DISCOUNT * sum(
                w for t, w in weights.items() if covered(t, body) and not covered(t, prose)
            )
        score *= 1 + BODY_COVERAGE * said / total
        if subject and subject & present(section_text(section)) and not subject & present(section.module_title):
            score *= ALTERNATIVE_DEMOTE  # it talks about what the learner wants to replace
        elif subject and "fast" in present(section.body) and "slow" in question.lower():
            score *= ALTERNATIVE_LIFT  # "slow, what should I use?": a section that says what stays fast
        score *= _literal_lift(section.body, wanted, pasted, compared, asked)
        scored.append((score, section.doc_id, hit))
    scored.sort(key=lambda item: (-item[0], item[1]))
    ranked = [_section(hit, score) for score, _, hit in scored[:limit]]
    if subject:  # "offset is slow, what instead?": the rare word names what the learner moves away from
        return ranked, vocab, cleaned
    # "which status code…" asks for a fact, not for code
    how_to = _HOW_TO.search(_NOT_CODE.sub(" ", question))
    return _reordered(vocab, weights, ranked, fact=not context and not how_to), vocab, cleaned


# score × e^(the lesson's closest passage's cosine − half the lesson's mean cosine): a lesson whose one passage is 0.1
# closer in meaning gains 10 %; the mean takes out what every passage of a lesson shares (its title: any question
# naming Jac is close to all of "What Is Jac?"); within a lesson the words decide
PASSAGE_LIFT = 1.0
LESSON_MEAN_SHARE = 0.5
KEYWORD_QUERY_TERMS = 2  # the passage lift is off for a question of this many content words or fewer…
SENTENCE_QUERY_TERMS = 4  # …and full from this many more (the encoder reads sentences, not keyword lists)
PASSAGE_CANDIDATES = 12  # sections with the closest passages join the engine's candidates
PREVIOUS_BOOST = 1.3  # a follow-up: the lesson the previous answer cited
# score × e^(SECTION_PASSAGE_LIFT × (the section's closest passage − the closest passage anywhere)): within a lesson
# too, the section holding the one sentence, item or row closest in meaning to the question is preferred (a symptom
# in a learner's words is close to the "Common mistakes" item that names it, which shares few words with it). A
# section whose best passage is 0.1 below the best anywhere loses 45 %. Applied to every question, 0 → 6 moved the
# top-1 section (bench/chat.py, PostgreSQL) of dev10 13 → 16 of 30 and dev9 21 → 27 of 36, but turned 9 earlier tests
# on short questions red; gated by SECTION_FROM/SECTION_FULL below it moves dev10 13 → 14, dev9 21 → 24, the tuning
# file 92 → 91 of 98, and every earlier test holds.
SECTION_PASSAGE_LIFT = 6.0
# …for a question told as a sentence or a story (a symptom, the learner's own code): none up to SECTION_FROM content
# words, full from SECTION_FULL. A short question ("how do i loop over a list and get the index too") names what it
# asks in a few words that the section's words and headings match better than one passage's meaning does.
SECTION_FROM = 6
SECTION_FULL = 10


def _where_lift(
    section: Section,
    module_id: int | None,
    prefer_modules: tuple[int, ...],
    session_modules: tuple[int, ...],
    passages: "PassageScores | None",
    meaning_weight: float = 1.0,
    section_lift: float | None = None,
) -> float:
    """The module being studied, the lesson a follow-up continues, the session's lessons, and the section's closest
    passage (one sentence, item, row or code block) in meaning."""
    lift = 1.0
    if module_id is not None and section.module_id == module_id:
        lift *= MODULE_BOOST
    elif section.module_id in prefer_modules:
        lift *= PREVIOUS_BOOST
    elif section.module_id in session_modules:
        lift *= SESSION_BOOST
    if passages is not None:
        lift *= float(np.exp(meaning_weight * PASSAGE_LIFT * passages.lesson_excess(section.doc_id, LESSON_MEAN_SHARE)))
        gap = passages.best(section.doc_id) - passages.top()
        lift *= float(np.exp((SECTION_PASSAGE_LIFT if section_lift is None else section_lift) * gap))
    return lift


def _with_passage_candidates(
    index: HybridIndex, query: str, hits: list[Hit], passages: "PassageScores", ids: list[Any] | None
) -> list[Hit]:
    """The engine's hits and the sections whose passages are closest to the question in meaning (a symptom described
    in a learner's words shares few words with the mistake item that names it); an added section starts at the
    pool's lowest score and rises only by its passage."""
    have = {str(h.id) for h in hits}
    allowed = None if ids is None else {str(i) for i in ids}
    floor = min((h.score for h in hits), default=0.1)
    vector = None
    out = list(hits)
    for doc_id in passages.best_sections(PASSAGE_CANDIDATES):
        if doc_id in have or (allowed is not None and doc_id not in allowed):
            continue
        position = index.positions.get(doc_id)
        if position is None:
            continue
        if vector is None:
            vector = embed_text(query)
        semantic = float(index.vectors[position] @ vector)
        out.append(Hit(doc_id, floor, 0.0, semantic, index.docs[position]))
    return out


def _literal_lift(
    body: str, wanted: set[str], pasted: list[str], compared: tuple[str, str] | None, asked: str = ""
) -> float:
    """What the question spells out, met literally in the section: a name the section gives in a table cell or in
    bold ("too many requests"), its symbols ("NameError", "//", "++>"), the code the learner typed ("score = score +
    1", "[a -->:Road:-->]") and, for "the difference between def and can", a line that sets the two side by side."""
    lift = 1.0
    if asked and any(f" {name} " in asked for name in _names(body)):
        lift *= VERBATIM_LIFT
    if wanted:
        lift *= 1 + 0.8 * sum(1 for sym in wanted if sym in present(body)) / len(wanted)
    if pasted:
        lift *= 1 + CODE_MATCH * code_match(pasted, body)
    if compared and compares(compared, body):
        lift *= COMPARED_LIFT
    return lift


VERBATIM_LIFT = 1.5  # the question uses, word for word, a name the section gives in a table cell or in bold
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


@functools.lru_cache(maxsize=5_000)
def _names(body: str) -> frozenset[str]:
    """The names of two to six words a section gives in its tables' cells and in bold ("Too Many Requests", "Not
    Found"), as lower-case words, when a stop word is part of them: the question's weighed words cannot see "too many"
    or "not", which name something only together with the rest ("status code" is seen word by word already)."""
    prose = _FENCED.sub(" ", body)
    cells = [c for line in prose.splitlines() if line.lstrip().startswith("|") for c in line.split("|")]
    found = set()
    for name in cells + _BOLD.findall(prose):
        words = raw_words(name)
        if 2 <= len(words) <= 6 and any(w in STOP_WORDS for w in words):
            found.add(" ".join(words))
    return frozenset(found)


def _reordered(vocab: Vocabulary, weights: dict[str, float], ranked: list[Section], fact: bool) -> list[Section]:
    """The best section replaced by a close one that says the question's subject (and, for a question that asks for
    a fact rather than code, by the prose or table next to a long example)."""
    ranked = _rare_word_first(vocab, weights, ranked)
    return _prose_over_code(vocab, weights, ranked) if fact else ranked


def _prose_over_code(vocab: Vocabulary, weights: dict[str, float], ranked: list[Section]) -> list[Section]:
    """A question that asks for a fact ("which status code…", "what should I test") is answered by the section whose
    prose, list or table says it, not by a neighbouring section of the same lesson that is mostly one long example
    using the same words (BM25 counts code words too): when the best section is mostly code, a close section of its
    lesson that is mostly prose and whose prose says more of the question answers instead."""
    if len(ranked) < 2:
        return ranked
    top = ranked[0]
    total = sum(weights.values()) or 1.0

    def said(section: Section) -> float:
        found = present(prose_text(section))
        return sum(w for t, w in weights.items() if covered(t, found)) / total

    top_said = said(top)
    top_prose = present(prose_text(top))
    # the question's distinctive words (a status code, a rare word) the best section's prose does not say
    unsaid = {
        t
        for t in weights
        if (_DISTINCTIVE.fullmatch(t) or vocab.idf.get(t, 0.0) >= RARE_IDF) and not covered(t, top_prose)
    }
    # …and which it uses only in its code ("503" in a loop over codes), or it is mostly code
    heavy = code_share(top.body) >= CODE_HEAVY_SHARE
    in_code = {t for t in unsaid if covered(t, present(top.body))}
    if not unsaid or not (heavy or in_code):
        return ranked
    margin = 0.3 if heavy and not in_code else 0.0
    for i, section in enumerate(ranked[1:RARE_POOL], start=1):
        if section.score < PROSE_MIN_SHARE * top.score:
            break
        if section.module_id != top.module_id or _prior(section) < _prior(top):
            continue
        if code_share(section.body) > code_share(top.body) - margin or said(section) <= top_said + 0.1:
            continue
        if any(covered(t, present(prose_text(section))) for t in (in_code or unsaid)):
            return [section, *ranked[:i], *ranked[i + 1 :]]
    return ranked


def _rare_word_first(vocab: Vocabulary, weights: dict[str, float], ranked: list[Section]) -> list[Section]:
    """The question's rarest word the lessons use ("comments" in "comments in a JSON file? my parser fails", "swap"
    in "swap keys and values in a dictionary") names its subject; the other words often name only the setting. When
    the best section lacks that word, a section of the same lesson that has it, or any close one that also has every
    word the best one matched, answers instead (the best section's words alone describe a neighbouring topic). Within
    the lesson the word must be one the course is about (a heading's or title's word, not "normal"), and a summary or
    an exercise, which only restate, never replaces a lesson section."""
    known = [t for t in weights if t in vocab.idf and vocab.idf[t] >= RARE_IDF]
    if len(ranked) < 2 or not known:
        return ranked
    # a heading's or title's word (what the course is about) before a word that only occurs ("config")
    rare = max(known, key=lambda t: (t in vocab.topical, vocab.idf[t]))
    top = ranked[0]
    top_found = present(section_text(top))
    if covered(rare, top_found):
        return ranked
    matched = {t for t in weights if covered(t, top_found)}
    for i, section in enumerate(ranked[1:RARE_POOL], start=1):
        if section.score < RARE_MIN_SHARE * top.score:
            break
        found = present(section_text(section))
        if _prior(section) < _prior(top) or not covered(rare, found):
            continue
        if (section.module_id == top.module_id and rare in vocab.topical) or all(covered(t, found) for t in matched):
            return [section, *ranked[:i], *ranked[i + 1 :]]
    return ranked


SEMANTIC_LIFT = 0.0  # score × e^(2·cosine): a section 0.2 closer in meaning gains 49 %
CODE_MATCH = 1.0  # lift for a section holding all of the code a learner pasted (see `code_match`)
COMPARED_MAX_NAMES = 3  # a line naming more pieces of code than this lists them; it does not set two side by side
COMPARED_LIFT = 1.5  # "difference between def and can": a section with a line naming both
_CODE_CHARS = re.compile(r"[\[\]()=+*/<>{}:&?%@.]|(?<=\w)-(?=[>:\d])|->|\w_\w|^_")
_OPERATOR = re.compile(r"^(==|!=|[-+*/%]?=|[-+*/%<>]|->|-->|<--|\+\+>|//|\*\*)$")
_EDGE_PUNCT = ".,;!?'\""


def _code_token(token: str) -> bool:
    core = token.rstrip(_EDGE_PUNCT).lstrip("'\"")
    if not core or re.fullmatch(r"[A-Za-z]+(?:-[A-Za-z]+)+", core):  # "f-strings", "well-known": a word
        return False
    return bool(_CODE_CHARS.search(core))


def code_spans(question: str) -> list[str]:
    """The pieces of code in a question ("score = score + 1", "name.upper()", "[[1, 2], [3, 4]]"), normalised for
    matching: a run of code-like tokens, with the names and numbers an operator joins and everything inside open
    brackets."""
    tokens = question.split()
    spans: list[list[str]] = []
    current: list[str] = []
    depth = 0
    for i, token in enumerate(tokens):
        joined = (
            bool(_OPERATOR.match(token))
            or (i + 1 < len(tokens) and _OPERATOR.match(tokens[i + 1]) is not None)
            or (i > 0 and _OPERATOR.match(tokens[i - 1]) is not None)
        )
        if depth > 0 or _code_token(token) or joined:
            current.append(token)
            depth = max(0, depth + token.count("[") + token.count("(") - token.count("]") - token.count(")"))
        elif current:
            spans.append(current)
            current = []
    if current:
        spans.append(current)
    out = []
    for span in spans:
        text = " ".join(span)
        if not text.endswith((")", "]")):
            text = text.rstrip(_EDGE_PUNCT)
        norm = _code_norm(text)
        # a bare name ("json.loads", "upper()") is a word of the question (its symbols and terms count it), often
        # only the setting ("json.loads fails on my comments"); code is what has operators or brackets around it
        if len(norm) >= 5 and not _BARE_NAME.fullmatch(norm):
            out.append(norm)
    return out


_BARE_NAME = re.compile(r"[\w.]+(\(\))?")


def _code_norm(text: str) -> str:
    """Lower case, no spaces, one kind of quote: `score = score + 5` and `score=score+5` read alike."""
    return re.sub(r"\s+", "", text.lower()).replace("'", '"')


_NON_WORD = re.compile(r"[^\w]")


@functools.lru_cache(maxsize=1_000)
def _shape(text: str) -> str:
    """Code with each name replaced by a letter in order of first use and each number by 0: `total = total + 1` and
    `score = score + 5` are both `a=a+0`."""
    names: dict[str, str] = {}

    def letter(m: re.Match[str]) -> str:
        return names.setdefault(m[0], chr(ord("a") + min(len(names), 25)))

    return re.sub(r"[a-z_][a-z0-9_]*", letter, re.sub(r"\d+", "0", _code_norm(text)))


@functools.lru_cache(maxsize=5_000)
def _grams(text: str) -> frozenset[str]:
    norm = _code_norm(text)
    return frozenset(norm[i : i + 4] for i in range(len(norm) - 3))


@functools.lru_cache(maxsize=5_000)
def _line_shapes(body: str) -> tuple[str, ...]:
    """The shape of every line of the section's code blocks and of every inline code span."""
    lines = [ln for block in _FENCED.findall(body) for ln in block.splitlines()[1:-1]]
    lines += re.findall(r"`([^`\n]+)`", _FENCED.sub(" ", body))
    return tuple(_shape(ln.split("#")[0]) for ln in lines if ln.strip())


SHAPE_CREDIT = 0.7  # the same code with other names ("total = total + 1" for the lesson's "score = score + 5")
_SHAPE_OPERATORS = re.compile(r"[-+*/%<>=]")


@functools.lru_cache(maxsize=1_000)  # a question's pasted code is matched against every candidate section
def _code_grams(span: str) -> tuple[str, ...]:
    """A span's 4-character pieces that hold an operator or bracket (the code, not the words in it)."""
    grams = [span[i : i + 4] for i in range(len(span) - 3)]
    return tuple(g for g in grams if _NON_WORD.search(g)) or tuple(grams)


def code_match(spans: list[str], body: str) -> float:
    """How much of the pasted code the section shows: the share of its operator-bearing 4-character pieces that the
    section's text holds, over all pieces pasted (a section showing a short list of two pasted holds little of what
    the learner showed), squared (a stray `=` or `[1` met here and there is not the code). The same code with other
    names (each piece's shape found in a line, with at least two operators) counts `SHAPE_CREDIT`."""
    found = _grams(body)
    matched = total = 0
    shaped = True
    for span in spans:
        grams = _code_grams(span)
        matched += sum(g in found for g in grams)
        total += len(grams)
        shape = _shape(span)
        shaped = shaped and len(_SHAPE_OPERATORS.findall(shape)) >= 2
        shaped = shaped and any(shape in line for line in _line_shapes(body))
    share = (matched / total) ** 2 if total else 0.0
    return max(share, SHAPE_CREDIT) if spans and shaped else share


_COMPARED = re.compile(
    r"\bdifference between (?:an? |the )?`?([\w.()]+)`? and (?:an? |the )?`?([\w.()]+)`?"
    r"|`?([\w.()]+)`? (?:vs\.?|versus) `?([\w.()]+)`?",
    re.I,
)


def compared_terms(question: str) -> tuple[str, str] | None:
    """ "the difference between def and can", "list vs tuple": the two things set side by side."""
    m = _COMPARED.search(question)
    if m is None:
        return None
    a, b = (m[1], m[2]) if m[1] else (m[3], m[4])
    return (a.lower(), b.lower()) if a.lower() != b.lower() else None


def compares(pair: tuple[str, str], body: str) -> bool:
    """A line of the section's prose or tables names both (a keyword that is also English, "can", only as code), and
    not as two names of an inventory ("`append`, `insert`, `pop`, `remove`, `extend`": a summary's list)."""
    prose = _FENCED.sub(" ", body)
    for line in prose.splitlines():
        spans = re.findall(r"`([^`]*)`", line)
        if len(spans) > COMPARED_MAX_NAMES:
            continue
        code = {w for span in spans for w in raw_words(span)}
        words = set(raw_words(line))
        if all((w in code) if w in STOP_WORDS else (w in words or fold(w) in set(_terms(line))) for w in pair):
            return True
    return False


def coverage(vocab: Vocabulary, question: str, texts: list[str]) -> float:
    weights = key_weights(vocab, question)
    if not weights:
        return 0.0
    found: set[str] = set()
    for text in texts:
        found |= present(text)
    return sum(w for t, w in weights.items() if covered(t, found)) / sum(weights.values())


@functools.lru_cache(maxsize=5_000)
def code_share(body: str) -> float:
    """The share of a section's text inside fenced code blocks."""
    code = sum(len(m) for m in _FENCED.findall(body))
    return code / len(body) if body else 0.0


def prose_text(section: Section) -> str:
    """The section's heading and body without its fenced code blocks (tables and inline code stay)."""
    return f"{section.heading} {_FENCED.sub(' ', section.body)}"


def section_text(section: Section) -> str:
    return f"{section.module_title} {section.heading} {section.body}"


def is_relevant(vocab: Vocabulary, question: str, sections: list[Section]) -> bool:
    """Whether the best sections answer the question rather than share a stray word with it ("the capital of
    Australia" against a lesson's `capitals` dict): the best section must contain two of the question's words (or
    its only word, if that word names something the course is about), and the top three most of its distinctive
    words — or, a little less of them, while being close in meaning."""
    if not sections:
        return False
    weights = key_weights(vocab, question)
    if not weights:
        return False
    best = present(section_text(sections[0]))
    matched = [t for t in weights if covered(t, best)]
    if len(weights) == 1:  # a word the course is about, or one its prose explains ("what is a traceback")
        only = next(iter(weights))
        enough = bool(matched) and (only in vocab.topical or covered(only, present(_prose(sections[0].body))))
    else:  # two of its words, or one that carries most of the question ("which command makes a venv")
        share_best = sum(weights[t] for t in matched) / sum(weights.values())
        enough = len(matched) >= 2 or (share_best >= 0.55 and sections[0].semantic >= 0.3)
    share = coverage(vocab, question, [section_text(s) for s in sections[:3]])
    # A distinctive token met literally ("304", "__init__", "++>"): the section names exactly what is asked, so with
    # most of the question's words around it the lesson is the one, even if the best section holds only that token.
    literal = any(_DISTINCTIVE.fullmatch(t) or t in symbols(question) for t in matched)
    if literal and share >= LITERAL_COVERAGE:
        return True
    if not enough:
        return False
    if len(matched) >= 3 and share >= 0.35:  # three of its words in one section: a paraphrase of what it teaches
        return True
    return share >= MIN_COVERAGE or (share >= 0.35 and sections[0].semantic >= MIN_SEMANTIC)


def foreign_share(vocab: Vocabulary, question: str) -> float:
    """The share (by weight) of the question's distinctive words that no lesson ever uses ("websockets", "cron",
    "bcrypt"): the subject of a question about something we do not teach. A learner's own names (`expected_sig`,
    `2nd_place`, anything inside pasted code) are not words of a subject and never count."""
    weights = key_weights(vocab, clean(vocab, question))
    total = sum(weights.values())
    if not total:
        return 0.0
    in_code = {t for span in code_spans(question) for t in terms(span)}
    named = {t for t in weights if "_" in t or any(c.isdigit() for c in t)}
    foreign = [t for t in weights if t not in vocab.idf and t not in in_code and t not in named and t.isalpha()]
    return sum(weights[t] for t in foreign) / total


_FENCED = re.compile(r"```.*?```", re.S)


def _prose(body: str) -> str:
    """A section's explanation without its code (a word met only in an example, "banana", is not its subject)."""
    return re.sub(r"`[^`]*`", " ", _FENCED.sub(" ", body))
