"""The six agents of the first seed: what each is called, what it can do, and which kinds of generic job rows
(common.Job.kind) are its work. Its status, current task and metrics are derived from those rows."""

from dataclasses import dataclass


@dataclass(frozen=True)
class AgentSpec:
    type: str
    name: str
    description: str
    capabilities: tuple[str, ...]
    kinds: tuple[str, ...]


AGENTS: tuple[AgentSpec, ...] = (
    AgentSpec(
        "code_evaluator",
        "Code Evaluator",
        "Runs learners' Python and Jac code in the sandbox, grades it against test cases and explains what failed.",
        ("code_execution", "test_grading", "output_diff", "static_analysis", "python", "jac"),
        ("code_run", "code_submission", "code_evaluation"),
    ),
    AgentSpec(
        "learning_coordinator",
        "Learning Coordinator",
        "Plans what to learn next: unlocked modules, next learning paths, personal roadmaps and recommendations.",
        ("next_modules", "path_recommendations", "roadmap_generation", "resource_recommendations"),
        ("learning_recommendation", "roadmap_generation", "recommender_retrain"),
    ),
    AgentSpec(
        "content_generator",
        "Content Generator",
        "Drafts lesson outlines and quiz questions from our lessons and topic graph, and gathers new resources.",
        ("lesson_outlines", "quiz_generation", "resource_scraping"),
        ("content_generation", "resource_scrape"),
    ),
    AgentSpec(
        "progress_tracker",
        "Progress Tracker",
        "Analyses a learner's progress: stats, weekly activity, pace and projected completion per path.",
        ("progress_analysis", "weekly_activity", "pace_projection"),
        ("progress_analysis",),
    ),
    AgentSpec(
        "chat_assistant",
        "Chat Assistant",
        "Answers learners' questions from the course content, quoting lessons and pointing to resources.",
        ("question_answering", "lesson_retrieval", "resource_pointers", "session_memory"),
        ("chat_reply",),
    ),
    AgentSpec(
        "knowledge_graph",
        "Knowledge Graph",
        "Maps learning paths, modules and topics with their prerequisite and related links, and your completion.",
        ("concept_map", "prerequisites", "related_concepts"),
        ("knowledge_graph_query",),
    ),
)

BY_TYPE: dict[str, AgentSpec] = {spec.type: spec for spec in AGENTS}
TYPE_OF_KIND: dict[str, str] = {kind: spec.type for spec in AGENTS for kind in spec.kinds}
AGENT_TYPES: tuple[str, ...] = tuple(BY_TYPE)
