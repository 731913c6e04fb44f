from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.health import health_report

HealthOutputSerializer = inline_serializer(
    name="HealthOutput",
    fields={
        "status": serializers.ChoiceField(choices=["ok", "error"]),
        "checks": serializers.DictField(child=serializers.CharField()),
    },
)


class HealthApi(APIView):
    """Database, cache and broker reachability: 200 when all are up, 503 otherwise. Public and never throttled."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(responses={200: HealthOutputSerializer, 503: HealthOutputSerializer}, tags=["health"])
    def get(self, request: Request) -> Response:
        healthy, checks = health_report()
        body = {"status": "ok" if healthy else "error", "checks": checks}
        return Response(body, status=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE)
