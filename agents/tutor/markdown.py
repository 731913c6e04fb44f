"""Reading a lesson section's Markdown as blocks and statements (`learning.lesson_markdown`, shared with the lessons
corpus, which embeds each statement as a passage), and the splitters the content generator uses."""

import re

from learning.lesson_markdown import (
    SENTENCE,
    Block,
    Statement,
    blocks,
    list_items,
    plain,
    statements,
    table_rows,
)

__all__ = [
    "SENTENCE",
    "Block",
    "Statement",
    "blocks",
    "list_items",
    "plain",
    "quotable_units",
    "split_sections",
    "statements",
    "table_rows",
]

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*$")


# --- Used by the content generator (agents/content.py) ---------------------------------------------------------------


def split_sections(markdown: str) -> list[tuple[str, str]]:
    """(heading, body) per `#`/`##`/`###` section; `#` lines inside code fences are code comments, not headings."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading:
            sections.append((heading.group(2).replace("`", "").strip(), []))
        else:
            sections[-1][1].append(line)
    merged: list[tuple[str, str]] = []
    for heading, lines in sections:
        body = "\n".join(lines).strip()
        if not body:
            continue
        if merged and len(body) < 120:  # a one-line stub section reads better attached to the one before
            merged[-1] = (merged[-1][0], f"{merged[-1][1]}\n\n{heading}\n{body}".strip())
        else:
            merged.append((heading, body))
    return merged


def quotable_units(text: str) -> list[str]:
    """Quotable pieces of a passage: sentences and list items as they read, and whole code blocks."""
    units: list[str] = []
    for block in blocks(text):
        if block.kind == "code":
            units.append(block.text)
        elif block.kind == "paragraph":
            joined = " ".join(line.strip() for line in block.text.splitlines())
            units.extend(s.strip() for s in SENTENCE.split(joined) if len(s.strip()) > 2)
        elif block.kind == "list":
            units.extend(list_items(block.text))
    return units
