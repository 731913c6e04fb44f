"""I/O shapes of the agents API (API.md: Agent, Task, ChatMessage and the agents' work)."""

from rest_framework import serializers

from agents.models import Agent, AgentType
from common.choices import Difficulty, LearningStyle
from common.models import JobStatus
from common.pictures import PictureFormatInputSerializer
from common.serializers import SafeCharField, StrictRegexField
from learning.choices import QuestionType
from learning.serializers import LANGUAGE_CHOICES

EDGE_TYPES = ["contains", "prerequisite", "related"]
SESSION_ID_REGEX = r"^[A-Za-z0-9_.:\-]{1,100}$"


# --- agents ---------------------------------------------------------------------------------------------------------


class PerformanceMetricsOutputSerializer(serializers.Serializer):
    tasks_completed = serializers.IntegerField()
    average_response_time = serializers.FloatField(help_text="Seconds, mean over finished tasks.")
    success_rate = serializers.FloatField(help_text="Completed / finished tasks (1.0 when none finished).")


class AgentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=AgentType.choices)
    description = serializers.CharField()
    status = serializers.CharField()
    current_task = serializers.CharField(allow_null=True)
    capabilities = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    performance_metrics = serializers.SerializerMethodField()
    last_active = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_performance_metrics(self, agent: Agent) -> PerformanceMetricsOutputSerializer:
        return self.context["metrics"][agent.pk]


class AgentCreateInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=AgentType.choices)
    name = SafeCharField(max_length=100, required=False)
    description = SafeCharField(max_length=2000, required=False, allow_blank=True)
    capabilities = serializers.ListField(child=SafeCharField(max_length=60), max_length=30, required=False)


class AgentUpdateInputSerializer(serializers.Serializer):
    name = SafeCharField(max_length=100, required=False)
    description = SafeCharField(max_length=2000, required=False, allow_blank=True)
    capabilities = serializers.ListField(child=SafeCharField(max_length=60), max_length=30, required=False)
    is_active = serializers.BooleanField(required=False)


class AgentStatusItemOutputSerializer(serializers.Serializer):
    type = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    current_task = serializers.CharField(allow_null=True)
    last_active = serializers.DateTimeField(allow_null=True)
    queue_size = serializers.IntegerField()
    uptime_hours = serializers.FloatField()
    health_score = serializers.FloatField(
        help_text="0–100: success rate of the last 100 finished tasks, halved in error."
    )


class AgentStatusOutputSerializer(serializers.Serializer):
    agents = serializers.DictField(child=AgentStatusItemOutputSerializer())


class AgentMetricsOutputSerializer(serializers.Serializer):
    agent_id = serializers.IntegerField()
    agent_type = serializers.CharField()
    total_requests = serializers.IntegerField()
    successful_requests = serializers.IntegerField()
    failed_requests = serializers.IntegerField()
    average_response_time = serializers.FloatField()
    error_rate = serializers.FloatField()
    last_updated = serializers.DateTimeField()


# --- tasks ----------------------------------------------------------------------------------------------------------


class TaskListInputSerializer(serializers.Serializer):
    agent = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="Only this agent's tasks."
    )
    status = serializers.ChoiceField(choices=JobStatus.choices, required=False)


class TaskOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agent = serializers.IntegerField(allow_null=True)
    agent_type = serializers.CharField(allow_null=True)
    kind = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    priority = serializers.CharField()
    input_data = serializers.JSONField()
    output_data = serializers.JSONField()
    error = serializers.CharField()
    created_at = serializers.CharField()
    started_at = serializers.CharField(allow_null=True)
    completed_at = serializers.CharField(allow_null=True)
    estimated_duration = serializers.FloatField(allow_null=True, help_text="Seconds.")
    actual_duration = serializers.FloatField(allow_null=True, help_text="Seconds.")


# --- chat -----------------------------------------------------------------------------------------------------------


class ChatMessageInputSerializer(serializers.Serializer):
    message = SafeCharField(max_length=4000)
    session_id = StrictRegexField(SESSION_ID_REGEX, required=False, allow_null=True, allow_blank=True)
    module_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1)


class ChatSourceOutputSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.JSONField(help_text="An integer id, or a topic slug.")
    title = serializers.CharField()
    section = serializers.CharField(required=False, help_text="Lesson sources: the section's heading.")
    anchor = serializers.CharField(required=False, help_text="Lesson sources: the section's anchor in the module.")
    url = serializers.CharField(required=False, help_text="The SPA's deep link, e.g. /learning/3/module/27#methods.")


class ChatMessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agent = serializers.IntegerField(source="agent_id")
    user = serializers.UUIDField(source="user_id")
    message = serializers.CharField()
    response = serializers.CharField(allow_null=True)
    session_id = serializers.CharField()
    module_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    feedback_rating = serializers.IntegerField(allow_null=True)
    provider = serializers.CharField()
    sources = ChatSourceOutputSerializer(many=True)


class ChatStreamEventOutputSerializer(serializers.Serializer):
    """One Server-Sent Event of a streamed chat reply (`Accept: text/event-stream`)."""

    event = serializers.ChoiceField(choices=["chunk", "message"])
    data = serializers.CharField(help_text="JSON: `{delta}` for a chunk, the stored ChatMessage for the message.")


class ChatHistoryInputSerializer(serializers.Serializer):
    session_id = serializers.RegexField(
        SESSION_ID_REGEX, required=False, allow_blank=True, help_text="One session; all of yours when absent."
    )


class ChatRateInputSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=[-1, 0, 1])


# --- code evaluator -------------------------------------------------------------------------------------------------


class EvaluatorTestCaseInputSerializer(serializers.Serializer):
    input = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=64 * 1024, trim_whitespace=False
    )
    expected_output = serializers.CharField(allow_blank=True, max_length=64 * 1024, trim_whitespace=False)


class CodeEvaluateInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64 * 1024, trim_whitespace=False)
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES)
    test_cases = EvaluatorTestCaseInputSerializer(many=True, required=False, max_length=20)
    module_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1)
    stdin = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=64 * 1024, trim_whitespace=False
    )


class FindingOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    column = serializers.IntegerField(allow_null=True)
    severity = serializers.CharField()


class SyntaxErrorOutputSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True)
    column = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()


class StaticAnalysisOutputSerializer(serializers.Serializer):
    checker = serializers.CharField()
    complete = serializers.BooleanField(help_text="False when the sandboxed checker could not finish (findings empty).")
    syntax_errors = SyntaxErrorOutputSerializer(many=True)
    findings = FindingOutputSerializer(many=True)


class EvaluatedTestOutputSerializer(serializers.Serializer):
    test = serializers.IntegerField()
    passed = serializers.BooleanField()
    status = serializers.CharField(allow_null=True)
    is_hidden = serializers.BooleanField()
    execution_time = serializers.FloatField(allow_null=True)
    input = serializers.CharField(required=False)
    expected_output = serializers.CharField(required=False)
    actual_output = serializers.CharField(required=False)
    error = serializers.CharField(required=False)
    diff = serializers.CharField(required=False)


class CodeEvaluateOutputSerializer(serializers.Serializer):
    language = serializers.CharField()
    status = serializers.CharField()
    submission_id = serializers.IntegerField(allow_null=True)
    run = serializers.JSONField(allow_null=True)
    tests_passed = serializers.IntegerField(allow_null=True)
    tests_total = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField(allow_null=True)
    tests = EvaluatedTestOutputSerializer(many=True)
    static_analysis = StaticAnalysisOutputSerializer()
    feedback = serializers.ListField(child=serializers.CharField())


# --- content generator ----------------------------------------------------------------------------------------------


class ContentGenerateInputSerializer(serializers.Serializer):
    topic = SafeCharField(max_length=200)
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, default=Difficulty.BEGINNER)
    learning_style = serializers.ChoiceField(choices=LearningStyle.choices, required=False, allow_null=True)
    module_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1)
    question_count = serializers.IntegerField(required=False, default=5, min_value=1, max_value=20)
    save_as_draft = serializers.BooleanField(required=False, default=False, help_text="Staff only.")


class OutlineItemOutputSerializer(serializers.Serializer):
    heading = serializers.CharField()
    points = serializers.ListField(child=serializers.CharField())
    source = serializers.JSONField(allow_null=True)


class GeneratedQuestionOutputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=QuestionType.choices)
    question = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField())
    correct_answer = serializers.JSONField()
    explanation = serializers.CharField(allow_blank=True)
    points = serializers.IntegerField()


class ContentGenerateOutputSerializer(serializers.Serializer):
    topic = serializers.CharField()
    difficulty = serializers.CharField()
    title = serializers.CharField()
    outline = OutlineItemOutputSerializer(many=True)
    questions = GeneratedQuestionOutputSerializer(many=True)
    sources = ChatSourceOutputSerializer(many=True)
    provider = serializers.CharField()
    task_id = serializers.IntegerField()
    draft_quiz_id = serializers.IntegerField(required=False)


# --- coordinator, tracker, graph ------------------------------------------------------------------------------------


class NextModuleOutputSerializer(serializers.Serializer):
    module_id = serializers.IntegerField()
    title = serializers.CharField()
    learning_path_id = serializers.IntegerField()
    learning_path = serializers.CharField()
    module_type = serializers.CharField()
    estimated_duration = serializers.IntegerField()
    reason = serializers.CharField()


class NextPathOutputSerializer(serializers.Serializer):
    learning_path_id = serializers.IntegerField()
    title = serializers.CharField()
    difficulty_level = serializers.CharField()
    modules_completed = serializers.IntegerField()
    modules_total = serializers.IntegerField()
    reason = serializers.CharField()


class CoordinatorStepOutputSerializer(serializers.Serializer):
    roadmap_id = serializers.IntegerField()
    step_id = serializers.IntegerField()
    title = serializers.CharField()
    week = serializers.IntegerField()
    reason = serializers.CharField()


class DueReviewOutputSerializer(serializers.Serializer):
    module_id = serializers.IntegerField()
    title = serializers.CharField()
    reviews_due = serializers.IntegerField()
    reason = serializers.CharField()


class CoordinatorOutputSerializer(serializers.Serializer):
    due_reviews = DueReviewOutputSerializer(many=True, help_text="Listed first: review what is due before new work.")
    next_modules = NextModuleOutputSerializer(many=True)
    next_paths = NextPathOutputSerializer(many=True)
    roadmap_steps = CoordinatorStepOutputSerializer(many=True)


class ProgressTrackInputSerializer(serializers.Serializer):
    module_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1)


class WeeklyActivityOutputSerializer(serializers.Serializer):
    day = serializers.CharField(help_text="Mon, Tue, …")
    date = serializers.DateField()
    minutes = serializers.IntegerField()
    actions = serializers.IntegerField()
    modules_completed = serializers.IntegerField()
    points = serializers.IntegerField()
    active = serializers.BooleanField()


class ProgressTrackOutputSerializer(serializers.Serializer):
    stats = serializers.DictField()
    weekly_activity = WeeklyActivityOutputSerializer(many=True)
    pace = serializers.DictField()
    paths = serializers.ListField(child=serializers.DictField())
    module = serializers.DictField(required=False)
    mastery = serializers.DictField(help_text="Spaced-review mastery now and over the last 4 weeks.")
    insights = serializers.ListField(child=serializers.CharField())


class GraphInputSerializer(serializers.Serializer):
    topic = SafeCharField(required=False, max_length=200, help_text="Only the part of the graph around this topic.")


class GraphPictureInputSerializer(GraphInputSerializer, PictureFormatInputSerializer):
    """The knowledge graph's query plus the picture's format (svg | mermaid)."""


class RelationsInputSerializer(serializers.Serializer):
    concept = SafeCharField(max_length=200)


class GraphNodeOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    label = serializers.CharField()
    data = serializers.DictField()


class GraphEdgeOutputSerializer(serializers.Serializer):
    source = serializers.CharField()
    target = serializers.CharField()
    type = serializers.ChoiceField(choices=EDGE_TYPES)
    strength = serializers.FloatField()


class GraphOutputSerializer(serializers.Serializer):
    nodes = GraphNodeOutputSerializer(many=True)
    edges = GraphEdgeOutputSerializer(many=True)
    query = serializers.DictField(required=False)
    concept = serializers.DictField(required=False)
