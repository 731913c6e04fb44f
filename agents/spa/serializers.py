"""Shapes of the SPA's search box, knowledge-graph page and advanced analytics (../shared/SPA.md §1, §5, §6)."""

from rest_framework import serializers

from common.choices import Difficulty
from common.serializers import SafeCharField

NODE_TYPES = ["learning_path", "module", "concept", "lesson", "assessment"]

# --- search -----------------------------------------------------------------------------------------------------------


class SearchInputSerializer(serializers.Serializer):
    q = SafeCharField(max_length=200, required=False, allow_blank=True, default="")
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=20)


class SuggestionsInputSerializer(serializers.Serializer):
    query = SafeCharField(max_length=200, required=False, allow_blank=True, default="")
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=10)


class PopularInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=10)


class SearchResultOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    content_type = serializers.ChoiceField(choices=["learning_path", "module", "assessment", "knowledge_node"])
    content_id = serializers.CharField()
    title = serializers.CharField(help_text="HTML-escaped.")
    description = serializers.CharField(help_text="HTML-escaped.")
    url = serializers.CharField(help_text="A relative SPA route.")
    tags = serializers.ListField(child=serializers.CharField())
    relevance_score = serializers.FloatField()
    popularity_score = serializers.FloatField()
    metadata = serializers.DictField()


class SearchResponseOutputSerializer(serializers.Serializer):
    query = serializers.CharField()
    total_results = serializers.IntegerField()
    suggestions = serializers.ListField(child=serializers.CharField())
    results = SearchResultOutputSerializer(many=True)
    facets = serializers.DictField()


class SuggestionsOutputSerializer(serializers.Serializer):
    suggestions = serializers.ListField(child=serializers.CharField(), help_text="HTML-escaped titles.")


class TrackClickInputSerializer(serializers.Serializer):
    query = SafeCharField(max_length=200, required=False, allow_blank=True, default="")
    result_id = SafeCharField(max_length=200)
    result_type = SafeCharField(max_length=40, required=False, allow_blank=True, default="")


class TrackClickOutputSerializer(serializers.Serializer):
    recorded = serializers.BooleanField()


# --- knowledge graph --------------------------------------------------------------------------------------------------


class SpaNodeOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    node_type = serializers.ChoiceField(choices=NODE_TYPES)
    difficulty_level = serializers.ChoiceField(choices=Difficulty.choices)
    description = serializers.CharField(allow_blank=True)
    learning_objectives = serializers.ListField(child=serializers.CharField())
    prerequisites = serializers.ListField(child=serializers.CharField())
    view_count = serializers.IntegerField()
    x_position = serializers.IntegerField()
    y_position = serializers.IntegerField()


class SpaEdgeOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    source_node = serializers.CharField()
    target_node = serializers.CharField()
    edge_type = serializers.CharField()
    strength = serializers.FloatField()


class SpaGraphMetaOutputSerializer(serializers.Serializer):
    total_nodes = serializers.IntegerField()
    total_edges = serializers.IntegerField()
    generated_at = serializers.DateTimeField()


class SpaGraphOutputSerializer(serializers.Serializer):
    nodes = SpaNodeOutputSerializer(many=True)
    edges = SpaEdgeOutputSerializer(many=True)
    meta = SpaGraphMetaOutputSerializer()


class SpaGraphSearchInputSerializer(serializers.Serializer):
    query = SafeCharField(max_length=200, required=False, allow_blank=True, default="")
    limit = serializers.IntegerField(min_value=1, max_value=500, required=False, default=100)
    node_types = serializers.ListField(
        child=serializers.ChoiceField(choices=NODE_TYPES),
        required=False,
        max_length=5,
    )
    difficulty_levels = serializers.ListField(
        child=serializers.ChoiceField(choices=Difficulty.choices), required=False, max_length=3
    )


class SpaGraphSearchOutputSerializer(SpaGraphOutputSerializer):
    total_results = serializers.IntegerField()
    search_query = serializers.CharField(allow_blank=True)
    applied_filters = serializers.DictField()


class CompletionStatisticsOutputSerializer(serializers.Serializer):
    completed_paths = serializers.IntegerField()
    in_progress_paths = serializers.IntegerField()
    not_started_paths = serializers.IntegerField()
    average_completion_rate = serializers.FloatField()


class GraphAnalyticsOutputSerializer(serializers.Serializer):
    total_nodes = serializers.IntegerField()
    total_edges = serializers.IntegerField()
    node_types = serializers.DictField(child=serializers.IntegerField())
    edge_types = serializers.DictField(child=serializers.IntegerField())
    difficulty_distribution = serializers.DictField(child=serializers.IntegerField())
    popular_paths = serializers.ListField(child=serializers.DictField())
    completion_statistics = CompletionStatisticsOutputSerializer()


class NodeViewOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    view_count = serializers.IntegerField()


class ConceptInteractionInputSerializer(serializers.Serializer):
    """`user_id` is ignored: the interaction is the token's learner's."""

    concept_id = SafeCharField(max_length=120)
    interaction_type = SafeCharField(max_length=20, required=False, default="view")


class ConceptsInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=200, required=False, default=20)
    offset = serializers.IntegerField(min_value=0, max_value=100_000, required=False, default=0)
    search = SafeCharField(max_length=200, required=False, allow_blank=True, default="")


class SuccessOutputSerializer(serializers.Serializer):
    success = serializers.BooleanField()


class EnvelopeOutputSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = serializers.DictField()


class GraphChatInputSerializer(serializers.Serializer):
    message = SafeCharField(max_length=4000)
    agent_type = SafeCharField(max_length=40, required=False, default="chat_assistant")
    context = serializers.JSONField(
        required=False, allow_null=True, help_text="Ignored: answers are grounded in our content."
    )


class NotAvailableOutputSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    error = serializers.CharField()


class AdvancedDashboardInputSerializer(serializers.Serializer):
    include_recommendations = serializers.BooleanField(required=False, default=False)
