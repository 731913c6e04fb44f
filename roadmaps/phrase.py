"""The key phrase of a learner's request: what they ask to learn, apart from what they say about themselves, their
deadline or what the learning is for.

Learners type whole sentences ("i'm a bootcamp grad who knows react, now i want to do backend with node and
postgres", "git crash course before first dev job", "swiftui app for my cafe's loyalty card, never programmed
before"). Only the request names the subject; the rest is context. Read word by word, the context is what made
plans go wrong: "bootcamp" and "grad" refused an in-scope request as untaught terms, "before", "zero", "manual" and
"knows" labelled good plans partial, and those words fetched "closest catalogue match" resources (the Unity Manual for
QA automation, "Zero to Hero" for Godot).

The rules are about the shape of English requests, never about particular subjects:

- a sentence is cut into clauses (commas, semicolons, sentence ends, dashes, brackets);
- a clause about the learner (it starts with "i", "i'm", "we", "our", "my", "never", "currently" … and asks for
  nothing: no "want", "learn", "teach", "how do i", "build" …, or it ends with "here" as in "bootcamp grad here") is
  context; so is a clause that only says how long ("about 8 weeks", "8 hours a week");
- inside the request, a deadline ("in 3 months", "by next monday"), a purpose introduced by a determiner ("for my
  cafe's loyalty card", "for a realtime dashboard", "for our team"), an occasion ("before an audit", "before my first
  job") and a starting point ("from zero", "from scratch"; "from manual testing" after a role) are context;
- what the context names is kept as notes for the plan, so nothing the learner said is silently dropped.

When nothing of the request would be left, the whole text is kept.
"""

import re
from dataclasses import dataclass, field

from roadmaps.topics import normalise

CLAUSES = re.compile(r"\s*(?:[,;!?]+|\.(?=\s|$)|\s[-–—]+\s|[()])\s*")
# A clause that asks for something (a verb of wanting, learning or making, or a question).
REQUEST = re.compile(
    r"\b(?:want|wanna|wants|need|needs|would like|i'd like|id like|like to|learn|learning|teach|show me|help me|how|"
    r"what|which|why|get better|master|study|become|move into|get into|switch to|roadmap|course|guide|tutorial|"
    r"intro|introduction)\b"
)
# A clause about the learner: it starts with the learner (or a state of theirs) and asks for nothing.
LEARNER = re.compile(
    r"^(?:(?:and|but|so|also|though|plus|btw)\s+)*(?:i|i'm|im|i am|i've|ive|i have|i was|i do|i did|i work|i use|"
    r"we|we're|were|we've|we have|our|my|me|currently|already|never|just|been|not|no|new to|zero|total|complete|"
    r"absolute|still|only)\b"
)
ABOUT_ME_HERE = re.compile(r"\bhere$")  # "bootcamp grad here"
NUMBER = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|few|couple of|several)"
UNIT = r"(?:hours?|hrs?|h|days?|weeks?|wks?|months?|years?)"
WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend|week|month|year|summer|winter|spring)"
# A clause that only says how long or how often.
TIME_CLAUSE = re.compile(
    rf"^(?:(?:in|over|within|for|about|around|roughly|approx|approximately|maybe|like|only|at most|max|~)\s+)*"
    rf"(?:the\s+)?(?:next\s+|coming\s+)?{NUMBER}(?:\s*-\s*\d+)?\s*{UNIT}"
    rf"(?:\s+(?:a|an|per|each|every)\s+(?:day|week|month))?(?:\s+(?:or so|tops|max))?$"
)
# A deadline or duration inside the request ("in about 4 months", "by next monday", "this weekend").
TIME_INSIDE = re.compile(
    rf"\s*\b(?:(?:in|over|within|during|for)\s+(?:about\s+|around\s+|roughly\s+|the\s+)?(?:next\s+|coming\s+)?"
    rf"{NUMBER}(?:\s*-\s*\d+)?\s*{UNIT}(?:\s+(?:a|per|each)\s+(?:day|week|month))?"
    rf"|(?:by|before|until|starting|from)\s+(?:next|this|the end of(?: the)?)\s+{WEEKDAY}"
    rf"|(?:next|this)\s+{WEEKDAY}"
    rf"|{NUMBER}\s*{UNIT}\s+(?:a|per|each)\s+(?:day|week|month))\b"
)
DETERMINER = r"(?:a|an|my|our|the|your|his|her|their|this|that|some|work|school|uni|university|college)(?=\s|$)"
# A purpose or audience after a determiner ("for my cafe's loyalty card", "for a bootcamp grad", "for our team").
PURPOSE = re.compile(rf"\s+(?:for|at)\s+{DETERMINER}\b(?P<rest>.*)$")
# An occasion ("before an audit", "before my first dev job").
OCCASION = re.compile(r"\s+(?:before|ahead of|prior to)\s+(?P<rest>.+)$")
# A starting point with no subject in it.
START = re.compile(
    r"\s+(?:starting\s+)?from\s+(?:zero|scratch|nothing|the ground up|the very beginning|the beginning|square one)\b"
)
# Role nouns: "qa automation engineer from manual testing" says where the learner comes from.
ROLE = re.compile(
    r"\b(?:engineer|developer|dev|analyst|scientist|designer|administrator|admin|architect|programmer|tester|"
    r"manager|specialist|consultant)s?\b"
)
ROLE_SOURCE = re.compile(r"\s+(?:coming\s+)?from\s+(?:being\s+)?(?:an?\s+)?(?P<rest>.+)$")


@dataclass
class KeyPhrase:
    text: str  # the request, as the learner wrote it, without the context
    context: list[str] = field(default_factory=list)  # what was set aside, as said

    @property
    def changed(self) -> bool:
        return bool(self.context)


def _is_context_clause(clause: str) -> bool:
    text = clause.lower().strip()
    if not text:
        return True
    if TIME_CLAUSE.match(text):
        return True
    if ABOUT_ME_HERE.search(text) and not REQUEST.search(text):
        return True
    return bool(LEARNER.match(text)) and not REQUEST.search(text)


def _tails(text: str, names: frozenset[str]) -> tuple[str, list[str]]:
    """The request without its deadline, purpose, occasion and starting point; what was cut."""
    cut: list[str] = []
    lowered = text.lower()

    def drop(match: re.Match[str] | None) -> None:
        nonlocal text, lowered
        if match is None or not text[: match.start()].strip():
            return
        said = text[match.start() : match.end()].strip()
        rest = match.groupdict().get("rest")
        if rest is not None:
            tail = normalise(re.sub(rf"^\s*{DETERMINER}\s+", "", rest.strip().lower()))
            if tail in names:  # "python for the web": the tail is a subject we teach, not a purpose
                return
        cut.append(said)
        text = (text[: match.start()] + " " + text[match.end() :]).strip()
        lowered = text.lower()

    while True:
        found = TIME_INSIDE.search(lowered)
        if not found or not lowered[: found.start()].strip():
            break
        drop(found)
    drop(START.search(lowered))
    drop(OCCASION.search(lowered))
    drop(PURPOSE.search(lowered))
    head = ROLE_SOURCE.search(lowered)
    if head and ROLE.search(lowered[: head.start()]):
        drop(head)
    return re.sub(r"\s+", " ", text).strip(" ,;.-"), cut


def key_phrase(concept: str, names: frozenset[str] = frozenset(), subjects: frozenset[str] | None = None) -> KeyPhrase:
    """The request in `concept` and the context set aside. `names` are phrases that are subjects of their own (the
    graph's topic names): a tail that is one of them is kept ("python for the web"). `subjects` are the words that
    name something to learn: when the request's clauses carry none of them while a clause about the learner does
    ("my react app is slow, how do i make it faster"), the sentence is kept whole."""
    clauses = [c for c in CLAUSES.split(concept) if c and c.strip()]
    context = [c.strip() for c in clauses if _is_context_clause(c)]
    kept = [c.strip() for c in clauses if not _is_context_clause(c)]
    if subjects is not None and kept and context:
        said = {w for c in kept for w in normalise(c).split()}
        if not said & subjects:
            kept, context = [], []
    if not kept:
        kept, context = [c.strip() for c in clauses], []
    parts = []
    for clause in kept:
        trimmed, cut = _tails(clause, names)
        parts.append(trimmed or clause)
        context += cut if trimmed else []
    return KeyPhrase(text=", ".join(parts), context=context)
