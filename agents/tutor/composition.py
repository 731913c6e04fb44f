"""Offline answer composition: say the answer first, then show the lesson's own passage, then cite it.

1. The opening states the answer: the sentence, list item, table row or commented code line of the best section
   that carries the question's key terms, printed as the lesson words it (a table row becomes "`PATCH` — typical
   meaning: change part of a resource; …"). Nothing is invented: every sentence is the lesson's, or a row of its table.
2. Then the supporting passage: the paragraph around it and the code block or table it needs, kept whole (a table
   stays a Markdown table). A sentence ending in ":" is never shown without the block it introduces.
3. Then the sources, each a deep link to the module's section.
Length follows the learner's `feedback_style`: brief (the answer and the one block it needs), detailed (the whole
section and a second source), encouraging (the default answer with a friendly close).
"""

import itertools
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from agents.tutor.markdown import Block, Statement, blocks, plain, statements
from agents.tutor.retrieval import (
    CONTEXT_WEIGHT,
    RARE_IDF,
    Vocabulary,
    clean,
    covered,
    fold,
    key_weights,
    present,
    symbols,
    synonyms_of,
    terms,
)
from agents.tutor.types import Passage, Section, Source, TutorAnswer, TutorProfile

_YES_NO = re.compile(r"^\s*(can|could|should|shall|is|are|do|does|must|may|will|would|am)\b", re.I)
_GUIDANCE = re.compile(r"^(never|always|do not|don't|avoid|use|prefer|keep|make sure)\b", re.I)
_INLINE_CODE = re.compile(r"`([^`]+)`")
_LEANS = re.compile(r"\b(it|this|that|they|them|these|those)\b[.!?]?$|^(it|this|that|they|these|those|so)\b", re.I)
# A rule that says no: "Never put secrets in it", "not by verbs in the URL", "do not …", "avoid …".
_NEGATIVE = re.compile(
    r"\b(never|do not|don't|does not|doesn't|must not|mustn't|should not|shouldn't|avoid|not by|not for|not a|"
    r"is not|are not|isn't|aren't|cannot be|can't be|there (is|are) no|(has|have) no)\b",
    re.I,
)
_POLAR = re.compile(r"^\s*(can|could|should|is|are|do|does|must|may|will|would)\b", re.I)
# Questions a plain Yes/No does not settle: a choice ("obj or class?"), a negated question ("isn't it…?"), a
# sweeping one ("should I always…?") unless the lesson says the same sweep.
_NOT_POLAR = re.compile(r"\bor\b|^\s*\w+n't\b|^\s*\w+ \w+ not\b", re.I)
_SWEEP = re.compile(r"\b(always|only|every|all|instead|never)\b", re.I)
YES_AT = 0.75  # a "Yes" needs the opening to state nearly all of what was asked
NO_AT = 0.5  # a "No" needs a negative rule about most of it…
JUDGED_NO_AT = 0.3  # …or, for "is X good/ok?", the rule of the opening that is closest to the question
_JUDGE = re.compile(r"\b(good|ok|okay|fine|right|correct|allowed|acceptable|bad idea)\b", re.I)
_PRINTS = re.compile(r"^`?\s*print\(")
# A printed value's comment may say what the call does after the value: "# 'Hello' (remove surrounding whitespace)".
_EXPLAINED = re.compile(r"\(([a-z][a-z ,'-]{8,})\)\s*`?$")
_NAME = re.compile(r"[A-Za-z_][\w.]*(\(\))?")
# A lead-in that is a fragment without the sentence before it ("Given a Python file `pricing.py`:").
_FRAGMENT = re.compile(
    r"^(given|for example|for instance|with|in|here|like|as|consider|take|using|compare|then|now)\b", re.I
)
_PRONOUN = re.compile(r"\b(it|these|those|they|them)\b", re.I)  # "Python does not enforce these…": on what?
SHORT_OPENING = 60  # an opening this short ("Lambdas are typed too.") is followed by the sentence that shows how
INTRODUCED_CREDIT = 0.5  # a lead-in counts the question's words met in the block it introduces, at this weight
_CHOICE = re.compile(r"\b(or|vs|versus|compared)\b|\bdifference between\b", re.I)
_HOW = re.compile(r"\b(how (do|can|to|should|would)|how's|syntax|write|example|show|code|snippet|commands?)\b", re.I)


@dataclass(frozen=True)
class Style:
    name: str  # brief | default | detailed | encouraging
    lead: int  # statements in the opening
    sources: int
    whole_section: bool


def style_of(profile: TutorProfile) -> Style:
    name = profile.feedback_style.lower().strip()
    if name in {"brief", "concise", "short"}:
        return Style("brief", 1, 1, False)
    if name == "detailed":
        return Style("detailed", 2, 2, True)
    if name == "encouraging":
        return Style("encouraging", 2, 1, False)
    return Style("default", 2, 1, False)


def _credit(st: Statement) -> dict[str, float]:
    """How much each word of a statement counts: fully in prose, half when met only inside a code literal
    (`"typ": "JWT"` is weaker evidence about JWTs than a sentence about them)."""
    if st.kind == "code_line" and _PRINTS.match(st.text):  # its comment is the printed value, not prose about it
        credit = dict.fromkeys(present(plain(st.text)) | set(symbols(st.text)), 0.5)
        if explained := _EXPLAINED.search(st.text):  # …except for the words that explain the call
            credit.update(dict.fromkeys(present(explained[1]), 1.0))
        return credit
    prose = present(plain(_INLINE_CODE.sub(" ", st.text)))
    spans = _INLINE_CODE.findall(st.text)
    code = present(" ".join(spans)) | set(symbols(st.text))
    # A span that is one name (`visit`, `enum`, `strip()`) names the keyword the sentence is about, as prose would.
    named = present(" ".join(x for x in spans if _NAME.fullmatch(x.strip())))
    credit = dict.fromkeys(code, 0.5)
    credit.update(dict.fromkeys(prose | named, 1.0))
    return credit


def _matched(weights: dict[str, float], credit: dict[str, float], skip: AbstractSet[str] = frozenset()) -> float:
    total = 0.0
    for t, w in weights.items():
        if t in skip:
            continue
        best = credit.get(t, 0.0)
        if best < 1.0:
            best = max([best, *(credit[x] for x in synonyms_of(t) if x in credit)])
        total += w * best
    return total


PHRASE_BONUS = 0.25  # the question's words met as the phrase it uses ("remove the connection" ~ "remove the edge")


def _phrases(weights: dict[str, float], question_terms: list[str]) -> list[tuple[set[str], set[str], float]]:
    """The question's neighbouring content words as pairs, each side with its synonyms, weighted by the rarer."""
    wanted = [t for t in question_terms if t in weights]
    pairs = []
    for a, b in itertools.pairwise(wanted):
        if a != b:
            pairs.append(({a} | synonyms_of(a), {b} | synonyms_of(b), min(weights[a], weights[b])))
    return pairs


def _phrase_share(pairs: list[tuple[set[str], set[str], float]], text: str) -> float:
    """The share of the question's word pairs that a statement says in the same order, at most one word apart."""
    if not pairs:
        return 0.0
    seq = terms(plain(text))
    found = 0.0
    for left, right, weight in pairs:
        if any(w in left and right & set(seq[i + 1 : i + 3]) for i, w in enumerate(seq)):
            found += weight
    return found / sum(w for _, _, w in pairs)


def _statement_scores(
    found: list[Statement],
    weights: dict[str, float],
    question: str,
    first_block: int,
    parts: list[Block],
    shown: str,
    want_code: bool,
    clean_question: str = "",
    sims: Sequence[float] | None = None,
) -> list[tuple[float, int]]:
    total = sum(weights.values()) or 1.0
    meaning = list(sims[: len(found)]) if sims is not None and len(sims) >= len(found) else None
    wanted_symbols = set(symbols(question)) | set(symbols(clean_question))  # "::py::" for "python inside jac"
    yes_no = bool(_YES_NO.match(question))
    pairs = _phrases(weights, terms(clean_question))
    credits = [_credit(st) for st in found]
    # A word the section's prose never says ("append", "extend") is met only in its code: there it counts fully…
    in_prose = {t for c in credits for t, v in c.items() if v >= 1.0}
    # A status code or a name the question spells out ("429", `enumerate`): the opening says it when the section does
    named = _named_tokens(question)
    has_named = [bool(named) and _says_token(st.text, named) for st in found]
    asked = " ".join(re.findall(r"[a-z0-9_]+", question.lower()))
    scored = []
    for i, st in enumerate(found):
        # …a code block's commented line, that is; a printed value stays weak evidence
        full = st.kind == "code_line" and not _PRINTS.match(st.text)
        credit = {t: 1.0 if full and t not in in_prose and t in weights else v for t, v in credits[i].items()}
        if st.lead_in and st.block + 1 < len(parts) and parts[st.block + 1].kind == "code":
            # "Floats … can show tiny rounding errors:" is about what its example shows ("0.1 + 0.2"), except for the
            # words a commented line of that example says itself (that line answers them better)
            commented = {t for j, x in enumerate(found) if x.block == st.block + 1 for t in credits[j]}
            for t in present(parts[st.block + 1].text) - commented:
                credit[t] = max(credit.get(t, 0.0), INTRODUCED_CREDIT)
        score = _matched(weights, credit) / total
        score += PHRASE_BONUS * _phrase_share(pairs, st.text)
        matched_symbols = wanted_symbols & set(symbols(st.text))
        if wanted_symbols:
            score += 0.5 * len(matched_symbols) / len(wanted_symbols)
        if st.kind == "code_line" and _PRINTS.match(st.text) and not matched_symbols and not _EXPLAINED.search(st.text):
            score *= 0.6  # a printed value ("Money(6.5, 'EUR')") shows a result; it explains nothing asked
        if "**" in st.text:
            score += 0.05
        if yes_no and _GUIDANCE.match(plain(st.text)):
            score += 0.08
        if st.kind == "code_line":  # a how-to's answer is often the commented line ("# keys and values together")
            score *= 0.95 if want_code else 0.7
        if st.lead_in:  # it opens an answer only with what it introduces, right after it
            introduces_code = st.block + 1 < len(parts) and parts[st.block + 1].kind in ("code", "table")
            score *= 1.0 if want_code and introduces_code else 0.85
        if len(st.text) > 350:
            score *= 0.7
        if shown and plain(st.text) in plain(shown):
            score *= 0.5  # a follow-up says something new
        if st.block == first_block:
            score += 0.02  # ties go to the section's opening, its topic sentence
        if any(has_named) and not has_named[i]:
            score *= NAMED_MISSING  # "429?" is not answered by the row of 400
        if _says_verbatim(st, asked):
            score += VERBATIM_BONUS  # "…too many requests": the row named "Too Many Requests"
        if meaning is not None:  # the statement's own closeness in meaning to the question (the precise model)
            # (not for a printed value, which shows a result and explains nothing asked)
            score += OPENING_SEMANTIC * max(0.0, float(meaning[i])) * (not _PRINTS.match(st.text))
        scored.append((score, i))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored


OPENING_SEMANTIC = 0.15  # weight of a statement's cosine to the question when choosing the opening
VERBATIM_BONUS = 0.3  # a table cell or bold/code term of several words that the question uses word for word
_CELL_SPLIT = re.compile(r" — |; |(?<=\w)[:?] ")
_TERM_SPAN = re.compile(r"\*\*([^*]+)\*\*|`([^`]+)`")


def _says_verbatim(st: Statement, asked: str) -> bool:
    """Whether a name of two to six words that the statement gives (a table cell, a **bold** or `code` term) occurs in
    the question word for word: "which code means too many requests" names the row "429 — name: Too Many Requests",
    whatever stop words it is made of."""
    if st.kind == "row":
        names = _CELL_SPLIT.split(plain(st.text))
    else:
        names = [a or b for a, b in _TERM_SPAN.findall(st.text)]
    for name in names:
        words = re.findall(r"[a-z0-9_]+", name.lower())
        if 2 <= len(words) <= 6 and f" {' '.join(words)} " in f" {asked} ":
            return True
    return False


NAMED_MISSING = 0.6  # a statement without the status code or name the question spells out, when another has it
_STATUS = re.compile(r"(?<![\w.])[1-5]\d\d(?![\w.])")
_QUOTED_NAME = re.compile(r"`([A-Za-z_][\w.]*)(?:\(\))?`|\b([A-Za-z_][\w.]*)\(\)")


def _named_tokens(question: str) -> set[str]:
    """The status codes ("429") and code names (`enumerate`, `strip()`) a question spells out."""
    names = {a or b for a, b in _QUOTED_NAME.findall(question)}
    return set(_STATUS.findall(question)) | {n for n in names if len(n) > 1}


def _says_token(text: str, tokens: set[str]) -> bool:
    return any(re.search(rf"(?<![\w.]){re.escape(t)}(?![\w])", text) for t in tokens)


_CALL = re.compile(r"\b([A-Za-z_]\w*)\(")


def _code_only_answer(
    found: list[Statement], parts: list[Block], weights: dict[str, float], vocab: Vocabulary, best: int
) -> Statement | None:
    """For a how-to, the line of the section's code that calls the question's rarest word (`enumerate(...)`) when no
    sentence of the section says that word: the lesson shows it only in code, so the opening quotes that line."""
    said = set().union(*(present(plain(st.text)) for st in found))
    rare = [t for t in weights if vocab.idf.get(t, 0.0) >= RARE_IDF and not covered(t, said)]
    for t in sorted(rare, key=lambda t: -weights[t]):
        for block in parts:
            if block.kind != "code":
                continue
            for line in block.text.splitlines()[1:-1]:
                code = line.split("#")[0].strip()
                called = {fold(w.lower()) for w in _CALL.findall(code)}  # a function it calls, not a variable
                if code and not _PRINTS.match(code) and t in called:
                    return Statement(f"`{code}`", block.index, "code_line")
    return None


def _row_keys(st: Statement) -> set[str]:
    return set(terms(plain(st.text.split(" — ")[0]))) | set(symbols(st.text.split(" — ")[0]))


def _introduced(st: Statement, found: list[Statement], parts: list[Block]) -> Statement:
    """A commented code line with the sentence that introduces its block: "To turn one type into another, call the
    type like a function: `number = int(text)` — 25 (an int)"."""
    before = st.block - 1
    if before >= 0 and parts[before].kind == "paragraph" and parts[before].text.rstrip().endswith(":"):
        intro = [x for x in found if x.block == before][-1]
        return Statement(f"{intro.text} {st.text}", before, "sentence")
    return st


def choose_lead(
    section: Section,
    question: str,
    vocab: Vocabulary,
    count: int,
    shown: str = "",
    want_code: bool = False,
    context: str = "",
    sims: Sequence[float] | None = None,
) -> tuple[list[Statement], list[Block]]:
    """The statements that answer the question (best first, at most `count`, more rows when the question names
    several rows of one table) and the section's blocks. A second statement is taken for what it adds: the
    question's words the first one lacks ("list vs tuple": a sentence on each)."""
    parts = blocks(section.body)
    found = statements(parts)
    if not found:
        return [], parts
    first_block = next((b.index for b in parts if b.kind == "paragraph"), 0)
    cleaned = clean(vocab, question)  # typos fixed, as retrieval read the question
    weights = key_weights(vocab, cleaned)
    if context:  # a follow-up's topic ("run them" = the tests) counts, less than its own words
        for t, w in key_weights(vocab, clean(vocab, context)).items():
            weights.setdefault(t, CONTEXT_WEIGHT * w)
    scored = _statement_scores(found, weights, question, first_block, parts, shown, want_code, cleaned, sims)
    best_score, best = scored[0]
    if want_code and found[best].kind == "sentence" and not shown:
        line = _code_only_answer(found, parts, weights, vocab, best)
        if line is not None:  # "loop with the index too": `for i, t in enumerate(temperatures):`
            return [line], parts
    if found[best].kind == "row":  # "PUT or PATCH?": each row the question names
        asked = set(terms(question)) | set(symbols(question))
        said = present(plain(found[best].text))
        rows = [best] + [
            i
            for _, i in scored[1:]
            if found[i].kind == "row" and found[i].block == found[best].block and (_row_keys(found[i]) & asked) - said
        ]
        return [found[i] for i in rows[:3]], parts
    if found[best].kind == "code_line":  # "7 / 2 but 7 // 2?": each commented line the question names
        asked_symbols = set(symbols(question))
        # "append vs extend": a line for each of the question's words, not only for the rarer one
        unsaid = {t for t in weights if not covered(t, present(plain(found[best].text)))}
        lines = [best]
        for s, i in scored[1:]:
            st = found[i]
            if st.kind != "code_line" or st.block != found[best].block:
                continue
            new_words = {t for t in unsaid if covered(t, present(plain(st.text)))}
            if set(symbols(st.text)) & asked_symbols or s >= 0.8 * best_score or (new_words and s >= 0.3 * best_score):
                lines.append(i)
                unsaid -= new_words
        lines = sorted(lines[:3])
        first = _introduced(found[lines[0]], found, parts)
        return [first, *[found[i] for i in lines[1:]]], parts
    chosen = [best]
    seen = {t for t in weights if covered(t, present(plain(found[best].text)))}
    total = sum(weights.values()) or 1.0
    gains = []
    for score, i in scored[1:]:
        st = found[i]
        if st.kind in ("code_line", "row") or abs(st.block - found[best].block) > 1 or score <= 0.1:
            continue
        gain = _matched(weights, _credit(st), seen) / total
        gains.append((gain + 0.5 * score, score, i))
    gains.sort(key=lambda g: (-g[0], g[2]))
    for total_gain, score, i in gains:
        gain = total_gain - 0.5 * score
        if len(chosen) >= count:
            break
        if score >= 0.6 * best_score or gain >= 0.25:
            chosen.append(i)
    # Reading order reads naturally when the sentences come from one paragraph; list items stand alone, so the item
    # that answers ("malformed JSON with `400`") is said before a neighbour picked for what it adds.
    chosen = [best, *sorted(chosen[1:])] if found[best].kind == "item" else sorted(chosen)
    lead_in = next((k for k, i in enumerate(chosen) if found[i].lead_in), None)
    if lead_in is not None:  # a sentence ending in ":" is last, right before the block it introduces
        chosen = chosen[: lead_in + 1]
    # A short sentence that leans on the one before ("Never put secrets in it.") brings it along.
    with_antecedents: list[int] = []
    for i in chosen:
        st = found[i]
        if (
            st.kind == "sentence"
            and len(st.text) < 90
            and _LEANS.search(st.text)
            and i > 0
            and found[i - 1].block == st.block
            and (i - 1) not in chosen
        ):
            with_antecedents.append(i - 1)
        with_antecedents.append(i)
    chosen = with_antecedents
    # A lead-in ("Given a Python file `pricing.py`:") read without the sentences before it in its paragraph is a
    # fragment: the paragraph is said from its start.
    last = chosen[-1]
    fragment = _FRAGMENT.match(plain(found[last].text)) or _PRONOUN.search(plain(found[last].text))
    if len(chosen) == 1 and found[last].lead_in and found[last].kind == "sentence" and last > 0 and fragment:
        before = found[last - 1]
        if before.block == found[last].block and before.kind == "sentence":
            chosen = [last - 1, last]
    # An opening too short to show how ("Lambdas are typed too.") goes on with the next sentence of its paragraph.
    if len(chosen) == 1 and found[last].kind == "sentence" and len(found[last].text) < SHORT_OPENING:
        after = last + 1
        if after < len(found) and found[after].block == found[last].block and found[after].kind == "sentence":
            chosen = [last, after]
    lead = [found[i] for i in chosen]
    if lead[0].kind == "code_line":
        lead = [_introduced(lead[0], found, parts)]
    return lead, parts


_CLAUSE = re.compile(r"[,;:()]|\s(?:but|and|while|whereas)\s")


def _negates_asked(text: str, weights: dict[str, float]) -> bool:
    """Whether a clause that says no is about one of the question's words: in "always HTTPS, never credentials in
    URLs" the "never" is about credentials, not about HTTPS."""
    for clause in _CLAUSE.split(text):
        if clause and _NEGATIVE.search(clause) and any(covered(t, present(clause)) for t in weights):
            return True
    return False


def yes_or_no(question: str, lead: list[Statement], vocab: Vocabulary) -> tuple[str, int] | None:
    """A plain "Yes"/"No" for a yes/no question ("is POST /createOrder a good URL?", "can I put a password in a
    JWT?"), read off the opening the lesson states: a negative rule ("never", "not", "do not") about the question's
    words is a "No", a positive statement holding nearly all of them a "Yes" (the question's own "not" flips both).
    Returns the word and the statement of the opening that says it (said first); None when the opening does not
    settle it: nothing is guessed."""
    if not _POLAR.match(question) or _NOT_POLAR.search(question) or not lead:
        return None
    if lead[0].kind not in ("sentence", "item"):
        return None
    asked = question.split("?")[0] or question  # "can I put comments in JSON? my parser fails": the first part
    symbols_asked = set(symbols(asked))
    # an example name the lessons never use ("2nd_place") is not what the rule must be about
    weights = {t: w for t, w in key_weights(vocab, clean(vocab, asked)).items() if t in vocab.idf or t in symbols_asked}
    total = sum(weights.values())
    if not total:
        return None
    shares = [_matched(weights, _credit(st)) / total for st in lead]
    known = [t for t in weights if t in vocab.idf]
    rarest = {max(known, key=lambda t: vocab.idf[t])} if known else set()
    for i, st in enumerate(lead):  # a negative rule about the question's words: No
        if not _NEGATIVE.search(plain(st.text)) or not _negates_asked(plain(st.text), weights):
            continue
        # "is /getAllBooks a good name?": the rule that answers it is the opening's closest match to the question
        judged = _JUDGE.search(question) and shares[i] >= JUDGED_NO_AT and shares[i] == max(shares)
        # "there are no comments": the rule denies the question's own subject, its rarest word
        subject = i == 0 and _negates_asked(plain(st.text), dict.fromkeys(rarest, 1.0))
        if shares[i] >= NO_AT or judged or subject:
            return "No", i
    text = plain(" ".join(st.text for st in lead[:2]))
    if _NEGATIVE.search(text) or re.search(r"\b(not|no|cannot)\b|n't\b", text, re.I):
        return None
    sweep = {w.lower() for w in _SWEEP.findall(question)}
    if sweep - {w.lower() for w in _SWEEP.findall(text)}:
        return None
    share = _matched(weights, _credit(Statement(text, lead[0].block, "sentence"))) / total
    return ("Yes", 0) if share >= YES_AT else None


def _as_sentence(text: str) -> str:
    text = text.strip().rstrip(";,")
    return text if text.endswith((".", "!", "?", ":", "`")) else text + "."  # a quoted comment ends as quoted


def _best_block(parts: list[Block], kinds: tuple[str, ...], weights: dict[str, float], after: int = -1) -> int | None:
    candidates = [b for b in parts if b.kind in kinds]
    if not candidates:
        return None

    def score(block: Block) -> tuple[float, int]:
        words = set(terms(block.text))
        overlap = sum(w for t, w in weights.items() if t in words)
        return (overlap + (0.01 if block.index > after else 0), -block.index)

    return max(candidates, key=score).index


def support_blocks(
    parts: list[Block],
    lead: list[Statement],
    question: str,
    vocab: Vocabulary,
    style: Style,
    want_code: bool,
    exclude: AbstractSet[str] = frozenset(),
) -> list[Block]:
    """The blocks shown under the opening: what the lead comes from and needs, whole."""
    if style.whole_section:
        chosen = {b.index for b in parts}
    else:
        chosen: set[int] = set()
        weights = key_weights(vocab, question)
        lead_blocks = {st.block for st in lead}
        for index in lead_blocks:
            block = parts[index]
            if block.kind in ("table", "code", "list"):
                chosen.add(index)  # the row or item is shown in its table or list
            elif style.name != "brief" and len(lead) < len(statements([block])):
                chosen.add(index)  # the paragraph says more than the opening
            # a paragraph that introduces the next block brings it
            if block.kind == "paragraph" and block.text.rstrip().endswith(":") and index + 1 < len(parts):
                chosen.add(index + 1)
        if _CHOICE.search(question):  # "opaque tokens or JWTs?": the paragraph next to the opening on the other one
            said = set().union(*(present(plain(st.text)) for st in lead)) if lead else set()
            for index in sorted(lead_blocks):
                for near in (index - 1, index + 1):
                    if 0 <= near < len(parts) and parts[near].kind == "paragraph" and near not in chosen:
                        if any(covered(t, present(plain(parts[near].text))) and not covered(t, said) for t in weights):
                            chosen.add(near)
        if want_code and not any(parts[i].kind == "code" and parts[i].text not in exclude for i in chosen):
            fresh = [b for b in parts if b.text not in exclude]
            index = _best_block(fresh, ("code", "table"), weights, after=min(lead_blocks, default=-1))
            if index is not None:
                chosen.add(index)
        if style.name != "brief" and not any(parts[i].kind in ("code", "table") for i in chosen):
            index = _best_block(parts, ("table",), weights)
            if index is not None and set(terms(parts[index].text)) & set(weights):
                chosen.add(index)
            else:  # the example that follows the explanation, as the lesson shows it
                after = [b for b in parts if b.kind == "code" and b.index > min(lead_blocks, default=-1)]
                if after and after[0].index - max(lead_blocks, default=0) <= 2 and after[0].text not in exclude:
                    chosen.add(after[0].index)
        if style.name != "brief":
            _carry_on(parts, chosen, lead, weights, bool(_HOW.search(question)))
    # A code block the lesson explains right after it (a list: "- **Header**: …", or a sentence that carries on
    # in lower case into the next block: "a Jac program next to it can use it directly:") is shown with that
    # explanation, except in a brief answer.
    if style.name != "brief":
        for index in sorted(chosen):
            if parts[index].kind == "code" and index + 1 < len(parts) and index + 1 not in chosen:
                after = parts[index + 1]
                lower = after.text[:1].islower()
                carries_on = after.kind == "paragraph" and lower and after.text.rstrip().endswith(":")
                if after.kind == "list" or carries_on:
                    chosen.add(index + 1)
    # Never a lead-in without what it introduces: a chosen paragraph ending in ":" brings the next block, and a
    # chosen code block or table brings the sentence that introduces it.
    for index in sorted(chosen):
        block = parts[index]
        if block.kind == "paragraph" and block.text.rstrip().endswith(":") and index + 1 < len(parts):
            chosen.add(index + 1)
        if block.kind in ("code", "table") and index > 0 and parts[index - 1].kind == "paragraph":
            if parts[index - 1].text.rstrip().endswith(":"):
                chosen.add(index - 1)
    return [parts[i] for i in sorted(chosen)]


# A sentence that tells how to do it ("Import from it with…", "Attach it to the view:", "To …, add …").
_HOW_TO_SENTENCE = re.compile(
    r"^(to \w+|then|now|import|use|add|attach|set|call|pass|put|register|run|install|create|write|return|raise|"
    r"wrap|give|list|include|declare|define|send|check)\b",
    re.I,
)


def _carry_on(
    parts: list[Block], chosen: set[int], lead: list[Statement], weights: dict[str, float], how: bool
) -> None:
    """The answer does not stop halfway: when the paragraph right after what is shown says a word of the question
    nothing shown says yet ("import" in "put files in a folder and import from it") or, for a how-to question, tells
    how to do it ("Import from the package with…"), it is shown too (with the block it introduces)."""
    if not chosen:
        return
    after = max(chosen) + 1
    if after >= len(parts) or parts[after].kind != "paragraph":
        return
    first = statements([parts[after]])
    if not first:
        return
    shown = set().union(*(present(plain(parts[i].text)) for i in chosen), *(present(plain(st.text)) for st in lead))
    new_words = [t for t in weights if covered(t, present(plain(parts[after].text))) and not covered(t, shown)]
    if new_words or (how and _HOW_TO_SENTENCE.match(plain(first[0].text))):
        chosen.add(after)


def _whole_short_paragraphs(lead: list[Statement], parts: list[Block]) -> list[Statement]:
    """When the opening leaves only a little of its paragraph unsaid ("Logging in may fix it."), it says the whole
    paragraph in order: a leftover sentence read on its own below would have lost its subject."""
    if not lead or lead[0].kind not in ("sentence",):
        return lead
    out: list[Statement] = []
    done: set[int] = set()
    for st in lead:
        if st.kind != "sentence" or st.block in done:
            if st.block not in done:
                out.append(st)
            continue
        paragraph = statements([parts[st.block]])
        said = " ".join(plain(x.text) for x in lead)
        rest = sum(len(x.text) for x in paragraph if plain(x.text) not in said)
        if 0 < rest < 200 and not any(x.lead_in for x in paragraph):
            out.extend(paragraph)
            done.add(st.block)
        else:
            out.append(st)
    return out


def _strip_repeats(block: Block, lead: list[Statement]) -> str:
    """A paragraph without the sentences already said in the opening (nothing is printed twice)."""
    if block.kind != "paragraph":
        return block.text
    said = " ".join(plain(st.text) for st in lead)
    rest = [st.text for st in statements([block]) if plain(st.text) not in said]
    return " ".join(rest)


def cite(sections: list[Section]) -> str:
    lines = []
    for s in sections:
        where = f"{s.module_title} › {s.heading}" if s.heading and s.heading != s.module_title else s.module_title
        lines.append(f"- [{s.path_title} › {where}]({s.url}) (module {s.module_id}, section `#{s.anchor}`)")
    return ("Source:\n" if len(lines) == 1 else "Sources:\n") + "\n".join(lines)


def compose(
    *,
    question: str,
    sections: list[Section],
    vocab: Vocabulary,
    profile: TutorProfile,
    want_code: bool = False,
    shown: str = "",
    lead_override: list[Statement] | None = None,
    context: str = "",
    sims: Sequence[float] | None = None,
) -> TutorAnswer:
    """The offline answer from the ranked sections (the first answers; a detailed answer adds the next one from
    another lesson). `shown` is the previous answer's text: a follow-up does not repeat a code block it showed."""
    style = style_of(profile)
    best = sections[0]
    want_code = want_code or bool(_HOW.search(question))
    lead, parts = choose_lead(best, question, vocab, style.lead, shown, want_code, context, sims)
    if context:  # the blocks shown under the opening are chosen for the whole topic
        question = f"{question} {context}"
    if lead_override is not None:
        lead = lead_override
    exclude = {b.text for b in parts if b.kind == "code" and b.text in shown}
    support = support_blocks(parts, lead, question, vocab, style, want_code, exclude)
    out: list[str] = []
    introduced = None
    lead = _whole_short_paragraphs(lead, parts)
    if lead and lead[-1].lead_in and lead[-1].block + 1 < len(parts):
        introduced = parts[lead[-1].block + 1]  # printed right under the sentence that introduces it
    answer_word = yes_or_no(question, lead, vocab) if lead_override is None else None
    opening = [_as_sentence(st.text) for st in lead]
    if answer_word and opening:
        word, at = answer_word
        if not _LEANS.search(lead[at].text):  # the rule that settles it is said first…
            opening.insert(0, opening.pop(at))
        elif at > 1 and lead[at - 1].block == lead[at].block:  # …with the sentence it leans on ("…in it.")
            opening = [*opening[at - 1 : at + 1], *opening[: at - 1], *opening[at + 1 :]]
        opening[0] = f"{word} — {opening[0]}"
    # A how-to whose answer is a code block shows it right after the opening, before the rest of the passage.
    early = None
    if want_code and introduced is None and lead and not any(b.kind == "table" for b in support):
        early = next((b for b in support if b.kind == "code"), None)
        if early is not None and early.index > 0 and parts[early.index - 1].text.rstrip().endswith(":"):
            early = None  # it stays under the sentence that introduces it
    if lead:  # the opening is said whole ("`break` … `continue` …" is one answer), then the code
        out.append(" ".join(opening))
        if introduced is not None:
            out.append(introduced.text)
        elif early is not None:
            out.append(early.text)
    said = {plain(st.text) for st in lead}
    for block in support:
        if introduced is not None and block.index == introduced.index:
            continue
        if early is not None and block.index == early.index:
            continue
        if block.kind == "list" and all(plain(st.text) in said for st in statements([block])):
            continue  # every item is already the opening: nothing is printed twice
        text = _strip_repeats(block, lead)
        if text.strip() and not (text.rstrip().endswith(":") and block.index + 1 >= len(parts)):
            out.append(text)
    cited = [best]
    other = _second_source(sections, style) if lead_override is None else None
    if other is not None:
        extra_lead, other_parts = choose_lead(other, question, vocab, 1)
        if extra_lead and style.sources > 1:
            extra = [f"See also *{other.module_title} › {other.heading}*. {_as_sentence(extra_lead[0].text)}"]
            needed = support_blocks(other_parts, extra_lead, question, vocab, Style("brief", 1, 1, False), False)
            extra += [b.text for b in needed if b.kind != "paragraph"]
            out.append("\n\n".join(extra))
            cited.append(other)
        else:  # a close runner-up from another lesson is cited under the answer (the opening stays)
            if extra_lead and _says_enough(extra_lead[0], question, vocab):
                out.append(f"See also *{other.module_title} › {other.heading}*. {_as_sentence(extra_lead[0].text)}")
            cited.append(other)
    if style.name == "encouraging":
        out.append(
            "You're asking exactly the right question — try the example yourself and change one thing to see "
            "what happens."
        )
    elif style.name != "brief" and profile.level <= 2 and any(b.kind == "code" for b in support):
        out.append("Tip: type the example out and run it yourself, then change one thing and predict the result.")
    out.append(cite(cited))
    passages = [Passage(s.source, s.body, s.score) for s in cited]
    return TutorAnswer(text="\n\n".join(out), sources=[s.source for s in cited], confident=True, passages=passages)


SECOND_SOURCE_AT = 0.68  # a section of another lesson this close to the best one is cited too (not in a brief answer)
DETAILED_SECOND_AT = 0.5  # …and in a detailed answer, a little further


SEE_ALSO_SHARE = 0.5  # the runner-up's sentence is quoted when it says this share of the question's words


def _says_enough(st: Statement, question: str, vocab: Vocabulary) -> bool:
    """Whether a sentence of the runner-up section is worth quoting: a sentence or item (not a lead-in cut from its
    block) that says a good share of the question's words; otherwise the section is only cited."""
    if st.kind not in ("sentence", "item") or st.lead_in:
        return False
    weights = key_weights(vocab, clean(vocab, question))
    total = sum(weights.values())
    return bool(total) and _matched(weights, _credit(st)) / total >= SEE_ALSO_SHARE


def _second_source(sections: list[Section], style: Style) -> Section | None:
    """The best section of another lesson, when it scores close to the best one: the question may be that lesson's
    (the two are near ties), so the learner gets both, the best one first."""
    if style.name == "brief" or not sections:
        return None
    best = sections[0]
    share = DETAILED_SECOND_AT if style.sources > 1 else SECOND_SOURCE_AT
    for s in sections[1:]:
        if s.module_id != best.module_id:
            return s if s.score >= share * best.score else None
    return None


def unknown(profile: TutorProfile, nearest: list[Section]) -> TutorAnswer:
    """The honest answer when no lesson covers the question: say so, and name the nearest lessons there are."""
    opener = "Good question, but I" if profile.feedback_style.lower() == "encouraging" else "I"
    text = (
        f"{opener} don't know: none of our lessons covers that, and I would rather not guess. "
        "Try rephrasing it with the terms your lesson uses, or ask about the module you are studying."
    )
    if nearest:
        seen: list[str] = []
        for s in nearest:
            line = f"- [{s.path_title} › {s.module_title}]({s.url.split('#')[0]})"
            if line not in seen:
                seen.append(line)
        text += "\n\nThe nearest lessons I do have:\n" + "\n".join(seen[:3])
    return TutorAnswer(text=text, sources=[], confident=False)


def render_passage(section: Section) -> Passage:
    return Passage(
        Source("module", section.module_id, section.module_title, section.heading, section.anchor, section.url),
        section.body,
        section.score,
    )
