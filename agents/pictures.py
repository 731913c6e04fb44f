"""The knowledge graph as a picture (SVG, or Mermaid text): the same nodes and edges `graph.knowledge_graph` gives
the JSON endpoint, drawn left to right — paths, then modules by prerequisite depth, then the topics they teach."""

from typing import Any

from common import svg

TYPE_RANK = {"learning_path": 0, "module": 1, "topic": 2}
STYLE = svg.GraphStyle(
    colors={"learning_path": "#7c3aed", "module": "#2563eb", "topic": "#0891b2"},
    edge_colors={"contains": "#a78bfa", "prerequisite": "#475569", "related": "#67e8f9"},
    node_w=180,
    gap_x=60,
    max_rows=25,
)
LEGEND = [("learning path", "#7c3aed"), ("module", "#2563eb"), ("topic", "#0891b2"), ("completed", svg.DONE)]
ARROWS = {"contains": "-.->", "prerequisite": "-->", "related": "-.-"}


def _tip(node: dict[str, Any]) -> str:
    data = node.get("data") or {}
    if node["type"] == "learning_path":
        return f"Learning path · {data.get('modules_completed', 0)}/{data.get('modules_total', 0)} modules completed"
    if node["type"] == "module":
        return f"Module ({data.get('module_type', '')}) · {str(data.get('status', '')).replace('_', ' ')}"
    return f"Topic · {data.get('area', '')} · {data.get('difficulty', '')}\n{str(data.get('description', ''))[:300]}"


def _graph(result: dict[str, Any]) -> tuple[list[svg.Node], list[svg.Edge]]:
    nodes = [
        svg.Node(
            id=n["id"],
            label=n["label"],
            kind=n["type"],
            done=bool((n.get("data") or {}).get("completed")),
            tip=_tip(n),
            order=(TYPE_RANK.get(n["type"], 3), n["label"].lower()),
        )
        for n in result["nodes"]
    ]
    edges = [svg.Edge(e["source"], e["target"], e["type"]) for e in result["edges"]]
    return nodes, edges


def _title(result: dict[str, Any]) -> str:
    topic = (result.get("query") or {}).get("topic")
    return f"Knowledge graph around “{topic[:80]}”" if topic else "Knowledge graph"


def knowledge_graph_svg(result: dict[str, Any]) -> str:
    nodes, edges = _graph(result)
    done = sum(1 for n in nodes if n.done)
    subtitle = f"{len(nodes)} nodes · {len(edges)} edges · {done} completed" if nodes else "No topic matched."
    return svg.graph_svg(title=_title(result), subtitle=subtitle, nodes=nodes, edges=edges, style=STYLE, legend=LEGEND)


def knowledge_graph_mermaid(result: dict[str, Any]) -> str:
    nodes, edges = _graph(result)
    return svg.graph_mermaid(title=_title(result), nodes=nodes, edges=edges, arrows=ARROWS)
