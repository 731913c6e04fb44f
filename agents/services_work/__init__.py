"""The work of the code evaluator, content generator, learning coordinator, progress tracker and knowledge graph.
Each call is recorded as a job row (common.jobs), so the agent's status, current task and metrics follow it.

One module per agent; the names are re-exported here, so callers keep `services_work.<name>`."""

from agents.services_work.content_generation import content_generate_for, content_save_draft
from agents.services_work.coordinator import coordinator_recommend
from agents.services_work.evaluation import code_evaluate
from agents.services_work.knowledge_graph import knowledge_graph_record, module_for_user
from agents.services_work.progress import progress_track, weekly_activity

__all__ = [
    "code_evaluate",
    "content_generate_for",
    "content_save_draft",
    "coordinator_recommend",
    "knowledge_graph_record",
    "module_for_user",
    "progress_track",
    "weekly_activity",
]
