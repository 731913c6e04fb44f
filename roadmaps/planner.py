"""The offline roadmap planner: a real planner over the curated topic graph, deterministic for equal inputs.

1. Understand the concept: the specific key terms (Rust, Kubernetes, walkers, pandas) outweigh generic words
   (programming, basics, learn); a key term the graph does not know makes the plan `coverage: partial` (what we
   teach that transfers, the unknown terms named) or raises UnknownConcept with nearby suggestions.
2. Goal first: the goal's core topics, their in-area prerequisites and, where the graph has one, the goal's project
   are bought first; the foundations from other areas follow as their own steps when they fit, else condensed into
   one "crash course" step at reduced hours. When even that does not fit, the plan teaches a compressed taste of the
   goal and says so, with `suggested_duration_weeks`. Foundations-only is never presented as the roadmap.
3. Know the learner: topics the learner knows (named, evidenced, or assumed from their level) and their
   prerequisites are skipped; when the level was unknown and changes the plan, `assumptions` says so.
4. Pack steps into weeks on a continuous timeline: a step that crosses a week boundary is split into parts, so no
   week carries more than 1.25 × hours_per_week.

`validate_plan` checks the invariants and is shared with the LLM path.
"""

import functools
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any

from roadmaps.known import said_known
from roadmaps.phrase import key_phrase
from roadmaps.topics import DIFFICULTY_RANK, ROLES, Topic, TopicGraph, TopicMatch, graph, normalise, strip_filler

MIN_SCALE = 0.6
MAX_SCALE = 1.5
PROJECT_MIN_SCALE = 0.5
WEEK_SLACK = 1.25
CRASH_MIN = 0.2  # a crash course gets at least this share of its topics' base hours …
CRASH_MAX = 0.45  # … and at most this share (more than that and they are better taught as their own steps)
CRASH_BUDGET_MIN = 0.15  # … capped at these shares of the whole budget
CRASH_BUDGET_MAX = 0.35
CRASH_KEY = "crash-course"
PREREQ_SHARE = 0.4  # at most this share of the plan goes to steps that are not the goal's own topics
GOAL_RELEVANCE = 0.3  # a goal topic at least this relevant is the goal's own (its family, its area's core)
FOUNDATION_SHARE = 0.5  # foundations from other areas are taught as full steps only while they take at most half

# Words that say how or why someone wants to learn, not what: they never decide the goal on their own when the
# concept also names something specific, and they are never "unknown key terms".
GENERIC = frozenset(
    """a an the and or of for to in on with without by from at into about as is are be my me i we our your you it
    its this that these those how what why do does doing work works working get getting want would like need using
    use learn learning learner study studying master mastering programming program programs programmer coding code
    develop development developer developers dev basics basic beginner beginners intro introduction fundamentals
    fundamental course courses tutorial tutorials guide guides roadmap path plan step steps scratch advanced
    intermediate expert language languages build building builds make making create creating add adding app apps
    application
    applications better good great best quick quickly easy simple practical modern professional real world job jobs
    career tech technology technologies skill skills become becoming start started starting new first some all more
    prep preparation practice practise teach teaches teaching taught things stuff everything anything concepts
    concept understand understanding
    dive overview crash level up small own via vs versus day days week weeks month months year hands on based
    project projects computing computer computers play playing
    so now but then just really very also too if when while because since which who whom whose where there here than
    them they their was were been being has have had having can could should will shall may might must not no nor
    only same such etc""".split()
)
LANGUAGES = frozenset(
    "python javascript typescript java go golang rust c c++ c# csharp ruby php kotlin swift jac r scala dart elixir "
    "haskell lua perl julia sql bash".split()
)

# Languages and frameworks by ecosystem: a project whose stack shares no ecosystem with the goal's is another
# stack's project (a Django project for "node.js backend", a Jac project for "python web scraping").
ECOSYSTEMS = {
    **dict.fromkeys("python django drf flask fastapi pygame pytorch".split(), "python"),
    **dict.fromkeys("javascript typescript js ts node node.js express".split(), "javascript"),
    **dict.fromkeys("react vue angular svelte sveltekit next.js".split(), "javascript"),
    **dict.fromkeys("java kotlin android spring".split(), "jvm"), **dict.fromkeys("swift swiftui ios".split(), "apple"),
    **dict.fromkeys("go golang".split(), "go"), **dict.fromkeys("flutter dart".split(), "dart"),
    **dict.fromkeys("unity c# csharp".split(), "dotnet"), "rust": "rust", "jac": "jac", "godot": "godot",
    "ruby": "ruby", "rails": "ruby", "php": "php", "laravel": "php", "c++": "c++", "cpp": "c++",
}  # fmt: skip


def _ecosystems(words: set[str]) -> set[str]:
    return {ECOSYSTEMS[w] for w in words if w in ECOSYSTEMS}


# Frameworks within an ecosystem: a learner who names one (FastAPI, React) is not planned another's topics or
# project (the Django REST project for "rest api with fastapi", Angular for "typescript for react developers").
FRAMEWORKS = frozenset(
    "django drf flask fastapi react vue angular svelte sveltekit next.js nextjs express rails laravel flutter swiftui "
    "unity godot spring".split()
)


def _frameworks(words: set[str] | list[str]) -> set[str]:
    return {f.replace("nextjs", "next.js") for w in words for f in _variants(w) if f in FRAMEWORKS}


def _other_stack(topic: "Topic", mine: set[str]) -> bool:
    """The topic is named by frameworks none of which the learner named (while they named one)."""
    theirs = _frameworks(_names_of(topic))
    return bool(mine and theirs and not theirs & mine)


@dataclass
class PlannedStep:
    key: str
    title: str
    description: str
    difficulty: str
    estimated_hours: int
    week: int = 1
    order_index: int = 0
    prerequisites: list[str] = field(default_factory=list)  # keys of earlier steps
    tags: list[str] = field(default_factory=list)
    topic_slug: str = ""
    is_project: bool = False
    part: int = 1
    parts: int = 1
    outcomes: list[str] = field(default_factory=list)
    check: str = ""
    covers: list[str] = field(default_factory=list)  # a crash course: the topic slugs it condenses


@dataclass
class Plan:
    title: str
    description: str
    steps: list[PlannedStep]
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Budget:
    weeks: int
    hours_per_week: int

    @property
    def hours(self) -> int:
        return self.weeks * self.hours_per_week


class UnknownConcept(Exception):
    """The topic graph does not teach the concept (or its key terms): the caller tries the catalogue, then fails the
    roadmap honestly with these suggestions."""

    def __init__(self, concept: str, *, unknown_terms: list[str] | None = None, suggestions: list[str] | None = None):
        super().__init__(concept)
        self.concept = concept
        self.unknown_terms = unknown_terms or []
        self.suggestions = suggestions or []


# --- understanding the concept -------------------------------------------------------------------------------------


def _vocabulary(g: TopicGraph) -> frozenset[str]:
    cached = getattr(g, "_planner_vocabulary", None)
    if cached is None:
        words: set[str] = set()
        for topic in g.topics.values():
            for name in (topic.slug, topic.title, *topic.aliases, *topic.tags):
                words.update(normalise(name).split())
        cached = frozenset(words)
        g._planner_vocabulary = cached  # type: ignore[attr-defined]
    return cached


def _variants(word: str) -> list[str]:
    forms = [word, word.strip("."), word.removesuffix(".js"), word.removesuffix("js")]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    return [f for f in forms if f]


# Words about the learner or their situation, not the subject ("a total beginner", "im a teacher switching
# careers"): never key terms, never the basis of a suggestion.
ABOUT_LEARNER = frozenset(
    """total complete absolute absolutely complete im i'm ive i've teacher teachers student students parent retired
    switch switching change changing transition move moving career careers background someone person people kid kids
    child children adult adults older young free cheap fast faster slow slowly slower sluggish laggy fun hobby weekend
    evenings boring tedious repetitive mundane annoying everyday daily""".split()
)


# What a learner builds as their own project ("a personal blog with django", "a todo app in react") and when a script
# should run ("every morning"): they say what the project is, never a subject the graph must teach.
OWN_PROJECT = frozenset(
    """personal blog blogs todo todos to-do shop webshop store storefront diary journal recipe recipes
    every morning mornings evening night nightly hourly weekly monthly""".split()
)


def _generic(word: str) -> bool:
    return any(form in GENERIC or form in ABOUT_LEARNER or form in OWN_PROJECT for form in _variants(word))


def _stem(word: str) -> str:
    """A crude stem for matching inflections: tune / tuning / tuned / tunes → "tun"."""
    for suffix in ("ing", "ed", "es", "e", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _stems(g: TopicGraph) -> dict[str, str]:
    cached = getattr(g, "_planner_stems", None)
    if cached is None:
        cached = {}
        for word in sorted(_vocabulary(g), key=lambda w: (len(w), w)):
            if word.isalpha() and len(word) >= 3:
                cached.setdefault(_stem(word), word)
        g._planner_stems = cached  # type: ignore[attr-defined]
    return cached


def correct_terms(concept: str, g: TopicGraph) -> tuple[str, list[str]]:
    """The concept with each word the graph does not know read as the graph word it is an inflection of ("fine tune"
    → "fine tuning") or, for a longer word, a one-slip typo of ("perfomance" → "performance"); and notes saying so.
    A word is only corrected when it is not generic and the graph knows no form of it."""
    import difflib

    vocabulary = _vocabulary(g)
    stems = _stems(g)
    words, notes = [], []
    for word in normalise(concept).split():
        fixed = word
        if word.isalpha() and len(word) >= 3 and not _generic(word) and word not in LANGUAGES:
            if not any(form in vocabulary for form in _variants(word)):
                fixed = stems.get(_stem(word), "")
                if fixed in (f"{word}s", f"{word}es"):  # a plural of the word is no inflection the graph lacks
                    fixed = ""
                if not fixed and len(word) >= 6:
                    pool = [w for w in vocabulary if w.isalpha() and abs(len(w) - len(word)) <= 2 and w[0] == word[0]]
                    close = difflib.get_close_matches(word, sorted(pool), n=1, cutoff=0.88)
                    # A known word plus or minus an ending is another word, not a slip ("platformer" is no
                    # "platform", "programmer" no "program"): only a slip inside the word is corrected.
                    derived = close and (word.startswith(close[0]) or close[0].startswith(word))
                    fixed = close[0] if close and not derived else ""
                    if fixed:
                        notes.append(f"Read '{word}' as '{fixed}'.")
                fixed = fixed or word
        words.append(fixed)
    phrases = _stemmed_names(g)
    for size in (3, 2):  # "fine tune" names "fine tuning": a phrase is matched on its words' stems
        i = 0
        while i + size <= len(words):
            window = words[i : i + size]
            name = phrases.get(" ".join(_stem(w) for w in window))
            inflected = name and any(  # plurals are matched as before; a verb form ("tune", "tuned") is read here
                w != n and n not in _variants(w) and w not in _variants(n)
                for w, n in zip(window, name.split(), strict=True)
            )
            if inflected and " ".join(window) not in g.names:  # "data engineering" is a name of its own
                words[i : i + size] = name.split()
            i += 1
    return " ".join(words), notes


def _stemmed_names(g: TopicGraph) -> dict[str, str]:
    cached = getattr(g, "_planner_stemmed_names", None)
    if cached is None:
        cached = {}
        for name in sorted(g.names):
            parts = name.split()
            if 2 <= len(parts) <= 3 and all(p.isalpha() for p in parts):
                cached.setdefault(" ".join(_stem(p) for p in parts), name)
        g._planner_stemmed_names = cached  # type: ignore[attr-defined]
    return cached


PROSE_MIN_WORDS = 8  # a request this long is a sentence, with ordinary words around what it asks for


def _prose(g: TopicGraph) -> frozenset[str]:
    """The words our curriculum writes in lowercase in its running text (descriptions, outcomes, checks): ordinary
    English ("gaps", "manual", "remember", "before"), as opposed to the names of subjects, which it either teaches
    (and names in titles and aliases) or, when it mentions them at all, writes capitalised (Haskell, Elixir)."""
    cached = getattr(g, "_planner_prose", None)
    if cached is None:
        words: set[str] = set()
        for topic in g.topics.values():
            for text in (topic.description, *topic.outcomes, topic.check):
                words.update(w.lower() for w in re.findall(r"(?<![\w.])[a-z][a-z']+\b", text))
        cached = frozenset(words)
        g._planner_prose = cached  # type: ignore[attr-defined]
    return cached


def _qualifiers(concept: str, vocabulary: frozenset[str]) -> set[str]:
    """The concept's words that directly precede a specific word the graph knows, within one clause ("music" in
    "music theory", "manual" in "manual testing"): they say which kind of that thing, so they stay key terms."""
    found: set[str] = set()
    for clause in re.split(r"[,;.!?()]", concept.lower()):
        words = normalise(clause).split()
        for word, after in itertools.pairwise(words):
            if not _generic(after) and any(form in vocabulary for form in _variants(after)):
                found.add(word)
    return found


def key_terms(concept: str, g: TopicGraph) -> tuple[list[str], list[str]]:
    """(specific key terms of the concept, those the graph does not know). Generic words are neither, and nor is an
    ordinary word the graph does not name ("fill the gaps", "actually") unless it qualifies a word it does know."""
    vocabulary = _vocabulary(g)
    # Only in a sentence: in a short request every word is part of what was asked ("video editing for youtube").
    prose = _prose(g) if len(normalise(concept).split()) >= PROSE_MIN_WORDS else frozenset()
    words = strip_filler(concept).split()
    qualifiers: set[str] | None = None
    keys, unknown = [], []
    for word in words:
        if _generic(word) or (len(word) < 2 and word not in LANGUAGES) or word.isdigit() or word in keys:
            continue
        if not any(form in vocabulary for form in _variants(word)):
            if any(form in prose for form in _variants(word)) and word not in LANGUAGES:
                qualifiers = _qualifiers(concept, vocabulary) if qualifiers is None else qualifiers
                if word not in qualifiers:
                    continue
            unknown.append(word)
        keys.append(word)
    return keys, unknown


def _names_of(topic: Topic) -> set[str]:
    """The words that name a topic; a title's purpose ("Calculus for Machine Learning") does not name it."""
    return set(_names_cached(topic))


@functools.lru_cache(maxsize=4096)
def _names_cached(topic: Topic) -> frozenset[str]:
    words: set[str] = set()
    for name in (topic.slug, topic.title, *topic.aliases):
        words.update(normalise(name).split(" for ")[0].split())
    return frozenset(words)


@functools.lru_cache(maxsize=4096)
def _name_words(topic: Topic) -> tuple[tuple[str, ...], ...]:
    """The words of the topic's title, then of each alias."""
    return tuple(tuple(normalise(n).split()) for n in (topic.title, *topic.aliases))


def _shares_key(topic: Topic, keys: list[str]) -> bool:
    names = _names_of(topic) | {w for tag in topic.tags for w in normalise(tag).split()}
    return any(form in names for key in keys for form in _variants(key))


def _named_by(topic: Topic, keys: list[str]) -> bool:
    """The topic's own names (not its tags) carry a key term: Rust Basics for "rust", not Calculus for "machine"."""
    names = _names_of(topic)
    return any(form in names for key in keys for form in _variants(key))


def _carrying_all(g: TopicGraph, keys: list[str], strong: list[TopicMatch]) -> list[Topic]:
    """Non-project topics whose title (or an alias saying nothing more) carries every one of two or more key terms,
    or whose names together do while the concept mentions the topic ("async await" and "javascript" for Asynchronous
    JavaScript; not Async Python for "python for loops" because an alias says "event loop"); those whose title
    carries them first, then the shallowest."""
    if len(keys) < 2:
        return []
    forms = [frozenset(_variants(k)) for k in keys]
    said = frozenset().union(*forms)

    def carries(words: set[str] | frozenset[str] | tuple[str, ...]) -> bool:
        return all(any(f in words for f in fs) for fs in forms)

    def says_all(words: tuple[str, ...]) -> bool:
        # Every key term is in the name and none is qualified by a word the learner did not say ("python event
        # loop" does not carry the "loops" of "python for loops").
        if not said.intersection(words):
            return False
        at = [next((i for i, w in enumerate(words) if w in fs), -1) for fs in forms]
        return all(i >= 0 and (i == 0 or words[i - 1] in said or _generic(words[i - 1])) for i in at)

    mentioned = {m.topic.slug for m in strong if m.reason in ("named", "mentioned")}
    found = [
        t for t in g.topics.values()
        if not t.project and (
            says_all(_name_words(t)[0])
            # an alias carries them only when it says nothing more ("webassembly rust"; not "aws cloud practitioner"
            # for "aws cloud basics")
            or any(says_all(n) and all(w in said or _generic(w) for w in n) for n in _name_words(t)[1:])
            or (t.slug in mentioned and carries(_names_cached(t)))
        )
    ]  # fmt: skip
    return sorted(found, key=lambda t: (not carries(_name_words(t)[0]), g.depth[t.slug], t.slug))


def _other_language(topic: Topic, languages: list[str]) -> bool:
    """The topic is named by a programming language, none of which the learner named."""
    names = _names_of(topic)
    theirs = {w for w in names if w in LANGUAGES and w not in ("c", "r", "go")}
    return bool(theirs) and not any(form in names for k in languages for form in _variants(k))


def _reach(g: TopicGraph) -> dict[str, int]:
    """How many topics build on each topic (directly or not)."""
    cached = getattr(g, "_planner_reach", None)
    if cached is None:
        cached = dict.fromkeys(g.topics, 0)
        for slug in g.topics:
            for dep in g.closure([slug]) - {slug}:
                cached[dep] += 1
        g._planner_reach = cached  # type: ignore[attr-defined]
    return cached


def _area_reach(g: TopicGraph, area: str) -> dict[str, int]:
    """How many topics of its own area build on each topic of `area`."""
    cache = g.__dict__.setdefault("_planner_area_reach", {})
    if area not in cache:
        members = [t.slug for t in g.topics.values() if t.area == area]
        cache[area] = {s: sum(1 for u in members if u != s and s in g.closure([u])) for s in members}
    return cache[area]


def _specific_tag(g: TopicGraph, topic: Topic) -> str | None:
    counts = {tag: sum(1 for t in g.topics.values() if tag in t.tags) for tag in topic.tags[1:]}
    counts = {tag: n for tag, n in counts.items() if n >= 2}
    return min(counts, key=lambda tag: (counts[tag], tag)) if counts else None


# How learners name an area that the graph tags differently ("frontend developer" → web).
AREA_SYNONYMS = {"frontend": "web", "front end": "web", "web frontend": "web", "web design": "web",
                 "ai": "machine-learning", "artificial intelligence": "machine-learning", "ml": "machine-learning",
                 "data analytics": "data-science", "data analysis": "data-science", "cyber security": "security",
                 "cybersecurity": "security", "infosec": "security", "ops": "devops", "sre": "devops",
                 "platform engineering": "devops", "platform engineer": "devops", "devops engineering": "devops",
                 "devops engineer": "devops"}  # fmt: skip


def _area_synonym(g: TopicGraph, text: str) -> str | None:
    specific = " ".join(w for w in text.split() if w not in GENERIC)
    area = AREA_SYNONYMS.get(specific)
    return area if area in g.areas else None


def _drop_subsumed(strong: list[TopicMatch], text: str) -> list[TopicMatch]:
    """Mentions whose every occurrence lies inside a longer mentioned name: "A/B testing" mentions "testing", which
    is not a request for software testing."""
    padded = f" {text} "

    def spans(topic: Topic) -> list[tuple[int, int]]:
        found = []
        for name in {normalise(n) for n in (topic.slug, topic.title, *topic.aliases)}:
            at = padded.find(f" {name} ")
            while at >= 0:
                found.append((at + 1, at + 1 + len(name)))
                at = padded.find(f" {name} ", at + 1)
        return found

    all_spans = {id(m): spans(m.topic) for m in strong}
    kept = []
    for m in strong:
        own = all_spans[id(m)]
        others = [sp for o in strong if o is not m for sp in all_spans[id(o)]]
        inside = own and all(any(a <= s0 and e <= b and (b - a) > (e - s0) for a, b in others) for s0, e in own)
        if not inside:
            kept.append(m)
    return kept


def _subject_purpose(text: str) -> tuple[str, str]:
    """ "python for data analysis" → ("python", "data analysis"); ("", "") when the concept has no " for "."""
    subject, sep, purpose = text.partition(" for ")
    if not sep or not subject.strip() or not purpose.strip():
        return "", ""
    return subject.strip(), purpose.strip()


@dataclass
class Goals:
    relevance: dict[str, float]  # every goal topic → relevance (core, family, projects, area)
    core: list[str]  # what the learner asked for: always taught
    strategy: str
    matched: list[str]
    unknown_terms: list[str] = field(default_factory=list)
    key_terms: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)  # how a vague goal was read
    audience: str = ""  # "for react developers": who the learner is, as they said it
    audience_known: list[str] = field(default_factory=list)  # topics that audience already knows (React Fundamentals)
    audience_programs: bool = False  # the audience is a profession that programs (developers, data scientists)
    audience_beginner: bool = False  # "for a total beginner": never read as someone who already programs
    audience_domain: str = ""  # "network engineers": a field of work outside software, which says nothing of code
    stack: set[str] = field(default_factory=set)  # frameworks the learner named or works in (no sibling's project)
    uncovered: list[str] = field(default_factory=list)  # parts of the goal this plan does not teach (said, partial)


def _qualified(text: str, unknown: list[str]) -> list[tuple[str, str]]:
    """(unknown qualifier, known head) pairs of the concept: "music theory" → ("music", "theory")."""
    words = normalise(text).split()
    return [(a, b) for a, b in itertools.pairwise(words) if a in unknown and b not in unknown]


def _same_word(a: str, b: str) -> bool:
    """The same word up to inflection: "editing" / "editors", "patterns" / "pattern"; never "data" / "database"."""
    if a in _variants(b) or b in _variants(a):
        return True
    sa, sb = _stem(a), _stem(b)
    return min(len(sa), len(sb)) >= 4 and (a.startswith(sb) or b.startswith(sa))


def _other_kind(topic: Topic, pairs: list[tuple[str, str]]) -> bool:
    """The topic carries a head word the learner qualified with a term we do not know, but never after that term:
    Probability Theory is not part of "music theory", System Design (or a "design doc") not part of "ux design"."""
    for qualifier, head in pairs:
        names = [normalise(n).split() for n in (topic.slug, topic.title, *topic.aliases)]
        uses = [n[i - 1] if i else "" for n in names for i, w in enumerate(n) if _same_word(w, head)]
        if uses and all(before != qualifier for before in uses):
            return True
    return False


def _suggestions(g: TopicGraph, text: str, unknown: list[str] = ()) -> list[str]:
    """Nearby topics we do teach (the shared retrieval engine's `topics` corpus), from the concept's distinctive
    words only: never "Programming Basics" because the concept said "programming", never Pivot Tables because it
    said "a total beginner", never System Design for "ux design"."""
    from roadmaps.corpus import nearby_topics  # the engine loads its embedding table on first use

    specific = " ".join(w for w in normalise(text).split() if not _generic(w))
    if not specific:
        return []
    pairs = _qualified(text, list(unknown))
    by_title = {t.title: t for t in g.topics.values()}
    found = [s for s in nearby_topics(specific) if s not in by_title or not _other_kind(by_title[s], pairs)]
    if unknown:
        # What we do not teach has no near topic by meaning alone: a suggestion must be named by one of the
        # concept's own words that the graph knows (not Cloud Cost Management for "personal finance", not Dynamic
        # Programming for "video editing"); a word we do not know never names one by inflection ("editing" is not
        # Code Editors).
        words = [w for w in specific.split() if w not in unknown]
        found = [
            s for s in found
            if s in by_title
            and any(n in _variants(w) or w in _variants(n) for w in words for n in _names_of(by_title[s]) if len(n) > 2)
        ]  # fmt: skip
    return found


def _area_core(g: TopicGraph, area: str) -> list[str]:
    """The entry topics of an area that most of it builds on (e.g. Machine Learning Fundamentals)."""
    roots = [
        t.slug
        for t in g.topics.values()
        if t.area == area
        and not t.optional
        and not t.project
        and not any(g.topics[p].area == area for p in t.prerequisites)
    ]
    reach = {r: sum(1 for t in g.topics.values() if t.area == area and r in g.closure([t.slug])) for r in roots}
    ranked = sorted(roots, key=lambda r: (-reach[r], g.depth[r], r))
    return [r for r in ranked[:2] if r == ranked[0] or reach[r] >= max(3, reach[ranked[0]] // 2)]


# Vague goals learners type (careers, "build websites") → the track we plan, and the assumption the plan states.
TRACKS = [
    (
        re.compile(
            r"\b(build|make|create|design)\w* (a |my own |own |simple )?(web ?sites?|web ?pages?|web apps?)\b|"
            r"^(web ?sites?|web ?pages?)$"
        ),
        "html css",
        "“{concept}” is read as web development: HTML and CSS first, ending with a website of your own when the "
        "time allows; JavaScript comes next.",
    ),
    (
        re.compile(
            r"\b(job|jobs|career|careers|hired|work|working|employment|role)\b.*\b(tech|it|software|coding|"
            r"programming|computers?)\b|\b(tech|it|software|coding|programming)\b.*\b(job|jobs|career|careers|"
            r"role)\b|\b(get|break|move|switch|transition)\w* into (tech|it|software)\b|^career change\b"
        ),
        "html css",
        "“{concept}” names no field, so this plan follows the most common entry route into a tech job: web "
        "development (HTML and CSS, then JavaScript, and a portfolio site you can show)."
        " For another route ask for it by name, e.g. “become a data analyst”, “devops”, “cybersecurity” or "
        "“python backend development”.",
    ),
    (
        re.compile(
            r"^(become|be|becoming) an? (software |)(developer|programmer|coder|software engineer)$|"
            r"^(software|)\s*(developer|programmer|coder)$"
        ),
        "python",
        "“{concept}” names no language or field, so this plan starts with Python (the language our own lessons use) "
        "and ends with a project; ask for “web development”, “data science” or a language by name for another route.",
    ),
]


def vague_track(concept: str) -> tuple[str, str] | None:
    """(the concept to plan, the assumption to state) for a goal that names no subject, else None."""
    text = normalise(concept)
    for pattern, track, note in TRACKS:
        if pattern.search(text):
            return track, note.format(concept=concept.strip()[:80])
    return None


# Who a concept is for ("typescript for react developers", "pandas for excel users", "mlops for data scientists"):
# the audience is what the learner already is or knows, never the subject to teach nor an unknown term.
AUDIENCE_ROLES = {
    **dict.fromkeys("developer developers programmer programmers engineer engineers dev devs coder coders "
                    "scientist scientists analyst analysts administrator administrators admin admins sysadmin "
                    "sysadmins".split(), "programs"),
    **dict.fromkeys("user users designer designers accountant accountants marketer marketers manager managers "
                    "teacher teachers student students researcher researchers writer writers professional "
                    "professionals people folks".split(), "other"),
    **dict.fromkeys("beginner beginners newbie newbies novice novices dummies".split(), "beginner"),
}  # fmt: skip
AUDIENCE = re.compile(
    r"\s+for (?:an? |the )?(?:complete |total |absolute )?(?P<who>(?:[\w.+#]+ ){0,3}?)"
    rf"(?P<role>{'|'.join(sorted(AUDIENCE_ROLES, key=len, reverse=True))})\b(?P<rest>.*)$"
)
# A career move ("switch from accounting to data analyst", "im a teacher and want to switch careers into ux design"):
# the goal is where the learner is going; where they come from is background, never a subject to teach.
CAREER_MOVE = re.compile(
    r"^(?:.*?\b)?(?:switch|switching|move|moving|transition|transitioning|change|changing|pivot|pivoting|go|going)"
    r"(?: (?:my )?(?:careers?|jobs?|fields?))?(?: from (?:an? |being an? )?(?P<source>[\w\s.+#]+?))?"
    r" (?:to|into) (?:an? |becoming an? |being an? |work in |working in |working as an? )?(?P<goal>[\w\s.+#]+)$"
)


# The same move said without a verb, from one role to another ("data analyst to data engineer", "from teacher to
# frontend developer"): the words before "to" end with a role noun.
ROLE_TO_ROLE = re.compile(
    r"^(?:from )?(?:an? )?(?P<source>[\w\s.+#]*?\b(?:engineer|developer|dev|analyst|scientist|designer|administrator|"
    r"admin|architect|programmer|tester|manager|teacher|student|accountant|specialist|consultant|technician)s?)"
    r" (?:to|into|->) (?:an? |becoming an? )?(?P<goal>[\w\s.+#]+)$"
)


def career_goal(concept: str) -> tuple[str, str] | None:
    """(the goal, where the learner comes from) of a career-move phrasing, else None; "into tech" is left to the
    vague tracks, which plan it as a route into a tech job."""
    match = CAREER_MOVE.match(normalise(concept)) or ROLE_TO_ROLE.match(normalise(concept))
    if not match:
        return None
    goal = match.group("goal").strip()
    if not goal or all(w in TRACK_WORDS or w in GENERIC for w in goal.split()):
        return None
    return goal, (match.group("source") or "").strip()


# Any other profession said as its people at the end of a concept ("python for lawyers", "… for biologists",
# "… for physicians"): an audience when the graph does not know the word, never a term to correct into another
# ("lawyers" is not "layers").
PROFESSION = re.compile(
    r"\s+for (?:an? |the )?(?:complete |total |absolute )?(?P<who>(?:[\w.+#]+ ){0,2}?)"
    r"(?P<role>[a-z]{3,}(?:ers|ors|ists|ians|ants|ents|yers|ees|ives|ics))$"
)


def split_audience(concept: str, g: TopicGraph | None = None) -> tuple[str, str, str]:
    """(the concept without its audience, the audience as said, its kind: programs / other / beginner / "")."""
    text = normalise(concept)
    match = AUDIENCE.search(text)
    if not match or match.group("role") not in AUDIENCE_ROLES:
        other = PROFESSION.search(text)
        vocabulary = _vocabulary(g or graph())
        if not other or any(form in vocabulary for form in _variants(other.group("role"))) or not text[: other.start()]:
            return concept, "", ""
        who = " ".join(f"{other.group('who')}{other.group('role')}".split())
        return text[: other.start()].strip(), who, "other"
    subject = text[: match.start()].strip()
    if not subject:
        return concept, "", ""
    who = " ".join(f"{match.group('who')}{match.group('role')}".split())
    return f"{subject} {match.group('rest').strip()}".strip(), who, AUDIENCE_ROLES[match.group("role")]


def _audience_topics(g: TopicGraph, who: str) -> list[str]:
    """The topics an audience already knows: "react developers" → React Fundamentals, "excel users" → Spreadsheet
    Basics, "data scientists" → the core of data science, "python developers" → Python Basics."""
    words = who.split()
    if not words or words[-1] not in AUDIENCE_ROLES:
        return []
    role = words[-1].removesuffix("s") if words[-1].endswith("s") and words[-1][:-1] in ROLES else words[-1]
    head = words[:-1]
    phrases = [" ".join([*head, ROLES[role]])] if role in ROLES and head else []
    phrases += [" ".join(head)] if head else []
    programs = AUDIENCE_ROLES.get(words[-1]) == "programs"
    for phrase in phrases:
        if phrase in g.names:
            first = g.topics[g.names[phrase]]
            # "react developers" know React and its everyday topics (hooks, routing), not its advanced ones.
            more = [
                t.slug for t in g.topics.values()
                if programs and _named_by(t, phrase.split()) and t.slug != first.slug and t.area == first.area
                and not t.project and not t.optional and t.difficulty != "advanced"
            ]  # fmt: skip
            return [first.slug, *more]
        area = g.area_for(phrase) or _area_synonym(g, phrase)
        if area and (normalise(area) == phrase or phrase in AREA_SYNONYMS or phrase.replace(" ", "-") == area):
            # "data scientists" know their area's everyday topics (statistics, pandas), not its advanced ones.
            return [t.slug for t in g.topics.values()
                    if t.area == area and not t.project and not t.optional and t.difficulty != "advanced"]  # fmt: skip
    return [g.names[w] for w in head if w in g.names and not _generic(w)]


def _choose_goals(concept: str, g: TopicGraph | None, notes: list[str]) -> Goals:
    """The goal topics for a concept. Raises UnknownConcept (with suggestions) when the graph does not teach it."""
    g = g or graph()
    corrected, corrections = correct_terms(concept, g)
    if corrected != normalise(concept):  # the learner's own words are kept for what the plan says back
        concept = corrected
    notes.extend(corrections)
    keys, unknown = key_terms(concept, g)
    core_text = strip_filler(concept) or normalise(concept)
    subject, purpose = _subject_purpose(core_text)
    for joined in (f"{subject} {purpose}", f"{purpose} {subject}") if subject else ():
        if joined in g.names:  # "python for data analysis" → pandas ("python data analysis")
            core_text = joined
    assumed: list[str] = []
    track = vague_track(concept) if (unknown or not keys or g.area_for(core_text) is None) else None
    if track and not [k for k in keys if k not in unknown and k not in TRACK_WORDS]:
        core_text, note = track
        keys, unknown = key_terms(core_text, g)
        assumed.append(note)
    text = core_text
    notes.extend(assumed)
    if unknown:
        text = " ".join(w for w in core_text.split() if w not in unknown)
        if not any(k not in unknown for k in keys):
            raise UnknownConcept(concept, unknown_terms=unknown, suggestions=_suggestions(g, core_text, unknown))
    matches = g.match(text) if text else []
    strong = _drop_subsumed([m for m in matches if m.reason in ("named", "mentioned")], text)
    known_keys = [k for k in keys if k not in unknown]
    if known_keys and strong:
        # A specific key term outweighs generic words: "Rust async programming" must not become Programming Basics.
        specific = [m for m in strong if _shares_key(m.topic, known_keys)]
        strong = specific
    whole = _carrying_all(g, known_keys, strong)
    if whole and strong and whole[0].slug != strong[0].topic.slug:
        # The topic whose own names carry every key term is what was asked ("kubernetes security" → Kubernetes
        # Security and RBAC, not the broader topic with that alias; "webassembly with rust" → Rust and WebAssembly,
        # which the words alone only find by similarity), ahead of those that carry some.
        # It takes the best match's place and score: what else that match's score made part of the goal stays so.
        top = max(strong[0].score, next((m.score for m in strong if m.topic.slug == whole[0].slug), 0.0))
        strong = [TopicMatch(whole[0], top, "named"), *[m for m in strong if m.topic.slug != whole[0].slug]]
    said_languages = [k for k in known_keys if k in LANGUAGES]
    if said_languages and strong:
        # "javascript promises and async await": a topic of another language is no goal (not Async Python).
        strong = [m for m in strong if not _other_language(m.topic, said_languages)] or strong
    subject_words = [k for k in known_keys if k not in SPEED_WORDS]
    if subject_words:
        # The subject is its most specific word ("webassembly", not "web" in "webassembly to speed up my web app"):
        # a performance topic of a broader word would be a substitute for it.
        naming = {k: sum(1 for t in g.topics.values() if _named_by(t, [k])) for k in subject_words}
        rarest = min(naming.values())
        subject_words = [k for k in subject_words if naming[k] == rarest]
    if SLOWNESS.search(normalise(concept)) and subject_words and not any("performance" in m.topic.tags for m in strong):
        # "my react app is slow": the goal is the subject's performance topic, not the subject from scratch.
        fast = sorted(
            (t for t in g.topics.values() if "performance" in t.tags and not t.project and _named_by(t, subject_words)),
            key=lambda t: (g.depth[t.slug], t.slug),
        )
        if fast:
            strong = [TopicMatch(fast[0], 1.0, "named"), *[m for m in strong if m.topic.slug != fast[0].slug]]
    stack = _frameworks(known_keys)
    if stack and any(not _other_stack(m.topic, stack) for m in strong):
        strong = [m for m in strong if not _other_stack(m.topic, stack)]
    subject, purpose = _subject_purpose(text)
    if subject and strong:
        # "linear algebra for machine learning": the subject is what to learn, the purpose only where it leads.
        subject_keys = [k for k in known_keys if k in subject.split()]
        first = [m for m in strong if subject_keys and _shares_key(m.topic, subject_keys)]
        if first:
            strong = first + [m for m in strong if m not in first]
            if g.area_for(purpose) or _area_synonym(g, purpose):
                text = subject  # the purpose names a whole area: it must not take the plan over
    area = (g.area_for(text) if text else None) or _area_synonym(g, text)
    goals: dict[str, float] = {}
    if area:
        inner = _area_reach(g, area)
        for topic in g.topics.values():
            if topic.area != area:
                continue
            # What more of the area builds on comes first (NumPy and pandas before calculus for data science).
            relevance = 0.2 if topic.optional else 0.6 - 0.01 * g.depth[topic.slug] + 0.03 * min(inner[topic.slug], 12)
            if topic.project:
                relevance = 0.15 if topic.optional else 0.45
            goals[topic.slug] = relevance
        named = [m.topic.slug for m in strong if m.score >= 0.99 and m.topic.area == area]
        for m in strong:
            goals[m.topic.slug] = max(goals.get(m.topic.slug, 0), m.score)
        phrase = " ".join(w for w in text.split() if w not in GENERIC)
        inside = sorted(
            (
                t for t in g.topics.values()
                if t.area == area and not t.project and not t.optional and phrase and phrase != normalise(area)
                and any(f" {phrase} " in f" {normalise(n)} " for n in (t.title, *t.aliases))
            ),
            key=lambda t: (g.depth[t.slug], t.slug),
        )  # fmt: skip
        core = named[:1] or [t.slug for t in inside[:2]] or _area_core(g, area)
        if inside and not named:
            # The area's topics on the way to (or built on) what the phrase names come first; the rest of the area
            # (calculus in "data analysis") only when time is left.
            focus = {t.slug for t in inside}
            near = g.closure(sorted(focus)) | {t.slug for t in g.topics.values() if focus & g.closure([t.slug])}
            for slug in goals:
                if slug in focus:
                    goals[slug] = max(goals[slug], 0.9)
                elif slug not in near:
                    goals[slug] *= 0.5
        for slug in core:
            goals[slug] = max(goals[slug], 1.0)
        return Goals(goals, core, "area", [m.topic.slug for m in matches], unknown, keys)
    if strong:
        primary = strong[0].topic
        best = strong[0].score
        core = [m.topic.slug for m in strong if m.score >= max(0.75, best - 0.15) or m is strong[0]][:3]
        covered = {k for k in known_keys if any(_shares_key(g.topics[c], [k]) for c in core)}
        for m in strong:  # "html css javascript": every key term the learner named gets its topic
            missing = [k for k in known_keys if k not in covered and _shares_key(m.topic, [k])]
            if missing and all(k in LANGUAGES for k in missing) and covered:
                # "unit testing in python": the language says which material, it is not Python Basics as a goal;
                # a topic named by both ("Testing Python with pytest") is the goal's, else the language is enough.
                both = sorted(
                    (
                        t
                        for t in g.topics.values()
                        if not t.project and _named_by(t, missing) and _named_by(t, sorted(covered))
                    ),
                    key=lambda t: (g.depth[t.slug], t.slug),
                )
                if both and len(core) < 3 and both[0].slug not in core:
                    core.append(both[0].slug)
                covered.update(missing)
                continue
            if missing and len(core) < 3 and m.topic.slug not in core and m.reason != "similar":
                core.append(m.topic.slug)
                covered.update(missing)
        primary_tag = _specific_tag(g, primary)
        uncarried = [k for k in known_keys if not any(_named_by(g.topics[c], [k]) for c in core) and k not in LANGUAGES]
        for k in [k for k in uncarried if not any(f"{k}s" in _names_of(g.topics[c]) for c in core)]:
            # A key term no strong match carries ("azure" in "terraform on azure") still gets the topic it names,
            # in the goal's area or a neighbouring one; the shallowest such topic, never a project.
            named_k = sorted(
                (
                    t
                    for t in g.topics.values()
                    if not t.project
                    and k in {normalise(x) for x in t.tags}
                    # named by the key term, or tagged with it within the primary's own family ("postgres
                    # performance" → Query Plans and Optimisation, tagged postgresql and performance; an optional
                    # topic too, since the learner asked for it)
                    and ((_named_by(t, [k]) and not t.optional) or (t.area == primary.area and primary_tag in t.tags))
                ),
                key=lambda t: (not _named_by(t, [k]), t.area != primary.area, g.depth[t.slug], t.slug),
            )
            if named_k and len(core) < 3 and named_k[0].slug not in g.closure(core):  # not already on the way
                core.append(named_k[0].slug)
                goals[named_k[0].slug] = max(goals.get(named_k[0].slug, 0), 0.9)
                covered.add(k)
        for m in strong:
            goals[m.topic.slug] = m.score
        family_keys = [k for k in known_keys if not subject or k in subject.split()] or known_keys
        # The family is the tag the learner named (kubernetes, not the rarer "containers"), else the rarest tag.
        # A tag is also said when the learner named the topic by it ("natural language processing" is NLP's).
        said = {f for k in family_keys for f in _variants(k)}
        if strong[0].score >= 0.99:
            said |= {normalise(a) for a in primary.aliases}
        said_tag = next((t for t in primary.tags[1:] if normalise(t) in said), None)
        tag = said_tag or _specific_tag(g, primary)
        family = [t for t in g.topics.values() if tag and tag in t.tags and t.area == primary.area and not t.optional]
        if family_keys and not said_tag:  # React hooks' family is React's, not Vue's that share "frontend-frameworks"
            family = [t for t in family if _shares_key(t, family_keys)]
        mine = _ecosystems({w for c in core for w in _names_of(g.topics[c])} | set(known_keys))

        def other_ecosystem(topic: Topic) -> bool:  # FastAPI and DRF are no family of "node.js backend"
            theirs = _ecosystems(_names_of(topic))
            return bool(theirs and mine and not theirs & mine)

        family = [t for t in family if not _other_stack(t, stack) and not other_ecosystem(t)]
        reach = _reach(g)
        for topic in family:  # at equal depth, what more of the graph builds on first (joins before transactions)
            goals.setdefault(topic.slug, 0.5 - 0.01 * g.depth[topic.slug] + 0.001 * min(reach[topic.slug], 9))
        for topic in g.topics.values():  # the family's optional topics only fill time left at the end
            if tag and tag in topic.tags and topic.area == primary.area and topic.optional and not topic.project:
                if (
                    not _other_stack(topic, stack)
                    and not other_ecosystem(topic)
                    and (said_tag or not family_keys or _shares_key(topic, family_keys))
                ):
                    goals.setdefault(topic.slug, 0.2)
        for topic in g.topics.values():
            theirs = _ecosystems(_names_of(topic))
            if (theirs and mine and not theirs & mine) or _other_stack(topic, stack):
                continue  # another stack's project is no goal of this plan, not even a left-out one
            if topic.project and topic.area == primary.area and primary.slug in g.closure([topic.slug]):
                goals.setdefault(topic.slug, 0.3 if not topic.optional else 0.1)
        if ROLE_GOAL.search(normalise(concept)):
            # "become a site reliability engineer": a role needs its area's core, not only the topic that names
            # it; the area's everyday topics fill the time the named topic and its family leave (CI/CD and IaC).
            for topic in g.topics.values():
                if topic.area == primary.area and not topic.optional and not topic.project:
                    goals.setdefault(topic.slug, 0.35 - 0.01 * g.depth[topic.slug])
        else:
            # Time left after the family goes to what builds on the goal in its own area (pivot tables and charts
            # after Spreadsheet Basics), never to unrelated neighbours; the lowest relevance, so only spare hours.
            for topic in g.topics.values():
                if (
                    topic.area == primary.area and not topic.optional and not topic.project
                    and topic.slug not in goals and primary.slug in g.closure([topic.slug])
                    and not _other_stack(topic, stack)
                    # a framework built on the goal (Angular on TypeScript) is a subject of its own, not more of it
                    and not (_frameworks(_names_of(topic)) - _frameworks(_names_of(primary)) - stack)
                ):  # fmt: skip
                    goals[topic.slug] = 0.1 - 0.001 * g.depth[topic.slug]
        return Goals(goals, core, "named", [m.topic.slug for m in matches], unknown, keys)
    if unknown:
        # Only the known key terms are left: teach the closest topic that names one of them, labelled partial
        # ("Rust async programming" → async programming as we teach it), or fail with suggestions.
        # What transfers must carry every known key term ("smart contracts" is not Rust smart pointers), and the
        # unknown terms must not be most of what was asked ("elixir phoenix web apps" is not OWASP Top 10).
        pairs = _qualified(core_text, unknown)
        words = core_text.split()
        if words and words[-1] in unknown and len(words) >= 2 and words[-2] in known_keys and len(known_keys) == 1:
            # "3d printing": the thing asked for is the unknown head; the known word only says which kind of it,
            # so a topic it names (a 3D game) is another subject, not a part of this one.
            raise UnknownConcept(
                concept, unknown_terms=unknown, suggestions=_suggestions(g, " ".join([*unknown, *known_keys]), unknown)
            )
        sharing = [
            m for m in matches
            if m.score >= 0.05 and all(_shares_key(m.topic, [k]) for k in known_keys)
            and not _other_kind(m.topic, pairs)
        ] if len(unknown) <= len(known_keys) else []  # fmt: skip
        if not sharing:
            raise UnknownConcept(
                concept, unknown_terms=unknown, suggestions=_suggestions(g, " ".join([*unknown, *known_keys]), unknown)
            )
        top = sharing[0].topic.slug
        return Goals(
            {m.topic.slug: m.score for m in sharing[:2]},
            [top],
            "similar",
            [m.topic.slug for m in matches],
            unknown,
            keys,
        )
    # A topic naming only some of the key terms must also be close in meaning: "interior design" shares "interior"
    # with Rust's interior mutability (cosine 0.12), which is a substitute, not the subject.
    sharing = [
        m for m in matches
        if m.score >= 0.1 and _shares_key(m.topic, keys)
        and (m.score >= PARTIAL_KEY_MIN_SCORE or all(_shares_key(m.topic, [k]) for k in keys))
    ] if keys else []  # fmt: skip
    if sharing:  # "leetcode prep for coding interviews": the topic that names a key term, not one that says "coding"
        return Goals(
            {m.topic.slug: m.score for m in sharing[:2]},
            [sharing[0].topic.slug],
            "similar",
            [m.topic.slug for m in matches],
            unknown,
            keys,
        )
    words = [w for w in core_text.split() if len(w) > 2]

    def covers(topic: Topic) -> bool:
        # A merely similar topic must share most of the concept's words ("quantum computing" is not cloud computing).
        body = normalise(" ".join([topic.title, *topic.aliases, *topic.tags, topic.description]))
        return sum(w in body for w in words) >= max(1, 2 * len(words) / 3)

    similar = [m for m in matches if m.score >= 0.15 and covers(m.topic)][:3]
    if not similar:
        raise UnknownConcept(concept, suggestions=_suggestions(g, core_text))
    return Goals(
        {m.topic.slug: m.score for m in similar},
        [similar[0].topic.slug],
        "similar",
        [m.topic.slug for m in matches],
        unknown,
        keys,
    )


# A concept about something being too slow ("my react app is slow, how do i make it faster").
SLOWNESS = re.compile(r"\b(slow|slowly|slower|sluggish|laggy|faster|speed up|speed it up|load time|loads? fast)\b")

SPEED_WORDS = frozenset("performance perf speed fast faster quick quicker optimise optimize optimisation".split())

# A concept naming a role or career the learner wants ("become an sre", "site reliability engineer").
ROLE_GOAL = re.compile(r"\b(become|becoming|engineer|engineering|developer|administrator|architect|career)\b")

# Below this closeness a topic that names only some of a concept's key terms is not taken for the concept.
PARTIAL_KEY_MIN_SCORE = 0.25

# A concept that says its learner already programs ("kubernetes for developers", "rust for python programmers").
PROGRAMMER = re.compile(
    r"\bfor (\w+ )?(developers|programmers|software engineers|engineers|devs|coders)\b|"
    r"\b(i am|i'm|im|as) an? (\w+ )?(developer|programmer|software engineer)\b"
)
# A concept that says its learner already has software of their own to work on ("make my website load faster",
# "add search to my app"): they built it, so what it is built from is not taught again.
OWNER = re.compile(
    r"\b(my|our) (\w+ )?(website|site|web ?app|webapp|app|application|api|codebase|code|backend|frontend|program|"
    r"project|repo|repository|service|services)\b"
)

TRACK_WORDS = frozenset(
    "tech it software websites website web sites site pages page developer programmer coder "
    "engineer career careers role hired".split()
)


# Things learners build whose platform the graph does not teach, but whose foundations it does: (pattern, the topics
# that build toward it, the part left uncovered). A concept naming one is planned on those topics and labelled
# partial, with the platform-specific part said to be missing, instead of being refused.
BUILDS_TOWARD = [
    (
        re.compile(
            r"\b(?P<what>(?:(?:discord|telegram|slack|twitch|reddit|whatsapp|twitter|matrix|teams|chat) )?bots?)\b"
        ),
        ["python-async", "rest-api-fundamentals"],
        "the {what} platform itself: creating the bot and its token, the platform's own bot library, its commands "
        "and event handlers, and hosting the bot so it stays online",
    ),
    (
        re.compile(
            r"\b(?P<what>(?:chrome|firefox|browser|edge|safari|opera|brave) "
            r"(?:extensions?|add ?ons?|addons?|plugins?))\b"
        ),
        ["javascript-dom", "javascript-async", "browser-apis"],
        "the {what} platform itself: manifest.json (Manifest V3), popup and options pages, content scripts, the "
        "background service worker and messaging, permissions and the extension APIs, publishing to the store",
    ),
    (
        re.compile(
            r"\b(?P<what>(?:vs ?code|visual studio code|editor|ide|jetbrains|intellij|obsidian|figma|wordpress) "
            r"(?:extensions?|plugins?|add ?ons?))\b"
        ),
        ["typescript-basics", "javascript-async", "nodejs-and-express"],
        "the {what} API itself: the host's extension or plugin API, its manifest and activation, commands and "
        "contributions, and publishing to its marketplace",
    ),
]


def builds_toward(concept: str, g: TopicGraph, named_platform: bool = False) -> tuple[list[str], str] | None:
    """(the topics that build toward a thing the graph does not teach, what stays uncovered), else None. With
    `named_platform`, only for a thing named with its platform ("vs code extension", "twitch bot") that no topic of
    the graph names: its words alone ("extension", "vs code") would match something else."""
    text = normalise(concept)
    for pattern, slugs, uncovered in BUILDS_TOWARD:
        match = pattern.search(text)
        what = match.group("what") if match else ""
        if named_platform and (what in g.names or len(what.split()) < 2 or what.split()[0] == "chat"):
            continue
        if match and all(s in g.topics for s in slugs):
            return slugs, uncovered.format(what=match.group("what"))
    return None


# Audience words that say the learner works in software (what they know is taught elsewhere in the graph); any other
# qualifier of an audience ("network engineers", "public health researchers", "hr analysts") is a domain the plan
# must apply the subject to, or say it does not.
SOFTWARE_AUDIENCE = frozenset(
    """software web frontend front backend back end full stack fullstack data ml machine learning ai devops cloud
    platform site reliability sre qa test tests testing security mobile ios android game games embedded systems
    system database databases python java javascript js typescript react vue angular node go golang rust c c++ cpp
    c# django flask rails ruby php kotlin swift scala excel spreadsheet spreadsheets sql r""".split()
)
# Audiences that are no domain of their own ("for users", "for students").
PLAIN_AUDIENCE = frozenset(
    """user users people folks professional professionals student students developer developers programmer
    programmers dev devs coder coders engineer engineers scientist scientists analyst analysts""".split()
)


def audience_domain(who: str, kind: str) -> str:
    """The domain an audience works in, as said ("network engineers", "accountants"), or "" for a software
    audience, a beginner, or a plain one ("users")."""
    words = who.split()
    if kind == "beginner" or not words:
        return ""
    head = [w for w in words[:-1] if not _generic(w)]
    if any(w in SOFTWARE_AUDIENCE for w in head):
        return ""
    if not head and words[-1] in PLAIN_AUDIENCE:
        return ""
    return who


# What an audience outside software does with a subject, by the words of its name: research, analysis and engineering
# work is data analysis; any other profession's is everyday office work (files, spreadsheets, documents, reports).
RESEARCH_WORK = re.compile(
    r"(scien|research|biolog|chemi|physic|econom|statistic|epidemiolog|psycholog|geolog|ecolog|astronom|neuro|"
    r"genetic|analyst|sociolog|linguist|clinician|agronom|engineer)"
)
WORK_TEXT = {
    "research": (
        "data analysis statistics plotting",
        "research and analysis work (loading, analysing and plotting data)",
    ),
    "office": (
        "everyday office tasks spreadsheets excel csv documents reports files",
        "everyday office work (files, spreadsheets, documents and reports)",
    ),
}
WORK_MIN_SCORE = 0.3


def _work_of(domain: str) -> tuple[str, str]:
    return WORK_TEXT["research" if RESEARCH_WORK.search(domain) else "office"]


def _work_topic(g: TopicGraph, keys: list[str], domain: str, goals: "Goals") -> Topic | None:
    """The subject's topic that fits an audience's kind of work (Automating Everyday Tasks with Python for
    accountants, pandas for biologists): named by the subject's key terms, beyond what is already the goal."""
    if not keys:
        return None
    text = f"{' '.join(keys)} {_work_of(domain)[0]}"
    before = g.closure(goals.core)
    for m in g.match(text, limit=30):
        t = m.topic
        if m.score >= WORK_MIN_SCORE and not t.project and _named_by(t, keys) and t.slug not in before:
            return t
    return None


def _quote(text: str, limit: int = 80) -> str:
    """The learner's words, cut at a word boundary with an ellipsis when longer than `limit`."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _by_meaning(concept: str, g: TopicGraph, refused: UnknownConcept, notes: list[str]) -> Goals | None:
    """The goals for a concept whose words name no topic but whose meaning is one ("build a recommendation system"
    → Recommender Systems), through the shared retrieval engine's precise model; None when no topic is close enough
    (roadmaps/meaning.py says how the threshold was measured). The concept's words that do not say the topic in
    other words stay unknown terms, so the plan says what it does not teach ("haskell" in a functional-programming
    plan)."""
    from roadmaps.meaning import closest_topic, explained_terms  # loads the model on use
    from roadmaps.meaning import supports as _supports

    core = strip_filler(concept) or normalise(concept)
    keys, unknown = key_terms(concept, g)
    # A long sentence ("i want to compile some heavy code to webassembly so it runs faster") is also read as its
    # key terms alone, which its filler does not dilute; the closer reading wins.
    # So is its most specific key term the graph knows (the one naming the fewest topics: "webassembly", not
    # "faster" or "browser"), which a specific word outweighs generic ones for.
    naming = {
        k: sum(1 for t in g.topics.values() if _named_by(t, [k]))
        for k in keys
        if k not in unknown and k not in SPEED_WORDS
    }
    rarest = sorted((n, k) for k, n in naming.items() if n)[:1]
    first = closest_topic(core, g) if core else None
    whole_is_core = first is not None
    keyed = closest_topic(" ".join(keys), g) if keys and " ".join(keys) != core else None
    whole = [found for found in (first, keyed) if found]
    word = [found for _, k in rarest if k != core and (found := closest_topic(k, g))]
    # One word alone ("patterns") is no reading unless the whole concept is near its topic too; when it is, the
    # specific word outweighs the rest ("webassembly to speed up my web app" is WebAssembly, not web performance).
    supported = [w for w in word if _supports(core, w[0], g)]
    # Its key terms alone are a reading only when the whole request supports it too: "program reads customer emails
    # sorts categories" is near Sorting and Searching word by word, the sentence is not.
    whole = [w for i, w in enumerate(whole) if (i == 0 and whole_is_core) or _supports(core, w[0], g)]
    readings = supported or whole
    if not readings:
        return None
    topic, _ = max(readings, key=lambda r: (r[1], r[0].slug))
    try:
        goals = _choose_goals(topic.title, g, [])
    except UnknownConcept:  # pragma: no cover - a topic's own title always names it
        return None
    unknown = [t for t in (refused.unknown_terms or unknown) if not _generic(t)]
    explained = set(explained_terms(unknown, topic, g))
    # A word we do not know in the concept's subject, before what it is for or like ("salesforce development", not
    # "… for my bookshop" or "… like netflix"), is what was asked: its nearest topic would be a substitute.
    subject = re.split(r" (?:for|like|such as|so|because|at|with|to|in|on|from|using|via) ", f"{core} ", maxsplit=1)[0]
    if any(t in subject.split() for t in unknown if t not in explained):
        return None
    # A word we do not know that qualifies one we do ("knitting patterns", "graphic design", "elixir phoenix web")
    # names another kind of that thing: the nearest topic in meaning would be a substitute.
    if any(not _generic(head) for _, head in _qualified(core, [t for t in unknown if t not in explained])):
        return None
    goals.strategy = "meaning"
    goals.key_terms = [k for k in keys if k not in explained]
    goals.unknown_terms = [t for t in unknown if t not in explained]
    goals.matched = [topic.slug, *goals.matched]
    notes.append(f"“{_quote(concept)}” is read as {topic.title}, the topic we teach closest to it in meaning.")
    return goals


# A request of this many words or more is a sentence ("our postgres queries got really slow after the table
# hit a few million rows"): the words it shares with a topic's names can pick an incidental topic (PostgreSQL as a
# whole, Observability for "logged in"), so its meaning is also read.
SENTENCE_WORDS = 6
MEANING_MARGIN = 0.1  # the topic closest in meaning replaces the words' choice when this much closer


def _reread_by_meaning(concept: str, g: TopicGraph, goals: Goals, notes: list[str]) -> Goals:
    """The goals of a sentence-long request whose words chose a topic other than the one its meaning is closest to:
    the request (or one of its clauses) is at least MEANING_MIN close to a topic that carries one of its known key
    terms (in its names or tags), and the words' best goal topic is MEANING_MARGIN less close. Otherwise unchanged.
    Never for a request of few words, whose words are its meaning ("kubernetes security")."""
    from roadmaps.meaning import MEANING_MIN, closest_topics, topic_vectors

    known_keys = [k for k in goals.key_terms if k not in goals.unknown_terms]
    if goals.strategy not in ("named", "similar") or not known_keys or len(normalise(concept).split()) < SENTENCE_WORDS:
        return goals
    texts = [t for t in dict.fromkeys([concept, *re.split(r"\s*[,;.?!]\s*", concept)]) if len(t.split()) >= 3]
    best: tuple[float, str] | None = None
    for text in texts:
        for slug, cosine in closest_topics(text, g)[:3]:
            topic = g.topics[slug]
            if cosine >= MEANING_MIN and _shares_key(topic, known_keys) and (best is None or cosine > best[0]):
                best = (cosine, slug)
    if best is None or best[1] in goals.core:
        return goals
    from common.retrieval import embed_precise_texts

    queries = embed_precise_texts([normalise(t) for t in texts])
    vectors = topic_vectors(g, list(goals.core))
    words_best = max(float((vectors[c] @ queries.T).max()) for c in goals.core)
    if best[0] - words_best < MEANING_MARGIN:
        return goals
    topic = g.topics[best[1]]
    try:
        reread = _choose_goals(topic.title, g, [])
    except UnknownConcept:  # pragma: no cover - a topic's own title always names it
        return goals
    reread.strategy = "meaning"
    reread.key_terms = goals.key_terms
    reread.unknown_terms = goals.unknown_terms
    reread.matched = [topic.slug, *goals.matched]
    notes.append(
        f"“{_quote(concept)}” is read as {topic.title}, the topic closest to it in meaning "
        f"(its words alone pointed to {_join([g.topics[c].title for c in goals.core], 3)})."
    )
    return reread


def choose_goals(concept: str, g: TopicGraph | None = None) -> Goals:
    """The goal topics for a concept (a vague goal read as a track, the reading in `assumptions`). Raises
    UnknownConcept (with suggestions) when the graph does not teach it."""
    g = g or graph()
    notes: list[str] = []
    move = career_goal(concept)
    if move:
        goal, source = move
        notes.append(
            f"“{concept.strip()[:80]}” is read as a move into {goal}"
            + (f"; what you bring from {source} is not taught here." if source else ".")
        )
        concept = goal
    concept, who, kind = split_audience(concept, g)
    early = builds_toward(concept, g, named_platform=True)
    toward: tuple[list[str], str] | None = None
    try:
        if early:
            raise UnknownConcept(concept)
        goals = _choose_goals(concept, g, notes)
        goals = _reread_by_meaning(concept, g, goals, notes)
    except UnknownConcept as exc:
        toward = early or builds_toward(concept, g)
        toward_unknown = exc.unknown_terms
        if not toward:
            meant = _by_meaning(concept, g, exc, notes)
            if meant is None:
                raise
            goals = meant
            toward = None
    if toward:
        slugs, uncovered = toward
        keys, unknown = key_terms(concept, g)
        goals = Goals(dict.fromkeys(slugs, 1.0), list(slugs), "toward", [], toward_unknown or unknown, keys)
        goals.uncovered.append(f"{uncovered} (learn it from the platform's own documentation once this plan is done)")
    goals.assumptions = notes
    domain = audience_domain(who, kind) if who else ""
    if who:
        goals.audience = f"for {who}"
        goals.audience_programs = kind == "programs" and not domain
        goals.audience_beginner = kind == "beginner"
        goals.audience_domain = domain
        goals.audience_known = [s for s in _audience_topics(g, who) if s not in goals.core]
        stack = _frameworks(who.split())
        if stack:  # "typescript for react developers": no Angular
            goals.relevance = {
                s: r for s, r in goals.relevance.items() if s in goals.core or not _other_stack(g.topics[s], stack)
            }
        # The topic named by both what is asked and who asks ("React with TypeScript" for "typescript for react
        # developers", "Network Automation with Python" for "python for network engineers") is the goal itself.
        keys = [k for k in goals.key_terms if k not in goals.unknown_terms]
        mine = [w for w in who.split()[:-1] if not _generic(w)]
        both = sorted(
            (
                t
                for t in g.topics.values()
                if not t.project and keys and mine and _named_by(t, keys) and _named_by(t, mine)
            ),
            key=lambda t: (g.depth[t.slug], t.slug),
        )
        if both and both[0].slug not in goals.core and (kind == "programs" or domain):
            goals.core.append(both[0].slug)
            goals.relevance[both[0].slug] = 1.0
            if domain:  # the rest of that work's own area comes before more of the general subject
                for t in g.topics.values():
                    if t.area == both[0].area and t.slug != both[0].slug:
                        goals.relevance[t.slug] = max(goals.relevance.get(t.slug, 0.0), 0.95)
        fit = _work_topic(g, keys, domain, goals) if domain and not goals.audience_known and not both else None
        if fit:
            # "python for accountants": the subject's topic for that kind of work is the goal, not the subject alone.
            goals.core.append(fit.slug)
            goals.relevance[fit.slug] = 1.0
            goals.assumptions.append(
                f"“for {who}” is read as {_work_of(domain)[1]}: the plan ends with {fit.title}, which applies "
                "the subject to it. Ask for a specific task if your work needs something else."
            )
            # still partial: that kind of work is taught, the field's own tools and data are not
            goals.uncovered.append(f"the tools and data particular to {domain}, beyond {_work_of(domain)[1]}")
        elif domain and not goals.audience_known and not both:
            # "R for public health researchers": the subject is taught in general; its use in that work is not.
            goals.uncovered.append(f"applying it to the work of {domain} (their own tools, data and everyday tasks)")
    goals.stack = _frameworks([k for k in goals.key_terms if k not in goals.unknown_terms] + who.split())
    return goals


# --- the learner ----------------------------------------------------------------------------------------------------


def assumed_known(goals: dict[str, float], level: str | None, g: TopicGraph) -> set[str]:
    """Topics a learner at `level` is taken to know already: easier topics outside the goals' areas (an intermediate
    learner asking for Django is not taught what a variable is). Beginners (the default) are assumed to know nothing."""
    rank = DIFFICULTY_RANK.get(level or "beginner", 0)
    if rank == 0:
        return set()
    areas = {g.topics[s].area for s in goals}
    return {
        slug
        for slug, topic in g.topics.items()
        if topic.area not in areas and DIFFICULTY_RANK[topic.difficulty] < rank and slug not in goals
    }


def resolve_topics(names: list[str] | tuple[str, ...], g: TopicGraph | None = None) -> set[str]:
    """Topic slugs for ids or names as a learner gives them ("python-basics", "Python Basics", "git")."""
    g = g or graph()
    found: set[str] = set()
    for name in names:
        key = normalise(str(name))
        if str(name) in g.topics:
            found.add(str(name))
        elif key in g.names:
            found.add(g.names[key])
    return found


# --- budget ---------------------------------------------------------------------------------------------------------


def _total(g: TopicGraph, slugs: set[str] | list[str]) -> int:
    return sum(g.topics[s].base_hours for s in slugs)


def _closure(g: TopicGraph, slugs: list[str], known: set[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(slugs)
    while stack:
        slug = stack.pop()
        if slug in seen or slug in known:
            continue
        seen.add(slug)
        stack.extend(g.topics[slug].prerequisites)
    return seen


def _min_hours(g: TopicGraph, slugs: set[str]) -> int:
    # A project can shrink a little further (a smaller version of it) before the goal's topics do.
    return sum(
        max(1, math.ceil(g.topics[s].base_hours * (PROJECT_MIN_SCALE if g.topics[s].project else MIN_SCALE)))
        for s in slugs
    )


def _crash_min(g: TopicGraph, slugs: set[str], budget_hours: int, squeeze: bool = False) -> int:
    """A crash course's smallest size: a share of its topics' hours (less is a list of names, not a course). Only
    when nothing else keeps the goal is it squeezed to a share of the plan, and the plan then says so."""
    if not slugs:
        return 0
    least = math.ceil(_total(g, slugs) * CRASH_MIN)
    return max(1, min(least, math.ceil(budget_hours * (CRASH_BUDGET_MIN if squeeze else CRASH_BUDGET_MAX))))


def _crash_max(g: TopicGraph, slugs: set[str], budget_hours: int) -> int:
    return max(1, min(int(_total(g, slugs) * CRASH_MAX), int(budget_hours * CRASH_BUDGET_MAX)))


def choose_project(
    g: TopicGraph, core: list[str], known: set[str], keys: list[str] = (), stack: set[str] = frozenset()
) -> str | None:
    """The goal's project: a project topic built on a core topic, same area first, the fewest extra hours, and not
    named by a language or framework the goal does not name."""
    if any(g.topics[c].project for c in core):
        return None
    mine = _ecosystems({w for c in core for w in _names_of(g.topics[c])} | {f for k in keys for f in _variants(k)})
    areas = {g.topics[c].area for c in core}
    base = _closure(g, core, known)
    language_goal = any(w in LANGUAGES for c in core for w in _names_of(g.topics[c]))
    candidates = []
    for topic in g.topics.values():
        if not topic.project or topic.slug in known:
            continue
        closure = g.closure([topic.slug])
        theirs = _ecosystems(_names_of(topic))
        if not any(c in closure for c in core) or (theirs and mine and not theirs & mine) or _other_stack(topic, stack):
            continue  # built on the core but in another stack: no Django project for "node.js backend"
        foreign = bool(
            _frameworks(_names_of(topic)) - {f for c in core for f in _frameworks(_names_of(g.topics[c]))} - stack
        )
        if foreign and language_goal:
            continue  # a framework nobody asked for (an Angular app for "typescript") is a subject of its own
        extra = _total(g, _closure(g, [topic.slug], known) - base)
        # Far from the goal (a CI/CD pipeline for "git"): only when nothing nearer is built on the core, and then it
        # is bought only when the budget has room for it (else the plan says it does not fit).
        far = extra > max(10, 2 * _total(g, base))
        built_on = sum(c in closure for c in core)
        # Another area's project (a Flutter app for "backend development") only when the goal's own area has none.
        candidates.append((topic.area not in areas, foreign, far, -built_on, topic.optional, extra, topic.slug))
    return min(candidates)[-1] if candidates else None


@dataclass
class Fit:
    steps: list[str]  # topics taught as their own steps, topological order
    hours: dict[str, int]
    crash: list[str]  # topics condensed into the crash course (topological order)
    crash_hours: int
    metadata: dict[str, Any]


def _split(g: TopicGraph, slugs: set[str], areas: set[str], keys: list[str] = ()) -> tuple[set[str], set[str]]:
    """(topics of the goal's areas or named by its key terms, the foundations from elsewhere): Git Basics is no
    foundation to condense in "git and github" even though the graph files it under devops."""
    keys = [k for k in keys if k in LANGUAGES or _key_areas(g, k) <= COMMON_KEY_AREAS]
    inside = {s for s in slugs if g.topics[s].area in areas or (keys and _named_by(g.topics[s], list(keys)))}
    return inside, slugs - inside


# A word that names topics in more areas than this ("data": Variables and Data Types, Data Cleaning, Big Data …)
# says too little to make a foundation part of the goal ("become a data scientist" still condenses Python's basics).
COMMON_KEY_AREAS = 8


def _key_areas(g: TopicGraph, key: str) -> int:
    cache = g.__dict__.setdefault("_planner_key_areas", {})
    if key not in cache:
        cache[key] = len({t.area for t in g.topics.values() if _named_by(t, [key])})
    return cache[key]


def _lift(g: TopicGraph, steps: set[str], found: set[str]) -> tuple[set[str], set[str]]:
    """A crash course comes first, so it may only condense what the plan's steps build on: a foundation that itself
    builds on a step (SQL Joins on SQL Basics, Excel Formulas on Spreadsheet Basics) is taught as a step after it."""
    steps, found = set(steps), set(found)
    moved = True
    while moved:
        lifted = {f for f in found if (g.closure([f]) - {f}) & steps}
        moved = bool(lifted)
        steps |= lifted
        found -= lifted
    return steps, found


def fit_budget(goals: Goals, budget: Budget, g: TopicGraph, known: set[str]) -> Fit:
    """Goal first: the core (and its in-area prerequisites) and the project are bought first, the foundations from
    other areas next (as steps, else condensed into a crash course), other goal topics last while they fit."""
    H = budget.hours
    core = [c for c in goals.core if c not in known] or list(goals.core)
    areas = {g.topics[c].area for c in core}
    keys = [k for k in goals.key_terms if k not in goals.unknown_terms]
    project = choose_project(g, core, known, keys, goals.stack)
    if project and goals.unknown_terms and g.topics[project].area not in areas:
        # A partial plan teaches what transfers to a subject we do not teach: another area's project (a system
        # design case study for "hack wifi networks") would present a third subject as the outcome.
        project = None
    core_need = _closure(g, core, known) | set(core)
    core_area, core_found = _split(g, core_need, areas, keys)
    options: list[tuple[str, set[str], set[str]]] = []  # (label, steps, foundations)
    if project:
        project_need = _closure(g, [project], known) - core_need
        project_area, project_found = _split(g, project_need, areas | {g.topics[project].area}, keys)
        with_project = core_area | project_area
        options.append(("project", with_project, core_found | project_found))
        condensed = core_found | project_found | (project_area - {project})
        options.append(("project-condensed", core_area | {project}, condensed))
    options.append(("core", core_area, core_found))
    # The goal's direct prerequisites named by its key terms (React Fundamentals for React hooks, Jac Walkers for
    # walker patterns) stay steps while the rest is condensed; only when even that does not fit are they condensed.
    named = {s for s in core_area - set(core) if keys and _named_by(g.topics[s], keys)}
    # So does a framework's own language (TypeScript for Angular, Swift for SwiftUI): no crash course reviews a
    # language the learner has never written.
    # Only where the learner enters the framework (Angular Basics, not React hooks after React Fundamentals).
    entries = [
        c for c in core
        if (fw := _frameworks(_names_of(g.topics[c])))
        and not any(_frameworks(_names_of(g.topics[p])) & fw for p in g.closure([c]) - {c})
    ]  # fmt: skip
    named |= {
        p for c in entries for p in g.topics[c].prerequisites
        if p in core_area and p not in known and any(w in LANGUAGES for w in _names_of(g.topics[p]))
    }  # fmt: skip
    direct = {p for c in core for p in g.topics[c].prerequisites if p in named}
    # The language the goal's stack is written in (Java for Spring Boot) is part of the goal, not a prerequisite to
    # condense.
    stack_of_goal = _ecosystems({w for c in core for w in _names_of(g.topics[c])} | set(keys))
    # Only where the learner enters the framework (Spring Boot, not React hooks after React Fundamentals).
    way = (core_area | (project_area if project else set())) & g.closure(entries)
    named |= {
        s for s in way
        if s not in known and not g.topics[s].project and any(w in LANGUAGES for w in _names_of(g.topics[s]))
        and _ecosystems(_names_of(g.topics[s])) & stack_of_goal and not _frameworks(_names_of(g.topics[s]))
    }  # fmt: skip
    if project and g.topics[project].area in areas and keys and _named_by(g.topics[project], keys):
        # The project of the subject the learner named (a Godot game for "godot"; not a portfolio site for
        # "accessibility") with the goal and what names it as steps, every other prerequisite condensed: before the
        # options without the project (a condensed way to it beats no project).
        keyed = set(core) | named | {project}
        rest = (core_found | project_found | core_area | project_area) - keyed
        options.insert(2, ("project-keyed", keyed, rest))
    for label, keyed in (("core-keyed", set(core) | named), ("core-keyed-direct", set(core) | direct)):
        if keyed != set(core) and all(label != o[0] for o in options) and (label == "core-keyed" or direct != named):
            options.append((label, keyed, core_found | (core_area - keyed)))
    options.append(("core-condensed", set(core), core_found | (core_area - set(core))))
    options = [(label, *_lift(g, steps, found)) for label, steps, found in options]
    chosen = None
    squeezed = False
    # The goal's project is kept where the graph has one: with a real crash course, else with a squeezed one (the
    # plan then says so and suggests a duration); only then are the options without the project tried, the same way.
    with_project = [o for o in options if o[0].startswith("project")]
    without = [o for o in options if not o[0].startswith("project")]
    passes = [(with_project, False), (with_project, True), (without, False), (without, True)]
    # Goal first: the topics that are not the goal itself (prerequisites, in its area or not) take at most
    # PREREQ_SHARE of the plan as their own steps; past that the next, more condensed option is taken.
    goal_set = set(core) | named | ({project} if project else set())
    goal_set |= {s for s, r in goals.relevance.items() if r >= GOAL_RELEVANCE}

    def prereq_heavy(taught: set[str]) -> bool:
        return _total(g, taught - goal_set) > PREREQ_SHARE * H

    for group, squeeze in passes:
        for label, steps, found in group:
            steps_min = _min_hours(g, steps)
            if (
                steps_min + _min_hours(g, found) <= H
                and _total(g, found) <= FOUNDATION_SHARE * H
                and not prereq_heavy(steps | found)
            ):
                chosen = (label, steps | found, set(), False)
                break
            if steps_min + _crash_min(g, found, H, squeeze) <= H and not prereq_heavy(steps):
                chosen = (label, steps, found, False)
                break
        if chosen:
            break
    ideal = options[0]
    ideal_hours = _min_hours(g, ideal[1]) + (math.ceil(_total(g, ideal[2]) * CRASH_MIN) if ideal[2] else 0)
    if chosen is None:
        chosen = ("too-small", *_lift(g, set(core), core_need - set(core)), True)
    label, step_set, crash_set, too_small = chosen
    # Enrichment: other goal topics (and their prerequisites) as steps while everything still fits.
    trimmed: list[str] = []
    if not too_small:
        # Beside a crash course too: what it condenses is not taught twice, and its smallest size stays reserved.
        nodes = set(step_set)
        reserve = _crash_min(g, crash_set, H, squeeze)
        depth = 0
        if goals.strategy in ("named", "meaning"):
            # A named goal gets its depth (up to MAX_SCALE of its hours) before neighbouring topics fill the weeks:
            # more window functions, not Transactions and Indexing, for "sql window functions".
            depth = sum(
                round(g.topics[c].base_hours * MAX_SCALE) - g.topics[c].base_hours
                for c in core
                if c in step_set and not g.topics[c].project
            )
        remaining = {s: r for s, r in goals.relevance.items() if s not in nodes | crash_set and s not in known}
        if project and project not in nodes:
            # The project does not fit, but the way to it is the curriculum: its prerequisites come before other
            # goal topics (Django and its ORM for "backend developer", not Redis and GraphQL).
            path = {s for s in _closure(g, [project], known) if g.topics[s].area in areas}
            remaining = {s: r + (0.1 if s in path else 0) for s, r in remaining.items()}
        closures = {s: _closure(g, [s], known) - crash_set for s in remaining}
        while remaining:
            scores = {s: (-(r - 0.004 * _total(g, closures[s] - nodes)), g.depth[s], s) for s, r in remaining.items()}
            best = min(scores, key=scores.__getitem__)
            # A named goal's neighbours come at their own length, never by squeezing every step to fit more of them.
            on_way = project is not None and (best == project or best in g.closure([project]))
            loose = (
                goals.strategy in ("named", "meaning") and not on_way and not (keys and _named_by(g.topics[best], keys))
            )
            variants = [(nodes | closures[best], crash_set)]
            _, more = _split(g, closures[best] - nodes - {best}, areas, keys)
            if more and (crash_set or _total(g, _split(g, nodes | more, areas, keys)[1]) > FOUNDATION_SHARE * H):
                # The foundations a further goal topic needs from other areas join the crash course (NumPy's Python
                # data structures for "become a data scientist"; Linux and networks for Docker in "devops") once
                # there is one, or once as steps they would take more than their share, rather than the goal's
                # hours; as steps only when the course would grow past a real course's share of the plan.
                joined = _lift(g, nodes | closures[best] - more, crash_set | more)
                if _total(g, joined[1]) * CRASH_MIN <= CRASH_BUDGET_MAX * H:
                    variants.insert(0, joined)
            for candidate, candidate_crash in variants:
                need = _total(g, candidate) + depth if loose else _min_hours(g, candidate)
                need_reserve = reserve if candidate_crash is crash_set else _crash_min(g, candidate_crash, H, squeeze)
                if need + need_reserve <= H and not prereq_heavy(candidate):
                    nodes, crash_set, reserve = candidate, candidate_crash, need_reserve
                    closures = {s: c - crash_set for s, c in closures.items()}
                    break
            else:
                trimmed.append(best)
            del remaining[best]
        step_set = nodes
    else:
        trimmed = [s for s in goals.relevance if s not in step_set and s not in crash_set and s not in known]
    if project and project not in step_set and project not in trimmed:
        trimmed.insert(0, project)
    ordered = g.topological(step_set)
    crash_order = g.topological(crash_set) if crash_set else []
    # Hours: the crash course gets what the steps leave (within its bounds), the steps are scaled to the rest.
    base_steps = _total(g, step_set)
    if crash_set:
        low = _crash_min(g, crash_set, H, squeeze)
        high = max(low, _crash_max(g, crash_set, H))
        crash_hours = max(low, min(high, H - base_steps, H - _min_hours(g, step_set)))
        # Less than CRASH_MIN of its topics' hours is a review, not a course: the plan says so.
        squeezed = not too_small and crash_hours < math.ceil(_total(g, crash_set) * CRASH_MIN)
        if too_small:
            crash_hours = 1 if H >= len(ordered) + 1 else 0
            if not crash_hours:
                crash_order = []
    else:
        crash_hours = 0
    room = H - crash_hours
    if too_small:
        factor = min(MAX_SCALE, room / base_steps) if base_steps else 1.0
    else:
        factor = min(MAX_SCALE, max(MIN_SCALE, room / base_steps)) if base_steps else 1.0
    hours = {
        s: max(1, min(round(g.topics[s].base_hours * factor), round(g.topics[s].base_hours * MAX_SCALE)))
        for s in ordered
    }
    if factor > 1:
        # Spare hours go to the goal first (more Docker, not more Linux), then to the rest, one hour at a time.
        hours = {s: g.topics[s].base_hours for s in ordered}
        spare = room - sum(hours.values())
        named_steps = [s for s in ordered if s not in core and keys and _named_by(g.topics[s], keys)]
        first = [s for s in ordered if s in core]
        for group in (first, named_steps, [s for s in ordered if s not in first and s not in named_steps]):
            while spare > 0:
                grew = False
                for s in group:
                    if spare > 0 and hours[s] < round(g.topics[s].base_hours * MAX_SCALE):
                        hours[s] += 1
                        spare -= 1
                        grew = True
                if not grew:
                    break
    if factor < 1 and not too_small:
        # Short of time the goal keeps its own hours first (Docker, not Linux): hours move to the goal's topics from
        # the steps on the way, which keep at least their shortest sensible length.
        goal_steps = [s for s in ordered if s in core]
        floor = {s: max(1, math.ceil(g.topics[s].base_hours * MIN_SCALE)) for s in ordered if s not in core}
        while True:
            short = [s for s in goal_steps if hours[s] < g.topics[s].base_hours]
            spare_from = [s for s in floor if hours[s] > floor[s]]
            if not short or not spare_from:
                break
            giver = max(spare_from, key=lambda s: (hours[s] - floor[s], s))
            hours[giver] -= 1
            hours[min(short, key=lambda s: (hours[s] / g.topics[s].base_hours, s))] += 1
    while sum(hours.values()) > room and any(h > 1 for h in hours.values()):
        largest = max(hours, key=lambda s: (hours[s] - (100 if s in core else 0), s))
        hours[largest] -= 1
    while sum(hours.values()) > room and len(ordered) > 1:  # a one-hour-per-topic plan still too long
        dropped = next(s for s in reversed(ordered) if s not in core[:1])
        ordered.remove(dropped)
        trimmed.append(dropped)
        del hours[dropped]
    suggested = None
    if too_small or label != ideal[0] or squeezed:
        suggested = max(budget.weeks + 1, math.ceil(ideal_hours / budget.hours_per_week))
    return Fit(
        steps=ordered,
        hours=hours,
        crash=crash_order,
        crash_hours=crash_hours,
        metadata={
            "trimmed_topics": [g.topics[s].title for s in trimmed],
            "assumed_known": sorted(g.topics[s].title for s in known & g.closure(list(goals.relevance))),
            "hours_scale": round(factor, 3),
            "goal_reached": not too_small,
            "goal_topics": [g.topics[c].title for c in core],
            "goal_project": g.topics[project].title if project else None,
            "project_included": bool(project and project in ordered),
            "crash_course": [g.topics[s].title for s in crash_order],
            "suggested_duration_weeks": suggested,
            "fit": label,
            "crash_squeezed": squeezed,
        },
    )


# --- weeks ----------------------------------------------------------------------------------------------------------


def _pack(steps: list[PlannedStep], budget: Budget, min_fragment: int) -> list[PlannedStep]:
    capacity = budget.hours_per_week
    slack = WEEK_SLACK * capacity
    packed: list[PlannedStep] = []
    renamed: dict[str, str] = {}
    week, load = 1, 0
    for step in steps:
        remaining = step.estimated_hours
        chunks: list[tuple[int, int]] = []
        while remaining > 0:
            room = capacity - load
            if room <= 0:
                week, load = week + 1, 0
                continue
            if remaining <= room or load + remaining <= slack:
                chunks.append((week, remaining))
                load += remaining
                remaining = 0
            elif room >= min_fragment or load == 0:
                chunks.append((week, room))
                load += room
                remaining -= room
            else:
                week, load = week + 1, 0
        previous_key = None
        for index, (chunk_week, chunk_hours) in enumerate(chunks, start=1):
            key = step.key if len(chunks) == 1 else f"{step.key}#{index}"
            title = step.title if len(chunks) == 1 else f"{step.title} (part {index} of {len(chunks)})"
            prereqs = [renamed.get(p, p) for p in step.prerequisites] if index == 1 else [previous_key]
            packed.append(
                PlannedStep(
                    key=key,
                    title=title,
                    description=step.description,
                    difficulty=step.difficulty,
                    estimated_hours=chunk_hours,
                    week=chunk_week,
                    prerequisites=prereqs,
                    tags=step.tags,
                    topic_slug=step.topic_slug,
                    is_project=step.is_project,
                    part=index,
                    parts=len(chunks),
                    outcomes=step.outcomes,
                    check=step.check,
                    covers=step.covers,
                )
            )
            previous_key = key
        if len(chunks) > 1:
            renamed[step.key] = previous_key  # later steps depend on the whole topic: its last part
    for index, step in enumerate(packed):
        step.order_index = index
    return packed


def pack_weeks(steps: list[PlannedStep], budget: Budget) -> list[PlannedStep]:
    """Lay steps on a timeline of `hours_per_week` per week, splitting a step at a week boundary unless the rest fits
    in the week's 25% slack. Small leftovers of a week are skipped rather than cut into 1-hour parts, as long as the
    plan still fits its weeks; split parts depend on the part before them."""
    tidy = _pack(steps, budget, min_fragment=max(2, budget.hours_per_week // 3))
    if tidy and tidy[-1].week <= budget.weeks:
        return tidy
    return _pack(steps, budget, min_fragment=1)


# --- plan -----------------------------------------------------------------------------------------------------------


def _join(titles: list[str], limit: int = 5) -> str:
    shown = titles[:limit]
    more = f" and {len(titles) - limit} more" if len(titles) > limit else ""
    if len(shown) == 1:
        return shown[0] + more
    return (", ".join(shown[:-1]) + (", " if more else " and ") + shown[-1] + more) if shown else ""


def _crash_step(g: TopicGraph, slugs: list[str], hours: int, focus: set[str] = frozenset()) -> PlannedStep:
    checks = [g.topics[s].check for s in slugs if g.topics[s].check]  # the most foundational topic's check
    # The goal's own language or tool (Rust Basics in "Rust async") leads the title, the outcomes and the search.
    slugs = [s for s in slugs if s in focus] + [s for s in slugs if s not in focus]
    titles = [g.topics[s].title for s in slugs]
    outcomes = [g.topics[s].outcomes[0] for s in slugs if g.topics[s].outcomes][:4]
    levels = [g.topics[s].difficulty for s in slugs]
    hardest = max(set(levels), key=lambda d: (levels.count(d), -DIFFICULTY_RANK[d]))  # the usual level of its topics
    return PlannedStep(
        key=CRASH_KEY,
        title=f"Crash course: {_join(titles, 3)}"[:255],
        description=(
            f"A condensed pass over the foundations the goal builds on — {_join(titles, 8)} — in {hours} h instead "
            f"of about {_total(g, slugs)} h: learn just enough of each to follow the next steps, and come back to "
            "the one you need when a later step gets hard."
        ),
        difficulty=hardest,
        estimated_hours=hours,
        tags=sorted({g.topics[s].area for s in slugs}),
        outcomes=outcomes,
        check=checks[0] if checks else "",
        covers=list(slugs),
    )


def _level_assumption(
    goals: Goals, g: TopicGraph, known: set[str], taught: set[str], difficulty: str | None
) -> list[str]:
    if difficulty:
        return []
    would_skip = assumed_known(goals.relevance, "intermediate", g) & taught
    if not would_skip:
        return []
    titles = sorted(g.topics[s].title for s in would_skip)
    return [
        f"No level was given, so we assumed you are new to this and included {_join(titles, 4)}. If you already "
        "know them, ask again with preferences.difficulty set to intermediate or advanced, or list them in "
        "preferences.known_topics, and the time goes to the goal instead."
    ]


def _subject_names(g: TopicGraph) -> frozenset[str]:
    cached = getattr(g, "_planner_subject_names", None)
    if cached is None:
        cached = frozenset(g.names) | frozenset(normalise(a) for a in g.areas)
        g._planner_subject_names = cached  # type: ignore[attr-defined]
    return cached


def _subject_words(g: TopicGraph) -> frozenset[str]:
    cached = getattr(g, "_planner_subject_words", None)
    if cached is None:
        cached = frozenset(w for w in _vocabulary(g) if not _generic(w) and len(w) > 1)
        g._planner_subject_words = cached  # type: ignore[attr-defined]
    return cached


def plan_roadmap(
    concept: str,
    budget: Budget,
    *,
    difficulty: str | None = None,
    known_topics: set[str] | frozenset[str] = frozenset(),
) -> Plan:
    """The planner's roadmap for `concept` within `budget` for a learner at `difficulty` who knows `known_topics`
    (slugs; their prerequisites are taken as known too). Raises UnknownConcept when the graph does not teach it."""
    g = graph()
    said_as, said = said_known(concept, g)
    # The request without what the sentence says about the learner, their deadline or the learning's purpose: only
    # the request's words choose the goal or count as terms we do not teach ("bootcamp grad", "before an audit").
    # The sentence is cut into clauses as written (what the learner knows is read from all of it), then what the
    # request itself says they know is taken out of it ("llm apps with rag, knows python").
    phrase = key_phrase(concept, _subject_names(g), _subject_words(g))
    request = said_known(phrase.text, g)[0] if phrase.changed else said_as
    goals = choose_goals(request, g)
    if phrase.changed:
        goals.assumptions.insert(
            0,
            f"Read as a request for “{_quote(request)}”; "
            f"{_join([f'“{_quote(c, 50)}”' for c in phrase.context], 4)} "
            f"{'is' if len(phrase.context) == 1 else 'are'} taken as context about you, not as subjects to teach.",
        )
    if difficulty == "advanced":
        # An advanced learner wants the advanced material kept first when trimming.
        goals.relevance = {
            s: r + (0.1 if g.topics[s].difficulty == "advanced" else 0) for s, r in goals.relevance.items()
        }
    learner_known = g.closure(list(known_topics)) if known_topics else set()
    level = difficulty
    level_note: list[str] = []
    audience_known = g.closure(goals.audience_known) - set(goals.core) - learner_known
    if audience_known:
        # "typescript for react developers": React is what the learner already knows, not a second goal.
        learner_known |= audience_known
        level_note.append(
            f"“{goals.audience}” says you already know {_join([g.topics[s].title for s in goals.audience_known], 3)}:"
            " it is not taught again. If you do not, ask for it first."
        )
    if said:
        # "graphql api in node, i know express already": what they said they know is no goal of its own, while
        # something else is left to teach.
        named_known = {g.names[k.name] for k in said if k.name in g.names}
        if [c for c in goals.core if c not in named_known]:
            goals.core = [c for c in goals.core if c not in named_known]
    said_slugs = set().union(*(k.slugs for k in said)) - set(goals.core) - learner_known if said else set()
    if said:
        # "i already know python", "coming from react": what they said they know (and what it implies) is not
        # taught again, and those words are no part of the goal.
        learner_known |= said_slugs
        level_note.append(
            f"You said you know {_join([k.name for k in said], 4)}: we did not include what that covers"
            + (
                f" ({_join(sorted(g.topics[s].title for s in said_slugs & g.closure(list(goals.relevance))), 4)})"
                if said_slugs & g.closure(list(goals.relevance))
                else ""
            )
            + ". If you are new to any of it, list only what you know in preferences.known_topics."
        )
    knows_language = any(k.name in LANGUAGES or k.name in g.areas for k in said) or any(
        w in LANGUAGES for s in known_topics for w in _names_of(g.topics[s]) if s in g.topics
    )
    # "for network engineers" names a field of work, not programming: nothing is assumed from it.
    says_programs = (
        None
        if goals.audience_domain
        else PROGRAMMER.search(normalise(concept))
        or (re.search(re.escape(goals.audience), normalise(concept)) if goals.audience_programs else None)
    )
    advanced = bool(goals.core) and all(g.topics[c].difficulty == "advanced" for c in goals.core)
    if goals.audience_beginner:
        advanced = False  # "penetration testing for beginners": nothing is assumed
    if difficulty is None and (advanced or says_programs or knows_language):
        # Whoever asks for async Rust by name, or "kubernetes for developers", already programs: general
        # foundations are not taught again.
        skipped = (assumed_known(goals.relevance, "intermediate", g) & g.closure(goals.core)) - learner_known
        if skipped:
            level = "intermediate"
            titles = sorted(g.topics[s].title for s in skipped)
            reason = (
                f"“{says_programs.group(0)}” says you already program"
                if says_programs
                else "You know a programming language, so we assumed you already program"
                if knows_language and not advanced
                else f"{_join([g.topics[c].title for c in goals.core])} is an advanced topic, so we assumed you "
                "already program"
            )
            level_note.append(
                f"{reason}: we did not include {_join(titles, 4)}. If you are new to programming, ask again with "
                "preferences.difficulty set to beginner and they are taught first."
            )
    owner = OWNER.search(normalise(concept)) if difficulty is None and not goals.audience_beginner else None
    if owner:
        keys = [k for k in goals.key_terms if k not in goals.unknown_terms]
        built = {
            s for s in g.closure(goals.core) - set(goals.core) - learner_known
            if g.topics[s].difficulty == "beginner" and not (keys and _named_by(g.topics[s], keys))
        }  # fmt: skip
        if built:
            learner_known |= built
            level = level or "intermediate"
            level_note = [n for n in level_note if "already program" not in n]
            level_note.append(
                f"“{owner.group(0)}” says you already built it: we did not include "
                f"{_join(sorted(g.topics[s].title for s in built), 4)}. If you are new to them, ask again with "
                "preferences.difficulty set to beginner and they are taught first."
            )
    known = (assumed_known(goals.relevance, level, g) | learner_known) - set(goals.core)
    fit = fit_budget(goals, budget, g, known)
    present = set(fit.steps)
    crash_set = set(fit.crash)
    steps: list[PlannedStep] = []
    if fit.crash and fit.crash_hours:
        keys = [k for k in goals.key_terms if k not in goals.unknown_terms]
        focus = {s for s in fit.crash if keys and _named_by(g.topics[s], keys)}
        steps.append(_crash_step(g, fit.crash, fit.crash_hours, focus))
    for slug in fit.steps:
        topic = g.topics[slug]
        prereqs = [p for p in topic.prerequisites if p in present]
        if steps and steps[0].key == CRASH_KEY and any(p in crash_set for p in g.closure([slug]) - {slug}):
            prereqs.insert(0, CRASH_KEY)
        steps.append(
            PlannedStep(
                key=slug,
                title=topic.title,
                description=topic.description,
                difficulty=topic.difficulty,
                estimated_hours=fit.hours[slug],
                prerequisites=prereqs,
                tags=list(topic.tags),
                topic_slug=slug,
                is_project=topic.project,
                outcomes=list(topic.outcomes),
                check=topic.check,
            )
        )
    steps = pack_weeks(steps, budget)
    meta = fit.metadata
    goal_titles = meta["goal_topics"]
    unknown = [w for w in goals.unknown_terms]
    name = concept.strip()[:150]
    parts: list[str] = list(goals.assumptions)
    if unknown:
        parts.append(
            f"We do not teach {_join([f'“{w}”' for w in unknown])} yet, so this is a partial roadmap: it covers "
            f"what we do teach that transfers — {_join(goal_titles)}."
        )
    if goals.uncovered:
        parts.append(
            ("Not covered" if unknown else "This is a partial roadmap. Not covered")
            + f": {'; '.join(goals.uncovered)}."
        )
    if fit.metadata["goal_reached"]:
        parts.append(
            f"A {budget.weeks}-week plan at about {budget.hours_per_week} hours a week for {_join(goal_titles)}"
            + (f", ending with the project “{meta['goal_project']}”." if meta["project_included"] else ".")
        )
        if fit.crash and fit.crash_hours:
            parts.append(
                f"The foundations you need ({_join(meta['crash_course'], 4)}) are condensed into a "
                f"{fit.crash_hours}-hour crash course at the start"
                + (": a quick review that is too short to learn them from scratch." if meta["crash_squeezed"] else ".")
            )
        if meta["goal_project"] and not meta["project_included"]:
            parts.append(f"The project “{meta['goal_project']}” does not fit in this time.")
    else:
        parts.append(
            f"{budget.weeks} weeks at {budget.hours_per_week} hours a week is too little to learn "
            f"{_join(goal_titles)} properly: it needs about {budget.hours_per_week * meta['suggested_duration_weeks']}"
            f" hours. This plan is a first taste of the goal itself, not its foundations."
        )
        if meta["goal_project"]:
            parts.append(f"The project “{meta['goal_project']}” does not fit in this time.")
    if meta["suggested_duration_weeks"]:
        parts.append(
            f"For the whole goal{' with its project' if meta['goal_project'] else ''} and its foundations, choose "
            f"about {meta['suggested_duration_weeks']} weeks at {budget.hours_per_week} hours a week."
        )
    if meta["trimmed_topics"] and fit.metadata["goal_reached"]:
        parts.append(f"Left out to fit the time: {_join(meta['trimmed_topics'], 6)}.")
    taught = present | crash_set
    # A key term no taught topic's title carries ("microservices" in a Go HTTP-services plan) is said to be left out
    # when the graph has a topic of its own for it, so the plan never passes for what it does not teach.
    taught_words = {w for s in taught for w in normalise(g.topics[s].title).split()}
    elsewhere: list[str] = []
    for k in [k for k in goals.key_terms if k not in goals.unknown_terms]:
        if any(f in taught_words for f in _variants(k)):
            continue
        own = sorted(
            (
                t
                for t in g.topics.values()
                if not t.project
                and t.slug not in taught
                and t.slug not in learner_known  # what they said they know is not "left out"
                and (
                    any(f in {normalise(a) for a in (t.title, *t.aliases)} for f in _variants(k))
                    # or a term that names only a topic or two ("webassembly": Rust and WebAssembly)
                    or (_named_by(t, [k]) and sum(1 for u in g.topics.values() if _named_by(u, [k])) <= 2)
                )
            ),
            key=lambda t: (g.depth[t.slug], t.slug),
        )
        elsewhere += [t.title for t in own[:1] if t.title not in elsewhere and t.title not in meta["trimmed_topics"]]
    if elsewhere:
        parts.append(f"Not in this plan: {_join(elsewhere)} — ask for it by name for a plan of its own.")
    metadata = {
        "strategy": f"topic_graph:{goals.strategy}",
        "request": request,
        "context": phrase.context,
        "matched_topics": goals.matched[:8],
        "budget_hours": budget.hours,
        "estimated_total_hours": sum(s.estimated_hours for s in steps),
        "coverage": "partial" if unknown or goals.uncovered else "full",
        "unknown_terms": unknown,
        "key_terms": goals.key_terms,
        "level": difficulty or "beginner",
        "known_topics": sorted(g.topics[s].title for s in learner_known & g.closure(list(goals.relevance))),
        "known_from_concept": [k.said for k in said],
        "assumptions": goals.assumptions + (level_note or _level_assumption(goals, g, known, taught, difficulty)),
        "not_covered": elsewhere + goals.uncovered,
        **meta,
    }
    return Plan(title=f"{name} roadmap", description=" ".join(parts), steps=steps, metadata=metadata)


def validate_plan(steps: list[PlannedStep], budget: Budget) -> list[str]:
    """Errors that make a plan unusable (empty list when valid). Shared by the planner and the LLM path."""
    errors: list[str] = []
    if not steps:
        return ["the roadmap has no steps"]
    seen: set[str] = set()
    week_load: dict[int, int] = {}
    previous_week = 1
    for index, step in enumerate(steps):
        if not step.title.strip():
            errors.append(f"step {index + 1} has no title")
        if step.key in seen:
            errors.append(f"duplicate step {step.key!r}")
        for prereq in step.prerequisites:
            if prereq == step.key:
                errors.append(f"step {step.key!r} depends on itself")
            elif prereq not in seen:
                errors.append(f"step {step.key!r} comes before its prerequisite {prereq!r} (or it does not exist)")
        seen.add(step.key)
        if not isinstance(step.estimated_hours, int) or step.estimated_hours < 1:
            errors.append(f"step {step.key!r} has invalid hours {step.estimated_hours!r}")
        if not 1 <= step.week <= budget.weeks:
            errors.append(f"step {step.key!r} is in week {step.week}, outside 1..{budget.weeks}")
        if step.week < previous_week:
            errors.append(f"step {step.key!r} goes back to week {step.week}")
        previous_week = step.week
        if step.difficulty not in DIFFICULTY_RANK:
            errors.append(f"step {step.key!r} has invalid difficulty {step.difficulty!r}")
        week_load[step.week] = week_load.get(step.week, 0) + (step.estimated_hours or 0)
    total = sum(s.estimated_hours for s in steps if isinstance(s.estimated_hours, int))
    if total > budget.hours:
        errors.append(f"total {total} h is over the budget of {budget.hours} h")
    for week, load in sorted(week_load.items()):
        if load > WEEK_SLACK * budget.hours_per_week:
            errors.append(f"week {week} carries {load} h, over {WEEK_SLACK} × {budget.hours_per_week} h")
    return errors


def concept_key(concept: str) -> str:
    return normalise(concept)[:200]
