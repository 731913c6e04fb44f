from uuid import UUID

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.pagination import PAGINATION_PARAMETERS, paginate
from common.pictures import PictureApi, PictureFormatInputSerializer, picture_response, picture_responses
from common.serializers import error_responses
from roadmaps import pictures, selectors, services
from roadmaps.models import Roadmap, RoadmapStatus
from roadmaps.serializers import (
    RecommendationOutputSerializer,
    RoadmapGenerateInputSerializer,
    RoadmapGenerateOutputSerializer,
    RoadmapOutputSerializer,
    RoadmapProgressInputSerializer,
    RoadmapProgressOutputSerializer,
)


def _generate_body(roadmap: Roadmap) -> dict:
    meta = roadmap.generation_metadata or {}
    return {
        "roadmap": RoadmapOutputSerializer(roadmap).data,
        "recommendations": RecommendationOutputSerializer(selectors.recommendations(roadmap=roadmap), many=True).data,
        "generation_metadata": {
            "provider": meta.get("provider"),
            "model_used": meta.get("model_used"),
            "generated_at": meta.get("generated_at"),
            "estimated_total_hours": meta.get("estimated_total_hours"),
            **{k: v for k, v in meta.items() if k not in ("provider", "model_used", "generated_at")},
        },
    }


class RoadmapGenerateApi(APIView):
    @extend_schema(
        request=RoadmapGenerateInputSerializer,
        responses={
            201: RoadmapGenerateOutputSerializer,
            202: RoadmapGenerateOutputSerializer,
            **error_responses(400, 401, 429, 503),
        },
        tags=["roadmaps"],
    )
    def post(self, request: Request) -> Response:
        data = RoadmapGenerateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        roadmap = services.roadmap_request(user=request.user, **data.validated_data)
        roadmap = services.roadmap_wait(roadmap=roadmap, timeout=settings.ROADMAP_WAIT_SECONDS)
        roadmap = selectors.roadmap_get(requester=request.user, roadmap_id=roadmap.pk)
        code = status.HTTP_202_ACCEPTED if roadmap.status == RoadmapStatus.GENERATING else status.HTTP_201_CREATED
        return Response(_generate_body(roadmap), status=code)


class RoadmapListApi(APIView):
    @extend_schema(
        parameters=PAGINATION_PARAMETERS,
        responses={200: RoadmapOutputSerializer(many=True), **error_responses(400, 401)},
        tags=["roadmaps"],
    )
    def get(self, request: Request) -> Response:
        rows = selectors.roadmaps_of(user=request.user)
        return paginate(request, rows, lambda page: RoadmapOutputSerializer(page, many=True).data)


class UserRoadmapListApi(APIView):
    @extend_schema(
        parameters=PAGINATION_PARAMETERS,
        responses={200: RoadmapOutputSerializer(many=True), **error_responses(400, 401, 404)},
        tags=["roadmaps"],
    )
    def get(self, request: Request, user_id: UUID) -> Response:
        rows = selectors.roadmaps_of_user(requester=request.user, user_id=user_id)
        return paginate(request, rows, lambda page: RoadmapOutputSerializer(page, many=True).data)


class RoadmapDetailApi(APIView):
    @extend_schema(responses={200: RoadmapOutputSerializer, **error_responses(401, 404)}, tags=["roadmaps"])
    def get(self, request: Request, roadmap_id: int) -> Response:
        return Response(
            RoadmapOutputSerializer(selectors.roadmap_get(requester=request.user, roadmap_id=roadmap_id)).data
        )

    @extend_schema(responses={204: None, **error_responses(401, 404)}, tags=["roadmaps"])
    def delete(self, request: Request, roadmap_id: int) -> Response:
        services.roadmap_delete(roadmap=selectors.roadmap_get(requester=request.user, roadmap_id=roadmap_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoadmapProgressApi(APIView):
    @extend_schema(
        request=RoadmapProgressInputSerializer,
        responses={200: RoadmapProgressOutputSerializer, **error_responses(400, 401, 404, 409)},
        tags=["roadmaps"],
    )
    def put(self, request: Request, roadmap_id: int) -> Response:
        data = RoadmapProgressInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        roadmap = selectors.roadmap_get(requester=request.user, roadmap_id=roadmap_id)
        if roadmap.user_id != request.user.pk:
            raise NotFound()  # staff may read anyone's roadmap, but only its owner records progress
        roadmap = services.roadmap_progress(roadmap=roadmap, **data.validated_data)
        return Response(selectors.progress_summary(roadmap=roadmap))

    @extend_schema(
        request=RoadmapProgressInputSerializer,
        responses={200: RoadmapProgressOutputSerializer, **error_responses(400, 401, 404, 409)},
        tags=["roadmaps"],
    )
    def patch(self, request: Request, roadmap_id: int) -> Response:
        return self.put(request, roadmap_id)


class RoadmapGraphApi(PictureApi):
    @extend_schema(
        parameters=[PictureFormatInputSerializer],
        responses=picture_responses(400, 401, 404, description="The roadmap as a week-by-week timeline (SVG)."),
        operation_id="roadmap_graph_svg",
        tags=["roadmaps"],
    )
    def get(self, request: Request, roadmap_id: int) -> Response:
        query = PictureFormatInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        roadmap = selectors.roadmap_get(requester=request.user, roadmap_id=roadmap_id)
        return picture_response(
            lambda: pictures.roadmap_svg(roadmap),
            lambda: pictures.roadmap_mermaid(roadmap),
            query.validated_data["format"],
        )
