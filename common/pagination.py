"""List pagination of API.md: bare JSON arrays, ``limit``/``offset``, ``X-Total-Count`` and an RFC 8288 ``Link``.

A list whose total is an estimate (a broad resource search) says so with ``X-Total-Count-Estimated: true`` — the
object paginated has a true ``count_is_estimate`` attribute after ``count()`` — and then pages are not cut at the
estimate: ``next`` is linked whenever the page came back full."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_OFFSET = 10_000_000

PAGINATION_PARAMETERS = [
    OpenApiParameter(
        "limit",
        # Larger values are clamped to the maximum page size; more than nine digits is a 400.
        {"type": "integer", "minimum": 1, "maximum": 999_999_999},
        description=f"Page size (default {settings.PAGINATION_DEFAULT_LIMIT}, "
        f"at most {settings.PAGINATION_MAX_LIMIT}).",
    ),
    OpenApiParameter("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, description="Items to skip."),
]


def _non_negative_int(request: Request, name: str, default: int, minimum: int, maximum: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise ValidationError({name: [f"Must be an integer of at least {minimum}."]}, code="invalid")
    value = int(raw)
    if value < minimum:
        raise ValidationError({name: [f"Must be an integer of at least {minimum}."]}, code="min_value")
    if maximum is not None:
        value = min(value, maximum)
    return value


class HeaderLimitOffsetPagination(LimitOffsetPagination):
    """Limit/offset pagination that keeps the body a bare array and moves the metadata into headers."""

    default_limit = settings.PAGINATION_DEFAULT_LIMIT
    max_limit = settings.PAGINATION_MAX_LIMIT

    def get_limit(self, request: Request) -> int:
        return _non_negative_int(request, self.limit_query_param, self.default_limit, 1, self.max_limit)

    def get_offset(self, request: Request) -> int:
        offset = _non_negative_int(request, self.offset_query_param, 0, 0, None)
        if offset > MAX_OFFSET:
            raise ValidationError({self.offset_query_param: [f"Must be at most {MAX_OFFSET}."]}, code="max_value")
        return offset

    count_is_estimate = False
    page_is_full = False

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        """DRF's, except that an estimated total neither cuts the pages short nor decides the next link."""
        self.request = request
        self.limit = self.get_limit(request)
        if isinstance(queryset, QuerySet):
            return self._paginate_exact(queryset)
        self.count = self.get_count(queryset)
        self.offset = self.get_offset(request)
        self.count_is_estimate = bool(getattr(queryset, "count_is_estimate", False))
        if self.count == 0 or (self.offset > self.count and not self.count_is_estimate):
            return []
        page = list(queryset[self.offset : self.offset + self.limit])
        self.page_is_full = len(page) == self.limit
        return page

    def _paginate_exact(self, queryset: QuerySet[Any]) -> list[Any]:
        """A plain queryset: read the page first, and count only when the page cannot tell the total.

        A page that came back shorter than the limit ends the list, so the total is offset + its length (exact, in
        the same snapshot as the page); only a full page, or an empty one past the start, needs COUNT(*). Most lists
        of a learner (paths, enrolments, roadmaps, submissions) fit one page: one query instead of two."""
        self.offset = self.get_offset(self.request)
        page = list(queryset[self.offset : self.offset + self.limit])
        self.page_is_full = len(page) == self.limit
        if page and not self.page_is_full:
            self.count = self.offset + len(page)
        elif not page and self.offset == 0:
            self.count = 0
        else:
            self.count = self.get_count(queryset)
        return page

    def paginate_list(self, items: Sequence[Any], total: int, request: Request) -> None:
        """Record the page of an already-sliced list (for merged or computed lists)."""
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        self.count = total

    def _link_header(self) -> str:
        url = self.request.build_absolute_uri()
        links = []
        more = self.page_is_full if self.count_is_estimate else self.offset + self.limit < self.count
        if more:
            links.append(f'<{replace_query_param(url, self.offset_query_param, self.offset + self.limit)}>; rel="next"')
        if self.offset > 0:
            prev_offset = max(self.offset - self.limit, 0)
            prev_url = (
                remove_query_param(url, self.offset_query_param)
                if prev_offset == 0
                else replace_query_param(url, self.offset_query_param, prev_offset)
            )
            links.append(f'<{prev_url}>; rel="prev"')
        return ", ".join(links)

    def get_paginated_response(self, data: Any) -> Response:
        headers = {"X-Total-Count": str(self.count)}
        if self.count_is_estimate:
            headers["X-Total-Count-Estimated"] = "true"
        link = self._link_header()
        if link:
            headers["Link"] = link
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return schema

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"]["minimum"] = 1 if param["name"] == self.limit_query_param else 0
            if param["name"] == self.limit_query_param:
                param["schema"]["maximum"] = self.max_limit
        return params


def paginate(request: Request, items_or_queryset: Any, serialize: Any) -> Response:
    """Paginate a queryset (or list) and return the bare-array response; `serialize(page)` renders the page."""
    paginator = HeaderLimitOffsetPagination()
    page = paginator.paginate_queryset(items_or_queryset, request)
    return paginator.get_paginated_response(serialize(page))
