"""Learning pictures: a learning path's modules and their prerequisites (SVG or Mermaid), and a learner's last four
weeks (minutes and modules completed a day, mastery per path from spaced review)."""

from datetime import date, timedelta
from typing import Any

from common import svg
from learning.choices import ProgressStatus
from learning.models import LearningPath

STYLE = svg.GraphStyle(
    colors={"lesson": "#2563eb", "exercise": "#d97706", "assessment": "#7c3aed"},
    edge_colors={"prerequisite": "#475569"},
    node_w=210,
    gap_x=60,
    max_rows=14,
)
LEGEND = [("lesson", "#2563eb"), ("exercise", "#d97706"), ("assessment", "#7c3aed"), ("completed", svg.DONE)]


def _graph(path: LearningPath, status: dict[int, str]) -> tuple[list[svg.Node], list[svg.Edge]]:
    modules = list(path.modules.all())
    ids = {m.pk for m in modules}
    nodes = [
        svg.Node(
            id=f"module:{m.pk}",
            label=m.title,
            kind=m.module_type,
            done=status.get(m.pk) == ProgressStatus.COMPLETED,
            tip=f"{m.module_type} · {m.estimated_duration} min · {status.get(m.pk, 'not_started').replace('_', ' ')}",
            order=(m.order_index,),
            badge=f"#{m.order_index}",
        )
        for m in modules
    ]
    edges = [
        svg.Edge(f"module:{p.pk}", f"module:{m.pk}", "prerequisite")
        for m in modules
        for p in m.prerequisites.all()
        if p.pk in ids
    ]
    return nodes, edges


def path_svg(path: LearningPath, status: dict[int, str]) -> str:
    nodes, edges = _graph(path, status)
    done = sum(1 for n in nodes if n.done)
    subtitle = f"{len(nodes)} modules · {len(edges)} prerequisites · {done} completed" if nodes else "No modules yet."
    return svg.graph_svg(title=path.title, subtitle=subtitle, nodes=nodes, edges=edges, style=STYLE, legend=LEGEND)


def path_mermaid(path: LearningPath, status: dict[int, str]) -> str:
    nodes, edges = _graph(path, status)
    return svg.graph_mermaid(title=path.title, nodes=nodes, edges=edges)


def progress_chart_svg(*, days: list[dict[str, Any]], mastery: list[dict[str, Any]], today: date) -> str:
    """`days`: the last 28 UTC days oldest first ({date, minutes, modules_completed}); `mastery`: per path
    ({title, mastery 0–1, items_learned})."""
    labels = [date.fromisoformat(d["date"]).strftime("%d %b") for d in days]
    activity = svg.bar_chart(
        title=f"Your last 4 weeks ({(today - timedelta(days=27)).isoformat()} – {today.isoformat()})",
        labels=labels,
        series=[
            svg.Series("minutes", [float(d["minutes"]) for d in days], "#2563eb"),
            svg.Series("modules completed", [float(d["modules_completed"]) for d in days], "#16a34a", "line", True),
        ],
        unit="",
        right_unit="",
        width=760,
        height=260,
        chart_id="activity",
    )
    rows = [
        (m["title"], [round(100.0 * m["mastery"], 1)], f"{round(100.0 * m['mastery'])}% · {m['items_learned']} learned")
        for m in mastery
    ]
    recall = svg.hbar_chart(
        title="Mastery per learning path (mean recall now)",
        rows=rows,
        names=["mastery"],
        unit="%",
        width=760,
        maximum=100.0,
        chart_id="mastery",
        colors=["#7c3aed"],
    )
    total_minutes = sum(d["minutes"] for d in days)
    total_modules = sum(d["modules_completed"] for d in days)
    return svg.stack(
        title="Learning progress",
        parts=[activity, recall],
        description=f"{total_minutes} minutes and {total_modules} modules completed in 28 days",
    )
