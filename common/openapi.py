"""drf-spectacular postprocessing for facts of the whole API that no single view declares."""

from typing import Any

from drf_spectacular import openapi

from common.serializers import error_responses


def allow_empty_query_values(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """An optional query parameter sent empty (`?module=`) is read as absent by every list and filter (API.md:
    empty strings for optional values are null), so the schema says so with `allowEmptyValue`."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result


def mark_aliases(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Paths served only because a client calls them there (settings.OPENAPI_ALIASES: alias prefix → canonical
    prefix) say so: `x-alias-of` names the canonical path, and the description starts with it."""
    from django.conf import settings

    aliases: dict[str, str] = getattr(settings, "OPENAPI_ALIASES", {})
    for path, operations in result.get("paths", {}).items():
        for alias, canonical in aliases.items():
            if not path.startswith(alias):
                continue
            target = canonical + path[len(alias) :]
            for operation in operations.values():
                if isinstance(operation, dict):
                    operation["x-alias-of"] = target
                    operation["description"] = f"Alias of `{target}`. " + operation.get("description", "")
            break
    return result


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus: every operation of a throttled view documents its 429 (the global burst
    throttles apply to every view that does not opt out), with the error shape and `Retry-After`."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if "429" not in responses and self.view.get_throttles():
            responses["429"] = self._get_response_for_code(error_responses(429)[429], "429", direction=direction)
        if "429" in responses:
            responses["429"].setdefault("headers", {})["Retry-After"] = {
                "schema": {"type": "integer", "minimum": 1},
                "description": "Seconds to wait before trying again.",
            }
        return responses
