from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.health import health_report, readiness_report

HealthOutputSerializer = inline_serializer(
    name="HealthOutput",
    fields={
        "status": serializers.ChoiceField(choices=["ok", "error"]),
        "checks": serializers.DictField(child=serializers.CharField()),
    },
)
LivenessOutputSerializer = inline_serializer(
    name="LivenessOutput", fields={"status": serializers.ChoiceField(choices=["ok"])}
)


class _PublicProbe(APIView):
    """Public, unauthenticated and never throttled: load balancers and orchestrators poll these."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


class HealthApi(_PublicProbe):
    """Database, cache and broker reachability: 200 when all are up, 503 otherwise. Public and never throttled."""

    @extend_schema(responses={200: HealthOutputSerializer, 503: HealthOutputSerializer}, tags=["health"])
    def get(self, request: Request) -> Response:
        healthy, checks = health_report()
        body = {"status": "ok" if healthy else "error", "checks": checks}
        return Response(body, status=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE)


class HealthLiveApi(_PublicProbe):
    """Liveness: the process serves requests. Checks no dependency, so a database outage never restarts the web."""

    @extend_schema(responses={200: LivenessOutputSerializer}, tags=["health"], operation_id="health_live")
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class HealthReadyApi(_PublicProbe):
    """Readiness of the system: database, cache and broker reachable, migrations applied, and with a broker a live
    worker on every queue (heartbeats) with a usable sandbox on the executor's (200), else 503. Public and never
    throttled."""

    @extend_schema(
        responses={200: HealthOutputSerializer, 503: HealthOutputSerializer},
        tags=["health"],
        operation_id="health_ready",
    )
    def get(self, request: Request) -> Response:
        healthy, checks = readiness_report()
        body = {"status": "ok" if healthy else "error", "checks": checks}
        return Response(body, status=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE)
