"""Serializer helpers shared by apps: the error shape for the schema and blank-as-null input."""

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


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
