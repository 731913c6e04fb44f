"""What a learner says they already know, read as topics of the graph.

A learner writes it into the concept ("flask web apps, i already know python pretty well", "vue.js, coming from
react", "terraform, i know aws") or lists it in `preferences.known_topics` ("python", "kubernetes"). Either way a
name is resolved through the graph's own names (ids, titles, aliases, areas), and knowing it implies more than the
one topic it names:

- its prerequisites, transitively (knowing React means knowing JavaScript);
- a broad name covers its everyday topics: an area ("python", "rust") its beginner topics, a technology ("react",
  "kubernetes") the topics of its own area named by it, never the advanced ones, and only the beginner ones when
  the learner qualifies it ("some rust", "a bit of python", "the basics of sql").

The clause that says it is taken out of the concept, so "already", "know" and "python" are never read as key terms
of the goal.
"""

import re
from dataclasses import dataclass

from roadmaps.topics import DIFFICULTY_RANK, TopicGraph, normalise

# The verbs that say the learner has it; a subject ("i", "we") is needed where the verb alone also asks for it
# ("how to use docker" is a goal, "i use docker" is not).
_SUBJECT = r"(?:i|we|i'm|im|i am|i've|ive|i have|we've|we have)"
_HAS = (
    r"(?:already\s+)?(?:know|knows|understand|use|used|work with|worked with|work in|worked in|learned|learnt|"
    r"have used|'ve used|have learned|have learnt|'ve learned|'ve learnt|do|did|write|wrote|code in|program in)"
)
_STATE = r"(?:(?:already\s+)?(?:familiar with|comfortable with|good at|fluent in|experienced (?:with|in)|proficient in|"
_STATE += r"confident (?:with|in)|done|been using|been writing|been coding in))"
KNOWN_CLAUSE = re.compile(
    rf"(?:\b{_SUBJECT}\s+(?:also\s+|already\s+)?(?:{_HAS}|{_STATE})"
    r"|\balready\s+(?:know|use|used|familiar with|comfortable with)"
    r"|\b(?:coming|come|came|switching|moving|transitioning) from"
    r"|\b(?:some|a bit of|a little|basic|prior|previous)?\s*(?:experience|background) (?:with|in)"
    r"|\bafter learning|\bwho (?:already )?knows?"
    # a clause of its own that starts with the verb ("llm apps with rag, knows python"): said of the learner
    r"|(?<=[,;(])\s*(?:already\s+)?knows?(?=\s)"
    r"|\bknowing)\s+(?P<what>[^,;.!?()]+)"
)
# "… with a python background", "… (python dev)": what follows names what they know.
BACKGROUND = re.compile(r"\b(?:with|have|having|got) (?:an? )?(?P<what>[\w.+# ]{2,30}?) (?:background|experience)\b")
NEGATION = re.compile(r"(?:\bdon'?t|\bdo not|\bnever|\bnot|\bno|n't)\s*(?:really\s+)?$")
# Words around the name that say how much, never what.
SOME = re.compile(r"^(?:some|a bit of|a bit|a little(?: bit of)?|a little|the basics of|basics of|basic|beginner)\s+")
MUCH = re.compile(
    r"\s+(?:already|well|pretty well|quite well|very well|really well|fairly well|ok|okay|alright|too|as well|"
    r"basics|at work|for work|for years|for a while|professionally|a bit|a little)$"
)
LEADING = re.compile(r"^(?:the|my|our|plain|vanilla|modern|core|how to use|how to)\s+")
LIST_SPLIT = re.compile(r"\s*(?:,|/|&|\band\b|\bor\b|\bplus\b)\s*")
# The end of what they know: the rest of the sentence is the goal ("i know python but want flask").
STOP = re.compile(
    r"\s+(?:but|so|now|and (?:i|we|want|need|would|now|then)|want|wanna|need|would|then|yet|though|however|"
    r"to learn|to build|to make|to get|and want|because|since|which|who|for my|at my|in my|from scratch)\b.*$"
)
# What they say they have not done names part of the goal: "never touched typescript" → "typescript".
NEW_TO = re.compile(
    r"\b(?:(?:but|and|though)\s+)?(?:i\s+|i've\s+|ive\s+|i have\s+)?(?:have\s+)?(?:never|not yet|not)\s+"
    r"(?:really\s+)?(?:touched|used|tried|learned|learnt|done|worked with|written|seen)\s+(?:any\s+)?"
    r"|\b(?:but|and)\s+(?:i'm|im|i am)\s+(?:completely\s+|totally\s+)?new to\s+"
    r"|\b(?:but|and)\s+no\s+(?:experience|background)\s+(?:with|in)\s+"
)
# Words left at the edges of the goal once a clause is taken out ("…, now i want …", "… but …").
CONNECTOR = re.compile(
    r"^(?:(?:now|but|and|so|then|also|too|though|however|i|we)\b[\s,;.]*)+|(?:[\s,;.]*\b(?:now|but|and|so|then|also|too|though))+$"
)
SUFFIXES = (
    " programming",
    " development",
    " language",
    " basics",
    " fundamentals",
    " dev",
    " stuff",
    " code",
    " coding",
)


@dataclass(frozen=True)
class KnownPhrase:
    said: str  # as the learner wrote it ("python pretty well")
    name: str  # the graph name it resolved to ("python")
    slugs: frozenset[str]  # the topics it implies, prerequisites included
    some: bool  # "some rust": only the beginner topics


def _resolve_name(name: str, g: TopicGraph) -> tuple[str, str] | None:
    """(the graph name, "area" or "topic") for a name as a learner writes it, else None. Only whole names: "python",
    "react", "node.js", "the basics of sql"; never a phrase that merely mentions one ("want to learn flask")."""
    name = normalise(name)
    candidates = [name, name.removesuffix(".js"), name.removesuffix("js").strip()]
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            candidates.append(name.removesuffix(suffix).strip())
    for candidate in [c for c in candidates if c]:
        area = g.area_for(candidate)
        if area and area in g.areas and normalise(area) == candidate:
            return candidate, "area"
        if candidate in g.names:
            return candidate, "topic"
        if candidate.endswith("s") and candidate[:-1] in g.names:
            return candidate[:-1], "topic"
    return None


def implied_topics(name: str, g: TopicGraph, *, some: bool = False) -> frozenset[str]:
    """The topics knowing `name` (an id, title, alias or area) implies: its everyday topics and all their
    prerequisites. Empty when the graph does not know the name."""
    if name in g.topics:
        resolved: tuple[str, str] | None = (name, "slug")
    else:
        resolved = _resolve_name(name, g)
    if resolved is None:
        return frozenset()
    key, kind = resolved
    limit = DIFFICULTY_RANK["beginner"] if some else DIFFICULTY_RANK["intermediate"]

    def everyday(topic_slug: str) -> bool:
        t = g.topics[topic_slug]
        return not t.project and not t.optional and DIFFICULTY_RANK[t.difficulty] <= limit

    if kind == "area":
        area = next(a for a in g.areas if normalise(a) == key)
        family = {s for s, t in g.topics.items() if t.area == area and everyday(s)}
    else:
        first = g.topics[key] if kind == "slug" else g.topics[g.names[key]]
        words = set(normalise(key if kind != "slug" else first.title).split())
        # The technology's own topics: its area's topics whose titles carry every word of it ("react" → React
        # Fundamentals, React Hooks and State; not Redux because it builds on React).
        family = {first.slug}
        if kind != "slug":
            for s, t in g.topics.items():
                if t.area != first.area or not everyday(s):
                    continue
                # its title and id, not its aliases: TypeScript's "typed javascript" is no JavaScript topic
                names = {w for n in (t.slug.replace("-", " "), t.title) for w in normalise(n).split()}
                if words <= names:
                    family.add(s)
    return frozenset(g.closure(sorted(family)))


def _pieces(what: str) -> list[tuple[str, bool]]:
    """The names in what follows a "know" verb, each with whether it was qualified as a little ("some")."""
    what = STOP.sub("", f" {what.strip()} ").strip()
    pieces = []
    for part in LIST_SPLIT.split(what):
        part = part.strip()
        some = bool(SOME.match(part))
        part = SOME.sub("", part)
        previous = None
        while previous != part:
            previous = part
            part = MUCH.sub("", LEADING.sub("", part)).strip()
        if part:
            pieces.append((part, some or bool(re.search(r"\b(a bit|a little|basics)\b", previous or ""))))
    return pieces


def said_known(concept: str, g: TopicGraph) -> tuple[str, list[KnownPhrase]]:
    """(the concept without the clauses that say what the learner knows, what they know). A clause is taken out
    only when what it names resolves to the graph; names we do not know stay in the concept."""
    text = concept.lower()
    found: list[KnownPhrase] = []
    spans: list[tuple[int, int]] = []
    for pattern in (KNOWN_CLAUSE, BACKGROUND):
        for match in pattern.finditer(text):
            if NEGATION.search(text[: match.start()]) or any(a <= match.start() < b for a, b in spans):
                continue
            resolved = []
            for piece, some in _pieces(match.group("what")):
                hit = _resolve_name(piece, g)
                if hit is None:
                    break  # "i know python, want to learn flask": the list ends at the first name we do not know
                resolved.append((piece, hit[0], some))
            if not resolved:
                continue
            for piece, name, some in resolved:
                slugs = implied_topics(name, g, some=some)
                if slugs:
                    found.append(KnownPhrase(piece, name, slugs, some))
            if pattern is BACKGROUND:
                spans.append((match.start(), match.end()))
                continue
            # The clause goes up to the last name it resolved; what follows stays the learner's goal.
            last = resolved[-1][0]
            end = text.find(last, match.start("what")) + len(last)
            tail = re.match(r"[\w ]*?\b(?:already|well|pretty well|quite well|too|as well)\b", text[end:])
            end += tail.end() if tail and len(tail.group(0).split()) <= 3 else 0
            spans.append((match.start(), max(end, match.start("what"))))
    if not spans:
        return concept, []
    kept, at = [], 0
    for start, end in sorted(spans):
        kept.append(concept[at:start])
        at = end
    kept.append(concept[at:])
    rest = re.sub(r"\s+", " ", " ".join(kept))
    rest = NEW_TO.sub(" ", rest)
    parts = re.split(r"(\s*[,;]\s*|\.\s+)", rest)
    rest = "".join(part if i % 2 else CONNECTOR.sub("", part.strip()) for i, part in enumerate(parts))
    rest = re.sub(r"(?:^|\s)[,;.]\s*|\s*[,;]+\s*$", " ", rest).strip(" ,;.")
    rest = re.sub(r"\s*,\s*,", ",", rest)
    return (rest or concept), found
