"""HTTP plumbing shared by the picture endpoints (`…/graph.svg`, `…/chart.svg`): SVG by default, Mermaid text with
`?format=mermaid`, errors in the API's JSON error shape whatever the client accepts."""

from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.views import APIView

from common.serializers import error_responses

SVG = "image/svg+xml"
MERMAID = "text/plain"


class PictureFormatInputSerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=["svg", "mermaid"],
        required=False,
        default="svg",
        allow_blank=True,
        help_text="`svg` (default): an SVG image; `mermaid`: the same picture as Mermaid text for clients that draw.",
    )


class ErrorsAsJson(BaseContentNegotiation):
    """A picture is returned as a plain HttpResponse with its own media type; only errors go through a renderer,
    and those are always the API's JSON. So `Accept: image/svg+xml` never yields a 406, and DRF's own reading of
    `?format=` (a renderer lookup that 404s on unknown names) never runs: the view validates `format` itself."""

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: str | None = None) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type

    def select_parser(self, request: Any, parsers: list[Any]) -> Any:
        return parsers[0] if parsers else None


class PictureApi(APIView):
    content_negotiation_class = ErrorsAsJson


def picture_response(svg: Callable[[], str], mermaid: Callable[[], str] | None, fmt: str) -> Any:
    from django.http import HttpResponse

    if fmt == "mermaid" and mermaid is not None:
        response = HttpResponse(mermaid(), content_type=f"{MERMAID}; charset=utf-8")
    else:
        response = HttpResponse(svg(), content_type=SVG)
    # Per user (completion marks), never stored by shared caches; the CSP header also applies to the SVG document.
    response["Cache-Control"] = "private, no-cache"
    response["Content-Disposition"] = "inline"
    return response


def picture_responses(*codes: int, mermaid: bool = True, description: str = "") -> dict[Any, Any]:
    """drf-spectacular responses: 200 as image/svg+xml (and text/plain Mermaid), errors as the JSON error shape."""
    out: dict[Any, Any] = {(200, SVG): OpenApiResponse(OpenApiTypes.STR, description=description or "An SVG image.")}
    if mermaid:
        out[(200, MERMAID)] = OpenApiResponse(OpenApiTypes.STR, description="With `?format=mermaid`: Mermaid text.")
    for code, response in error_responses(*codes).items():
        out[(code, "application/json")] = response
    return out
