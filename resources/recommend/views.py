from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.serializers import error_responses
from resources.recommend import selectors
from resources.recommend.serializers import RecommendationQuerySerializer, ResourceRecommendationOutputSerializer


class RecommendationsApi(APIView):
    @extend_schema(
        summary="Recommended resources for a user",
        description="The user themself or staff (another user → 404). Hybrid of collaborative filtering, content "
        "similarity and a popularity prior; never violates the user's avoid_tags, max_duration_minutes, completed "
        "or disliked items. At most 3 of one media type in each 10. Cached per user until a new interaction or a "
        "retrain.",
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
            requester=request.user, user_id=user_id, limit=query.validated_data["limit"]
        )
        return Response(items)
