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
