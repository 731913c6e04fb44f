from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.serializers import error_responses
from resources.recommend import selectors
from resources.recommend.serializers import RecommendationQuerySerializer, ResourceRecommendationOutputSerializer


def _render(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    resources = selectors.recommended_resources(items)
    return [dict(row) for row in ResourceRecommendationOutputSerializer(resources, many=True).data]


class RecommendationsApi(APIView):
    @extend_schema(
        summary="Recommended resources for a user",
        description="The user themself or staff (another user → 404). Resources of the current roadmap step and "
        "module first, then a hybrid of collaborative filtering (ALS, EASE or a blend of both; item co-occurrence for "
        "a history of 1–5 resources), semantic content similarity to what "
        "the learner did and declared, and a popularity prior; never violates the user's avoid_tags, "
        "max_duration_minutes, completed or disliked items. Media types: at most ⌈3k/10⌉ of one type in the first "
        "k ≤ 10 items and at most 3 in any 10 consecutive. Each reason names its evidence. Cached until any input "
        "changes (interactions, preferences, profile, catalogue, roadmap or module progress, model).",
        parameters=[
            OpenApiParameter(
                "limit", {"type": "integer", "minimum": 1, "maximum": 200}, description="How many (1–200, default 50)."
            )
        ],
        responses={200: ResourceRecommendationOutputSerializer(many=True), **error_responses(400, 401, 404)},
        tags=["resources"],
    )
    def get(self, request: Request, user_id: UUID) -> Response:
        query = RecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        items = selectors.recommendations_for(
            requester=request.user, user_id=user_id, limit=query.validated_data["limit"], render=_render
        )
        return Response(items)
