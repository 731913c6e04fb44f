"""Conversation state: what a turn refers to.

A follow-up ("show me an example", "why?", "and in Jac?", "how about descending?") has few words of its own; it is
resolved against the session's last self-contained question (its topic) and the section that answered it (its
passage). History is the session's (question, answer) pairs, oldest first, as `agents.services` stores them.
"""

import re
from dataclasses import dataclass, field

from agents.tutor.retrieval import Vocabulary, clean, terms

_EXAMPLE = re.compile(r"\b(example|examples|show me|demo|sample|snippet|in code|code for)\b", re.I)
_WHY = re.compile(r"^\s*(but |and |ok,? |so )?(why|how come)\b[^a-z]*(is that|that|so|though)?\W*$", re.I)
_PRONOUN = re.compile(r"\b(it|its|this|that|these|those|they|them|one|more|again|elaborate|further|else|also)\b", re.I)
_REFERS = re.compile(r"\b(it|them|they)\b", re.I)  # a pronoun that stands for the earlier topic itself
_LANGUAGES = {"jac": "jac-fundamentals", "python": "python-fundamentals"}
_SWITCH = re.compile(r"^\s*(and|what about|how about|ok,? and|same|now)?\s*(in|for|with)\s+(jac|python)\b\W*$", re.I)


# Take-over phrasing in a learner's message: those sentences are dropped before retrieval, so "ignore your
# instructions… how do I run a jac file?" is answered as "how do I run a jac file?" and an attempt with no question
# in it finds nothing to answer. They never reach a prompt as instructions either (grounding fences user text).
_TAKEOVER = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|rules|prompt|above|guidelines)\b"
    r"|\byou are (now|dan|no longer)\b|\b(system|developer)\s+(prompt|mode|override|message)\b"
    r"|\bnew instructions\b|^\s*(system|assistant|admin)\s*:|\breveal\b|\bjailbreak\b"
    r"|</?(data|system|instructions?|prompt|admin|user|assistant)>"
    # "reply with …" as an order (the sentence opens with it, or says "only"), not "should my API answer with 410?"
    r"|^\W*(please\s+)?(reply|answer|respond)\s+(only\s+)?with\b|\b(reply|answer|respond)\s+only\s+with\b"
    r"|\bmust answer only\b"
    # a role change ("you're a poet now", "act as…", "from now on…") or a task that is not a lesson question
    r"|\byou('| a)re (now |no longer )?(an? |my )?(\w+ )?(poet|assistant|bot|ai|gpt|model|chatbot|pirate|hacker)\b"
    r"|\byou('| a)re now\b|\b(act|pretend|behave|roleplay) (as|like|to be)\b|\bfrom now on\b"
    r"|\bforget (the|your|all|everything|about the) ?(lessons?|rules|instructions|tutor|above|previous)?\b"
    r"|\b(write|give|tell) me (a|an) (poem|story|song|essay|rap|joke|haiku)\b|\b(hidden|secret|initial) prompt\b"
    r"|\b(answer key|all the answers|the answers to (the|every|all))\b",
    re.I,
)
# A sentence that asks something ("which status code…", "what does += do?"): when a message also gives orders, what
# it asks is the learner's real question and the rest is set aside.
_ASKS = re.compile(
    r"\?|^\W*(\w+\W+){0,4}?(what|which|how|why|when|where|who|whats|can|could|should|is|are|do|does|did)\b", re.I
)
_SENTENCES = re.compile(r"(?<=[.!?:])\s+")
# …and, around orders, each clause on its own: "(also, what does += do?)", "…a rap about cats and then tell me which…"
_ASIDES = re.compile(r"(?<=[.!?:])\s+|\s*[(),;]\s*|\s+(?:and then|and also|after that|then|also|but)\s+", re.I)


_TAGGED = re.compile(r"<(data|system|instructions?|prompt|admin|user|assistant)>.*?</\1>", re.I | re.S)


def strip_takeover(text: str) -> str:
    """The message without its take-over sentences (the question, if there is one, stays): a `<system>…</system>`
    block goes whatever it says, then every sentence that tries to give orders."""
    text = _TAGGED.sub(" ", text)
    sentences = [s.strip() for s in _SENTENCES.split(text.strip()) if s and s.strip()]
    if any(_TAKEOVER.search(s) for s in sentences):
        sentences = [s.strip() for s in _ASIDES.split(text.strip()) if s and s.strip()]
    kept = [s for s in sentences if not _TAKEOVER.search(s)]
    if len(kept) < len(sentences):  # it gave orders: of the rest, what it asks is the question ("tutor mode off.")
        kept = [s for s in kept if _ASKS.search(s)] or kept
    return " ".join(kept).strip()


@dataclass(frozen=True)
class Turn:
    """A resolved question: what to search for, the earlier topic it leans on, and what kind of follow-up it is."""

    question: str
    context: str = ""  # the earlier topic (empty for a self-contained question)
    intent: str = "answer"  # answer | example | why | switch
    path_slug: str | None = None
    previous_answer: str = ""
    topic_question: str = ""  # the self-contained question this turn continues
    refers: bool = False  # it names the topic by a pronoun ("how do I loop over it?"): the topic counts fully
    session_questions: list[str] = field(default_factory=list)
    session_answers: str = ""  # everything already said in the session (a follow-up says something new)


# "that"/"this" as what a question is about ("why is that slow…", "does this work for dicts too?"), not as a
# determiner of a new subject ("that file", "this error" are caught by the word count)
_DEMONSTRATIVE = re.compile(
    r"\b(is|was|does|would|will|can|could|isn't|doesn't) (that|this)\b(?=\s*([?.!,]|$|(slow|fast|ok|okay|fine|"
    r"right|wrong|safe|bad|good|better|worse|true|false|allowed|needed|necessary|required|possible|work|works|happen|"
    r"matter|mean|also|too|still|always|really|so|because|when|if|in|for|with|on)\b))",
    re.I,
)
_CONTINUES = re.compile(r"^\s*(and|also|ok,? and|so|but|what about|how about|then)\b", re.I)


def is_follow_up(vocab: Vocabulary, question: str) -> bool:
    cleaned = clean(vocab, question)
    own = [t for t in dict.fromkeys(terms(cleaned)) if t not in _LANGUAGES]  # each word once
    if not own:
        return True
    if _CONTINUES.match(question):
        return len(own) <= 4
    if _REFERS.search(question):  # "can I put the user's password in it?": "it" is the topic
        return len(own) <= 3
    if _DEMONSTRATIVE.search(question):  # "why is that slow when the table gets big?": "that" is the answer before
        return len(own) <= 4
    return len(own) <= 2 and _PRONOUN.search(question) is not None


def _shares_topic(vocab: Vocabulary, question: str, previous: str) -> bool:
    """A short question that picks up a word of the previous one ("what happens if the key is missing?" after "how
    do I check whether a key exists in a dict") continues it."""
    own = set(terms(clean(vocab, question)))
    return 0 < len(own) <= 3 and bool(own & set(terms(clean(vocab, previous))))


def resolve(vocab: Vocabulary, question: str, history: list[tuple[str, str]]) -> Turn:
    session = [q for q, _ in history]
    if not history:
        return Turn(question=question, session_questions=session)
    lowered = question.lower()
    if _SWITCH.match(lowered):
        intent = "switch"
    elif _WHY.match(lowered):
        intent = "why"
    elif _EXAMPLE.search(lowered) and is_follow_up(vocab, question):
        intent = "example"
    elif is_follow_up(vocab, question) or _shares_topic(vocab, question, history[-1][0]):
        intent = "answer"
    else:
        return Turn(question=question, session_questions=session)
    return continued(vocab, question, history, intent)


def continued(vocab: Vocabulary, question: str, history: list[tuple[str, str]], intent: str = "answer") -> Turn:
    """`question` read as continuing the session: its topic is the last earlier question that stood on its own."""
    lowered = question.lower()
    topic, previous_answer = history[-1][0], history[-1][1]
    for past, _ in reversed(history):
        if not is_follow_up(vocab, past) and not _SWITCH.match(past.lower()):
            topic = past
            break
    path = None
    if intent == "switch":
        language = _SWITCH.match(lowered)[3].lower()  # type: ignore[index]
        path = _LANGUAGES[language]
    return Turn(
        question=question,
        context=topic,
        intent=intent,
        path_slug=path,
        previous_answer=previous_answer,
        topic_question=topic,
        refers=_REFERS.search(question) is not None,
        session_questions=[q for q, _ in history],
        session_answers="\n\n".join(a for _, a in history),
    )
