"""The API's JSON renderer: DRF's, but a response holding a string that UTF-8 cannot encode (a lone surrogate from
a query parameter or a stored value, echoed in a 400) is rendered with \\u escapes instead of failing with a 500."""

import copy
from typing import Any

from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            escaping = copy.copy(self)
            escaping.ensure_ascii = True
            return renderers.JSONRenderer.render(escaping, data, accepted_media_type, renderer_context)
