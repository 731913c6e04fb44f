"""Test-only routes mounted beside the real ones, to exercise common plumbing without a feature app."""

from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from common.pagination import paginate
from config.urls import urlpatterns as real_patterns
from users.models import User


class BoomApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internal detail")


class UserNamesApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        qs = User.objects.order_by("username")
        return paginate(request, qs, lambda page: [u.username for u in page])


class EchoInput(serializers.Serializer):
    name = serializers.CharField(max_length=10)


class EchoApi(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        data = EchoInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


class WhoAmIApi(APIView):
    permission_classes = [AllowAny]
    anonymous_on_invalid_token = True

    def get(self, request):
        return Response({"user": request.user.username if request.user.is_authenticated else None})


def plain_boom(request):
    raise RuntimeError("secret internal detail")


urlpatterns = [
    path("api/test/boom/", BoomApi.as_view()),
    path("api/test/plain-boom/", plain_boom),
    path("api/test/names/", UserNamesApi.as_view()),
    path("api/test/echo/", EchoApi.as_view()),
    path("api/test/whoami/", WhoAmIApi.as_view()),
    *real_patterns,
]
