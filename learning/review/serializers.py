"""I/O shapes of spaced review. The question goes out without its answer or explanation; both come back only in
the result of an answered review."""

from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from learning.choices import ReviewRating, ReviewState
from learning.models import ReviewItem
from learning.serializers import validate_answer_value

STATE_NAMES = {s.value: str(s.label).lower() for s in ReviewState}


def _iso(value: datetime | None) -> str | None:
    return serializers.DateTimeField().to_representation(value) if value is not None else None


class ReviewQuestionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    question = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField())


class NamedRefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ReviewDueOutputSerializer(serializers.Serializer):
    """A due item: `recall_probability` is the chance of recalling it now (0 for one never reviewed)."""

    id = serializers.IntegerField()
    question = serializers.SerializerMethodField()
    module = serializers.SerializerMethodField()
    topic = serializers.SerializerMethodField()
    due = serializers.DateTimeField()
    last_review = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=[str(s.label).lower() for s in ReviewState])
    reps = serializers.IntegerField()
    lapses = serializers.IntegerField()
    recall_probability = serializers.SerializerMethodField()

    @extend_schema_field(ReviewQuestionOutputSerializer)
    def get_question(self, item: ReviewItem) -> dict[str, Any]:
        q = item.question
        return {"id": q.pk, "type": q.type, "question": q.question, "options": list(q.options or [])}

    @extend_schema_field(NamedRefOutputSerializer(allow_null=True))
    def get_module(self, item: ReviewItem) -> dict[str, Any] | None:
        return {"id": item.module_id, "title": item.module.title} if item.module_id else None

    @extend_schema_field(NamedRefOutputSerializer(allow_null=True, help_text="The module's learning path."))
    def get_topic(self, item: ReviewItem) -> dict[str, Any] | None:
        if not item.module_id:
            return None
        path = item.module.learning_path
        return {"id": path.pk, "title": path.title}

    def get_recall_probability(self, item: ReviewItem) -> float:
        return round(self.context["recall"](item), 4)

    def to_representation(self, item: ReviewItem) -> dict[str, Any]:
        # Built by hand: the declared fields document the shape, but DRF's per-field machinery cost ~2 ms an item.
        return {
            "id": item.pk,
            "question": self.get_question(item),
            "module": self.get_module(item),
            "topic": self.get_topic(item),
            "due": _iso(item.due),
            "last_review": _iso(item.last_review),
            "state": STATE_NAMES[item.state],
            "reps": item.reps,
            "lapses": item.lapses,
            "recall_probability": self.get_recall_probability(item),
        }


_SCALAR = [{"type": "string", "maxLength": 2000}, {"type": "number"}, {"type": "boolean"}]


@extend_schema_field(
    {"oneOf": [*_SCALAR, {"type": "array", "maxItems": 20, "items": {"oneOf": _SCALAR}}], "nullable": True}
)
class AnswerField(serializers.JSONField):
    """An answer: the option text or index, true/false, a short text, or a list of at most 20 of those."""


class ReviewAnswerInputSerializer(serializers.Serializer):
    answer = AnswerField(allow_null=True)
    time_taken = serializers.IntegerField(
        min_value=0, max_value=86_400, required=False, default=0, help_text="Seconds the learner took to answer."
    )
    used_hint = serializers.BooleanField(
        required=False, default=False, help_text="The learner looked at a hint: a right answer counts as hard."
    )

    def validate_answer(self, value: Any) -> Any:
        return validate_answer_value(value)


class ReviewAnswerOutputSerializer(serializers.Serializer):
    item_id = serializers.IntegerField()
    correct = serializers.BooleanField()
    correct_answer = serializers.JSONField()
    explanation = serializers.CharField()
    rating = serializers.IntegerField(help_text="FSRS rating: 1 again, 2 hard, 3 good, 4 easy.")
    rating_label = serializers.ChoiceField(choices=[str(r.label).lower() for r in ReviewRating])
    due = serializers.DateTimeField()
    recall_probability = serializers.FloatField()
    state = serializers.CharField()
    points_awarded = serializers.IntegerField()


class MasteryGroupOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    mastery = serializers.FloatField(help_text="Mean recall probability now over learned items, 0–1.")
    items = serializers.IntegerField()
    items_learned = serializers.IntegerField()
    items_due = serializers.IntegerField()
    learning_path_id = serializers.IntegerField(required=False)


class MasterySummaryOutputSerializer(serializers.Serializer):
    reviews_due = serializers.IntegerField()
    items = serializers.IntegerField()
    items_learned = serializers.IntegerField()
    mastery_percentage = serializers.FloatField()


class MasteryHistoryOutputSerializer(serializers.Serializer):
    date = serializers.DateField()
    items_learned = serializers.IntegerField()
    mastery_percentage = serializers.FloatField()


class MasteryOutputSerializer(serializers.Serializer):
    summary = MasterySummaryOutputSerializer()
    topics = MasteryGroupOutputSerializer(many=True, help_text="Per learning path.")
    modules = MasteryGroupOutputSerializer(many=True)
    history = MasteryHistoryOutputSerializer(many=True, help_text="Mastery at the end of each of the last 4 weeks.")
