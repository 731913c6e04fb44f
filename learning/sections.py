"""A lesson's Markdown cut into sections: a heading with its paragraphs, code blocks, tables and lists kept whole.

A section is the unit the tutor retrieves and cites, so it has a stable anchor (GitHub-style slug of its heading,
made unique within the lesson) that the SPA can deep-link to: `/learning/<path id>/module/<module id>#<anchor>`.
Pure functions: no database, so the seed, the admin and the tests share one parser.
"""

import re
import unicodedata
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class SectionUnit:
    position: int  # reading order within the lesson, from 0
    level: int  # 1 for `#`, 2 for `##`, …; 0 for text before any heading
    heading: str  # as written, without backticks or emphasis
    anchor: str
    body: str  # the Markdown under the heading, up to the next heading of any level


def slugify_heading(heading: str) -> str:
    """GitHub's anchor rule, close enough for our headings: lower-case, accents folded, punctuation dropped, spaces →
    hyphens ("`if __name__ == "__main__":`" → "if-__name__--__main__")."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.strip().replace(" ", "-") or "section"


def plain_heading(raw: str) -> str:
    return raw.replace("`", "").replace("**", "").strip()


def split_lesson(markdown: str) -> list[SectionUnit]:
    """Every heading starts a section (`#` lines inside code fences are comments, not headings). Text before the
    first heading is a section of its own (level 0). Empty sections are dropped; positions stay in reading order."""
    raw: list[tuple[int, str, list[str]]] = [(0, "", [])]
    fenced = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            raw.append((len(match.group(1)), plain_heading(match.group(2)), []))
        else:
            raw[-1][2].append(line)
    units: list[SectionUnit] = []
    seen: dict[str, int] = {}
    for level, heading, lines in raw:
        body = "\n".join(lines).strip()
        if not body:
            continue
        base = slugify_heading(heading) if heading else "introduction"
        count = seen.get(base, 0)
        seen[base] = count + 1
        anchor = base if count == 0 else f"{base}-{count}"
        units.append(SectionUnit(len(units), level, heading, anchor, body))
    return units
