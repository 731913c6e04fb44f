"""Full-text search over resources, with typo tolerance.

PostgreSQL: the query goes through `websearch_to_tsquery('english', …)` (quoted phrases, `or`, `-word`) against the
stored weighted vector (title A, tags B, description C; GIN index). The relevance of a match is

    ts_rank(vector, query, weights D=0.1 C=0.2 B=0.4 A=1.0, normalization=1)   — term weight by field, damped by length
    + 0.02 × rating / 5                                                     — a small quality prior for ties
    + 0.3 × word_similarity(query, title)      — pg_trgm closeness of the title, within the best 200 (see results.py)

A broad query (more than a thousand matches) is ranked over a bounded pool — chiefly the matches with the query in
their title or tags (`Match.head`, a GIN index of its own) — and its total estimated: see results.py.

Soft AND: when fewer than ten resources contain every query word, the resources containing all the words but one
(any of them, for one- and two-word queries) are listed after them — those with every word get +1, the others are
ranked by the same formula over the any-word query; when there are none of those either, titles similar to the
query (pg_trgm `<%`, GIN index), ranked by that similarity. So "undo git mistakes" still finds the guide about
undoing Git messes, and "postgres indexes" the PostgreSQL indexes chapter.

Typo tolerance happens before either: each query word missing from the vocabulary of the catalogue (`SearchTerm`)
is replaced by the closest word in it — first any word one edit away (insert, delete, replace, transpose), then, for
words of five letters or more, the pg_trgm nearest neighbours (GiST index) within two edits. "pyhton decorators"
becomes "python decorators".

SQLite fallback (embedded mode): the same correction, then each word (or quoted phrase) of the websearch syntax is
matched by substring in title, tags or description after light suffix stripping — all words, with the same soft
AND as above; relevance is the sum of 3 / 2 / 1 per word found in title / tags / description (+ the same
rating prior). Same parameters, same response, coarser ranking, no index.
"""

import re
import threading
from dataclasses import dataclass
from itertools import combinations
from string import ascii_lowercase
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField, TrigramWordSimilarity
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Func, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Length

from resources.models import SEARCH_CONFIG, SearchTerm

WORD_RE = re.compile(r"[^\W_]+")
MIN_CORRECTABLE = 3
MAX_CORRECTIONS = 6
# Below this many resources with every query word, resources with some of the words are listed after them.
SOFT_AND_MIN = 10
MAX_SOFT_TERMS = 6
# The SQLite fallback builds one expression per term (× 3 fields for the score): a 30-word question made SQLite's
# parser overflow its stack ("parser stack overflow", a 503). Its longest MAX_SQLITE_TERMS words are used.
MAX_SQLITE_TERMS = 12
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]  # D, C, B, A
TITLE_SIMILARITY_WEIGHT = 0.3
RATING_PRIOR_WEIGHT = 0.02
STOP_WORDS = frozenset(
    "a an and are as at be but by for from how i if in into is it of on or so than that the their then there these "
    "this to was what when where which who why will with you your".split()
)


def words(text: str) -> list[str]:
    """The vocabulary's tokenisation: lower-case runs of letters and digits, 2–60 characters."""
    return [w for w in WORD_RE.findall(text.lower()) if 2 <= len(w) <= 60]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- Typo correction --------------------------------------------------------------------------------------------------


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment distance (a transposition counts as one edit), cut off above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def edits1(word: str) -> set[str]:
    letters = set(ascii_lowercase) | set(word)
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {left + right[1:] for left, right in splits if right}
    transposes = {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    replaces = {left + c + right[1:] for left, right in splits if right for c in letters}
    inserts = {left + c + right for left, right in splits for c in letters}
    return (deletes | transposes | replaces | inserts) - {word}


def _best(candidates: list[tuple[str, int]], word: str, max_distance: int) -> str | None:
    scored = []
    for candidate, document_count in candidates:
        distance = edit_distance(word, candidate, max_distance)
        if distance <= max_distance:
            scored.append((distance, -document_count, candidate))
    return min(scored)[2] if scored else None


def nearest_word(word: str) -> str | None:
    """The vocabulary word closest to `word`: one edit away if any (the most used), else for longer words the
    closest within two edits."""
    one_edit = list(SearchTerm.objects.filter(word__in=edits1(word)).values_list("word", "document_count"))
    if one_edit:
        return _best(one_edit, word, 1)
    if len(word) < 5:
        return None
    if is_postgres():
        near = SearchTerm.objects.raw(
            "SELECT word, document_count FROM resources_searchterm ORDER BY word <-> %s LIMIT 12", [word]
        )
        candidates = [(term.word, term.document_count) for term in near]
    else:
        candidates = list(
            SearchTerm.objects.annotate(length=Length("word"))
            .filter(word__startswith=word[0], length__range=(len(word) - 2, len(word) + 2))
            .values_list("word", "document_count")[:5000]
        )
    return _best(candidates, word, 2)


# A word the catalogue lacks is only a typo when it is not an English word either: "got", "similar", "width" and
# "honestly" are missing from a catalogue's vocabulary, and "correcting" them to "git", "seminar", "with" and
# "honest" turned learners' sentences into other queries. pyspellchecker's English word-frequency list (MIT, shipped
# in its wheel: ~160,000 words counted over subtitles and web text) says what is a word; its rarest entries (counts
# below ENGLISH_MIN_COUNT, e.g. "fluter") are as often typos of common words and stay correctable.
ENGLISH_MIN_COUNT = 100
_english: frozenset[str] | None = None
_english_lock = threading.Lock()


def english_words() -> frozenset[str]:
    """The English words (lower case) that typo correction leaves alone, loaded once per process."""
    global _english
    if _english is None:
        with _english_lock:
            if _english is None:
                from spellchecker import SpellChecker

                counts = SpellChecker(language="en", distance=1).word_frequency.dictionary
                _english = frozenset(w for w, n in counts.items() if n >= ENGLISH_MIN_COUNT)
    return _english


def correct_query(q: str, *, known: frozenset[str] | set[str] = frozenset()) -> str:
    """`q` with each word missing from the vocabulary (and from English: english_words) replaced by its nearest
    vocabulary word (when one is near); words in `known` (e.g. those of query expansions: "div" in "center a div")
    are left as they are."""
    tokens = {w for w in words(q) if len(w) >= MIN_CORRECTABLE and not w.isdigit() and w not in STOP_WORDS}
    if not tokens:
        return q
    in_vocabulary = set(SearchTerm.objects.filter(word__in=tokens).values_list("word", flat=True))
    fixes: dict[str, str] = {}
    unknown = tokens - in_vocabulary - set(known)
    if unknown:
        unknown -= english_words()
    for token in sorted(unknown)[:MAX_CORRECTIONS]:
        replacement = nearest_word(token)
        if replacement:
            fixes[token] = replacement
    if not fixes:
        return q
    return WORD_RE.sub(lambda m: fixes.get(m.group().lower(), m.group()), q)


# --- PostgreSQL -------------------------------------------------------------------------------------------------------


def _rating_prior() -> F:
    return F("rating") * Value(RATING_PRIOR_WEIGHT / 5)


def query_terms(q: str) -> tuple[list[str], list[str]]:
    """The words of a websearch query that must (positive) and must not (negative) occur, stop words dropped."""
    positive: list[str] = []
    negative: list[str] = []
    for match in _TOKEN_RE.finditer(q):
        neg_phrase, phrase, neg_word, raw = match.groups()
        text = phrase if phrase is not None else raw
        if phrase is None and raw.lower() == "or":
            continue
        target = negative if (neg_phrase if phrase is not None else neg_word) else positive
        target.extend(w for w in words(text) if w not in STOP_WORDS and w not in target)
    return positive, negative


def _any_of(terms: list[str]) -> SearchQuery:
    query = SearchQuery(terms[0], config=SEARCH_CONFIG)
    for word in terms[1:]:
        query |= SearchQuery(word, config=SEARCH_CONFIG)
    return query


def most_of(terms: list[str]) -> list[tuple[str, ...]]:
    """The word combinations of a soft AND: all words but one (any one word for one- and two-word queries)."""
    terms = terms[:MAX_SOFT_TERMS]
    need = len(terms) - 1 if len(terms) >= 3 else 1
    return list(combinations(terms, need))


def _most_of_query(terms: list[str]) -> SearchQuery:
    query = None
    for combo in most_of(terms):
        clause = SearchQuery(combo[0], config=SEARCH_CONFIG)
        for word in combo[1:]:
            clause &= SearchQuery(word, config=SEARCH_CONFIG)
        query = clause if query is None else query | clause
    return query  # type: ignore[return-value]


class SearchHead(Func):
    """Title and tags as one unweighted tsvector: exactly the expression of the partial GIN index
    `resources_search_head_gin` (migration 0005), so that the planner serves `head @@ query` from it. Keep the two
    identical."""

    output_field = SearchVectorField()

    def __init__(self) -> None:
        super().__init__(F("title"), F("tags"))

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        title, tags = (compiler.compile(expression) for expression in self.get_source_expressions())
        sql = f"to_tsvector('{SEARCH_CONFIG}'::regconfig, ({title[0]})::text || ' ' || ({tags[0]})::text)"
        return sql, [*title[1], *tags[1]]


@dataclass(frozen=True)
class Match:
    """The resources matching a query, their base relevance (an expression over each of them), and the dearer
    re-ranking term added within the best results only (see resources.results). On PostgreSQL, `head` is the subset
    with the query in their title or tags (served by its own GIN index): the ranking pool of a broad search."""

    queryset: QuerySet
    base: Any
    rerank: Any = None
    head: QuerySet | None = None


def _in_head(queryset: QuerySet, query: SearchQuery, also: Q | None = None) -> QuerySet:
    """The resources of `queryset` with `query` in their title or tags (or matching `also`)."""
    condition = Q(search_head=query) | also if also is not None else Q(search_head=query)
    return queryset.alias(search_head=SearchHead()).filter(condition)


def postgres_match(queryset: QuerySet, q: str) -> Match:
    strict = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
    title_similarity = TrigramWordSimilarity(q, "title") * Value(TITLE_SIMILARITY_WEIGHT)
    everywhere = queryset.filter(search_vector=strict)
    # Unordered, so the scan stops at the tenth match instead of sorting them all.
    strict_ids = list(everywhere.order_by().values_list("pk", flat=True)[:SOFT_AND_MIN])
    if len(strict_ids) >= SOFT_AND_MIN:
        rank = SearchRank(F("search_vector"), strict, weights=RANK_WEIGHTS, normalization=Value(1))
        # Without a phrase or an excluded word, the words in title or tags imply the words in the document: the head
        # index alone then finds the head (no second bitmap over every match to intersect with).
        positive, negative = query_terms(q)
        implied = '"' not in q and not negative
        head = _in_head(queryset if implied else everywhere, strict)
        return Match(everywhere, rank + _rating_prior(), title_similarity, head=head)
    positive, negative = query_terms(q)
    if not positive:
        return Match(queryset.filter(pk__in=strict_ids), _rating_prior())
    # Few resources have every word: those first, then those with all words but one (any word, for two-word
    # queries), ranked by how many words they have; with none of those either, titles similar to the query.
    rank = SearchRank(F("search_vector"), _any_of(positive), weights=RANK_WEIGHTS, normalization=Value(1))
    all_words = Case(When(pk__in=strict_ids, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
    loose = _most_of_query(positive)
    matches = queryset.filter(search_vector=loose)
    if negative:
        matches = matches.exclude(search_vector=_any_of(negative))
    if strict_ids or matches.exists():
        matches = matches | queryset.filter(pk__in=strict_ids)
        head = _in_head(matches, loose, also=Q(pk__in=strict_ids))
        return Match(matches, all_words + rank + _rating_prior(), title_similarity, head=head)
    similar = queryset.filter(title__trigram_word_similar=" ".join(positive))
    if negative:
        similar = similar.exclude(search_vector=_any_of(negative))
    return Match(similar, TrigramWordSimilarity(" ".join(positive), "title") + _rating_prior())


# --- SQLite fallback --------------------------------------------------------------------------------------------------

_SUFFIXES = ("ies", "ing", "ers", "es", "ed", "er", "s")
_TOKEN_RE = re.compile(r'(-?)"([^"]*)"|(-?)([^\s"]+)')


@dataclass(frozen=True)
class Term:
    text: str
    negated: bool


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def parse_websearch(q: str) -> list[list[Term]]:
    """websearch syntax → OR-groups of AND-ed terms: words, "quoted phrases", `-negated`, `or` between groups."""
    groups: list[list[Term]] = [[]]
    for match in _TOKEN_RE.finditer(q):
        neg_phrase, phrase, neg_word, raw = match.groups()
        if phrase is not None:
            text = " ".join(words(phrase))
            if text:
                groups[-1].append(Term(text, bool(neg_phrase)))
            continue
        if raw.lower() == "or":
            if groups[-1]:
                groups.append([])
            continue
        for word in words(raw):
            if word not in STOP_WORDS:
                groups[-1].append(Term(stem(word), bool(neg_word)))
    return [group for group in groups if any(not term.negated for term in group)]


def _contains(field: str, text: str) -> Q:
    return Q(**{f"{field}__icontains": text})


def _found(text: str) -> Q:
    return _contains("title", text) | _contains("tags_text", text) | _contains("description", text)


def sqlite_match(queryset: QuerySet, q: str) -> Match:
    groups = parse_websearch(q)
    if not groups:
        return Match(queryset.none(), _rating_prior())
    queryset = queryset.annotate(tags_text=Cast("tags", TextField()))
    strict = Q()
    for group in groups:
        group_q = Q()
        for term in sorted(group, key=lambda t: (-len(t.text), t.text))[:MAX_SQLITE_TERMS]:
            group_q &= ~_found(term.text) if term.negated else _found(term.text)
        strict |= group_q
    positive = sorted({term.text for group in groups for term in group if not term.negated}, key=lambda t: (-len(t), t))
    positive = sorted(positive[:MAX_SQLITE_TERMS])
    fields = (("title", 3), ("tags_text", 2), ("description", 1))
    score = sum(
        (
            Case(When(_contains(field, text), then=Value(points)), default=Value(0), output_field=IntegerField())
            for text in positive
            for field, points in fields
        ),
        Value(0),
    )
    relevance = Cast(score, FloatField()) + _rating_prior()
    strict_ids = list(queryset.filter(strict).values_list("pk", flat=True)[:SOFT_AND_MIN])
    if len(strict_ids) >= SOFT_AND_MIN:
        return Match(queryset.filter(strict), relevance)
    # As on PostgreSQL: resources with every word first, then those with all words but one.
    loose = Q()
    for combo in most_of(positive):
        clause = Q()
        for text in combo:
            clause &= _found(text)
        loose |= clause
    excluded = [term.text for group in groups for term in group if term.negated]
    all_words = Case(When(pk__in=strict_ids, then=Value(100.0)), default=Value(0.0), output_field=FloatField())
    return Match(queryset.filter(loose).exclude(*[_found(text) for text in excluded]), all_words + relevance)


def tag_filter(queryset: QuerySet, tags: list[str], mode: str) -> QuerySet:
    """Resources having any (or all) of `tags`: jsonb `?|` / `@>` on PostgreSQL (GIN index), json_each on SQLite."""
    if is_postgres():
        return queryset.filter(tags__contains=tags) if mode == "all" else queryset.filter(tags__has_any_keys=tags)
    placeholders = ", ".join(["%s"] * len(tags))  # only placeholders are formatted in; the tags are parameters
    if mode == "all":
        sql = f'(SELECT COUNT(DISTINCT value) FROM json_each("resources"."tags") WHERE value IN ({placeholders})) = %s'  # noqa: S608
        return queryset.filter(RawSQL(sql, [*tags, len(set(tags))], output_field=BooleanField()))  # noqa: S611
    sql = f'EXISTS (SELECT 1 FROM json_each("resources"."tags") WHERE value IN ({placeholders}))'  # noqa: S608
    return queryset.filter(RawSQL(sql, tags, output_field=BooleanField()))  # noqa: S611


EXPANSION_WEIGHT = 0.5


def _with_expansions(found: Match, queryset: QuerySet, expansions: tuple[str, ...]) -> Match:
    """`found` plus the resources with every word of any expansion (resources.query: a topic's name for an alias the
    learner typed), each expansion's relevance added at EXPANSION_WEIGHT; the soft AND stays on the typed words."""
    if is_postgres():
        query = SearchQuery(expansions[0], search_type="plain", config=SEARCH_CONFIG)
        for text in expansions[1:]:
            query |= SearchQuery(text, search_type="plain", config=SEARCH_CONFIG)
        extra = queryset.filter(search_vector=query)
        rank = SearchRank(F("search_vector"), query, weights=RANK_WEIGHTS, normalization=Value(1))
        base = found.base + rank * Value(EXPANSION_WEIGHT)
        head = found.head | _in_head(queryset, query) if found.head is not None else None
        return Match(found.queryset | extra, base, found.rerank, head=head)
    any_expansion = Q()
    for text in expansions:
        every_word = Q()
        for word in words(text):
            if word not in STOP_WORDS:
                every_word &= _found(stem(word))
        any_expansion |= every_word
    extra = Case(When(any_expansion, then=Value(3.0 * EXPANSION_WEIGHT)), default=Value(0.0), output_field=FloatField())
    annotated = queryset.annotate(tags_text=Cast("tags", TextField()))
    return Match(found.queryset | annotated.filter(any_expansion), found.base + extra, found.rerank)


def match(queryset: QuerySet, q: str, *, correct: bool = True, expansions: tuple[str, ...] = ()) -> Match:
    """The resources of `queryset` matching `q` (validated: no NUL, at most 200 characters), typos corrected (unless
    the caller already did), and those matching any of `expansions` (alternative phrasings of plain words)."""
    corrected = correct_query(q) if correct else q
    found = postgres_match(queryset, corrected) if is_postgres() else sqlite_match(queryset, corrected)
    return _with_expansions(found, queryset, expansions) if expansions else found
