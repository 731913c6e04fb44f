"""`/api/gamification/…` (SPA.md §4, §7) and `/api/assessment/stats/` (§3): the caller's own data only."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.pagination import PAGINATION_PARAMETERS, paginate
from common.serializers import error_responses
from learning import services
from learning.gamification import selectors
from learning.gamification import serializers as s
from users.models import Achievement

TAGS = ["gamification"]


def _schema(response: object, *, errors: tuple[int, ...] = (401,), **kwargs: Any) -> Any:
    return extend_schema(responses={200: response, **error_responses(*errors)}, tags=TAGS, **kwargs)


class OverviewApi(APIView):
    @_schema(s.OverviewOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(s.OverviewOutputSerializer(selectors.overview(user=request.user)).data)


class UserAchievementsApi(APIView):
    @_schema(
        s.GamificationUserAchievementOutputSerializer(many=True),
        description="Every achievement, locked ones included.",
        parameters=PAGINATION_PARAMETERS,
        errors=(400, 401),
    )
    def get(self, request: Request) -> Response:
        rows = selectors.user_achievements(user=request.user)
        return paginate(request, rows, lambda page: s.GamificationUserAchievementOutputSerializer(page, many=True).data)


class UserBadgesApi(APIView):
    @_schema(s.GamificationUserBadgeOutputSerializer(many=True), parameters=PAGINATION_PARAMETERS, errors=(400, 401))
    def get(self, request: Request) -> Response:
        rows = selectors.user_badges(user=request.user)
        return paginate(request, rows, lambda page: s.GamificationUserBadgeOutputSerializer(page, many=True).data)


class BadgesApi(APIView):
    @_schema(s.GamificationBadgeOutputSerializer(many=True), parameters=PAGINATION_PARAMETERS, errors=(400, 401))
    def get(self, request: Request) -> Response:
        rows = selectors.badges_catalogue()
        return paginate(request, rows, lambda page: s.GamificationBadgeOutputSerializer(page, many=True).data)


class UserPointsApi(APIView):
    @_schema(s.UserPointsOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(s.UserPointsOutputSerializer(selectors.user_points(user=request.user)).data)


class UserLevelApi(APIView):
    @_schema(s.UserLevelOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(s.UserLevelOutputSerializer(selectors.user_level(user=request.user)).data)


class LearningStreakApi(APIView):
    @_schema(s.StreakOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(s.StreakOutputSerializer(selectors.learning_streak(user=request.user)).data)


class AwardPointsApi(APIView):
    """The SPA's client-chosen points call: it awards nothing and answers with the real total."""

    @_schema(s.AwardPointsOutputSerializer, request=s.AwardPointsInputSerializer, errors=(400, 401))
    def post(self, request: Request) -> Response:
        s.AwardPointsInputSerializer(data=request.data).is_valid(raise_exception=True)  # read, never applied
        total = selectors.user_level(user=request.user)["total_points"]
        body = {
            "awarded": 0,
            "total_points": total,
            "detail": "Points are awarded by the server for verified activity.",
        }
        return Response(s.AwardPointsOutputSerializer(body).data)


class CheckAchievementsApi(APIView):
    """Evaluates the caller from server-side counters (the body is ignored) and returns what was newly unlocked."""

    @_schema(s.CheckAchievementsOutputSerializer, request=s.AwardPointsInputSerializer, errors=(400, 401))
    def post(self, request: Request) -> Response:
        s.AwardPointsInputSerializer(data=request.data).is_valid(raise_exception=True)  # read, never applied
        codes = services.achievements_evaluate(user=request.user)
        rows = [r["achievement"] for r in selectors.user_achievements(user=request.user)]
        ids = set(Achievement.objects.filter(code__in=codes).values_list("id", flat=True))
        unlocked = [row for row in rows if row["id"] in ids]
        return Response(s.CheckAchievementsOutputSerializer({"unlocked": unlocked}).data)


class AssessmentStatsApi(APIView):
    @extend_schema(responses={200: s.AssessmentStatsOutputSerializer, **error_responses(401)}, tags=["assessment"])
    def get(self, request: Request) -> Response:
        return Response(s.AssessmentStatsOutputSerializer(selectors.assessment_stats(user=request.user)).data)
