"""HTTP for spaced review: validate → call the service or selector → serialize."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.pagination import PAGINATION_PARAMETERS, paginate
from common.serializers import error_responses
from learning.choices import ReviewRating, ReviewState
from learning.models import ReviewItem
from learning.review import selectors, services
from learning.review.serializers import (
    MasteryOutputSerializer,
    ReviewAnswerInputSerializer,
    ReviewAnswerOutputSerializer,
    ReviewDueOutputSerializer,
)


class ReviewDueApi(APIView):
    @extend_schema(
        parameters=[*PAGINATION_PARAMETERS],
        responses={200: ReviewDueOutputSerializer(many=True), **error_responses(400, 401)},
        tags=["reviews"],
        description="The learner's review items due now, most overdue first. Questions come without answers.",
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        items = selectors.reviews_due(user=request.user, at=now)

        def recall(item: ReviewItem) -> float:
            return selectors.recall_probability(item, now)

        return paginate(
            request, items, lambda page: ReviewDueOutputSerializer(page, many=True, context={"recall": recall}).data
        )


class ReviewAnswerApi(APIView):
    @extend_schema(
        request=ReviewAnswerInputSerializer,
        responses={200: ReviewAnswerOutputSerializer, **error_responses(400, 401, 404)},
        tags=["reviews"],
        description="Answer a review item: scored on the server; returns the result, the explanation, the new due "
        "date and the recall probability. Another learner's item is a 404.",
    )
    def post(self, request: Request, item_id: int) -> Response:
        data = ReviewAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.review_answer(user=request.user, item_id=item_id, **data.validated_data)
        body = {
            "item_id": result.item.pk,
            "correct": result.log.correct,
            "correct_answer": result.correct_answer,
            "explanation": result.explanation,
            "rating": result.log.rating,
            "rating_label": str(ReviewRating(result.log.rating).label).lower(),
            "due": result.item.due,
            "recall_probability": round(result.recall_probability, 4),
            "state": str(ReviewState(result.item.state).label).lower(),
            "points_awarded": result.points_awarded,
        }
        return Response(ReviewAnswerOutputSerializer(body).data)


class MasteryApi(APIView):
    @extend_schema(
        responses={200: MasteryOutputSerializer, **error_responses(401)},
        tags=["reviews"],
        description="Mastery (mean recall probability now) per learning path (`topics`) and per module, items due "
        "and learned, and the last 4 weeks of mastery.",
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        result = selectors.mastery(user=request.user, at=now)
        result["history"] = selectors.mastery_history(user=request.user, at=now)
        return Response(MasteryOutputSerializer(result).data)
