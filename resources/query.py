"""Query understanding for catalogue search: what a learner typed → the words to match, the intent, expansions.

- How-to phrasing is intent, not content: "how to", "for beginners", "explained", "tutorial", "course", "video",
  "practice"… are set aside before matching (so "how to center a div" does not match "Learning Center" on "how" or
  "to", and "react hooks for beginners" does not match every channel "for beginners"), and they steer ranking: a
  difficulty they imply and media types they name get a small bonus (never a filter).
- Expansion: a phrase that is an alias in the topic graph (roadmaps/data/topics.yaml, read as a file — resources does
  not import roadmaps) adds the topic's name; hand-written expansions (resources/data/synonyms.yaml) cover phrases
  whose words mean something else alone ("center a div" → css layout, flexbox) and paraphrases of a concept whose
  words name it nowhere ("run my tests automatically every time i push" → continuous integration). A one-word alias
  of the topic graph only expands a one-word query ("ml" → machine learning), so "python decorators" is not widened
  to every Python resource; a hand-written one-word phrase or an abbreviation with a digit stands in for its word in
  a longer query instead ("a11y checklist" → "accessibility checklist").
- Conversational phrasing is not content either: question words and filler ("what should i…", "where do i start",
  "how do i get into…"), stop words; but an intent word that ends a topic's name stays ("machine learning", "video
  games"), and "after/beyond the basics" implies the next level, not the beginner one.
- Queries with websearch syntax ("a phrase", -word, or) are taken literally: no intent, no expansion.
"""

import logging
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings

logger = logging.getLogger(__name__)

SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "synonyms.yaml"
MAX_EXPANSIONS = 3
# A learner's long question ("I run a small shop site on Django and a customer could see another person's order…")
# is searched by its first distinct content words: enough to say what it is about, bounded in cost.
MAX_QUERY_WORDS = 24
WORD_RE = re.compile(r"[^\W_][\w.+#'-]*")
OPERATOR_RE = re.compile(r'"|(^|\s)-\S', re.IGNORECASE)
OR_RE = re.compile(r"(^|\s)or(\s|$)", re.IGNORECASE)
# `or` is the websearch operator in a short query ("kubernetes or sql"); in a sentence it is a word ("i dont know if
# i need redis, http cache headers or to fix my postgres queries first"), and reading such a question literally
# (every "or"-separated part AND-ed, no meaning) found nothing for it.
OR_OPERATOR_MAX_WORDS = 6

# Phrases (longest first when matching) that say how, not what; with the difficulty or media types they imply.
INTENT_PHRASES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "explain like i'm five": ("beginner", ()),
    "for absolute beginners": ("beginner", ()),
    "for beginners": ("beginner", ()),
    "for beginner": ("beginner", ()),
    "for dummies": ("beginner", ()),
    "from scratch": ("beginner", ()),
    "for newbies": ("beginner", ()),
    "step by step": (None, ("tutorial",)),
    "where do i start": ("beginner", ()),
    "where should i start": ("beginner", ()),
    "where to start": ("beginner", ()),
    "how do i get into": ("beginner", ()),
    "how to get into": ("beginner", ()),
    "get into": ("beginner", ()),
    "break into": ("beginner", ()),
    "getting started": ("beginner", ()),
    "get started": ("beginner", ()),
    "just enough": ("beginner", ()),
    "new to": ("beginner", ()),
    "complete beginner": ("beginner", ()),
    "total beginner": ("beginner", ()),
    "as a beginner": ("beginner", ()),
    "crash course": (None, ("course",)),
    "hands on": (None, ("interactive",)),
    "hands-on": (None, ("interactive",)),
    "how do i": (None, ()),
    "how do you": (None, ()),
    "how does": (None, ()),
    "how can i": (None, ()),
    "how to": (None, ()),
    "what is": ("beginner", ()),
    "what are": ("beginner", ()),
    "what's": ("beginner", ()),
    "introduction to": ("beginner", ()),
    "intro to": ("beginner", ()),
    "getting started with": ("beginner", ()),
    "i want to learn": (None, ()),
    "i want to become": (None, ()),
    "how to become": (None, ()),
    "become a": (None, ()),
    "what does": (None, ()),
    "what do": (None, ()),
    "how to use": (None, ()),
    "when to use": (None, ()),
    "best way to": (None, ()),
    "help me": (None, ()),
    "i need to": (None, ()),
    "show me": (None, ()),
    "best": (None, ()),
    "good": (None, ()),
    "simple": ("beginner", ()),
    "easy": ("beginner", ()),
    "quick": (None, ()),
    "quickly": (None, ()),
    "properly": (None, ()),
    "correctly": (None, ()),
    "last": (None, ()),
    "i want to": (None, ()),
    "teach me": (None, ()),
    "learn": (None, ()),
    "learning": (None, ()),
    "beginner": ("beginner", ()),
    "beginners": ("beginner", ()),
    "basics": ("beginner", ()),
    "basic": ("beginner", ()),
    "fundamentals": ("beginner", ()),
    "explained": (None, ()),
    "explain": (None, ()),
    "tutorial": (None, ("tutorial",)),
    "tutorials": (None, ("tutorial",)),
    "guide": (None, ()),
    "course": (None, ("course",)),
    "courses": (None, ("course",)),
    "free course": (None, ("course",)),
    "video": (None, ("video",)),
    "videos": (None, ("video",)),
    "youtube": (None, ("video",)),
    "youtube channel": (None, ("video",)),
    "book": (None, ("book",)),
    "books": (None, ("book",)),
    "podcast": (None, ("podcast",)),
    "podcasts": (None, ("podcast",)),
    "practice": (None, ("interactive",)),
    "exercises": (None, ("interactive",)),
    "interactive": (None, ("interactive",)),
    "advanced": ("advanced", ()),
    "in depth": ("advanced", ()),
}
# Words of conversational phrasing that name no topic ("what should i learn…", "something cool", "how does https
# work"): left out of matching (when other words remain), kept for the meaning.
FILLER_WORDS = frozenset(
    "should could would might really something anything stuff thing things way ways cool nice actually please "
    "bored im i'm want need trying try what which where why after based using recommend resources".split()
)
# "after the basics", "beyond the basics": the learner has the basics; a level word then means the next level.
BEYOND_WORDS = frozenset("after beyond past".split())
# A hand-written one-word phrase (resources/data/synonyms.yaml) or a topic-graph abbreviation with a digit (k8s, o11y)
# means only its topic: in a longer query it stands in for its word ("a11y checklist" → "accessibility checklist");
# other one-word aliases only expand a one-word query ("python decorators" is not widened to every Python resource).
ABBREVIATION_RE = re.compile(r"\d")
_HOW_WORKS = (("how", "does"), ("how", "do"))
_INTENT_ORDER = sorted(INTENT_PHRASES, key=lambda p: (-len(p.split()), -len(p)))
# Title words that name a level, not a topic (dropped from a topic's name when it expands a query).
STOP_WORDS = frozenset("a an the of to in on for and or with my i".split())
GENERIC_TITLE_WORDS = frozenset(
    "basics fundamentals advanced introduction intro beginner essentials and with the".split()
)


@dataclass(frozen=True)
class Understood:
    """A query as understood: `content` (what to match), `expansions` (alternative phrasings, OR-ed), the difficulty
    and media types the phrasing implies, and `literal` when the query used websearch syntax."""

    raw: str
    content: str
    expansions: tuple[str, ...] = ()
    difficulty: str | None = None
    media_types: tuple[str, ...] = ()
    literal: bool = False
    # A bare topic ("python", "learn sql", "docker for beginners"): comprehensive resources suit it best.
    broad: bool = False
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def lexical(self) -> str:
        """The websearch query to match: the content, or any expansion."""
        return " or ".join([self.content, *self.expansions]) if self.expansions else self.content

    semantic_text: str = ""

    @property
    def semantic(self) -> str:
        """The text whose embedding ranks by meaning: what the learner asked for and its expansions."""
        return self.semantic_text or " ".join([self.content, *self.expansions])


_lock = threading.Lock()
_table: dict[tuple[str, ...], tuple[str, ...]] | None = None
_replacing: set[tuple[str, ...]] = set()  # the hand-written phrases: their words are not matched literally


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in WORD_RE.findall(str(text)))


def _topic_name(title: str) -> str:
    return " ".join(w for w in _phrase(title) if w not in GENERIC_TITLE_WORDS)


def _load_table() -> dict[tuple[str, ...], tuple[str, ...]]:
    """alias phrase → expansions, from the topic graph's aliases and the hand-written file."""
    table: dict[tuple[str, ...], list[str]] = {}
    topics_file = Path(getattr(settings, "BASE_DIR", Path("."))) / "roadmaps" / "data" / "topics.yaml"
    try:
        topics = yaml.safe_load(topics_file.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError):
        logger.warning("Topic graph %s unreadable: search expands with hand-written synonyms only", topics_file)
        topics = []
    for topic in topics:
        if not isinstance(topic, dict):
            continue
        name = _topic_name(topic.get("title", ""))
        if not name:
            continue
        for alias in topic.get("aliases") or []:
            key = _phrase(alias)
            if key and " ".join(key) != name:
                table.setdefault(key, []).append(name)
    extra = yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8")) or {}
    for phrase, expansions in extra.items():
        table.setdefault(_phrase(phrase), []).extend(str(e) for e in expansions)
        _replacing.add(_phrase(phrase))
    return {key: tuple(dict.fromkeys(values)) for key, values in table.items()}


def expansion_table() -> dict[tuple[str, ...], tuple[str, ...]]:
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                _table = _load_table()
    return _table


_known: frozenset[str] | None = None


def known_words() -> frozenset[str]:
    """Words the query understanding knows (intent phrases, expansion phrases): typo correction leaves them alone."""
    global _known
    if _known is None:
        words = {w for phrase in INTENT_PHRASES for w in phrase.split()}
        words.update(w for key in expansion_table() for w in key)
        _known = frozenset(words)
    return _known


@lru_cache(maxsize=1)
def _topic_pairs() -> frozenset[tuple[str, str]]:
    """The two-word names of topics and their aliases ("machine learning", "deep learning")."""
    table = expansion_table()
    names = [tuple(v.split()) for values in table.values() for v in values]
    return frozenset((p[0], p[1]) for p in [*table, *names] if len(p) == 2)


def _strip_intent(words: list[str]) -> tuple[list[str], str | None, list[str]]:
    difficulty: str | None = None
    media: list[str] = []
    kept: list[str] = []
    i = 0
    expansion_table()  # loads _replacing
    while i < len(words):
        for phrase in _INTENT_ORDER:
            parts = phrase.split()
            if words[i : i + len(parts)] == parts:
                # A longer phrase of the expansion table starting here is content: "video games" is no video.
                named = next((n for n in range(len(parts) + 1, 5) if tuple(words[i : i + n]) in _replacing), 0)
                # The end of a topic's name, saying no level or medium: "machine learning", "deep learning".
                if not named and i and INTENT_PHRASES[phrase] == (None, ()):
                    named = 1 if (words[i - 1], phrase) in _topic_pairs() else 0
                if named:
                    kept.extend(words[i : i + named])
                    i += named
                    break
                level, types = INTENT_PHRASES[phrase]
                difficulty = difficulty or level
                media.extend(t for t in types if t not in media)
                i += len(parts)
                break
        else:
            kept.append(words[i])
            i += 1
    return kept, difficulty, media


def _expansions(words: list[str]) -> tuple[list[str], set[str]]:
    """(expansions, words to leave out of literal matching: those of hand-written phrases, such as "center" in
    "center a div", which would otherwise match "Learning Center")."""
    table = expansion_table()
    found: list[str] = []
    replaced: set[str] = set()
    present = set(words)
    if len(words) > 1:
        # A hand-written one-word phrase, or a topic-graph abbreviation (a digit in it: k8s, o11y), stands in for its
        # word: the query in the topic's words ("a11y checklist" → "accessibility checklist").
        for i, word in enumerate(words):
            key = (word,)
            if key in table and (key in _replacing or ABBREVIATION_RE.search(word)):
                for expansion in table[key]:
                    substituted = " ".join([*words[:i], expansion, *words[i + 1 :]])
                    if not set(expansion.split()) <= present and substituted not in found:
                        found.append(substituted)
    for key, expansions in _matching_keys(table, words):
        if key in _replacing:
            replaced.update(set(key) - {w for e in expansions for w in e.split()})
        for expansion in expansions:
            if not set(expansion.split()) <= present and expansion not in found:
                found.append(expansion)
    return found[:MAX_EXPANSIONS], replaced


def _matching_keys(
    table: dict[tuple[str, ...], tuple[str, ...]], words: list[str]
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The table's phrases found in `words`, longest first: a several-word phrase when all its words occur (in any
    order: "undo last git commit" has "undo commit"), a one-word phrase only when it is the whole query."""
    present = set(words)
    if len(words) == 1:
        key = (words[0],)
        return [(key, table[key])] if key in table else []
    found = [(key, value) for key, value in table.items() if len(key) > 1 and set(key) <= present]
    return sorted(found, key=lambda item: (-len(item[0]), item[0]))


def websearch_syntax(q: str) -> bool:
    """Whether a query uses websearch syntax: a quoted phrase, a -word, or `or` in a short query."""
    if OPERATOR_RE.search(q):
        return True
    return bool(OR_RE.search(q)) and len(WORD_RE.findall(q)) <= OR_OPERATOR_MAX_WORDS


def understand(q: str) -> Understood:
    """Read a (validated) query as a learner meant it."""
    q = q.strip()
    if not q or websearch_syntax(q):
        return Understood(raw=q, content=q, literal=True)
    words = [w.lower() for w in WORD_RE.findall(q.replace("’", "'"))]
    if len(words) > 3 and tuple(words[:2]) in _HOW_WORKS and words[-1] in ("work", "works"):
        words = words[2:-1]  # "how does https work", "how do computers work": the question is how, the topic is https
    kept, difficulty, media = _strip_intent(words)
    if difficulty == "beginner" and BEYOND_WORDS.intersection(words):
        difficulty = "intermediate"  # "what should i learn after the python basics"
    topical = [w for w in kept if w not in FILLER_WORDS]
    if topical and len(topical) < len(kept):
        kept = topical
    had_intent = len(kept) < len(words)
    if len(kept) > MAX_QUERY_WORDS:
        kept = list(dict.fromkeys(kept))[:MAX_QUERY_WORDS]
    if not kept:  # only intent words ("tutorial"): then they are the content
        kept, difficulty, media = words, None, []
    expansions, replaced = _expansions(kept)
    topical_words = [w for w in kept if w not in STOP_WORDS] or kept
    semantic = " ".join([*kept, *expansions])
    literal = [w for w in kept if w not in replaced]
    # Stop words left by the phrasing ("what should i learn after the python basics") match nothing useful.
    literal = [w for w in literal if w not in STOP_WORDS] or literal
    if not literal or all(w in STOP_WORDS for w in literal):
        literal, expansions = expansions[:1], expansions[1:]
    return Understood(
        raw=q,
        content=" ".join(literal),
        expansions=tuple(expansions),
        difficulty=difficulty,
        media_types=tuple(media),
        semantic_text=semantic,
        broad=len(topical_words) == 1 or (had_intent and len(topical_words) <= 2),
    )
