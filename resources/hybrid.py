"""Hybrid catalogue search: dense similarity fused into the lexical ranking, and the semantic fill.

The lexical side is resources.search (PostgreSQL full-text + trigram, or the SQLite fallback) run on the query as
resources.query understood it (intent set aside, expansions OR-ed in). It chooses the candidates: its best WINDOW
matches. They are then re-scored in Python, identically on both databases (so SQLite no longer ranks by its coarse
3/2/1 substring points, and PostgreSQL's ts_rank length normalisation no longer favours short descriptions):

    fused = LEXICAL_WEIGHT × fields + SEMANTIC_WEIGHT × cosine(query, resource) + FOCUS_WEIGHT × focus
            − MISSING_WEIGHT × missing + RATING_WEIGHT × rating / 5 + intent bonuses
            + BREADTH_WEIGHT × breadth (bare topics only)

- fields (0–1): each query term (stemmed) found in the title (1.0), else the tags (0.7), else the description (0.35),
  weighted by its rarity among the candidates (idf over the window: in "python decorators", decorators matter); an
  expansion (a topic-graph alias or hand-written synonym) counts at EXPANSION_WEIGHT. When the candidates that have
  two adjacent query words mostly have them side by side ("dynamic programming"), the pair is scored as a phrase,
  in proportion to how phrase-like it is (_phrase_strength), so a guide to "C Programming" that mentions "dynamic
  memory" does not outrank the algorithm books. The phrase stands in for its own two words only: in "kubectl cheat
  sheet", kubectl still counts, so other cheat sheets do not come first.
- missing: the idf-weighted share of the query's words the resource lacks altogether.
- focus: the share of the title's words that the query names ("The Python Tutorial" is more about "python" than
  "Lists and Tuples in Python").
- cosine: the query against the row's stored `meaning`, both through the engine's precise model (a transformer
  sentence encoder, common.retrieval.precise, which reads word order and context) and read with the title, tags,
  description and the rest for the final window only (resources.results.WINDOW_COLUMNS). A row whose precise vector
  is not computed yet (after an upgrade, until `embed_resources --missing`) falls back to its fast vector.
  The precise model reads the query as the learner wrote it (typos corrected): the sentence it was trained on, not
  the bag of content words the lexical side matches, and without the expansions. An expansion is a lexical aid
  that can name a framework the learner never asked for: "how to build a rest api with java" has the topic graph's
  alias "build a rest api" of the Django project, and read with "django drf" the meaning put Django REST Framework
  (cosine 0.66) above the Spring Boot guide (0.37). Reading the sentence as typed also keeps what "how", "why" and
  "instead of" say. Measured (session 10, bench/search.py sets, SQLite, hybrid nDCG@10 / P@5 / MRR@10, content +
  expansions → sentence): heldout6 0.742/0.512/0.898 → 0.756/0.528/0.907, holdout 0.796/0.593/0.892 →
  0.823/0.607/0.923, heldout2 0.895/0.705/0.965 → 0.905/0.710/0.978; heldout4 0.736/0.656/0.913 → 0.730/0.632/0.907
  and heldout5 MRR 0.808 → 0.787 the exceptions (docs/retrieval.md).
- intent: the difficulty ("for beginners") and media types ("course", "practice") the phrasing implied.
- breadth: for a bare topic ("python", "learn sql", "docker for beginners"), log(duration) up to BROAD_MINUTES, so
  courses and books covering the topic come before a page about one corner of it.

Nearest neighbours come in two steps (Hybrid.by_meaning): the shared `resources` index's fast static embeddings
(a matrix-vector product over the whole catalogue, ~20 ms at 100,000 rows) propose DENSE_POOL of them, and the
precise cosine read from those rows re-ranks them and applies the floor (_related_floor); the precise model is never
held as a matrix of the catalogue (384 dimensions: 154 MB at 100,000 rows).

The dense first stage (Hybrid.dense_candidates): a plain-language query of DENSE_MIN_TERMS content words or more
also draws its DENSE_K nearest resources by meaning (the two steps above, the search's filters) into the
candidates when the window holds every lexical match; they are re-scored with the lexical matches by the same fused
score and count as matches (`X-Total-Count`). A question shares few words with the
resource that answers it ("how do i write a dockerfile for my python app"), and the lexical stage's soft AND (all
words but one) finds little or nothing for it; one or two words are matched precisely and keep the fill below.

The semantic fill: when a plain-language query has fewer than FILL_BELOW strict matches, the page is completed with
the catalogue's nearest neighbours of the query (the two steps above: precise cosine ≥ MIN_RELATED, or down to half
the nearest neighbour's cosine when even that is weak; the same filters), listed after every strict
match and counted apart (`X-Total-Count` counts strict matches only; the response says how many related items it
carries in `X-Related-Count`).
"""

import json
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import lru_cache
from itertools import pairwise
from types import MappingProxyType
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import QuerySet

from common.retrieval import (
    Doc,
    decode_precise,
    decode_vector,
    embed_precise_text,
    embed_text,
    get_index,
    register_corpus,
)
from common.retrieval.text import fold, terms
from resources.models import Resource
from resources.query import Understood

LEXICAL_WEIGHT = 1.0
SEMANTIC_WEIGHT = 1.8
FOCUS_WEIGHT = 0.2
RATING_WEIGHT = 0.03
EXPANSION_WEIGHT = 0.7
DIFFICULTY_BONUS = 0.12
MEDIA_BONUS = 0.3
BREADTH_WEIGHT = 0.4
BROAD_MINUTES = 600
# Where a query word counts: in the title, in the tags, only in the description.
FIELD_WEIGHTS = (1.0, 0.7, 0.35)
# A candidate missing some of the query's words (PostgreSQL and SQLite both list those when few resources have every
# word) loses MISSING_WEIGHT × the rare-word-weighted share it misses. Adjacent query words that the candidates
# mostly have side by side ("dynamic programming") are read as a phrase (see _phrase_strength): "Beej's Guide to C
# Programming", which mentions dynamic memory, no longer comes first.
MISSING_WEIGHT = 0.2
PHRASE_MIN_DOCS = 3
FILL_BELOW = 10
# On the precise model's cosine scale (all-MiniLM: unrelated texts ≈ 0–0.2, related ≈ 0.3–0.7).
MIN_RELATED = 0.35
RELATED_RELATIVE = 0.5
RELATED_FLOOR = 0.25
WORDY_MIN_RELATED = 0.25
WORDY_RELATED_FLOOR = 0.15
RELATED_MAX = 50
# The fill reads the query together with its best strict matches (relevance feedback, Rocchio's method): a one-word
# query ("shaders") is a weak point in the meaning space, the resource it matched is a strong one, and what lies near
# both is what a learner means by "more like this". Up to ANCHORS strict matches that are related to the query
# themselves (precise cosine ≥ MIN_RELATED) each add ANCHOR_WEIGHT / n of their vector to the query's.
ANCHORS = 3
ANCHOR_WEIGHT = 1.0
# The dense first stage (Hybrid.dense_candidates): a question of DENSE_MIN_TERMS content words or more also ranks
# its DENSE_K nearest resources by meaning, with the lexical matches.
DENSE_MIN_TERMS = 3
DENSE_K = 20
# The fast index proposes DENSE_POOL nearest resources (static embeddings: cheap over the whole catalogue); the
# precise model re-ranks them and the best pass on (Hybrid.by_meaning). The static model is the weak link of a
# learner's question: a frequent topical word ("python" in "run a python job every night and get told if it fails")
# pulls its nearest 100 towards every resource about that word. Of the best-graded resources of the 162 questions of
# 3+ content words in the held-out and dev sets, 9 were outside the fast top 100 (ranked 1–7 by the precise model over
# the whole catalogue for 6 of them) and 1 outside the top 300 (session 10). Reading 300 rows' stored vectors costs
# one indexed query of 300 ids (~3.5 ms more than 100 on PostgreSQL here). The fill (Hybrid.related), whose query
# already holds its best strict matches (ANCHORS), keeps FILL_POOL.
DENSE_POOL = 300
FILL_POOL = 100
CORPUS = "resources"


def enabled() -> bool:
    """Hybrid ranking and the semantic fill (RESOURCES_SEARCH_HYBRID, default on; off = lexical only)."""
    return bool(getattr(settings, "RESOURCES_SEARCH_HYBRID", True))


class Hybrid:
    """The dense half of one search: the understood query, its vector, and the filtered catalogue it ranges over."""

    def __init__(self, understood: Callable[[], Understood], filtered: QuerySet) -> None:
        self._understood = understood  # lazy: typo correction reads the database, only needed on a cache miss
        self.filtered = filtered
        self._vector: np.ndarray | None = None
        self._precise: np.ndarray | None = None

    @property
    def understood(self) -> Understood:
        return self._understood()

    @property
    def vector(self) -> np.ndarray:
        if self._vector is None:
            self._vector = embed_text(self.understood.semantic)
        return self._vector

    @property
    def precise(self) -> np.ndarray:
        """The query through the precise model (common.retrieval.precise), which scores the candidates' meaning: the
        learner's sentence as typed, typos corrected (`Understood.raw`), not the content words and expansions the
        lexical side and the fast vector read. A sentence encoder reads a sentence (module docstring, "precise")."""
        if self._precise is None:
            self._precise = embed_precise_text(self.understood.raw)
        return self._precise

    def meaning(self, row: Mapping[str, Any], *, query: "tuple[np.ndarray, np.ndarray] | None" = None) -> float:
        """The cosine of the query (or of `query`: its precise and fast vectors) with a row's stored precise vector
        (its fast one while the precise one has not been computed yet: after an upgrade, until
        `embed_resources --missing` has run)."""
        precise, fast_query = query if query is not None else (self.precise, self.vector)
        stored = decode_precise(row.get("meaning"))
        if stored is not None:
            return float(stored @ precise)
        fast = decode_vector(row.get("embedding"))
        return float(fast @ fast_query) if fast is not None else 0.0

    def anchored(self, strict_ids: Sequence[int]) -> "tuple[set[int], tuple[np.ndarray, np.ndarray]]":
        """The anchors and the query's precise and fast vectors moved towards them (ANCHORS, Rocchio): the first
        ones of `strict_ids` (in rank order) whose meaning is related to the query's (≥ MIN_RELATED); no anchors and
        the query's own vectors when none is."""
        best = list(strict_ids[:ANCHORS])
        if not best:
            return set(), (self.precise, self.vector)
        rows = {
            pk: (m, e) for pk, m, e in Resource.objects.filter(pk__in=best).values_list("pk", "meaning", "embedding")
        }
        precise_sum = np.zeros_like(self.precise)
        fast_sum = np.zeros_like(self.vector)
        anchors: set[int] = set()
        for pk in best:
            meaning, embedding = rows.get(pk, (None, None))
            stored, fast = decode_precise(meaning), decode_vector(embedding)
            if stored is None or fast is None or float(stored @ self.precise) < MIN_RELATED:
                continue
            precise_sum += stored
            fast_sum += fast
            anchors.add(pk)
        if not anchors:
            return set(), (self.precise, self.vector)
        n = len(anchors)
        return anchors, (
            _unit(self.precise + ANCHOR_WEIGHT * precise_sum / n),
            _unit(self.vector + ANCHOR_WEIGHT * fast_sum / n),
        )

    def by_meaning(
        self,
        ids: Sequence[int],
        *,
        near: Collection[int] = (),
        among: QuerySet | None = None,
        query: "tuple[np.ndarray, np.ndarray] | None" = None,
    ) -> list[int]:
        """`ids` (the fast index's nearest neighbours) re-ranked by the precise cosine read from their rows (those of
        `among` only, when given: the search's filters in the same query) with the query (or `query`, see
        `meaning`), keeping those at or above the related floor (_related_floor) of the query's nearest among `ids`
        and `near` (the nearest that are listed already, as strict matches); ties by id."""
        if not ids:
            return []
        wanted = set(ids)
        rows = (Resource.objects if among is None else among).filter(pk__in=list(wanted | set(near)))
        rows = rows.values_list("pk", "meaning", "embedding")
        scored = {pk: self.meaning({"meaning": m, "embedding": e}, query=query) for pk, m, e in rows}
        if not scored:
            return []
        wordy = len(set(terms(self.understood.content))) >= DENSE_MIN_TERMS
        least = _related_floor(max(scored.values()), wordy=wordy)
        ranked = sorted(((pk, score) for pk, score in scored.items() if pk in wanted), key=lambda kv: (-kv[1], kv[0]))
        return [pk for pk, score in ranked if score >= least]

    def fuse(self, lexical: dict[int, float], rows: dict[int, Mapping[str, Any]]) -> dict[int, float]:
        """Fused scores of the window (pk → the database's lexical score, which chose the window) given the rows'
        columns as the window query read them (resources.results.WINDOW_COLUMNS). The window is re-scored the same
        way on both databases (module docstring): where the understood query's words occur (title, tags,
        description; rare words count more), how much of the title is about them, the meaning (cosine with the stored
        embedding), the phrasing's intent and a small rating prior."""
        if not lexical:
            return lexical
        understood = self.understood
        content = list(dict.fromkeys(terms(understood.content)))
        expansions = [list(dict.fromkeys(terms(text))) for text in understood.expansions]
        all_terms = set(content).union(*expansions)
        # Descriptions are long: a query term is looked for as a word prefix (its stem), all terms in one regex pass
        # per description instead of tokenising 200 descriptions per search (longest term first at each place; a
        # shorter term that is a prefix of the one found there is found with it).
        any_term = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in sorted(all_terms, key=len, reverse=True)) + ")")
        pairs = _pairs(content)
        found: dict[int, tuple[set[str], set[str], set[str]]] = {}
        phrases: dict[int, dict[tuple[str, str], float]] = {}
        for pk in lexical:
            row = rows.get(pk) or {}
            description = fold(row.get("description") or "")
            hits = set(any_term.findall(description)) if all_terms else set()
            described = {t for t in all_terms if any(hit.startswith(t) for hit in hits)}
            title, tags = row.get("title") or "", _tag_list(row.get("tags"))
            found[pk] = (_term_set(title), _term_set(" ".join(tags)), described)
            if pairs:
                texts = (fold(title), fold(" | ".join(tag.replace("-", " ") for tag in tags)), description)
                phrases[pk] = {pair: _where(pattern, texts) for pair, pattern in pairs.items()}
        # Rare words count more: idf over the window (the candidates of this query), so "python decorators" is
        # about decorators among the many Python resources.
        weighted = [_idf_weights(words, found.values()) for words in (content, *expansions)]
        strength = _phrase_strength(pairs, found, phrases)
        fused = {}
        for pk in lexical:
            row = rows.get(pk) or {}
            fields = found[pk]
            score = _field_match(weighted[0], fields)
            if any(strength.values()):
                # A phrase-like query ("dynamic programming"): the words count as a phrase, by how phrase-like. Only
                # the phrase's own words do: in "kubectl cheat sheet", kubectl still counts as itself.
                inside = {w: weighted[0][w] for pair, s in strength.items() if s for w in pair}
                outside = {w: v for w, v in weighted[0].items() if w not in inside}
                share = sum(strength.values()) / len(strength)
                as_phrase = sum(s * phrases[pk][pair] for pair, s in strength.items()) / sum(strength.values())
                within = (1 - share) * _field_match(inside, fields) + share * sum(inside.values()) * as_phrase
                score = _field_match(outside, fields) + within
            covered = _covered(weighted[0], fields)
            for expansion in weighted[1:]:
                score = max(score, EXPANSION_WEIGHT * _field_match(expansion, fields))
                covered = max(covered, _covered(expansion, fields))
            difficulty, media_type, duration = row.get("difficulty"), row.get("media_type"), row.get("duration_minutes")
            title_terms = fields[0]
            focus = len(title_terms & all_terms) / len(title_terms) if title_terms else 0.0
            semantic = self.meaning(row)
            value = LEXICAL_WEIGHT * score + SEMANTIC_WEIGHT * semantic + FOCUS_WEIGHT * focus
            value -= MISSING_WEIGHT * (1.0 - covered)
            value += RATING_WEIGHT * float(row.get("rating") or 0) / 5
            if understood.difficulty and difficulty == understood.difficulty:
                value += DIFFICULTY_BONUS
            if media_type in understood.media_types:
                value += MEDIA_BONUS
            if understood.broad and duration:
                value += BREADTH_WEIGHT * min(1.0, math.log1p(duration) / math.log1p(BROAD_MINUTES))
            fused[pk] = value
        return fused

    def dense_candidates(self, *, exclude: Collection[int]) -> list[int]:
        """The dense first stage: for a question of DENSE_MIN_TERMS content words or more (plain language, not
        websearch syntax), its DENSE_K nearest resources by meaning among the filtered catalogue that are not lexical
        matches already (`exclude`), as close as the semantic fill requires (_related_floor). Ranked with the
        lexical matches by the same fused score (a question shares few words with the resource that answers it:
        "how do i write a dockerfile for my python app"). Nearest first, ties by id."""
        understood = self.understood
        if DENSE_K <= 0 or understood.literal or len(set(terms(understood.content))) < DENSE_MIN_TERMS:
            return []
        excluded = set(exclude)
        neighbours = [int(h.id) for h in get_index(CORPUS).similar(self.vector, k=DENSE_POOL + len(excluded))]
        pool = [pk for pk in neighbours if pk not in excluded][:DENSE_POOL]
        return self.by_meaning(pool, near=[pk for pk in neighbours[:DENSE_POOL] if pk in excluded])

    def related(self, *, strict_ids: Sequence[int], start: int, count: int) -> list[int]:
        """Ids of the semantic fill from position `start` (0 = just after the last strict match), at most `count`:
        nearest neighbours of the query among the filtered catalogue, strict matches excluded, ties by id."""
        if count <= 0 or start >= RELATED_MAX or self.understood.literal:
            return []
        index = get_index(CORPUS)
        exclude = set(strict_ids)
        wanted = min(start + count, RELATED_MAX)
        _, query = self.anchored(strict_ids)
        neighbours = [int(h.id) for h in index.similar(query[1], k=max(wanted, FILL_POOL) + len(exclude))]
        candidates = [pk for pk in neighbours if pk not in exclude]
        if not candidates:
            return []
        # The strict matches (`near`) pass the filters already: one query reads the filtered candidates' vectors.
        near = [pk for pk in neighbours[:FILL_POOL] if pk in exclude]
        return self.by_meaning(candidates, near=near, among=self.filtered, query=query)[start:wanted]


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def _related_floor(best: float, *, wordy: bool = False) -> float:
    """The least precise cosine of a related resource given the query's nearest: MIN_RELATED always qualifies; when
    even the nearest are weak, down to RELATED_RELATIVE × the nearest, never below RELATED_FLOOR, so that such a page
    is not starved. A wordy query (DENSE_MIN_TERMS content words or more: a question, a goal) spreads its meaning
    over many words and scores lower against every resource, so its thresholds are WORDY_MIN_RELATED and
    WORDY_RELATED_FLOOR; one or two words that the catalogue lacks ("haskell monads": nearest 0.21) get nothing."""
    least, floor = (WORDY_MIN_RELATED, WORDY_RELATED_FLOOR) if wordy else (MIN_RELATED, RELATED_FLOOR)
    return min(least, max(floor, RELATED_RELATIVE * best))


def _idf_weights(words: list[str], docs: "Collection[tuple[set[str], set[str], set[str]]]") -> dict[str, float]:
    """Each query term's weight (summing to 1): its inverse document frequency among `docs` (the window)."""
    if not words:
        return {}
    n = len(docs)
    idf = {}
    for word in words:
        df = sum(1 for fields in docs if any(word in field for field in fields))
        idf[word] = math.log1p((n - df + 0.5) / (df + 0.5)) + 0.1
    total = sum(idf.values())
    return {word: value / total for word, value in idf.items()}


@lru_cache(maxsize=8192)
def _term_set(text: str) -> frozenset[str]:
    """The lexical terms of a title or a tag list (cached: the same resources come back across searches)."""
    return frozenset(terms(text))


def _tag_list(value: Any) -> list[str]:
    """A row's tags as a list: the window query reads PostgreSQL's jsonb through a raw cursor, which hands it over as
    its JSON text (Django decodes it only for model fields), while SQLite's path gives the list."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [str(tag) for tag in value] if isinstance(value, list) else []


def _pairs(term_list: list[str]) -> dict[tuple[str, str], "re.Pattern[str]"]:
    """Each pair of adjacent query terms, with a pattern finding them as a phrase: the first word, then the second
    right after it (any suffix, a separator or two: "dynamic-programming", "event loops")."""
    return {
        (first, second): re.compile(rf"\b{re.escape(first)}\w*\W{{1,3}}{re.escape(second)}")
        for first, second in pairwise(term_list)
        if first != second
    }


def _where(pattern: "re.Pattern[str]", texts: tuple[str, str, str]) -> float:
    """The weight of the best field (title, tags, description) in which `pattern` occurs; 0 when in none."""
    for text, weight in zip(texts, FIELD_WEIGHTS, strict=True):
        if pattern.search(text):
            return weight
    return 0.0


def _phrase_strength(
    pairs: Mapping[tuple[str, str], Any],
    found: Mapping[int, tuple[set[str], set[str], set[str]]],
    phrases: Mapping[int, Mapping[tuple[str, str], float]],
) -> dict[tuple[str, str], float]:
    """How phrase-like each pair of adjacent query words is among the window: of the candidates with both words,
    the share that has them side by side ("dynamic programming": most; "python decorators": few). Pairs seen
    together in fewer than PHRASE_MIN_DOCS candidates are left out (too little evidence)."""
    strength = {}
    for pair in pairs:
        both = [pk for pk, fields in found.items() if all(any(w in f for f in fields) for w in pair)]
        if len(both) >= PHRASE_MIN_DOCS:
            strength[pair] = sum(1 for pk in both if phrases[pk][pair] > 0) / len(both)
    return strength


def _covered(query: dict[str, float], fields: tuple[set[str], set[str], set[str]]) -> float:
    """0–1: the weighted share of the query's terms found anywhere in the resource."""
    if not query:
        return 1.0
    return sum(weight for term, weight in query.items() if any(term in field for field in fields))


def _field_match(query: dict[str, float], fields: tuple[set[str], set[str], set[str]]) -> float:
    """0–1: the query's terms found in the resource, each by its weight × the best field it occurs in."""
    score = 0.0
    for term, weight in query.items():
        for found_in, field_weight in zip(fields, FIELD_WEIGHTS, strict=True):
            if term in found_in:
                score += weight * field_weight
                break
    return score


# --- The `resources` corpus of the shared retrieval engine ----------------------------------------------------------


def corpus_docs() -> list[Doc]:
    """Every active resource as a retrieval Doc: title, tags as its lexical text (descriptions are in the stored
    vector, and leaving them out keeps the in-process index small at 100k rows), the stored embedding, and the
    media type and difficulty as meta."""
    rows = (
        Resource.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", "title", "tags", "embedding", "media_type", "difficulty")
    )
    docs = []
    metas: dict[tuple[str, str | None], Mapping[str, Any]] = {}  # a few shared dicts, not one per row
    for pk, title, tags, embedding, media_type, difficulty in rows.iterator(chunk_size=5000):
        meta = metas.setdefault(
            (media_type, difficulty), MappingProxyType({"media_type": media_type, "difficulty": difficulty})
        )
        # The stored bytes as they are: the index decodes them straight into its matrix.
        vector = bytes(embedding) if embedding is not None else None
        docs.append(Doc(id=pk, title=title, text=" ".join(tags or []), vector=vector, meta=meta))
    return docs


def register() -> None:
    from resources.results import catalogue_version

    register_corpus(CORPUS, version=catalogue_version, load=corpus_docs)
