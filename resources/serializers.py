import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.choices import Difficulty, LearningStyle, MediaType
from common.serializers import BlankAsNullMixin, FiniteFloatField
from common.validators import no_control_chars
from resources.models import InteractionType, ScrapeStatus, SourceKind
from resources.scraping import guard
from resources.selectors import SORTS

MAX_FILTERS_LENGTH = 4000
LIST_FILTERS = ("media_type", "difficulty", "learning_style", "source", "tags")
SCALAR_FILTERS = ("q", "sort", "order", "tags_mode", "max_duration", "min_rating")
COMMA_SEPARATED = ("media_type", "difficulty", "learning_style", "tags")


# --- Output -----------------------------------------------------------------------------------------------------------


class ResourceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    url = serializers.CharField()
    media_type = serializers.ChoiceField(choices=MediaType.choices)
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, allow_null=True)
    duration_minutes = serializers.IntegerField(allow_null=True)
    rating = serializers.FloatField(help_text="Mean of users' 1–5 ratings (0 when unrated).")
    rating_count = serializers.IntegerField()
    tags = serializers.ListField(child=serializers.CharField())
    prerequisites = serializers.ListField(child=serializers.CharField())
    learning_style = serializers.ChoiceField(choices=LearningStyle.choices, allow_null=True)
    source = serializers.CharField()
    scraped_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    _PLAIN = ("id", "title", "description", "url", "media_type", "difficulty", "duration_minutes", "rating_count")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """The same dict DRF's field-by-field rendering gives (tests/resources/test_serializer_fast_path.py compares
        them), built directly: a search page is 50 of these, and the generic path cost ~3.3 ms of CPU per page, as
        much as fetching the rows.

        Only for plain resources of exactly this serializer (subclasses add fields and take DRF's path)."""
        if type(self) is not ResourceOutputSerializer or isinstance(instance, dict):
            return super().to_representation(instance)
        fields = self.fields
        data: dict[str, Any] = {name: getattr(instance, name) for name in self._PLAIN}
        data["rating"] = float(instance.rating) if instance.rating is not None else None
        data["tags"] = None if instance.tags is None else [str(tag) for tag in instance.tags]
        data["prerequisites"] = (
            None if instance.prerequisites is None else [str(item) for item in instance.prerequisites]
        )
        data["learning_style"] = instance.learning_style
        data["source"] = instance.source
        for name in ("scraped_at", "created_at", "updated_at"):
            value = getattr(instance, name)
            data[name] = None if value is None else fields[name].to_representation(value)
        return {name: data[name] for name in fields}  # the declared order


class InteractionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.UUIDField(source="user_id")
    resource = serializers.IntegerField(source="resource_id")
    interaction_type = serializers.ChoiceField(choices=InteractionType.choices)
    rating = serializers.IntegerField(allow_null=True)
    review = serializers.CharField()
    time_spent_minutes = serializers.IntegerField(allow_null=True)
    completed = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ResourceDetailOutputSerializer(ResourceOutputSerializer):
    user_interactions = serializers.SerializerMethodField(
        help_text="The signed-in user's own interactions with this resource (empty when anonymous)."
    )

    @extend_schema_field(InteractionOutputSerializer(many=True))
    def get_user_interactions(self, resource: Any) -> list[dict[str, Any]]:
        return InteractionOutputSerializer(self.context.get("interactions", []), many=True).data


class ScrapeErrorOutputSerializer(serializers.Serializer):
    url = serializers.CharField()
    error = serializers.CharField()


class ScrapeSourceSerializer(serializers.Serializer):
    """A source to scrape: input and output."""

    url = serializers.CharField(max_length=guard.MAX_URL_LENGTH)
    kind = serializers.ChoiceField(choices=SourceKind.choices)

    def validate_url(self, url: str) -> str:
        try:
            guard.check_literal(url)
        except guard.UnsafeURL as exc:
            raise serializers.ValidationError(str(exc), code="unsafe_url") from None
        return url


class ScrapeJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ScrapeStatus.choices)
    sources = ScrapeSourceSerializer(many=True)
    found = serializers.IntegerField(source="found_count")
    created = serializers.IntegerField(source="created_count")
    updated = serializers.IntegerField(source="updated_count")
    skipped = serializers.IntegerField(source="skipped_count")
    failed = serializers.IntegerField(source="failed_count")
    errors = ScrapeErrorOutputSerializer(many=True)
    error = serializers.CharField(help_text="Why the whole job failed (empty otherwise).")
    requested_by = serializers.UUIDField(source="requested_by_id", allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    sources_done = serializers.IntegerField(help_text="Sources read so far (“source 3 of 12”).")
    sources_total = serializers.IntegerField(help_text="Sources this job reads.")
    current_source = serializers.CharField(help_text="The URL of the source being read now (empty when not running).")


# --- Input ------------------------------------------------------------------------------------------------------------


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or (isinstance(data, float) and not data.is_integer()):
            self.fail("invalid")
        return super().to_internal_value(data)


def _check_text(value: Any, name: str) -> None:
    """Refuse NUL bytes and lone surrogates anywhere, before any field echoes the value back in an error."""
    if isinstance(value, str):
        try:
            no_control_chars(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({name: [exc.messages[0]]}, code="invalid") from None
    elif isinstance(value, list):
        for item in value:
            _check_text(item, name)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, name)
            _check_text(item, name)


def search_query_data(params: QueryDict) -> dict[str, Any]:
    """Flat query parameters and `filters=<JSON object>` merged into one dict (keys in `filters` win).

    Lists come as repeated parameters, comma-separated values (`media_type=video,book`), or JSON arrays; `tags` in
    JSON may also be `{"any": [...]}` or `{"all": [...]}`. Blank values mean "not given".
    """
    data: dict[str, Any] = {}
    for name in LIST_FILTERS:
        values = []
        for raw in params.getlist(name):
            values += raw.split(",") if name in COMMA_SEPARATED else [raw]
        values = [v.strip() for v in values if v.strip()]
        if values:
            data[name] = values
    for name in SCALAR_FILTERS:
        value = params.get(name)
        if value is not None and (value.strip() or name == "q"):
            data[name] = value
    raw_filters = params.get("filters", "").strip()
    if raw_filters:
        if len(raw_filters) > MAX_FILTERS_LENGTH:
            raise serializers.ValidationError({"filters": [f"At most {MAX_FILTERS_LENGTH} characters."]})
        try:
            filters = json.loads(raw_filters)
        except (ValueError, RecursionError):
            raise serializers.ValidationError(
                {"filters": ['Must be a JSON object, e.g. {"media_type": "video"}.']}, code="parse_error"
            ) from None
        if filters is None:
            filters = {}
        if not isinstance(filters, dict):
            raise serializers.ValidationError({"filters": ["Must be a JSON object."]}, code="invalid")
        _check_text(filters, "filters")
        for name, value in filters.items():
            if name == "tags" and isinstance(value, dict):
                modes = [mode for mode in ("any", "all") if mode in value]
                if len(modes) != 1 or len(value) != 1:
                    raise serializers.ValidationError(
                        {"filters": ['"tags" is a list, {"any": [...]} or {"all": [...]}.']}
                    )
                data["tags"], data["tags_mode"] = value[modes[0]], modes[0]
            elif name in LIST_FILTERS:
                if value is None or value == "" or value == []:
                    data.pop(name, None)
                else:
                    data[name] = value if isinstance(value, list) else [value]
            elif name in SCALAR_FILTERS and name not in ("q", "sort", "order"):
                if value is None or value == "":
                    data.pop(name, None)
                else:
                    data[name] = value
    _check_text(data, "q")
    return data


class ResourceSearchInputSerializer(serializers.Serializer):
    # Long enough for a learner's whole question (searched by its first MAX_QUERY_WORDS content words).
    q = serializers.CharField(required=False, allow_blank=True, max_length=500, validators=[no_control_chars])
    sort = serializers.ChoiceField(choices=SORTS, required=False)
    order = serializers.ChoiceField(choices=["asc", "desc"], required=False)
    media_type = serializers.ListField(
        child=serializers.ChoiceField(choices=MediaType.choices), required=False, max_length=len(MediaType.values)
    )
    difficulty = serializers.ListField(
        child=serializers.ChoiceField(choices=Difficulty.choices), required=False, max_length=len(Difficulty.values)
    )
    learning_style = serializers.ListField(
        child=serializers.ChoiceField(choices=LearningStyle.choices),
        required=False,
        max_length=len(LearningStyle.values),
    )
    source = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=20)
    tags = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=20)
    tags_mode = serializers.ChoiceField(choices=["any", "all"], required=False, default="any")
    max_duration = StrictIntegerField(required=False, min_value=1, max_value=1_000_000, help_text="Minutes.")
    min_rating = FiniteFloatField(required=False, min_value=0, max_value=5)

    def validate_tags(self, tags: list[str]) -> list[str]:
        return list(dict.fromkeys(tag.strip().lower() for tag in tags if tag.strip()))

    def validate_q(self, q: str) -> str:
        return q.strip()


class ResourceRateInputSerializer(serializers.Serializer):
    rating = StrictIntegerField(min_value=1, max_value=5)
    review = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=5000,
        validators=[no_control_chars],
        help_text="Optional. Omitted: an earlier review is kept; null or empty: it is removed.",
    )

    def validate_review(self, review: str | None) -> str:
        return review or ""


class ResourceCompleteInputSerializer(BlankAsNullMixin, serializers.Serializer):
    blank_as_null = ("time_spent_minutes",)

    time_spent_minutes = StrictIntegerField(required=False, allow_null=True, min_value=0, max_value=100_000)


class ScrapeInputSerializer(serializers.Serializer):
    sources = ScrapeSourceSerializer(
        many=True, required=False, allow_empty=False, max_length=50, help_text="Default: every active scrape source."
    )
