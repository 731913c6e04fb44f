from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.serializers import BlankAsNullMixin, FiniteFloatField, StrictJsonTypesMixin
from common.validators import no_control_chars
from learning.choices import ModuleType, ProgressStatus, QuestionType, QuizDifficulty
from learning.services import MAX_MINUTES_PER_UPDATE

NOT_BLANK = RegexValidator(r"\S", message="Code may not be empty.", code="blank")

# --- Output -----------------------------------------------------------------------------------------------------------


class PrerequisiteIdsField(serializers.ListField):
    child = serializers.IntegerField()

    def to_representation(self, manager: Any) -> list[int]:
        return [module.pk for module in manager.all()]


class LearningPathOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    difficulty_level = serializers.CharField()
    estimated_duration = serializers.IntegerField(help_text="Minutes.")
    modules_count = serializers.IntegerField()
    rating = serializers.FloatField()
    rating_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ModuleSummaryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    order_index = serializers.IntegerField()
    estimated_duration = serializers.IntegerField()
    module_type = serializers.ChoiceField(choices=ModuleType.choices)
    prerequisites = PrerequisiteIdsField()


class LearningPathDetailOutputSerializer(LearningPathOutputSerializer):
    modules = ModuleSummaryOutputSerializer(many=True, source="modules.all")
    progress_percentage = serializers.SerializerMethodField()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_progress_percentage(self, path: Any) -> float | None:
        return self.context.get("progress_percentage")


class ModuleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    learning_path = serializers.IntegerField(source="learning_path_id")
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    content = serializers.CharField(help_text="Markdown.")
    order_index = serializers.IntegerField()
    estimated_duration = serializers.IntegerField(help_text="Minutes.")
    module_type = serializers.ChoiceField(choices=ModuleType.choices)
    prerequisites = PrerequisiteIdsField()
    language = serializers.CharField()
    starter_code = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ProgressOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.UUIDField(source="user_id")
    module = serializers.IntegerField(source="module_id")
    status = serializers.ChoiceField(choices=ProgressStatus.choices)
    time_spent = serializers.IntegerField(help_text="Minutes.")
    attempts = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True)
    last_accessed = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class TestCaseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    module = serializers.IntegerField(source="module_id")
    input = serializers.CharField()
    expected_output = serializers.CharField()
    points = serializers.IntegerField()


class QuestionOutputSerializer(serializers.Serializer):
    """A question as learners see it: never its answer or explanation."""

    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=QuestionType.choices)
    question = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField())
    points = serializers.IntegerField()


class QuizOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    module = serializers.IntegerField(source="module_id", allow_null=True)
    difficulty = serializers.ChoiceField(choices=QuizDifficulty.choices)
    time_limit = serializers.IntegerField(help_text="Minutes.")
    max_attempts = serializers.IntegerField()
    passing_score = serializers.IntegerField(help_text="Percent.")
    questions = QuestionOutputSerializer(many=True, source="questions.all")


class DetailedResultOutputSerializer(serializers.Serializer):
    question_id = serializers.IntegerField()
    user_answer = serializers.JSONField(allow_null=True)
    correct_answer = serializers.JSONField()
    is_correct = serializers.BooleanField()
    points = serializers.FloatField()
    explanation = serializers.CharField()


class QuizAttemptOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    quiz = serializers.IntegerField(source="quiz_id")
    user = serializers.UUIDField(source="user_id")
    answers = serializers.DictField(child=serializers.JSONField())
    score = serializers.FloatField()
    max_score = serializers.FloatField()
    percentage = serializers.FloatField()
    passed = serializers.BooleanField()
    time_taken = serializers.IntegerField(help_text="Seconds.")
    attempt_number = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField()
    detailed_results = DetailedResultOutputSerializer(many=True)


# --- Input ------------------------------------------------------------------------------------------------------------


class ProgressQueryInputSerializer(serializers.Serializer):
    module = serializers.IntegerField(min_value=1, max_value=2**62)


class ProgressUpdateInputSerializer(BlankAsNullMixin, StrictJsonTypesMixin, serializers.Serializer):
    blank_as_null = ("status", "time_spent", "score")

    status = serializers.ChoiceField(choices=ProgressStatus.choices, required=False, allow_null=True)
    time_spent = serializers.IntegerField(
        min_value=0,
        max_value=MAX_MINUTES_PER_UPDATE,
        required=False,
        allow_null=True,
        help_text="Minutes spent since the last report; added to the total.",
    )
    score = FiniteFloatField(min_value=0, max_value=100, required=False, allow_null=True)


class ModuleQueryInputSerializer(serializers.Serializer):
    module = serializers.IntegerField(min_value=1, max_value=2**62)


class RateInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)


def validate_answer_value(value: Any) -> Any:
    scalars = (str, int, float, bool)
    if value is None or isinstance(value, scalars):
        if isinstance(value, str):
            if len(value) > 2000:
                raise serializers.ValidationError("Answers are at most 2000 characters.")
            no_control_chars(value)
        return value
    if isinstance(value, list) and len(value) <= 20 and all(isinstance(v, scalars) for v in value):
        for v in value:
            validate_answer_value(v)
        return value
    raise serializers.ValidationError("An answer is a string, number, boolean or a list of at most 20 of them.")


class QuizAttemptInputSerializer(serializers.Serializer):
    quiz = serializers.IntegerField(min_value=1, max_value=2**62)
    answers = serializers.DictField(child=serializers.JSONField(allow_null=True), allow_empty=True)
    time_taken = serializers.IntegerField(
        min_value=0, max_value=86_400, required=False, default=0, help_text="Seconds."
    )
    started_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_answers(self, answers: dict[str, Any]) -> dict[str, Any]:
        if len(answers) > 500:
            raise serializers.ValidationError("Too many answers.")
        cleaned = {}
        for key, value in answers.items():
            if not (str(key).isascii() and str(key).isdigit()) or len(str(key)) > 18:
                raise serializers.ValidationError(f"Answer keys are question ids; {str(key)[:20]!r} is not.")
            try:
                cleaned[str(int(key))] = validate_answer_value(value)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({key: exc.detail}) from None
        return cleaned


# --- Code execution ---------------------------------------------------------------------------------------------------

LANGUAGE_CHOICES = [("python", "Python"), ("jac", "Jac")]


def _check_text(name: str, value: str) -> None:
    """Text we store must be valid for PostgreSQL: no NUL bytes, no lone surrogates."""
    try:
        no_control_chars(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError({name: list(exc.messages)}) from None


class CodeExecuteInputSerializer(serializers.Serializer):
    # Blank or whitespace-only code is refused before anything is queued; the schema says so (minLength, pattern).
    code = serializers.CharField(
        trim_whitespace=False, max_length=70_000, validators=[NOT_BLANK], error_messages={"blank": NOT_BLANK.message}
    )
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, default="python")
    stdin = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=70_000)
    test_input = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=70_000, help_text="Alias of stdin."
    )
    timeout = FiniteFloatField(
        required=False,
        allow_null=True,
        min_value=0.1,
        max_value=3600,
        help_text="Seconds of wall time; clamped to the server's maximum.",
    )
    memory_limit = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=1_000_000,
        help_text="MB; clamped to the server's maximum.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        stdin = attrs.pop("stdin", None)
        alias = attrs.pop("test_input", None)
        attrs["stdin"] = stdin if stdin is not None else (alias or "")
        for name in ("code", "stdin"):
            _check_text(name, attrs[name])
        return attrs


class CodeExecuteOutputSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    output = serializers.CharField()
    error = serializers.CharField()
    execution_time = serializers.FloatField(help_text="Seconds.")
    memory_usage = serializers.FloatField(help_text="MB (peak resident memory).")
    status = serializers.CharField()
    exit_code = serializers.IntegerField(allow_null=True)
    stdout = serializers.CharField()
    stderr = serializers.CharField()
    stdout_truncated = serializers.BooleanField()
    stderr_truncated = serializers.BooleanField()
    submission_id = serializers.IntegerField()


class CodeRunPendingOutputSerializer(serializers.Serializer):
    submission_id = serializers.IntegerField()
    status = serializers.CharField()
    detail = serializers.CharField()


class TestCaseInputSerializer(serializers.Serializer):
    input = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=70_000, default="")
    expected_output = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=70_000)


class JacExecuteInputSerializer(CodeExecuteInputSerializer):
    test_cases = TestCaseInputSerializer(many=True, required=False, max_length=20)


class CodeSubmissionInputSerializer(serializers.Serializer):
    module = serializers.IntegerField(min_value=1, max_value=2**62)
    # Blank or whitespace-only code is refused before anything is queued; the schema says so (minLength, pattern).
    code = serializers.CharField(
        trim_whitespace=False, max_length=70_000, validators=[NOT_BLANK], error_messages={"blank": NOT_BLANK.message}
    )
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, default="python")

    def validate_code(self, value: str) -> str:
        _check_text("code", value)
        return value


class TestResultOutputSerializer(serializers.Serializer):
    test_case_id = serializers.IntegerField()
    passed = serializers.BooleanField()
    status = serializers.CharField()
    points = serializers.IntegerField()
    is_hidden = serializers.BooleanField()
    execution_time = serializers.FloatField(required=False, help_text="Seconds; visible test cases only.")
    input = serializers.CharField(required=False)
    expected_output = serializers.CharField(required=False)
    actual_output = serializers.CharField(required=False)
    error = serializers.CharField(required=False)

    HIDDEN_FIELDS = ("test_case_id", "passed", "status", "points", "is_hidden")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data.get("is_hidden"):  # pass/fail only, also for results stored before hidden cases were trimmed
            data = {key: data[key] for key in self.HIDDEN_FIELDS if key in data}
            data["status"] = "passed" if data.get("passed") else "failed"
        return data


class CodeSubmissionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.UUIDField(source="user_id")
    module = serializers.IntegerField(source="module_id", allow_null=True)
    code = serializers.CharField()
    language = serializers.CharField()
    status = serializers.CharField()
    execution_time = serializers.FloatField(allow_null=True)
    memory_usage = serializers.FloatField(allow_null=True)
    output = serializers.CharField()
    error_message = serializers.CharField()
    test_cases_passed = serializers.IntegerField()
    test_cases_total = serializers.IntegerField()
    score = serializers.FloatField()
    results = TestResultOutputSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
