"""The API's JSON parser: DRF's, plus the refusals its stdlib parser leaves to later layers (where they were 500s).

- Nesting deeper than API_MAX_JSON_DEPTH (64): 400 `json_too_deep`. The stdlib decoder recurses and raises
  RecursionError near depth 1000, so a body of `[[[[…` 100,000 deep is refused here too instead of reaching the
  exception handler as an error; anything under that is measured without recursion.
- A lone UTF-16 surrogate (`"\\ud800"` unpaired) in any key or string: 400 `invalid_unicode`. Such a string cannot be
  stored as UTF-8 text, and echoing it in a 400 made the JSON renderer fail.
- NaN / Infinity literals: refused as DRF's STRICT_JSON does.
Both extra checks run only when the raw body could contain the problem (more brackets than the depth limit; a
`\\uD8xx`–`\\uDFxx` escape), so an ordinary body pays one `bytes.count` and one regex search.
"""

import json
import re
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _too_deep(limit: int) -> ParseError:
    return ParseError(f"JSON nested deeper than {limit} levels.", code="json_too_deep")


def _lone_surrogate() -> ParseError:
    return ParseError("JSON contains an unpaired UTF-16 surrogate escape.", code="invalid_unicode")


def check_json_value(value: Any, *, max_depth: int, surrogates: bool) -> None:
    """Raise ParseError if `value` nests deeper than `max_depth` containers or (with `surrogates`) holds a lone
    surrogate in a key or string. Iterative: depth costs no stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > max_depth:
                raise _too_deep(max_depth)
            for key, child in item.items():
                if surrogates and _SURROGATE.search(key):
                    raise _lone_surrogate()
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > max_depth:
                raise _too_deep(max_depth)
            stack.extend((child, depth + 1) for child in item)
        elif surrogates and isinstance(item, str) and _SURROGATE.search(item):
            raise _lone_surrogate()


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        max_depth = settings.API_MAX_JSON_DEPTH
        raw = stream.read()
        try:
            data = json.loads(raw.decode(encoding), parse_constant=drf_json.strict_constant if self.strict else None)
        except RecursionError:
            raise _too_deep(max_depth) from None
        except ValueError as exc:  # includes UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from None
        deep = raw.count(b"[") + raw.count(b"{") > max_depth
        surrogates = _SURROGATE_ESCAPE.search(raw) is not None
        if deep or surrogates:
            check_json_value(data, max_depth=max_depth, surrogates=surrogates)
        return data
