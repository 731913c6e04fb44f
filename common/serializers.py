"""Serializer helpers shared by apps: the error shape for the schema and blank-as-null input."""

import math
from collections.abc import Mapping
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from common.validators import no_control_chars


class ErrorItemSerializer(serializers.Serializer):
    attr = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    detail = serializers.CharField()


class ErrorOutputSerializer(serializers.Serializer):
    """Every 4xx/5xx: `detail` summary, `errors` list, and DRF's native field lists beside them."""

    detail = serializers.CharField()
    errors = ErrorItemSerializer(many=True)


_ERROR_TEXT = {
    400: "Invalid input",
    401: "Not authenticated or token invalid",
    403: "Not allowed",
    404: "Not found (or not yours)",
    409: "Conflicts with the current state",
    413: "Body too large",
    415: "Unsupported media type",
    429: "Throttled (see Retry-After)",
    503: "A dependency is unavailable",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorOutputSerializer, description=_ERROR_TEXT.get(code, "")) for code in codes}


class FiniteFloatField(serializers.FloatField):
    """Every float the API accepts: "NaN", "Infinity" and 1e999 are invalid (400), as are booleans. A plain
    FloatField lets NaN through min/max checks (every comparison with NaN is false)."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


@extend_schema_field(
    {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "enum": [""]}], "nullable": True}
)
class BlankableDateField(serializers.DateField):
    """An optional date that BlankAsNullMixin reads as null when sent as "" (API.md); the schema says so."""


class StrictJsonTypesMixin:
    """Booleans must be JSON booleans, text JSON strings and numbers not booleans, as the schema says. DRF alone
    reads `0` as false, `0` as "0" and `false` as the score 0.0; a client sending those has a bug worth reporting
    rather than guessing at (found by the contract fuzzer)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors: dict[str, list[str]] = {}
            for name, field in self.fields.items():  # type: ignore[attr-defined]
                value = data.get(name)
                if field.read_only or value is None:
                    continue
                if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
                    errors[name] = ["Must be true or false."]
                elif isinstance(field, (serializers.IntegerField, serializers.FloatField)) and isinstance(value, bool):
                    errors[name] = ["Must be a number."]
                elif isinstance(field, (serializers.CharField, serializers.ChoiceField)) and not isinstance(value, str):
                    errors[name] = ["Must be a string."]
                elif (
                    isinstance(field, serializers.ListField)
                    and isinstance(field.child, (serializers.CharField, serializers.ChoiceField))
                    and isinstance(value, list)
                    and not all(isinstance(item, str) for item in value)
                ):
                    errors[name] = ["Must be a list of strings."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]


class BlankAsNullMixin:
    """API.md: empty strings for optional dates/numbers/choices are read as null."""

    blank_as_null: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = {key: data[key] for key in data}
            for field in self.blank_as_null:
                if data.get(field) == "":
                    data[field] = None
        return super().to_internal_value(data)  # type: ignore[misc]


# Text PostgreSQL can store: no NUL byte, no lone surrogate. Declared in the schema too, so clients (and the contract
# fuzzer) know such strings are refused rather than finding out from a 400.
SAFE_TEXT_PATTERN = r"^[^\u0000\ud800-\udfff]*$"


class SafeCharField(serializers.CharField):
    """A CharField that refuses NUL bytes and lone surrogates, and says so in the OpenAPI schema (`pattern`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(no_control_chars)

    def to_internal_value(self, data: Any) -> str:
        # The schema says string: a number or boolean is refused rather than silently turned into text.
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictRegexField(serializers.RegexField):
    """A RegexField that, like the schema's `type: string`, refuses numbers and booleans instead of coercing them."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SafeCharFieldExtension(OpenApiSerializerFieldExtension):
    target_class = SafeCharField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema["pattern"] = SAFE_TEXT_PATTERN
        return schema
