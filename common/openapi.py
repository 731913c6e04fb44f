"""drf-spectacular postprocessing for facts of the whole API that no single view declares."""

from typing import Any


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
