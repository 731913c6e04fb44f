"""Reading a lesson section's Markdown as blocks (paragraphs, lists, tables, code) and statements (sentences, list
items, table rows, commented code lines): what the tutor's composer selects from and quotes, never rewriting a fact,
and the passages (one per statement) that the lessons corpus embeds at sync time for passage-level retrieval."""

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*(\"\[])")
_CODE_COMMENT = re.compile(r"^(?P<code>\S.*?)\s+#\s*(?P<comment>.*[A-Za-z]{3,}.*)$")
_FULL_COMMENT = re.compile(r"^#(?![*!])\s*\S")  # "# keys and values together" on a line of its own
# "# file: shop.jac" names a file and "# print(vat)  would raise…" is code switched off: neither explains a line
_LABEL = re.compile(r"^#\s*((file|output|result|prints?)\b\s*:|[\w.]+\()", re.I)
_WORDY = re.compile(r"[A-Za-z]{3,}")


@dataclass(frozen=True)
class Block:
    kind: str  # paragraph | list | table | code
    text: str  # the Markdown, exactly as in the lesson
    index: int


@dataclass(frozen=True)
class Statement:
    """A self-contained piece of a block that can open an answer."""

    text: str  # plain Markdown to print
    block: int  # index of the block it comes from
    kind: str  # sentence | item | row | code_line
    lead_in: bool = False  # ends with ":" — it introduces the next block and cannot stand alone


def blocks(body: str) -> list[Block]:
    out: list[Block] = []
    current: list[str] = []
    kind = ""
    fenced = False

    def flush() -> None:
        nonlocal current, kind
        if current and any(line.strip() for line in current):
            out.append(Block(kind, "\n".join(current).strip("\n"), len(out)))
        current, kind = [], ""

    for line in body.splitlines():
        if fenced:
            current.append(line)
            if _FENCE.match(line):
                fenced = False
                flush()
            continue
        if _FENCE.match(line):
            flush()
            kind, fenced, current = "code", True, [line]
            continue
        stripped = line.strip()
        if not stripped:
            if kind != "list":
                flush()
            else:
                current.append(line)
            continue
        if stripped.startswith("|"):
            if kind != "table":
                flush()
                kind = "table"
            current.append(line)
        elif _LIST_ITEM.match(line):
            if kind != "list":
                flush()
                kind = "list"
            current.append(line)
        elif kind == "list" and (line.startswith((" ", "\t")) or (current and current[-1].strip())):
            current.append(line)  # continuation of an item
        else:
            if kind not in ("paragraph", ""):
                flush()
            kind = "paragraph"
            current.append(line)
    flush()
    return out


def table_rows(text: str) -> tuple[list[str], list[list[str]]]:
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("|")]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    if len(cells) >= 2 and all(set(c) <= set("-: ") for c in cells[1]):
        return cells[0], cells[2:]
    return [], cells


def list_items(text: str) -> list[str]:
    items: list[list[str]] = []
    for line in text.splitlines():
        if _LIST_ITEM.match(line):
            items.append([_LIST_ITEM.sub("", line, count=1).strip()])
        elif items and line.strip():
            items[-1].append(line.strip())
    return [" ".join(parts) for parts in items]


def _row_statement(header: list[str], row: list[str]) -> str:
    if not header or len(header) != len(row):
        return " — ".join(c for c in row if c)
    first = row[0]
    rest = []
    for h, c in zip(header[1:], row[1:], strict=True):
        if c:
            label = h[0].lower() + h[1:] if h and not h[:2].isupper() else h
            rest.append(f"{label} {c}" if label.endswith("?") else f"{label}: {c}" if label else c)
    return f"{first} — " + "; ".join(rest) if rest else first


def statements(parts: list[Block]) -> list[Statement]:
    out: list[Statement] = []
    for block in parts:
        if block.kind == "paragraph":
            text = " ".join(line.strip() for line in block.text.splitlines())
            for sentence in SENTENCE.split(text):
                sentence = sentence.strip()
                if len(sentence) > 2:
                    out.append(Statement(sentence, block.index, "sentence", sentence.endswith(":")))
        elif block.kind == "list":
            for item in list_items(block.text):
                out.append(Statement(item, block.index, "item", item.endswith(":")))
        elif block.kind == "table":
            header, rows = table_rows(block.text)
            for row in rows:
                out.append(Statement(_row_statement(header, row), block.index, "row"))
        elif block.kind == "code":
            out.extend(_code_statements(block))
    return out


def _code_statements(block: Block) -> list[Statement]:
    """A code block's commented lines: a line with a comment after it ("`del cup;` — delete a node…"); a comment on
    a line of its own, with the line of code right under it that it describes, or alone when none follows (a Jac
    `#* block comment *#` is one comment over several lines)."""
    out: list[Statement] = []
    lines = [line.strip() for line in block.text.splitlines()[1:-1]]
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#*"):  # a Jac block comment, kept whole
            end = next((j for j in range(i, len(lines)) if lines[j].endswith("*#")), None)
            if end is not None:
                text = " ".join(lines[i : end + 1])
                if _WORDY.search(text):
                    out.append(Statement(f"`{text}`", block.index, "code_line"))
                i = end + 1
                continue
        match = _CODE_COMMENT.match(line)
        if match and not match["code"].startswith("#"):
            comment = " ".join(match["comment"].split())
            out.append(Statement(f"`{match['code'].strip()}` — {comment}", block.index, "code_line"))
        elif _FULL_COMMENT.match(line) and not _LABEL.match(line) and _WORDY.search(line):
            comment = " ".join(line.lstrip("#").split())
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if following and not following.startswith("#") and not _CODE_COMMENT.match(following):
                out.append(Statement(f"`{following}` — {comment}", block.index, "code_line"))
            else:
                out.append(Statement(f"`{line}`", block.index, "code_line"))
        i += 1
    return out


def plain(text: str) -> str:
    """Markdown emphasis removed (for matching, not for printing)."""
    return text.replace("**", "").replace("`", "").replace("*", "")


# The passages' format: stored vectors of another version are recomputed at the next sync.
PASSAGES_VERSION = "p2"
CODE_PASSAGE_CHARS = 600  # the start of a code block (the encoder reads 128 word pieces anyway)


def passage_texts(*, module_title: str, heading: str, body: str) -> list[str]:
    """The passages of a section: one per statement in reading order (a sentence, a list item such as one common
    mistake, a table row, a commented code line), then one per code block, each as the precise model embeds it: the
    lesson and the heading first, so "Common mistakes" items of two lessons are told apart and a passage keeps its
    topic. Row i < len(statements) is statement i."""
    where = f"{module_title}. {heading}" if heading and heading != module_title else module_title
    parts = blocks(body)
    out = [f"{where}: {plain(st.text)}" for st in statements(parts)]
    for block in parts:
        if block.kind == "code":
            code = "\n".join(block.text.splitlines()[1:-1]).strip()
            if code:
                out.append(f"{where}: {code[:CODE_PASSAGE_CHARS]}")
    return out
