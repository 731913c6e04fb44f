"""The built-in offline chat tutor: retrieval over our own content and an extractive, attributed answer.

Passages are the lessons (split at their markdown headings), the published quizzes' questions with their
explanations (never the stored `correct_answer`), the curated topic graph and the active resource catalogue. They
are scored by TF-IDF cosine (scikit-learn) over normalised words and word pairs, after a light query clean-up: plurals
are folded, unknown words are spell-corrected against the index's own vocabulary (character n-gram similarity), and a
follow-up ("can you give an example?") borrows the terms of the learner's earlier turns. The answer quotes the best
passages, says where they come from and what to read next, and admits it does not know when nothing scores above
`CONFIDENT_SCORE` (calibrated with bench/chat.py: on-topic questions score well above it, off-topic ones below).

The index is built lazily once per process, shared by threads, and rebuilt when the content's cheap signature (counts
and latest `updated_at`) changes; the signature is looked at most every `CHECK_INTERVAL` seconds.
"""

import itertools
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Max
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer

from learning.models import LearningPath, Module, Question
from resources.models import ACTIVE, Resource
from roadmaps.topics import graph

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 5.0  # seconds between two looks at the content signature
CONFIDENT_SCORE = 0.08  # below this, the best passage is not about the question (see bench/chat.py)
MIN_COVERAGE = 0.5  # the share of the question's distinctive words the best passages must contain
RELATIVE_CUTOFF = 0.65  # a passage is quoted only if it scores at least this share of the best one
MODULE_BOOST = 1.35  # the module the learner is studying
# Lessons are the course itself; the catalogue and the topic graph are pointers around it.
TYPE_PRIOR = {"module": 1.0, "quiz_question": 0.75, "topic": 0.75, "resource": 0.8}
STYLE_MEDIA = {
    "visual": {"video", "interactive"},
    "auditory": {"podcast", "video"},
    "kinesthetic": {"interactive", "tutorial"},
    "reading": {"article", "book", "documentation"},
}

# Chat filler that says nothing about the subject ("can you explain…", "what's the difference…").
_FILLER = {
    "explain", "tell", "please", "thanks", "thank", "example", "examples", "help", "want", "know", "understand",
    "mean", "means", "meaning", "difference", "different", "does", "did", "doing", "way", "ways", "use", "using",
    "used", "work", "works", "thing", "things", "good", "best", "need", "really", "just", "like", "actually",
    "question", "hi", "hello", "hey", "ok", "okay", "lesson", "module", "course", "learn", "learning", "write",
    "make", "happens", "happen", "show", "give", "say", "says", "wrong", "right", "correct", "whats", "s", "t",
    "isnt", "dont", "doesnt", "cant", "im", "ive", "nicest", "better", "tutor", "anyone", "someone", "sure", "goes",
    "go", "going", "able", "possible", "instead", "happening", "stuff",
}  # fmt: skip
# Words that matter in programming (Python keywords, method names) but sit in scikit-learn's English stop list.
_KEEP = {
    "get", "call", "empty", "system", "bottom", "top", "first", "last", "fill", "find", "back", "none", "not", "while",
    "for", "if", "else", "return", "from", "with", "break", "continue", "global", "except", "together",
}  # fmt: skip
STOP_WORDS = frozenset((ENGLISH_STOP_WORDS - _KEEP) | _FILLER)
_WORD = re.compile(r"[a-z_][a-z0-9_]*|\d+")
_HYPHENATED = re.compile(r"\b[a-z]+(?:-[a-z]+)+\b")
_FOLLOW_UP = re.compile(
    r"\b(it|its|this|that|these|those|they|them|example|examples|more|again|elaborate|further|else|why|how come)\b"
)
_EXAMPLE = re.compile(r"\b(example|examples|show me|demo|sample|snippet|code)\b")
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def fold(word: str) -> str:
    """A light stemmer, identical at index and query time: plurals and -ing/-ed/-e endings ("dictionaries" →
    "dictionary", "loops"/"looping" → "loop", "closed"/"closes" → "clos"). Collisions it makes ("string" → "str")
    are harmless because both sides of a comparison go through it."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "os")):
        word = word[:-1]
    if len(word) >= 6 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) >= 5 and word.endswith("ed"):
        word = word[:-2]
    if len(word) >= 4 and word.endswith("e"):
        word = word[:-1]
    return word


_STOP_FOLDED = frozenset(STOP_WORDS | {fold(w) for w in STOP_WORDS})


def raw_words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def analyse(text: str) -> list[str]:
    """Content words (folded) and adjacent word pairs, plus hyphenated compounds joined ("f-strings" → "fstring"):
    the index's features."""
    text = text.lower()
    terms = [f for w in raw_words(text) if (len(w) > 1 or w.isdigit()) and (f := fold(w)) not in _STOP_FOLDED]
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(terms)]
    return terms + pairs + [fold(w.replace("-", "")) for w in _HYPHENATED.findall(text)]


# --- Public types --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    type: str  # "module" | "quiz_question" | "topic" | "resource"
    id: int | str
    title: str


@dataclass(frozen=True)
class Passage:
    source: Source
    text: str
    score: float


@dataclass(frozen=True)
class TutorProfile:
    level: int = 1
    learning_style: str = ""
    feedback_style: str = ""
    experience_level: str = ""


@dataclass(frozen=True)
class TutorAnswer:
    text: str
    sources: list[Source]
    confident: bool


# --- Index ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    """One indexed passage: what is searched (`indexed`), what may be quoted (`quote`), and where it is from."""

    source: Source
    quote: str
    indexed: str
    module_id: int | None = None  # lesson chunks: their module
    context: str = ""  # the path (modules), the quiz (questions), the URL (resources)
    heading: str = ""
    media_type: str = ""
    module_type: str = ""
    title_words: str = ""


@dataclass
class Index:
    signature: tuple
    docs: list[Doc]
    vectorizer: CountVectorizer
    idf: np.ndarray
    matrix: Any  # sparse CSR: the BM25 weight of each term in each passage
    topical: frozenset[str]  # words of titles, headings and topic names: what the course is about
    prior: np.ndarray
    by_module: dict[int, np.ndarray]
    spelling: TfidfVectorizer
    spelling_matrix: Any
    spelling_words: list[str]


def split_sections(markdown: str) -> list[tuple[str, str]]:
    """(heading, body) per `#`/`##`/`###` section; `#` lines inside code fences are code comments, not headings."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading:
            sections.append((heading.group(2).replace("`", "").strip(), []))
        else:
            sections[-1][1].append(line)
    merged: list[tuple[str, str]] = []
    for heading, lines in sections:
        body = "\n".join(lines).strip()
        if not body:
            continue
        if merged and len(body) < 120:  # a one-line stub section reads better attached to the one before
            merged[-1] = (merged[-1][0], f"{merged[-1][1]}\n\n{heading}\n{body}".strip())
        else:
            merged.append((heading, body))
    return merged


def split_blocks(body: str, limit: int = 900) -> list[str]:
    """A long section → pieces of about `limit` characters, cut between paragraphs and never inside code, so a short
    focused answer is not drowned in a long section (BM25 still normalises the rest by length)."""
    blocks: list[str] = []
    current: list[str] = []
    fenced = False
    for line in body.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        current.append(line)
        if not fenced and not line.strip() and sum(len(x) + 1 for x in current) >= limit:
            blocks.append("\n".join(current).strip())
            current = []
    tail = "\n".join(current).strip()
    if tail:
        if blocks and len(tail) < limit // 3:
            blocks[-1] = f"{blocks[-1]}\n\n{tail}"
        else:
            blocks.append(tail)
    return blocks


def _module_docs() -> list[Doc]:
    docs = []
    modules = Module.objects.filter(learning_path__is_published=True).select_related("learning_path")
    for module in modules.only("id", "title", "description", "content", "module_type", "learning_path__title"):
        source = Source("module", module.id, module.title)
        path = module.learning_path.title
        common = {"module_id": module.id, "context": path, "module_type": module.module_type}
        docs.append(Doc(source, module.description, f"{module.title} {module.title} {module.description}",
                        title_words=module.title, **common))  # fmt: skip
        for heading, body in split_sections(module.content):
            heading = "" if heading == module.title else heading
            for block in split_blocks(body):
                indexed = f"{module.title} {heading} {heading} {block}"
                docs.append(Doc(source, block, indexed, heading=heading, title_words=heading, **common))
    return docs


def _question_docs() -> list[Doc]:
    docs = []
    questions = Question.objects.filter(quiz__is_draft=False, quiz__module__learning_path__is_published=True)
    for q in questions.select_related("quiz").only("id", "question", "explanation", "quiz__title"):
        title = q.question.split("\n")[0].strip()
        title = title if len(title) <= 90 else title[:87].rstrip() + "…"
        source = Source("quiz_question", q.id, f"{q.quiz.title}: {title}")
        # Only the explanation is ever quoted: a true/false question's own text may be the false claim.
        docs.append(Doc(source, q.explanation, f"{q.question} {q.explanation}", context=q.quiz.title))
    return docs


def _topic_docs() -> list[Doc]:
    topics = graph()
    docs = []
    for slug in topics.order:
        topic = topics.topics[slug]
        prereqs = ", ".join(topics.topics[p].title for p in topic.prerequisites)
        after = ", ".join(topics.topics[d].title for d in topics.dependents[slug][:6])
        quote = topic.description
        if prereqs:
            quote += f" Prerequisites: {prereqs}."
        if after:
            quote += f" Leads on to: {after}."
        names = " ".join([topic.title, topic.title, *topic.aliases])
        indexed = f"{names} {topic.description} {' '.join(topic.tags)}"
        docs.append(Doc(Source("topic", slug, topic.title), quote, indexed, title_words=names))
    return docs


def _resource_docs() -> list[Doc]:
    docs = []
    for r in Resource.objects.filter(is_active=True).only("id", "title", "description", "tags", "url", "media_type"):
        tags = " ".join(r.tags or [])
        docs.append(Doc(Source("resource", r.id, r.title), r.description, f"{r.title} {r.title} {tags} {r.description}",
                        context=r.url, media_type=r.media_type))  # fmt: skip
    return docs


def content_signature() -> tuple:
    """Counts and latest updates of everything indexed: any write that changes a passage changes this."""
    modules = Module.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    paths = LearningPath.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    questions = Question.objects.aggregate(n=Count("id"), at=Max("updated_at"), q=Max("quiz__updated_at"))
    resources = Resource.objects.aggregate(n=Count("id", filter=ACTIVE), at=Max("updated_at"))
    return tuple(tuple(d.values()) for d in (modules, paths, questions, resources))


def bm25(counts: sparse.csr_matrix, k1: float = 1.2, b: float = 0.75) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Okapi BM25 term weights of a count matrix (a query's score is then one sparse product), and the IDFs."""
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    per_entry = np.repeat(lengths / max(lengths.mean(), 1.0), np.diff(counts.indptr))
    tf = counts.data
    weights = sparse.csr_matrix(
        (idf[counts.indices] * tf * (k1 + 1) / (tf + k1 * (1 - b + b * per_entry)), counts.indices, counts.indptr),
        shape=counts.shape,
    )
    return idf, weights


def build_index(signature: tuple) -> Index:
    started = time.perf_counter()
    docs = _module_docs() + _question_docs() + _topic_docs() + _resource_docs()
    vectorizer = CountVectorizer(analyzer=analyse, dtype=np.float32)
    counts = vectorizer.fit_transform([d.indexed for d in docs]).tocsr()
    idf, matrix = bm25(counts)
    prior = np.array([TYPE_PRIOR[d.source.type] for d in docs], dtype=np.float32)
    by_module: dict[int, list[int]] = {}
    for i, doc in enumerate(docs):
        if doc.module_id is not None:
            by_module.setdefault(doc.module_id, []).append(i)
    # The vocabulary a misspelt query word is corrected to: whole words of the content, by character n-grams.
    words = sorted({w for d in docs for w in raw_words(d.indexed) if len(w) > 2 and w not in STOP_WORDS})
    spelling = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), dtype=np.float32)
    spelling_matrix = spelling.fit_transform(words)
    index = Index(
        signature, docs, vectorizer, idf, matrix, frozenset(t for d in docs for t in analyse(d.title_words)), prior,
        {k: np.array(v) for k, v in by_module.items()},
        spelling, spelling_matrix, words,
    )  # fmt: skip
    logger.info("tutor index: %s passages in %.0f ms", len(docs), (time.perf_counter() - started) * 1000)
    return index


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: Index | None = None
        self.checked_at = 0.0


_state = _State()


def tutor_index_reset() -> None:
    """Forget the index: the next question rebuilds it (tests, or right after a bulk content change)."""
    with _state.lock:
        _state.index = None
        _state.checked_at = 0.0


def _index() -> Index:
    index = _state.index
    if index is not None and time.monotonic() - _state.checked_at < CHECK_INTERVAL:
        return index
    with _state.lock:  # one thread checks (and maybe rebuilds); the others wait for its result
        index = _state.index
        if index is not None and time.monotonic() - _state.checked_at < CHECK_INTERVAL:
            return index
        signature = content_signature()
        if index is None or index.signature != signature:
            index = build_index(signature)
            _state.index = index
        _state.checked_at = time.monotonic()
        return index


# --- Retrieval -----------------------------------------------------------------------------------------------------


def _correct(index: Index, word: str) -> str:
    """A query word the content never uses → the closest content word (typos), or itself."""
    if word in STOP_WORDS or len(word) < 4 or word.isdigit() or fold(word) in index.vectorizer.vocabulary_:
        return word
    sims = (index.spelling_matrix @ index.spelling.transform([word]).T).toarray().ravel()
    allowed = 1 if len(word) <= 6 else 2
    candidates = []
    for best in np.argsort(-sims)[:10]:
        candidate = index.spelling_words[int(best)]
        if sims[best] < 0.4:
            break
        distance = edit_distance(word, candidate, allowed)
        if candidate[0] == word[0] and distance <= allowed:
            candidates.append((distance, -float(sims[best]), candidate))
    return min(candidates)[2] if candidates else word


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


_LETTER_WORD = re.compile(r"\b([a-z]) ([a-z]{3,})\b")


# Python keywords that are also everyday English ("even if", "while reading", "what is it for"): in a question they
# count as the keyword only next to a word that says so ("a while loop", "if statement", "`with`").
_ENGLISH_KEYWORDS = re.compile(
    r"(?<!`)\b(while|for|if|else|from|with|except)\b(?!`)(?!\s+(loops?|statements?|blocks?|clauses?|keywords?|"
    r"else|elif|true|__name__|and|or|vs|versus)\b)"
)


def _clean(index: Index, text: str) -> str:
    text = _ENGLISH_KEYWORDS.sub(" ", text.lower())
    text = text.replace("-", "")  # "f-strings" → "fstrings", as the lessons' words are indexed
    # "f strings" → "fstrings" when the content knows the joined word
    text = _LETTER_WORD.sub(lambda m: m[1] + m[2] if fold(m[1] + m[2]) in index.vectorizer.vocabulary_ else m[0], text)
    return " ".join(_correct(index, w) for w in raw_words(text))


def _content_terms(index: Index, text: str) -> list[str]:
    vocabulary = index.vectorizer.vocabulary_
    return [t for t in analyse(text) if " " not in t and t in vocabulary]


def resolve_query(index: Index, question: str, history: list[str]) -> tuple[str, str]:
    """(question, context): the cleaned question and, for a follow-up, the earlier turns it refers to."""
    cleaned = _clean(index, question)
    terms = _content_terms(index, cleaned)
    follow_up = len(terms) <= 1 or (len(terms) <= 3 and _FOLLOW_UP.search(question.lower()) is not None)
    context: list[str] = []
    if follow_up and history:
        for turn in reversed(list(history)[-3:]):
            context.insert(0, _clean(index, turn))
            if len(_content_terms(index, " ".join(context))) >= 2:
                break
    return cleaned, " ".join(context)


def query_weights(index: Index, question: str, context: str) -> dict[int, float]:
    """Vocabulary column → weight: 1 for the question's own words and pairs, 0.7 for those only in the context."""
    vocabulary = index.vectorizer.vocabulary_
    weights = {vocabulary[t]: 0.7 for t in analyse(context) if t in vocabulary}
    weights.update({vocabulary[t]: 1.0 for t in analyse(question) if t in vocabulary})
    return weights


def _bm25_scores(index: Index, matrix: Any, weights: dict[int, float]) -> np.ndarray:
    """BM25 of each row for the weighted query, divided by the best any passage could reach (each query word at
    full saturation), so scores are comparable across questions: 0 = nothing shared, →1 = every word, often."""
    if not weights:
        return np.zeros(matrix.shape[0], dtype=np.float32)
    columns = np.fromiter(weights.keys(), dtype=np.int64)
    values = np.fromiter(weights.values(), dtype=np.float32)
    query = sparse.csr_matrix((values, (columns, np.zeros_like(columns))), shape=(matrix.shape[1], 1))
    ceiling = float((index.idf[columns] * values).sum() * 2.2)  # k1 + 1
    return (matrix @ query).toarray().ravel() / ceiling


def _scores(index: Index, question: str, context: str, module_id: int | None, style: str, example: bool) -> np.ndarray:
    scores = _bm25_scores(index, index.matrix, query_weights(index, question, context)) * index.prior
    if module_id is not None and module_id in index.by_module:
        scores[index.by_module[module_id]] *= MODULE_BOOST
    media = STYLE_MEDIA.get(style)
    if media or example:
        for i in np.flatnonzero(scores > 0):
            doc = index.docs[i]
            if media and (doc.media_type in media or (style == "kinesthetic" and doc.module_type == "exercise")):
                scores[i] *= 1.1
            if example and "```" in doc.quote:
                scores[i] *= 1.1
    return scores


def _ranked(index: Index, scores: np.ndarray, limit: int, per_source: int = 2) -> list[tuple[int, float]]:
    order = np.argsort(-scores, kind="stable")
    picked: list[tuple[int, float]] = []
    seen: dict[Source, int] = {}
    for i in order:
        score = float(scores[i])
        if score <= 0 or len(picked) >= limit:
            break
        source = index.docs[i].source
        if seen.get(source, 0) < per_source:
            seen[source] = seen.get(source, 0) + 1
            picked.append((int(i), score))
    return picked


def _row_terms(index: Index, row: int) -> set[int]:
    return set(index.matrix.indices[index.matrix.indptr[row] : index.matrix.indptr[row + 1]].tolist())


def coverage(index: Index, query: str, rows: list[int]) -> float:
    """The IDF-weighted share of the query's words that the given passages contain. Unknown words weigh the most."""
    vocabulary = index.vectorizer.vocabulary_
    rare = float(index.idf.max())
    terms = {t for t in analyse(query) if " " not in t}
    if not terms:
        return 0.0
    present: set[int] = set()
    for row in rows:
        present |= _row_terms(index, row)
    weights = {t: (float(index.idf[vocabulary[t]]) if t in vocabulary else rare) for t in terms}
    found = sum(w for t, w in weights.items() if t in vocabulary and vocabulary[t] in present)
    return found / sum(weights.values())


def is_relevant(index: Index, query: str, ranked: list[tuple[int, float]]) -> bool:
    """Whether the best passages answer the question rather than share a stray word with it.

    Lexical similarity alone is fooled by one shared word ("the capital of Australia" against a lesson's `capitals`
    dict, "a banana" against a list of fruit), so besides a minimum score the best passage must contain two of the
    question's words (or its only word, if that word names something the course is about: a title, heading or
    topic), and the top passages together most of its distinctive words.
    """
    if not ranked or ranked[0][1] < CONFIDENT_SCORE:
        return False
    vocabulary = index.vectorizer.vocabulary_
    terms = {t for t in analyse(query) if " " not in t}
    known = {vocabulary[t] for t in terms if t in vocabulary}
    matched = known & _row_terms(index, ranked[0][0])
    if len(terms) == 1:
        enough = bool(matched) and next(iter(terms)) in index.topical
    else:
        enough = len(matched) >= 2
    return enough and coverage(index, query, [i for i, _ in ranked[:3]]) >= MIN_COVERAGE


def tutor_retrieve(
    *,
    question: str,
    module_id: int | None = None,
    history: list[str] = (),  # type: ignore[assignment]
    limit: int = 5,
) -> list[Passage]:
    """The passages that best answer `question`, best first (at most two per source)."""
    index = _index()
    cleaned, context = resolve_query(index, question, list(history))
    scores = _scores(index, cleaned, context, module_id, "", bool(_EXAMPLE.search(question.lower())))
    return [
        Passage(index.docs[i].source, index.docs[i].quote, round(score, 4))
        for i, score in _ranked(index, scores, limit)
    ]


def tutor_search(*, question: str, limit: int = 10) -> list[Passage]:
    """`tutor_retrieve`, but empty unless the passages are about the question (the tutor's own "I know" test)."""
    index = _index()
    cleaned, context = resolve_query(index, question, [])
    scores = _scores(index, cleaned, context, None, "", False)
    if not is_relevant(index, cleaned, _ranked(index, scores, limit=12, per_source=1)):
        return []
    return [Passage(index.docs[i].source, index.docs[i].quote, round(s, 4)) for i, s in _ranked(index, scores, limit)]


# --- Answer --------------------------------------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*(\"])")


def quotable_units(text: str) -> list[str]:
    """Quotable pieces of a passage: sentences and list items as they read, and whole code blocks."""
    units: list[str] = []
    block: list[str] = []
    fenced = False
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            units.extend(s.strip() for s in _SENTENCE.split(" ".join(paragraph)) if len(s.strip()) > 2)
            paragraph.clear()

    for line in text.splitlines():
        if _FENCE.match(line):
            block.append(line)
            if fenced:
                units.append("\n".join(block))
                block = []
            else:
                flush()
            fenced = not fenced
        elif fenced:
            block.append(line)
        elif not line.strip() or line.lstrip().startswith(("- ", "* ", "|")) or _HEADING.match(line):
            flush()
            item = line.strip()
            if item.startswith(("- ", "* ")):
                units.append(item[2:])
        else:
            paragraph.append(line.strip())
    flush()
    return units


def _excerpt(index: Index, quote: str, query: str, sentences: int, code: bool) -> str:
    units = quotable_units(quote)
    if not units:
        return ""
    prose = [(i, u) for i, u in enumerate(units) if not u.startswith(("```", "~~~"))]
    blocks = [(i, u) for i, u in enumerate(units) if u.startswith(("```", "~~~"))]
    chosen: list[tuple[int, str]] = []
    weights = query_weights(index, query, "")
    if prose:
        sims = _bm25_scores(index, index.vectorizer.transform([u for _, u in prose]), weights)
        # Ties (no overlap at all) fall back to reading order, i.e. the passage's opening.
        best = sorted(range(len(prose)), key=lambda k: (-sims[k], k))[:sentences]
        chosen = [prose[k] for k in sorted(best)]
    if code and blocks:
        sims = _bm25_scores(index, index.vectorizer.transform([u for _, u in blocks]), weights)
        chosen.append(blocks[int(np.argmax(sims))])
        chosen.sort()
    return "\n".join(u for _, u in chosen)


def _shape(profile: TutorProfile) -> dict[str, Any]:
    style = profile.feedback_style.lower()
    beginner = profile.level <= 2 or profile.experience_level.lower() in {"beginner", "novice", "new"}
    advanced = profile.level >= 4 or profile.experience_level.lower() in {"advanced", "expert"}
    if style == "concise":
        return {"passages": 2, "sentences": 2, "beginner": beginner, "advanced": advanced, "style": style}
    if style == "detailed":
        return {"passages": 4, "sentences": 5, "beginner": beginner, "advanced": advanced, "style": style}
    return {"passages": 3, "sentences": 3 if not advanced else 2, "beginner": beginner, "advanced": advanced,
            "style": style}  # fmt: skip


def _label(doc: Doc) -> str:
    if doc.source.type == "module":
        return f"*{doc.context} › {doc.source.title}*" + (f", “{doc.heading}”" if doc.heading else "")
    if doc.source.type == "quiz_question":
        return f"*{doc.context}* (quiz explanation)"
    if doc.source.type == "topic":
        return f"*{doc.source.title}* (topic guide)"
    return f"*{doc.source.title}*"


def _quote_block(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def _unknown(profile: TutorProfile) -> TutorAnswer:
    opener = "Good question, but " if profile.feedback_style.lower() == "encouraging" else ""
    text = (
        f"{opener}I don't know: that seems to be outside the course content I can draw on (our lessons, quizzes, "
        "topic guides and resource catalogue), and I would rather not guess. Try rephrasing it with the terms your "
        "lesson uses, or ask about the module you are studying."
    )
    return TutorAnswer(text=text[0].upper() + text[1:], sources=[], confident=False)


def tutor_answer(
    *,
    question: str,
    module_id: int | None = None,
    history: list[tuple[str, str]] = (),  # type: ignore[assignment]
    profile: TutorProfile = TutorProfile(),  # frozen, so a shared default is safe
) -> TutorAnswer:
    """An extractive answer quoting the course's most relevant passages, or an honest "I don't know"."""
    index = _index()
    shape = _shape(profile)
    asks_example = bool(_EXAMPLE.search(question.lower()))
    cleaned, context = resolve_query(index, question, [message for message, _ in history])
    scores = _scores(index, cleaned, context, module_id, profile.learning_style.lower(), asks_example)
    ranked = _ranked(index, scores, limit=12, per_source=1)
    if not is_relevant(index, f"{cleaned} {context}", ranked):
        return _unknown(profile)
    top = ranked[0][1]
    chosen = [(i, s) for i, s in ranked if s >= max(CONFIDENT_SCORE, RELATIVE_CUTOFF * top)][: shape["passages"]]
    if not any(index.docs[i].source.type == "resource" for i, _ in chosen):
        # One further reading from the catalogue when a good one exists, in place of the weakest quote.
        extra = next(((i, s) for i, s in ranked if index.docs[i].source.type == "resource"
                      and s >= max(CONFIDENT_SCORE, 0.4 * top)), None)  # fmt: skip
        if extra and shape["passages"] > 1:
            chosen = [*chosen[: shape["passages"] - 1], extra]
    query = f"{cleaned} {context}".strip()
    parts: list[str] = []
    if shape["style"] == "encouraging":
        parts.append("Great question! Here is what the course says about it.")
    elif not shape["advanced"] and shape["style"] != "concise":
        parts.append("Here is what the course material says:")
    sources: list[Source] = []
    for rank, (i, _) in enumerate(chosen):
        doc = index.docs[i]
        code = (asks_example or shape["style"] == "detailed" or shape["advanced"]) and rank == 0
        sentences = shape["sentences"] if rank == 0 else max(1, shape["sentences"] - 1)
        excerpt = _excerpt(index, doc.quote, query, sentences, code)
        if not excerpt:
            continue
        if doc.source.type == "resource":
            parts.append(f"{_label(doc)} ({doc.media_type}, {doc.context}):\n{_quote_block(excerpt)}")
        else:
            parts.append(f"From {_label(doc)}:\n{_quote_block(excerpt)}")
        if doc.source not in sources:
            sources.append(doc.source)
    if not sources:
        return _unknown(profile)
    reading = []
    for source in sources:
        doc = next(index.docs[i] for i, _ in chosen if index.docs[i].source == source)
        if source.type == "module":
            reading.append(f"- Module: {doc.context} › {source.title}")
        elif source.type == "resource":
            reading.append(f"- Resource: {source.title} — {doc.context}")
    if reading and shape["style"] != "concise":
        parts.append("To read more:\n" + "\n".join(reading))
    if shape["beginner"] and shape["style"] != "concise":
        parts.append("Tip: type the example out and run it yourself, then change one thing and predict the result.")
    if shape["style"] == "encouraging":
        parts.append("You're making good progress — keep going!")
    return TutorAnswer(text="\n\n".join(parts), sources=sources, confident=True)
