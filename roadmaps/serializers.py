from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from common.choices import Difficulty, LearningStyle, MediaType
from common.validators import no_control_chars
from resources.serializers import ResourceOutputSerializer
from roadmaps.models import RoadmapStatus, StepStatus

# --- Output -----------------------------------------------------------------------------------------------------------


class StepResourceOutputSerializer(ResourceOutputSerializer):
    """A catalogue resource as attached to a step (API.md: Resource + {is_recommended, order_index})."""

    is_recommended = serializers.BooleanField()
    order_index = serializers.IntegerField()
    recommendation_score = serializers.FloatField()
    recommendation_reason = serializers.CharField()

    def to_representation(self, link: Any) -> dict[str, Any]:
        data = dict(ResourceOutputSerializer(link.resource).data)
        data.update(
            is_recommended=link.is_recommended,
            order_index=link.order_index,
            recommendation_score=link.recommendation_score,
            recommendation_reason=link.recommendation_reason,
        )
        return data


class StepLessonOutputSerializer(serializers.Serializer):
    """One of our own learning-path modules that teaches the step (listed before external resources)."""

    type = serializers.CharField(help_text="Always `module`.")
    module_id = serializers.IntegerField()
    learning_path_id = serializers.IntegerField()
    title = serializers.CharField()
    learning_path = serializers.CharField()
    minutes = serializers.IntegerField()
    url = serializers.CharField(help_text="The SPA route: /learning/<path id>/module/<module id>.")
    api = serializers.CharField(help_text="The module in this API.")


class RoadmapStepOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    order_index = serializers.IntegerField()
    week = serializers.IntegerField()
    estimated_hours = serializers.IntegerField()
    difficulty = serializers.ChoiceField(choices=Difficulty.choices)
    prerequisites = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of earlier steps.")
    is_project = serializers.BooleanField()
    outcomes = serializers.ListField(child=serializers.CharField(), help_text="“You can …”: what the step teaches.")
    done_when = serializers.CharField(help_text="A short exercise or question that shows the step is learned.")
    covers = serializers.ListField(
        child=serializers.CharField(), help_text="A crash course: the topic ids it condenses (empty otherwise)."
    )
    lessons = StepLessonOutputSerializer(many=True, help_text="Our own modules for this step, before `resources`.")
    status = serializers.ChoiceField(choices=StepStatus.choices)
    rating = serializers.IntegerField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    resources = StepResourceOutputSerializer(many=True, source="step_resources.all")


class RoadmapOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user_id = serializers.UUIDField()
    title = serializers.CharField()
    concept = serializers.CharField()
    duration_weeks = serializers.IntegerField()
    hours_per_week = serializers.IntegerField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=RoadmapStatus.choices)
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    steps = RoadmapStepOutputSerializer(many=True, source="steps.all")


class GenerationMetadataOutputSerializer(serializers.Serializer):
    provider = serializers.CharField()
    model_used = serializers.CharField()
    generated_at = serializers.CharField(allow_null=True)
    estimated_total_hours = serializers.IntegerField(allow_null=True)
    strategy = serializers.CharField(required=False)


class RecommendationOutputSerializer(ResourceOutputSerializer):
    """API.md: {step_id, step_title, ...Resource, recommendation_score, recommendation_reason}."""

    step_id = serializers.IntegerField()
    step_title = serializers.CharField()
    recommendation_score = serializers.FloatField()
    recommendation_reason = serializers.CharField()

    def to_representation(self, pair: Any) -> dict[str, Any]:
        step, link = pair
        data = dict(ResourceOutputSerializer(link.resource).data)
        return {
            "step_id": step.pk,
            "step_title": step.title,
            **data,
            "recommendation_score": link.recommendation_score,
            "recommendation_reason": link.recommendation_reason,
        }


class RoadmapGenerateOutputSerializer(serializers.Serializer):
    roadmap = RoadmapOutputSerializer()
    recommendations = RecommendationOutputSerializer(many=True)
    generation_metadata = serializers.DictField(
        help_text="provider, model_used, generated_at, estimated_total_hours, strategy; for the offline planner also "
        "coverage (full | partial | catalogue), unknown_terms (key terms we do not teach), goal_topics, goal_project, "
        "goal_reached, crash_course (topics condensed into the first step), suggested_duration_weeks (when the "
        "duration is too short for the goal, its project and its foundations), level, level_source (request | "
        "preferences | profile | assumed), assumptions (what was assumed and how to say otherwise), not_covered "
        "(topics the concept's key terms name that the plan leaves out), known_topics, "
        "known_from ({modules, roadmap_steps, named, implied}: a known name implies its prerequisites and everyday "
        "topics), known_from_concept (what the concept says the learner knows: 'i already know python', 'coming "
        "from react'; taken out of the goal), unresolved_known_topics, untaught_resources (catalogue resources on the "
        "key terms a partial plan does not teach, attached to its first goal step), trimmed_topics; strategy "
        "topic_graph:meaning when the concept was matched to a topic by meaning; on a failed roadmap: unknown_terms "
        "and suggestions (nearby topics we teach)."
    )


class NextStepOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    estimated_hours = serializers.IntegerField()


class RoadmapProgressOutputSerializer(serializers.Serializer):
    roadmap_id = serializers.IntegerField()
    status = serializers.CharField()
    completed_steps = serializers.IntegerField()
    total_steps = serializers.IntegerField()
    progress_percentage = serializers.FloatField()
    next_recommended_steps = NextStepOutputSerializer(many=True)


# --- Input ------------------------------------------------------------------------------------------------------------


class RoadmapPreferencesInputSerializer(serializers.Serializer):
    hours_per_week = serializers.IntegerField(min_value=1, max_value=40, required=False, allow_null=True)
    difficulty = serializers.ChoiceField(
        choices=Difficulty.choices,
        required=False,
        allow_null=True,
        help_text="Your level. When neither this, `level`, your stored preferences nor your profile give one, the "
        "planner assumes a beginner and says so in generation_metadata.assumptions: set it (intermediate skips "
        "easier topics outside the goal's area) or list what you know in `known_topics`.",
    )
    level = serializers.ChoiceField(
        choices=Difficulty.choices, required=False, allow_null=True, help_text="Alias of `difficulty`."
    )
    known_topics = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=50,
        help_text='Topics you already know, by id or name ("python-basics", "Git", "SQL"): they and their '
        'prerequisites are not taught, and a broad name ("python", "react", "kubernetes") covers its everyday '
        "(non-advanced) topics too. The concept may say it as well (“flask, i already know python”, “vue, coming "
        "from react”, “i know some rust”: “some” covers only the beginner topics). Completed modules and paths, "
        "passed quizzes and completed roadmap steps are taken into account without being listed. Names we do not "
        "know are returned in generation_metadata.unresolved_known_topics.",
    )
    media_types = serializers.ListField(
        child=serializers.ChoiceField(choices=MediaType.choices), required=False, max_length=len(MediaType.choices)
    )
    learning_style = serializers.ChoiceField(choices=LearningStyle.choices, required=False, allow_null=True)


class RoadmapGenerateInputSerializer(serializers.Serializer):
    concept = serializers.CharField(min_length=3, max_length=200)
    duration = serializers.IntegerField(min_value=1, max_value=52, required=False, help_text="Weeks.")
    duration_weeks = serializers.IntegerField(min_value=1, max_value=52, required=False, help_text="Alias.")
    preferences = RoadmapPreferencesInputSerializer(required=False, default=dict)

    def validate_concept(self, value: str) -> str:
        try:
            no_control_chars(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        if len(value.strip()) < 3:
            raise serializers.ValidationError("Give a concept of at least 3 characters.")
        return value.strip()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        weeks = attrs.pop("duration", None)
        alias = attrs.pop("duration_weeks", None)
        attrs["duration_weeks"] = weeks or alias or 4
        attrs["preferences"] = {k: v for k, v in (attrs.get("preferences") or {}).items() if v not in (None, [])}
        return attrs


class RoadmapProgressInputSerializer(serializers.Serializer):
    step_id = serializers.IntegerField(min_value=1, max_value=2**62)
    completed = serializers.BooleanField()
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
