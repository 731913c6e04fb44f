"""A roadmap as a picture: its steps as a week-by-week timeline with prerequisite arrows and completed steps marked
(SVG), or the same graph as Mermaid text. Drawn from the roadmap `selectors.roadmap_get` returns to the JSON view."""

import dataclasses

from common import svg
from roadmaps.models import Roadmap, RoadmapStep, StepStatus

STYLE = svg.GraphStyle(
    colors={"step": "#2563eb", "project": "#d97706", "in_progress": "#7c3aed"},
    edge_colors={"prerequisite": "#64748b"},
    node_w=200,
    gap_x=56,
    max_rows=20,
)
LEGEND = [("step", "#2563eb"), ("project", "#d97706"), ("in progress", "#7c3aed"), ("completed", svg.DONE)]


def _tip(step: RoadmapStep) -> str:
    lines = [f"Week {step.week} · {step.estimated_hours} h · {step.difficulty}"]
    if step.description:
        lines.append(step.description[:300])
    for lesson in (step.lessons or [])[:5]:
        if isinstance(lesson, dict):
            lines.append(f"Lesson: {lesson.get('title', '')}")
    for link in list(step.step_resources.all())[:8]:
        lines.append(f"Resource: {link.resource.title} — {link.resource.url}")
    if step.done_when:
        lines.append(f"Done when: {step.done_when[:200]}")
    return "\n".join(lines)


def _graph(roadmap: Roadmap) -> tuple[list[svg.Node], list[svg.Edge]]:
    steps = list(roadmap.steps.all())
    ids = {s.pk for s in steps}
    nodes = [
        svg.Node(
            id=f"step:{s.pk}",
            label=s.title,
            done=s.status == StepStatus.COMPLETED,
            kind="project" if s.is_project else ("in_progress" if s.status == StepStatus.IN_PROGRESS else "step"),
            tip=_tip(s),
            column=s.week,
            order=(s.order_index,),
            badge=f"{s.estimated_hours}h",
        )
        for s in steps
    ]
    edges = [
        svg.Edge(f"step:{p}", f"step:{s.pk}", "prerequisite")
        for s in steps
        for p in s.prerequisites
        if isinstance(p, int) and p in ids and p != s.pk
    ]
    return nodes, edges


def roadmap_svg(roadmap: Roadmap) -> str:
    nodes, edges = _graph(roadmap)
    if not nodes:
        state = roadmap.get_status_display().lower()
        return svg.empty_picture(roadmap.title, f"No steps yet: this roadmap is {state}.")
    done = sum(1 for n in nodes if n.done)
    subtitle = f"{roadmap.concept} · {len(nodes)} steps · {done} completed · {roadmap.duration_weeks} weeks"
    style = dataclasses.replace(STYLE, column_names={n.column: f"Week {n.column}" for n in nodes if n.column})
    return svg.graph_svg(title=roadmap.title, subtitle=subtitle, nodes=nodes, edges=edges, style=style, legend=LEGEND)


def roadmap_mermaid(roadmap: Roadmap) -> str:
    nodes, edges = _graph(roadmap)
    return svg.graph_mermaid(
        title=roadmap.title, nodes=nodes, edges=edges, clusters={n.id: f"Week {n.column}" for n in nodes}
    )
