"""The chat tutor: answers a learner's question from our lessons, offline by default, through an LLM when configured.

- `retrieval`: lesson sections from the shared engine's `lessons` corpus, re-weighed for the question;
- `composition`: the offline answer (the answer first, then the lesson's passage whole, then deep-linked sources);
- `conversation`: follow-ups resolved against the session's topic and the previous answer's passage;
- `grounding`: the LLM path (the same passages in the prompt, each sentence of the reply checked against them).
"""

import functools
import re
from collections.abc import Sequence
from dataclasses import replace

from agents.tutor.composition import compose, render_passage, unknown
from agents.tutor.conversation import Turn, continued, resolve, strip_takeover
from agents.tutor.markdown import Statement, blocks, quotable_units, split_sections, statements
from agents.tutor.passages import PassageScores, blend, question_vector, score_passages
from agents.tutor.retrieval import (
    CONTEXT_WEIGHT,
    CORPUS,
    _vocabularies,
    clean,
    current_index,
    foreign_share,
    is_relevant,
    key_weights,
    lessons_index,
    present,
    search_sections,
    section_text,
    terms,
    vocabulary,
)
from agents.tutor.types import Passage, Section, Source, TutorAnswer, TutorProfile
from learning.retrieval_engine import get_index

__all__ = [
    "Passage",
    "Section",
    "Source",
    "TutorAnswer",
    "TutorProfile",
    "answer_sections",
    "quotable_units",
    "split_sections",
    "tutor_answer",
    "tutor_index_reset",
    "tutor_retrieve",
    "tutor_search",
]

_CITED = re.compile(r"\(module (\d+), section `#([^`]+)`\)")
_CAUSE = re.compile(
    r"\b(because|so that|which is why|that is why|this is why|otherwise|lets|means|so the|so a|feature|safely|"
    r"benefit|advantage|allows|useful|handy|ideal|that way|instead of|avoids|prevents)\b",
    re.I,
)
DEFAULT_PROFILE = TutorProfile()


def tutor_index_reset() -> None:
    """Forget derived vocabularies (the engine rebuilds its index itself when the lessons change)."""
    _vocabularies.clear()


def _cited_sections(text: str) -> list[tuple[int, str]]:
    return [(int(m), a) for m, a in _CITED.findall(text or "")]


def _section_by_id(doc_id: str) -> Section | None:
    index = lessons_index()
    for doc in getattr(index, "docs", []):
        if doc.id == doc_id:
            meta = doc.meta
            return Section(
                doc_id=str(doc.id),
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
                score=1.0,
                semantic=1.0,
            )
    return None


def _module_sections(module_id: int) -> list[Section]:
    index = lessons_index()
    found = [_section_by_id(d.id) for d in getattr(index, "docs", []) if d.meta.get("module_id") == module_id]
    return sorted([s for s in found if s is not None], key=lambda s: s.position)


def _session_modules(history: list[tuple[str, str]]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(m for _, answer in history for m, _ in _cited_sections(answer)))


def _previous_section(turn: Turn, history: list[tuple[str, str]], module_id: int | None) -> Section | None:
    """The passage the previous answer quoted first, or (an answer from elsewhere) the best section for the topic."""
    cited = _cited_sections(turn.previous_answer)
    if cited:
        found = _section_by_id(f"module:{cited[0][0]}#{cited[0][1]}")
        if found is not None:
            return found
    sections, _, _ = search_sections(turn.topic_question, module_id=module_id, limit=1)
    return sections[0] if sections else None


def _has_fresh_code(section: Section, shown: str) -> bool:
    return any(b.kind == "code" and b.text not in shown for b in blocks(section.body))


def _code_about(section: Section, shown: str, keys: set[str]) -> bool:
    """A code block not shown yet that uses one of the topic's own words ("finally", "tuple", "++>")."""
    return any(b.kind == "code" and b.text not in shown and keys & present(b.text) for b in blocks(section.body))


def _example_section(previous: Section, shown: str, topic: str = "", related: Sequence[Section] = ()) -> Section:
    """The previous passage if it has a code block not shown yet; else another section about the same topic whose
    code uses the topic's words (another lesson may show `finally` in use); else the nearest section of its lesson
    with fresh code."""
    if _has_fresh_code(previous, shown):
        return previous
    vocab = vocabulary(lessons_index())
    weights = key_weights(vocab, clean(vocab, topic)) if topic else {}
    keys = {t for t in weights if t not in {"python", "jac"}}
    if keys:
        rarest = max(keys, key=lambda t: weights[t])
        same_path = [r for r in related[:6] if r.path_slug == previous.path_slug]
        for section in same_path + [r for r in related[:6] if r.path_slug != previous.path_slug]:
            if section.heading.lower() != "summary" and _code_about(section, shown, {rarest}):
                return section
    siblings = _module_sections(previous.module_id)
    after = [s for s in siblings if s.position > previous.position] + [
        s for s in reversed(siblings) if s.position < previous.position
    ]
    return next((s for s in after if _has_fresh_code(s, shown) and s.heading.lower() != "summary"), previous)


def _example_lead(section: Section, shown: str) -> list[Statement] | None:
    """The sentence that introduces the first code block not shown yet (it is printed right above the block)."""
    parts = blocks(section.body)
    found = statements(parts)
    for block in parts:
        if block.kind == "code" and block.text not in shown:
            before = [st for st in found if st.block == block.index - 1]
            if before and before[-1].lead_in:
                return [before[-1]]
            break
    opening = [st for st in found if st.kind == "sentence" and not st.lead_in]
    return opening[:1] or None


def _why_lead(section: Section, shown: str) -> list[Statement] | None:
    found = [st for st in statements(blocks(section.body)) if st.kind in ("sentence", "item") and not st.lead_in]
    causes = [st for st in found if _CAUSE.search(st.text) and st.text not in shown]
    if not causes:
        causes = [st for st in found if st.text not in shown][:2]
    return causes[:2] or None


# Follow-ups and "I don't know", calibrated on the labelled bench sets (bench/chat_*.yaml: 21 follow-up pairs, 297
# self-contained questions, 32 off-topic ones) with the precise model's passage cosines:
# - a turn continues the previous answer's lesson when that lesson's closest passage is within FOLLOW_MARGIN of the
#   closest passage anywhere (strength falls from 1 at no gap to 0 at the margin); phrasing cues ("and…", "it",
#   "show me an example") count fully, as before;
FOLLOW_MARGIN = 0.12
FOLLOW_BLEND = 0.5  # a continuing turn is matched by its meaning leaning towards its topic's by this weight
# - …and is answered (never "I don't know") when the previous lesson has a passage this close to it on its own;
FOLLOW_COVERED = 0.3
# - a self-contained question whose closest passage anywhere is below COVERED_MIN is about nothing we teach, however
#   many words it shares with a lesson (every labelled covered question was >= 0.25; off-topic ones 0.16-0.34).
COVERED_MIN = 0.23
# - …and a question whose closest passage is below FOREIGN_TOP while a good share of its distinctive words
#   (FOREIGN_SHARE, by IDF weight) are words no lesson uses ("cron job", "websockets", "kubernetes ingress") is about
#   something else: on the 370 self-contained covered questions of bench/chat_*.yaml none is both (the nearest: 0.41
#   with 0.29), while 8 of the 36 off-topic ones are and passed the other tests.
FOREIGN_TOP = 0.40
SAID_CLOSE = 0.48
FOREIGN_SHARE = 0.3


def _previous_modules(turns: list[tuple[str, str]]) -> tuple[int, ...]:
    """The lesson the previous answer cited first (an "I don't know" cites none)."""
    cited = _cited_sections(turns[-1][1]) if turns else []
    return (cited[0][0],) if cited else ()


def _continuation(passages: PassageScores, previous: tuple[int, ...], cue: bool) -> float:
    """How much the turn continues the previous lesson: 1 with a cue, else by how close that lesson's best passage
    comes to the best anywhere."""
    if not previous:
        return 1.0 if cue else 0.0
    if cue:
        return 1.0
    gap = passages.top() - passages.top_in(previous)
    return max(0.0, min(1.0, (FOLLOW_MARGIN - gap) / FOLLOW_MARGIN))


def answer_sections(
    *,
    question: str,
    module_id: int | None = None,
    history: Sequence[tuple[str, str]] = (),
) -> tuple[Turn, list[Section], bool]:
    """The turn resolved, the sections that answer it (best first) and whether they are about it."""
    turn, sections, relevant, _ = _answer_sections(question=question, module_id=module_id, history=history)
    return turn, sections, relevant


def _answer_sections(
    *,
    question: str,
    module_id: int | None = None,
    history: Sequence[tuple[str, str]] = (),
) -> tuple[Turn, list[Section], bool, PassageScores]:
    """`answer_sections`, with the passages' closeness to the question's own words."""
    turns = [(strip_takeover(q), a or "") for q, a in history]
    question = strip_takeover(question)
    index = lessons_index()
    vocab = vocabulary(index)
    turn = resolve(vocab, question, turns)
    session = _session_modules(turns)
    vector = question_vector(question)
    passages = alone = score_passages(index, vector)
    previous_modules = _previous_modules(turns)
    strength = _continuation(alone, previous_modules, bool(turn.context)) if turns else 0.0
    if strength > 0 and not turn.context:
        turn = continued(vocab, question, turns)
    if strength > 0:
        passages = score_passages(index, blend(vector, question_vector(turn.topic_question), FOLLOW_BLEND * strength))
    if turn.intent in ("example", "why"):
        previous = _previous_section(turn, turns, module_id)
        if previous is not None:
            rest, _, _ = search_sections(
                turn.topic_question, module_id=module_id, session_modules=session, code=turn.intent == "example"
            )
            if turn.intent == "example":
                chosen = _example_section(previous, turn.session_answers, turn.topic_question, rest)
            else:
                chosen = previous
            return turn, [chosen, *[s for s in rest if s.doc_id != chosen.doc_id]], True, passages
    if turn.intent == "switch":
        sections, _, _ = search_sections(turn.topic_question, path_slug=turn.path_slug, module_id=module_id)
        return turn, sections, bool(sections), passages
    search = functools.partial(
        search_sections,
        question,
        context=turn.context,
        module_id=module_id,
        session_modules=session,
        context_weight=1.0 if turn.refers else CONTEXT_WEIGHT * strength if strength < 1 else CONTEXT_WEIGHT,
        passages=passages,
        prefer_modules=previous_modules if strength > 0 else (),
    )
    sections, vocab, cleaned = search()
    said = f"{cleaned} {turn.context}".strip()
    # The best section is chosen by meaning too, so it may say the answer in other words than the question's: the
    # lessons cover the question when the best section has a passage close in meaning to it on its own (the closest
    # off-topic question of bench/chat_*.yaml reaches 0.47).
    # The lexical test reads the sections ranked by words and the lessons' closeness alone (the ranking it was
    # calibrated on): a section lifted by one close passage may hold fewer of the question's words than the one it
    # passed.
    relevant = (
        is_relevant(vocab, said, sections)
        or (bool(sections) and alone.best(sections[0].doc_id) >= SAID_CLOSE)
        or is_relevant(vocab, said, search(section_lift=0.0)[0])
    )
    if strength > 0:  # the previous lesson says it: answered from there, not "I don't know"
        relevant = relevant or alone.top_in(previous_modules) >= FOLLOW_COVERED
    else:
        relevant = relevant and alone.top() >= COVERED_MIN
        relevant = relevant and not (alone.top() < FOREIGN_TOP and foreign_share(vocab, question) >= FOREIGN_SHARE)
    return turn, sections, relevant, alone  # the turn's own words pick the opening sentence


def tutor_answer(
    *,
    question: str,
    module_id: int | None = None,
    history: Sequence[tuple[str, str]] = (),
    profile: TutorProfile = DEFAULT_PROFILE,  # frozen, so a shared default is safe
) -> TutorAnswer:
    """The offline answer: the lesson's own words, the answer first, with deep-linked sources; or an honest
    "I don't know" naming the nearest lessons."""
    token = current_index.set(get_index(CORPUS))
    try:
        turn, sections, relevant, passages = _answer_sections(question=question, module_id=module_id, history=history)
        sims = list(passages.section(sections[0].doc_id)) if sections else None
        answer = _compose(question, turn, sections, relevant, profile, sims)
    finally:
        current_index.reset(token)
    if answer.confident and strip_takeover(question) != question.strip():
        answer = replace(answer, text=_with_note(answer.text, TAKEOVER_NOTE))
    return replace(answer, sections=sections[:4] if answer.confident else [])


# Said under an answer whose question also tried to change the tutor's role ("forget you are a tutor… write a rap"):
# the answer stays the lesson's, and the learner sees that the rest was set aside on purpose, not missed.
TAKEOVER_NOTE = (
    "Note: I only answer from the lessons, so I left aside the part of your message that asked me to change my role."
)


def _with_note(text: str, note: str) -> str:
    """`note` as the last paragraph before the sources (the opening still answers the question)."""
    head, sep, sources = text.rpartition("\n\nSource")
    return f"{head}\n\n{note}{sep}{sources}" if sep else f"{text}\n\n{note}"


def _compose(
    question: str,
    turn: Turn,
    sections: list[Section],
    relevant: bool,
    profile: TutorProfile,
    sims: Sequence[float] | None = None,
) -> TutorAnswer:
    vocab = vocabulary(lessons_index())
    if not relevant or not sections:
        query = set(terms(question))
        nearest = [s for s in sections if query & set(terms(section_text(s))) or s.semantic >= 0.45]
        return unknown(profile, nearest[:3])
    if turn.intent == "example":
        lead = _example_lead(sections[0], turn.session_answers)
        return compose(
            question=turn.topic_question,
            sections=sections,
            vocab=vocab,
            profile=profile,
            want_code=True,
            shown=turn.session_answers,
            lead_override=lead,
        )
    if turn.intent == "why":
        lead = _why_lead(sections[0], turn.session_answers)
        return compose(
            question=turn.topic_question,
            sections=sections,
            vocab=vocab,
            profile=profile,
            shown=turn.session_answers,
            lead_override=lead,
        )
    if turn.intent == "switch":
        return compose(
            question=f"{turn.topic_question} {question}",
            sections=sections,
            vocab=vocab,
            profile=profile,
            want_code=True,
        )
    # A follow-up's own words pick the sentence ("…if the key is missing?"), its topic's words count less; and it does
    # not open with what the previous answer opened with.
    opening = turn.previous_answer.split("\n\n")[0] if turn.context else ""
    return compose(
        question=question,
        sections=sections,
        vocab=vocab,
        profile=profile,
        shown=opening,
        context=turn.context,
        sims=sims,
    )


def tutor_retrieve(
    *,
    question: str,
    module_id: int | None = None,
    history: Sequence[str | tuple[str, str]] = (),
    limit: int = 5,
) -> list[Passage]:
    """The lesson sections that best answer `question`, best first (relevant or not)."""
    pairs = [(h, "") if isinstance(h, str) else h for h in history]
    _, sections, _ = answer_sections(question=question, module_id=module_id, history=pairs)
    return [render_passage(s) for s in sections[:limit]]


def tutor_search(*, question: str, limit: int = 10) -> list[Passage]:
    """`tutor_retrieve`, but empty unless the sections are about the question (the tutor's own "I know" test)."""
    _, sections, relevant = answer_sections(question=question)
    if not relevant:
        return []
    best: dict[int, Section] = {}  # one passage per lesson: its best section
    for s in sections:
        best.setdefault(s.module_id, s)
    return [render_passage(s) for s in list(best.values())[:limit]]
