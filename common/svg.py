"""A small server-side SVG renderer for Pathwise's pictures: roadmaps, graphs and the staff dashboard's charts.

Written here rather than taken from a library: the pictures need a deterministic layered-graph layout, charts with
exact escaping and no script, and nothing else (pygal and matplotlib emit JavaScript or pull in hundreds of
megabytes). Every string reaching the output goes through `esc()`; the output never contains a `<script>`, an
event attribute or an external reference, and the same input always gives the same bytes (coordinates are rounded
and every collection is sorted before it is drawn).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Characters XML 1.0 forbids (control characters other than tab/newline/return, lone surrogates, U+FFFE/U+FFFF).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
CHAR_WIDTH = 6.6  # mean advance of a 12 px sans-serif glyph: truncation estimates, not typography
PALETTE = ["#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569"]
INK, MUTED, GRID, DONE, DONE_FILL, NODE_FILL = "#1f2937", "#6b7280", "#e5e7eb", "#15803d", "#dcfce7", "#f8fafc"


def esc(text: Any) -> str:
    """Text for an XML text node or a double- or single-quoted attribute."""
    value = _XML_INVALID.sub("\ufffd", str(text))
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def num(value: float) -> str:
    """A coordinate, rounded to 0.1 so the same layout always prints the same bytes."""
    rounded = round(float(value), 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def clip(text: str, width: float, char_width: float = CHAR_WIDTH) -> str:
    """The text cut to about `width` pixels, with an ellipsis when cut."""
    text = " ".join(str(text).split())
    most = max(int(width / char_width), 2)
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


class Svg:
    """An SVG document built from escaped parts."""

    def __init__(self, width: float, height: float, *, title: str, description: str = "") -> None:
        self.width, self.height = max(width, 1), max(height, 1)
        self.title, self.description = title, description
        self.defs: list[str] = []
        self.parts: list[str] = []

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: str,
        stroke: str = "none",
        rx: float = 0,
        cls: str = "",
        tip: str = "",
        extra: str = "",
    ) -> None:
        attrs = f' class="{esc(cls)}"' if cls else ""
        body = f"<title>{esc(tip)}</title>" if tip else ""
        stroke_attr = f' stroke="{stroke}"' if stroke != "none" else ""
        rounded = f' rx="{num(rx)}"' if rx else ""
        markup = (
            f'<rect{attrs} x="{num(x)}" y="{num(y)}" width="{num(max(w, 0))}" height="{num(max(h, 0))}"{rounded}'
            f' fill="{fill}"{stroke_attr}{extra}'
        )
        self.add(f"{markup}>{body}</rect>" if body else f"{markup}/>")

    def line(
        self, x1: float, y1: float, x2: float, y2: float, *, stroke: str = GRID, width: float = 1, dash: str = ""
    ) -> None:
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(
            f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" stroke="{stroke}"'
            f' stroke-width="{num(width)}"{dashed}/>'
        )

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 12,
        fill: str = INK,
        anchor: str = "start",
        weight: str = "normal",
        cls: str = "",
    ) -> None:
        attrs = f' class="{esc(cls)}"' if cls else ""
        bold = f' font-weight="{weight}"' if weight != "normal" else ""
        self.add(
            f'<text{attrs} x="{num(x)}" y="{num(y)}" font-size="{num(size)}" fill="{fill}"'
            f' text-anchor="{anchor}"{bold}>{esc(text)}</text>'
        )

    def render(self) -> str:
        defs = f"<defs>{''.join(self.defs)}</defs>" if self.defs else ""
        desc = f"<desc>{esc(self.description)}</desc>" if self.description else ""
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{num(self.width)}" height="{num(self.height)}"'
            f' viewBox="0 0 {num(self.width)} {num(self.height)}" role="img" font-family="{esc(FONT)}">'
            f"<title>{esc(self.title)}</title>{desc}{defs}"
            f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(self.parts)}</svg>\n'
        )


def empty_picture(title: str, message: str, width: float = 480, height: float = 120) -> str:
    svg = Svg(width, height, title=title, description=message)
    svg.text(16, 28, title, size=15, weight="bold")
    svg.text(16, 60, message, fill=MUTED)
    return svg.render()


# --- charts ----------------------------------------------------------------------------------------------------------


@dataclass
class Series:
    name: str
    values: list[float]
    color: str = ""
    kind: str = "bar"  # "bar" (stacked with the other bar series) | "line" (on the right-hand axis when `right`)
    right: bool = False


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    width: float = 720,
    height: float = 260,
    unit: str = "",
    right_unit: str = "",
    chart_id: str = "",
) -> str:
    """Stacked bars per label, optional line series (on a right-hand axis when `right`), a legend and axes.
    Every bar and point carries its exact value in a <title>."""
    svg = Svg(width, height, title=title, description=f"{len(labels)} points")
    left, right, top, bottom = 52, 52 if any(s.right for s in series) else 16, 40, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    bars = [s for s in series if s.kind == "bar"]
    lines = [s for s in series if s.kind == "line"]
    stacked = [sum(s.values[i] for s in bars) for i in range(len(labels))] if bars else [0.0]
    left_max = _nice_max(max([*stacked, *[v for s in lines if not s.right for v in s.values]], default=0))
    right_max = _nice_max(max([v for s in lines if s.right for v in s.values], default=0))
    svg.text(left, 18, title, size=14, weight="bold")
    legend_x = left
    for index, s in enumerate(series):
        color = s.color or PALETTE[index % len(PALETTE)]
        svg.rect(legend_x, 26, 10, 10, fill=color)
        svg.text(legend_x + 14, 35, s.name, size=11, fill=MUTED)
        legend_x += 24 + len(s.name) * 6.2
    for tick in range(5):
        y = top + plot_h - plot_h * tick / 4
        svg.line(left, y, left + plot_w, y)
        svg.text(left - 6, y + 4, _fmt(left_max * tick / 4) + unit, size=10, fill=MUTED, anchor="end")
        if any(s.right for s in lines):
            svg.text(left + plot_w + 6, y + 4, _fmt(right_max * tick / 4) + right_unit, size=10, fill=MUTED)
    n = max(len(labels), 1)
    slot = plot_w / n
    bar_w = max(min(slot * 0.7, 40), 1)
    every = max(1, int(n / max(plot_w / 60, 1)) + (1 if n * 60 > plot_w else 0))
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar_w) / 2
        base = top + plot_h
        for index, s in enumerate(series):
            if s.kind != "bar":
                continue
            value = s.values[i]
            h = plot_h * value / left_max
            if value > 0:
                svg.rect(
                    x,
                    base - h,
                    bar_w,
                    h,
                    fill=s.color or PALETTE[index % len(PALETTE)],
                    cls="bar",
                    tip=f"{label}: {s.name} {_fmt(value)}{unit}",
                )
            base -= h
        if i % every == 0:
            svg.text(left + slot * i + slot / 2, top + plot_h + 16, label, size=10, fill=MUTED, anchor="middle")
    for index, s in enumerate(series):
        if s.kind != "line":
            continue
        color = s.color or PALETTE[index % len(PALETTE)]
        scale = right_max if s.right else left_max
        points = [(left + slot * i + slot / 2, top + plot_h - plot_h * v / scale) for i, v in enumerate(s.values)]
        if len(points) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{num(x)},{num(y)}" for i, (x, y) in enumerate(points))
            svg.add(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for (x, y), label, value in zip(points, labels, s.values, strict=True):
            unit_text = right_unit if s.right else unit
            svg.add(
                f'<circle class="point" cx="{num(x)}" cy="{num(y)}" r="3" fill="{color}">'
                f"<title>{esc(f'{label}: {s.name} {_fmt(value)}{unit_text}')}</title></circle>"
            )
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, stroke=MUTED)
    out = svg.render()
    return out.replace("<svg ", f'<svg data-chart="{esc(chart_id)}" ', 1) if chart_id else out


def hbar_chart(
    *,
    title: str,
    rows: Sequence[tuple[str, Sequence[float], str]],
    names: Sequence[str],
    width: float = 720,
    unit: str = "",
    chart_id: str = "",
    maximum: float | None = None,
    colors: Sequence[str] = (),
) -> str:
    """Horizontal bars: one row per (label, values side by side, note at the end of the row)."""
    row_h, bar_h = 22 + 10 * max(len(names) - 1, 0), 10
    label_w = min(max([len(label) for label, _, _ in rows] + [8]) * 6.4 + 16, 240)
    height = 48 + max(len(rows), 1) * row_h + 10
    svg = Svg(width, height, title=title, description=f"{len(rows)} rows")
    svg.text(12, 18, title, size=14, weight="bold")
    legend_x = label_w
    for index, name in enumerate(names):
        svg.rect(legend_x, 26, 10, 10, fill=(colors or PALETTE)[index % len(colors or PALETTE)])
        svg.text(legend_x + 14, 35, name, size=11, fill=MUTED)
        legend_x += 24 + len(name) * 6.2
    top_value = maximum if maximum is not None else _nice_max(max((v for _, vs, _ in rows for v in vs), default=0))
    note_w = min(max([len(note) for _, _, note in rows] + [10]) * 6.0 + 16, width * 0.55)
    plot_w = width - label_w - note_w - 8
    for r, (label, values, note) in enumerate(rows):
        y = 48 + r * row_h
        svg.text(label_w - 8, y + 12, clip(label, label_w - 8, 6.0), size=11, anchor="end")
        for index, value in enumerate(values):
            w = plot_w * (value / top_value if top_value else 0)
            svg.rect(
                label_w,
                y + 3 + index * bar_h,
                max(w, 1 if value else 0),
                bar_h - 1,
                cls="bar",
                fill=(colors or PALETTE)[index % len(colors or PALETTE)],
                tip=f"{label}: {names[index]} {_fmt(value)}{unit}",
            )
        svg.text(label_w + plot_w + 8, y + 12, clip(note, note_w - 8, 6.0), size=11, fill=MUTED)
    if not rows:
        svg.text(label_w, 60, "No data yet", fill=MUTED)
    out = svg.render()
    return out.replace("<svg ", f'<svg data-chart="{esc(chart_id)}" ', 1) if chart_id else out


# --- layered graphs --------------------------------------------------------------------------------------------------


@dataclass
class Node:
    id: str
    label: str
    kind: str = ""
    done: bool = False
    tip: str = ""  # the hover text (an SVG <title>): resources, descriptions…
    column: int | None = None  # a fixed column (a roadmap's week); otherwise the prerequisite depth
    order: tuple[Any, ...] = ()
    badge: str = ""


@dataclass
class Edge:
    source: str
    target: str
    kind: str = ""


@dataclass
class GraphStyle:
    colors: dict[str, str] = field(default_factory=dict)  # node kind → stroke colour
    edge_colors: dict[str, str] = field(default_factory=dict)  # edge kind → colour
    column_names: dict[int, str] = field(default_factory=dict)
    node_w: float = 190
    node_h: float = 30
    gap_x: float = 70
    gap_y: float = 12
    max_rows: int = 24  # a column taller than this wraps into sub-columns


def layers(nodes: Sequence[Node], edges: Iterable[Edge]) -> dict[str, int]:
    """Each node's column: its fixed one, else the longest chain of edges leading to it (a cycle is cut at the
    node where it closes, so any input terminates)."""
    ids = {n.id for n in nodes}
    incoming: dict[str, list[str]] = {n.id: [] for n in nodes}
    for e in edges:
        if e.source in ids and e.target in ids and e.source != e.target:
            incoming[e.target].append(e.source)
    fixed = {n.id: n.column for n in nodes if n.column is not None}
    depth: dict[str, int] = {}
    for start in sorted(ids):
        stack: list[tuple[str, int]] = [(start, 0)]
        visiting: set[str] = set()
        while stack:
            node, state = stack.pop()
            if node in depth:
                continue
            if node in fixed:
                depth[node] = fixed[node]  # type: ignore[assignment]
                continue
            if state == 0:
                visiting.add(node)
                stack.append((node, 1))
                stack.extend((p, 0) for p in sorted(incoming[node]) if p not in depth and p not in visiting)
            else:
                visiting.discard(node)
                depth[node] = max((depth[p] + 1 for p in incoming[node] if p in depth), default=0)
    return depth


def graph_svg(
    *,
    title: str,
    nodes: Sequence[Node],
    edges: Sequence[Edge],
    style: GraphStyle | None = None,
    legend: Sequence[tuple[str, str]] = (),
    subtitle: str = "",
) -> str:
    """A left-to-right layered drawing: columns from `layers()`, nodes ordered within a column by `order` then
    id, arrows from the right side of a source to the left side of its target, completed nodes marked."""
    style = style or GraphStyle()
    if not nodes:
        return empty_picture(title, subtitle or "Nothing to draw yet.")
    column_of = layers(nodes, edges)
    by_column: dict[int, list[Node]] = {}
    for node in nodes:
        by_column.setdefault(column_of[node.id], []).append(node)
    # Columns are laid out in order; a tall column wraps into several sub-columns of at most max_rows nodes.
    positions: dict[str, tuple[float, float]] = {}
    headers: list[tuple[float, str]] = []
    x, header_h, top = 16.0, 26.0 if style.column_names else 0.0, 52.0 + (16 if subtitle else 0)
    tallest = 0
    for column in sorted(by_column):
        members = sorted(by_column[column], key=lambda n: (n.order, n.id))
        chunks = [members[i : i + style.max_rows] for i in range(0, len(members), style.max_rows)]
        if style.column_names:
            headers.append((x, style.column_names.get(column, str(column))))
        for chunk in chunks:
            for row, node in enumerate(chunk):
                positions[node.id] = (x, top + header_h + row * (style.node_h + style.gap_y))
            tallest = max(tallest, len(chunk))
            x += style.node_w + style.gap_x
    width = x - style.gap_x + 16
    height = top + header_h + tallest * (style.node_h + style.gap_y) + 12 + (22 if legend else 0)
    svg = Svg(max(width, 420), height, title=title, description=subtitle or f"{len(nodes)} nodes, {len(edges)} edges")
    svg.text(16, 22, title, size=15, weight="bold")
    if subtitle:
        svg.text(16, 42, subtitle, size=11, fill=MUTED)
    kinds = sorted({e.kind for e in edges} | {""})
    for kind in kinds:
        color = style.edge_colors.get(kind, MUTED)
        svg.defs.append(
            f'<marker id="arrow-{esc(kind or "edge")}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"'
            f' markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>'
        )
    for header_x, name in headers:
        svg.text(header_x, top + 14, name, size=11, fill=MUTED, weight="bold")
    drawn = sorted({(e.source, e.target, e.kind) for e in edges if e.source in positions and e.target in positions})
    for source, target, kind in drawn:
        sx, sy = positions[source]
        tx, ty = positions[target]
        color = style.edge_colors.get(kind, MUTED)
        y1, y2 = sy + style.node_h / 2, ty + style.node_h / 2
        if tx > sx:
            x1, x2 = sx + style.node_w, tx - 1
            bend = max((x2 - x1) / 2, 20)
            d = f"M{num(x1)},{num(y1)} C{num(x1 + bend)},{num(y1)} {num(x2 - bend)},{num(y2)} {num(x2)},{num(y2)}"
        else:  # same column or backwards: loop out to the left
            x1, x2 = sx, tx
            out = min(sx, tx) - 14
            d = f"M{num(x1)},{num(y1)} C{num(out)},{num(y1)} {num(out)},{num(y2)} {num(x2 - 1)},{num(y2)}"
        svg.add(
            f'<path class="edge" d="{d}" fill="none" stroke="{color}" stroke-width="1.3" opacity="0.8"'
            f' marker-end="url(#arrow-{esc(kind or "edge")})"><title>{esc(f"{source} → {target} ({kind})")}</title>'
            "</path>"
        )
    for node in sorted(nodes, key=lambda n: n.id):
        nx, ny = positions[node.id]
        stroke = DONE if node.done else style.colors.get(node.kind, "#94a3b8")
        fill = DONE_FILL if node.done else NODE_FILL
        tip = node.label + (f"\n{node.tip}" if node.tip else "") + ("\n✓ completed" if node.done else "")
        mark = "✓ " if node.done else ""
        badge_w = len(node.badge) * 6 + 10 if node.badge else 0
        label = clip(mark + node.label, style.node_w - 16 - badge_w)
        svg.add(
            f'<g class="node{" done" if node.done else ""}" data-id="{esc(node.id)}"><title>{esc(tip)}</title>'
            f'<rect x="{num(nx)}" y="{num(ny)}" width="{num(style.node_w)}" height="{num(style.node_h)}" rx="6"'
            f' fill="{fill}" stroke="{stroke}" stroke-width="{2 if node.done else 1.4}"/>'
            f'<text x="{num(nx + 8)}" y="{num(ny + style.node_h / 2 + 4)}" font-size="12" fill="{INK}">{esc(label)}'
            "</text>"
            + (
                f'<text x="{num(nx + style.node_w - 6)}" y="{num(ny + style.node_h / 2 + 4)}" font-size="10"'
                f' fill="{MUTED}" text-anchor="end">{esc(node.badge)}</text>'
                if node.badge
                else ""
            )
            + "</g>"
        )
    legend_x = 16.0
    for name, color in legend:
        svg.rect(legend_x, height - 20, 10, 10, fill=color)
        svg.text(legend_x + 14, height - 11, name, size=11, fill=MUTED)
        legend_x += 28 + len(name) * 6.2
    return svg.render()


# --- Mermaid ---------------------------------------------------------------------------------------------------------


def mermaid_id(raw: str) -> str:
    """A Mermaid node id: letters, digits and underscores only (ids never carry user text)."""
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", raw)


def mermaid_label(text: str) -> str:
    """Text for a quoted Mermaid label: quotes, angle brackets, ampersands and line breaks as Mermaid entity codes,
    so a label can neither close its quotes nor inject markup into the client's drawing."""
    value = _XML_INVALID.sub("\ufffd", " ".join(str(text).split()))
    for char, code in (("#", "#35;"), ("&", "#38;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        value = value.replace(char, code)
    for char, code in (("`", "#96;"), ("|", "#124;"), ("[", "#91;"), ("]", "#93;"), ("{", "#123;"), ("}", "#125;")):
        value = value.replace(char, code)
    return value


def graph_mermaid(
    *,
    title: str,
    nodes: Sequence[Node],
    edges: Sequence[Edge],
    clusters: dict[str, str] | None = None,
    arrows: dict[str, str] | None = None,
) -> str:
    """`flowchart LR` text: nodes (completed ones in the `done` class), edges with their kind as a label; with
    `clusters` (node id → cluster name) the nodes are grouped in subgraphs."""
    arrows = arrows or {}
    lines = ["---", f"title: {mermaid_label(title)}", "---", "flowchart LR"]
    ids = {n.id for n in nodes}
    grouped: dict[str, list[Node]] = {}
    for node in sorted(nodes, key=lambda n: (n.order, n.id)):
        grouped.setdefault((clusters or {}).get(node.id, ""), []).append(node)
    for number, cluster in enumerate(sorted(grouped, key=lambda c: (c != "", c))):
        indent = "    "
        if cluster:
            lines.append(f'    subgraph c{number}["{mermaid_label(cluster)}"]')
            indent = "        "
        for node in grouped[cluster]:
            mark = "✓ " if node.done else ""
            lines.append(f'{indent}{mermaid_id(node.id)}["{mermaid_label(mark + node.label)}"]')
        if cluster:
            lines.append("    end")
    for e in sorted({(e.source, e.target, e.kind) for e in edges}):
        source, target, kind = e
        if source in ids and target in ids:
            arrow = arrows.get(kind, "-->")
            label = f"|{mermaid_label(kind)}|" if kind else ""
            lines.append(f"    {mermaid_id(source)} {arrow}{label} {mermaid_id(target)}")
    done = [mermaid_id(n.id) for n in sorted(nodes, key=lambda n: n.id) if n.done]
    lines.append("    classDef done fill:#dcfce7,stroke:#15803d,stroke-width:2px")
    if done:
        lines.append(f"    class {','.join(done)} done")
    return "\n".join(lines) + "\n"


def stack(*, title: str, parts: Sequence[str], description: str = "", gap: float = 8) -> str:
    """Several pictures of this module one under the other in one SVG document (nested <svg> elements)."""
    sizes = [(float(m.group(1)), float(m.group(2))) for m in (_SIZE.search(p) for p in parts) if m]
    width = max((w for w, _ in sizes), default=1)
    height = sum(h for _, h in sizes) + gap * max(len(parts) - 1, 0)
    out = Svg(width, height, title=title, description=description)
    y = 0.0
    for part, (_, h) in zip(parts, sizes, strict=True):
        out.add(part.strip().replace("<svg ", f'<svg x="0" y="{num(y)}" ', 1))
        y += h + gap
    return out.render()


_SIZE = re.compile(r'<svg [^>]*?width="([0-9.]+)" height="([0-9.]+)"')
