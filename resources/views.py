from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.choices import Difficulty, LearningStyle, MediaType
from common.pagination import PAGINATION_PARAMETERS, HeaderLimitOffsetPagination, paginate
from common.serializers import error_responses
from resources import results, selectors, services
from resources.models import InteractionType, Resource
from resources.results import EXACT_TOTAL_UP_TO
from resources.selectors import SORTS
from resources.serializers import (
    InteractionOutputSerializer,
    ResourceCompleteInputSerializer,
    ResourceDetailOutputSerializer,
    ResourceOutputSerializer,
    ResourceRateInputSerializer,
    ResourceSearchInputSerializer,
    ScrapeInputSerializer,
    ScrapeJobOutputSerializer,
    search_query_data,
)

TAGS = ["resources"]


class PublicApi(APIView):
    """Catalogue reads: anonymous allowed; an invalid or stale token is read as anonymous."""

    permission_classes = [AllowAny]
    anonymous_on_invalid_token = True


def _list_param(name: str, enum: list[str] | None, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        {"type": "array", "items": {"type": "string", **({"enum": enum} if enum else {})}},
        description=description,
        explode=True,
    )


SEARCH_PARAMETERS = [
    OpenApiParameter(
        "q",
        str,
        description='Up to 500 characters of websearch syntax: words, "a phrase", `or`, `-excluded`; typos tolerated. '
        "A long question is searched by its first 24 distinct content words.",
    ),
    OpenApiParameter("sort", str, enum=list(SORTS), description="Default: relevance with `q`, else rating."),
    OpenApiParameter("order", str, enum=["asc", "desc"], description="Default: desc, except title and duration."),
    OpenApiParameter(
        "filters",
        OpenApiTypes.STR,
        description='A JSON object of the filters below, e.g. {"media_type": ["video", "course"], "difficulty": '
        '"beginner", "tags": {"all": ["python", "testing"]}, "max_duration": 60, "min_rating": 4}. Its keys win over '
        "the flat parameters.",
    ),
    _list_param("media_type", MediaType.values, "One or many (repeat or comma-separate)."),
    _list_param("difficulty", Difficulty.values, "One or many."),
    _list_param("learning_style", LearningStyle.values, "One or many."),
    _list_param("source", None, "Platform name(s), case-insensitive."),
    _list_param("tags", None, "Tag(s); see tags_mode."),
    OpenApiParameter("tags_mode", str, enum=["any", "all"], description="Match any (default) or all of the tags."),
    OpenApiParameter("max_duration", {"type": "integer", "minimum": 1}, description="At most this many minutes."),
    OpenApiParameter(
        "min_rating", {"type": "number", "minimum": 0, "maximum": 5}, description="Mean rating at least this (0–5)."
    ),
    *PAGINATION_PARAMETERS,
]


class ResourceSearchApi(PublicApi):
    @extend_schema(
        summary="Search the catalogue",
        description="Public. Ranked by relevance when `q` is given (typos tolerated); filters as flat parameters or "
        "as `filters=<JSON object>`. A bare array; the total is in `X-Total-Count`: exact up to "
        f"{EXACT_TOTAL_UP_TO:,} matches of `q`, "
        "above that PostgreSQL's estimate, flagged by `X-Total-Count-Estimated: true` (follow the `next` link rather "
        "than computing pages from an estimated total). Plain-language queries are read as learners mean them: "
        'how-to phrasing ("how to", "for beginners", "tutorial") steers difficulty and media type instead of '
        "matching titles, and topic aliases expand the words. A question of three content words or more also ranks "
        "its 20 nearest resources by meaning (same filters) with its word matches, and counts them as matches. When a "
        "relevance-ranked query has fewer than 10 matches, the page is completed with related resources (nearest in "
        "meaning, same filters) listed after every match: `X-Total-Count` counts matches only and `X-Related-Count` "
        "says how many items at the end "
        "of the page are related ones. The same URL asked again within `RESOURCES_SEARCH_PAGE_CACHE_SECONDS` (30 s) is "
        "served as rendered: a catalogue change shows at once, a new rating or view count within that time.",
        parameters=SEARCH_PARAMETERS,
        responses={200: ResourceOutputSerializer(many=True), **error_responses(400)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        # The same page asked again within seconds (a popular query, the SPA re-asking) is served as rendered: only a
        # URL that was valid before is found, so its parameters need no second validation.
        key = results.page_cache_key(request.build_absolute_uri())
        cached = results.cached_page(key)
        if cached is not None:
            return Response(cached[0], headers=cached[1])
        data = ResourceSearchInputSerializer(data=search_query_data(request.query_params))
        data.is_valid(raise_exception=True)
        response = self._search(request, data.validated_data)
        headers = {name: response[name] for name in results.PAGE_HEADERS if response.has_header(name)}
        results.cache_page(key, list(response.data), headers)
        return response

    @staticmethod
    def _search(request: Request, params: dict) -> Response:
        resources = selectors.resource_search(**params)
        fill = getattr(resources, "related", None)
        if fill is None:
            return paginate(request, resources, lambda page: ResourceOutputSerializer(page, many=True).data)
        paginator = HeaderLimitOffsetPagination()
        page = paginator.paginate_queryset(resources, request)
        related = fill(offset=paginator.offset, limit=paginator.limit, strict_on_page=len(page))
        response = paginator.get_paginated_response(ResourceOutputSerializer([*page, *related], many=True).data)
        response["X-Related-Count"] = str(len(related))
        return response


def _detail(request: Request, resource_id: int, resource: Resource | None = None) -> Response:
    resource = resource or selectors.resource_get(resource_id=resource_id)
    interactions = selectors.interactions_of(user=request.user, resource=resource)
    return Response(ResourceDetailOutputSerializer(resource, context={"interactions": interactions}).data)


class ResourceDetailApi(PublicApi):
    @extend_schema(
        summary="A resource",
        description="Public; with the signed-in user's own interactions in `user_interactions`.",
        responses={200: ResourceDetailOutputSerializer, **error_responses(404)},
        tags=TAGS,
    )
    def get(self, request: Request, resource_id: int) -> Response:
        return _detail(request, resource_id)


class ResourceRateApi(APIView):
    @extend_schema(
        request=ResourceRateInputSerializer,
        responses={200: ResourceDetailOutputSerializer, **error_responses(400, 401, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, resource_id: int) -> Response:
        data = ResourceRateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resource = selectors.resource_get(resource_id=resource_id)
        resource = services.resource_rate(
            user=request.user,
            resource=resource,
            rating=data.validated_data["rating"],
            review=data.validated_data.get("review"),
        )
        return _detail(request, resource_id, resource)


class ResourceCompleteApi(APIView):
    @extend_schema(
        request=ResourceCompleteInputSerializer,
        responses={200: InteractionOutputSerializer, **error_responses(400, 401, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, resource_id: int) -> Response:
        data = ResourceCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resource = selectors.resource_get(resource_id=resource_id)
        interaction = services.resource_complete(
            user=request.user, resource=resource, time_spent_minutes=data.validated_data.get("time_spent_minutes")
        )
        return Response(InteractionOutputSerializer(interaction).data)


class _ToggleApi(APIView):
    """POST sets the like/save (idempotent), DELETE clears it (204, idempotent too)."""

    interaction_type = ""

    def post(self, request: Request, resource_id: int) -> Response:
        resource = selectors.resource_get(resource_id=resource_id)
        interaction = services.resource_mark(
            user=request.user, resource=resource, interaction_type=self.interaction_type
        )
        return Response(InteractionOutputSerializer(interaction).data)

    def delete(self, request: Request, resource_id: int) -> Response:
        resource = selectors.resource_get(resource_id=resource_id)
        services.resource_unmark(user=request.user, resource=resource, interaction_type=self.interaction_type)
        return Response(status=status.HTTP_204_NO_CONTENT)


_TOGGLE_POST = extend_schema(
    request=None, responses={200: InteractionOutputSerializer, **error_responses(401, 404)}, tags=TAGS
)
_TOGGLE_DELETE = extend_schema(request=None, responses={204: None, **error_responses(401, 404)}, tags=TAGS)


class ResourceLikeApi(_ToggleApi):
    interaction_type = InteractionType.LIKE

    @_TOGGLE_POST
    def post(self, request: Request, resource_id: int) -> Response:
        return super().post(request, resource_id)

    @_TOGGLE_DELETE
    def delete(self, request: Request, resource_id: int) -> Response:
        return super().delete(request, resource_id)


class ResourceSaveApi(_ToggleApi):
    interaction_type = InteractionType.SAVE

    @_TOGGLE_POST
    def post(self, request: Request, resource_id: int) -> Response:
        return super().post(request, resource_id)

    @_TOGGLE_DELETE
    def delete(self, request: Request, resource_id: int) -> Response:
        return super().delete(request, resource_id)


class ResourceViewApi(APIView):
    @_TOGGLE_POST
    def post(self, request: Request, resource_id: int) -> Response:
        resource = selectors.resource_get(resource_id=resource_id)
        return Response(InteractionOutputSerializer(services.resource_view(user=request.user, resource=resource)).data)


class ScrapeApi(APIView):
    """Staff only: start a scrape job (202; it runs on the `scrape` queue) or list the jobs."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        request=ScrapeInputSerializer,
        responses={202: ScrapeJobOutputSerializer, **error_responses(400, 401, 403)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = ScrapeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.scrape_job_create(requested_by=request.user, sources=data.validated_data.get("sources"))
        return Response(ScrapeJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=PAGINATION_PARAMETERS,
        responses={200: ScrapeJobOutputSerializer(many=True), **error_responses(400, 401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        jobs = selectors.scrape_jobs_list()
        return paginate(request, jobs, lambda page: ScrapeJobOutputSerializer(page, many=True).data)


class ScrapeJobDetailApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(responses={200: ScrapeJobOutputSerializer, **error_responses(401, 403, 404)}, tags=TAGS)
    def get(self, request: Request, job_id: int) -> Response:
        return Response(ScrapeJobOutputSerializer(selectors.scrape_job_get(job_id=job_id)).data)
