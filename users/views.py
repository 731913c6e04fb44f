from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.pagination import PAGINATION_PARAMETERS, HeaderLimitOffsetPagination
from common.serializers import error_responses
from common.throttling import AnonBurstThrottle, LoginIPThrottle, RegisterIPThrottle
from common.utils import client_ip
from users import selectors, services
from users.models import User
from users.serializers import (
    AccessOutputSerializer,
    AuthOutputSerializer,
    HistoryItemOutputSerializer,
    LoginInputSerializer,
    MessageOutputSerializer,
    PasswordChangeInputSerializer,
    PreferencesSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    TokensOutputSerializer,
    UserEnvelopeOutputSerializer,
    UserOutputSerializer,
    UserSettingsOutputSerializer,
    UserStatsOutputSerializer,
    UserUpdateInputSerializer,
)
from users.tokens import tokens_for_user


def _auth_body(user: User) -> dict:
    user = selectors.user_get_with_awards(user_id=user.pk)
    return {"user": UserOutputSerializer(user).data, "tokens": tokens_for_user(user=user)}


class PublicAuthApi(APIView):
    """Auth endpoints ignore any bearer header: a stale token must never block logging in again."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'  # bad credentials are a 401, as on every authenticated endpoint


class RegisterApi(PublicAuthApi):
    throttle_classes = [AnonBurstThrottle, RegisterIPThrottle]

    @extend_schema(
        request=RegisterInputSerializer,
        responses={201: AuthOutputSerializer, **error_responses(400, 429)},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k != "password_confirm"}
        user = services.user_register(**fields)
        return Response(_auth_body(user), status=status.HTTP_201_CREATED)


class LoginApi(PublicAuthApi):
    throttle_classes = [LoginIPThrottle]

    @extend_schema(
        request=LoginInputSerializer,
        responses={200: AuthOutputSerializer, **error_responses(400, 401, 429)},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_authenticate(
            identifier=data.validated_data["username"],
            password=data.validated_data["password"],
            ip=client_ip(request),
        )
        return Response(_auth_body(user))


class RefreshApi(PublicAuthApi):
    @extend_schema(
        request=RefreshInputSerializer,
        responses={200: AccessOutputSerializer, **error_responses(400, 401)},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.token_refresh(raw_refresh=data.validated_data["refresh"]))


class LogoutApi(PublicAuthApi):
    @extend_schema(
        request=RefreshInputSerializer,
        responses={200: MessageOutputSerializer, **error_responses(400, 401)},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_logout(raw_refresh=data.validated_data["refresh"])
        return Response({"detail": "Logged out."})


class MeApi(APIView):
    @extend_schema(responses={200: UserOutputSerializer, **error_responses(401)}, tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(selectors.user_load_awards(user=request.user)).data)


class PasswordChangeApi(APIView):
    @extend_schema(
        request=PasswordChangeInputSerializer,
        responses={200: TokensOutputSerializer, **error_responses(400, 401, 429)},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.user_change_password(user=request.user, ip=client_ip(request), **data.validated_data)
        return Response({"tokens": tokens})


def _validated_update(request: Request) -> dict:
    data = UserUpdateInputSerializer(data=request.data, partial=True)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class ProfileApi(APIView):
    @extend_schema(responses={200: UserOutputSerializer, **error_responses(401)}, tags=["users"])
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(selectors.user_load_awards(user=request.user)).data)

    @extend_schema(
        request=UserUpdateInputSerializer(partial=True),
        responses={200: UserEnvelopeOutputSerializer, **error_responses(400, 401)},
        tags=["users"],
    )
    def put(self, request: Request) -> Response:
        user = services.user_update(user=request.user, data=_validated_update(request))
        return Response({"user": UserOutputSerializer(selectors.user_get_with_awards(user_id=user.pk)).data})

    @extend_schema(
        request=UserUpdateInputSerializer,
        responses={200: UserEnvelopeOutputSerializer, **error_responses(400, 401)},
        tags=["users"],
    )
    def patch(self, request: Request) -> Response:
        return self.put(request)


class SettingsApi(APIView):
    @extend_schema(responses={200: UserSettingsOutputSerializer, **error_responses(401)}, tags=["users"])
    def get(self, request: Request) -> Response:
        return Response(UserSettingsOutputSerializer(request.user).data)

    @extend_schema(
        request=UserUpdateInputSerializer(partial=True),
        responses={200: UserSettingsOutputSerializer, **error_responses(400, 401)},
        tags=["users"],
    )
    def put(self, request: Request) -> Response:
        user = services.user_update(user=request.user, data=_validated_update(request))
        return Response(UserSettingsOutputSerializer(user).data)

    @extend_schema(
        request=UserUpdateInputSerializer,
        responses={200: UserSettingsOutputSerializer, **error_responses(400, 401)},
        tags=["users"],
    )
    def patch(self, request: Request) -> Response:
        return self.put(request)


class StatsApi(APIView):
    @extend_schema(responses={200: UserStatsOutputSerializer, **error_responses(401)}, tags=["users"])
    def get(self, request: Request) -> Response:
        return Response(UserStatsOutputSerializer(selectors.user_load_stats(user=request.user)).data)


class UserDetailApi(APIView):
    @extend_schema(responses={200: UserOutputSerializer, **error_responses(401, 404)}, tags=["users"])
    def get(self, request: Request, user_id: UUID) -> Response:
        user = selectors.user_get_visible(requester=request.user, user_id=user_id)
        return Response(UserOutputSerializer(user).data)

    @extend_schema(
        request=UserUpdateInputSerializer(partial=True),
        responses={200: UserOutputSerializer, **error_responses(400, 401, 404)},
        tags=["users"],
    )
    def put(self, request: Request, user_id: UUID) -> Response:
        user = selectors.user_get_visible(requester=request.user, user_id=user_id)
        user = services.user_update(user=user, data=_validated_update(request))
        return Response(UserOutputSerializer(selectors.user_get_with_awards(user_id=user.pk)).data)

    @extend_schema(
        request=UserUpdateInputSerializer,
        responses={200: UserOutputSerializer, **error_responses(400, 401, 404)},
        tags=["users"],
    )
    def patch(self, request: Request, user_id: UUID) -> Response:
        return self.put(request, user_id)


class UserPreferencesApi(APIView):
    @extend_schema(responses={200: PreferencesSerializer, **error_responses(401, 404)}, tags=["users"])
    def get(self, request: Request, user_id: UUID) -> Response:
        user = selectors.user_get_visible(requester=request.user, user_id=user_id)
        return Response(PreferencesSerializer(services.preferences_get_or_create(user=user)).data)

    @extend_schema(
        request=PreferencesSerializer(partial=True),
        responses={200: PreferencesSerializer, **error_responses(400, 401, 404)},
        tags=["users"],
    )
    def put(self, request: Request, user_id: UUID) -> Response:
        user = selectors.user_get_visible(requester=request.user, user_id=user_id)
        data = PreferencesSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        prefs = services.preferences_update(user=user, data=dict(data.validated_data))
        return Response(PreferencesSerializer(prefs).data)

    @extend_schema(
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer, **error_responses(400, 401, 404)},
        tags=["users"],
    )
    def patch(self, request: Request, user_id: UUID) -> Response:
        return self.put(request, user_id)


class UserHistoryApi(APIView):
    @extend_schema(
        responses={200: HistoryItemOutputSerializer(many=True), **error_responses(400, 401, 404)},
        parameters=PAGINATION_PARAMETERS,
        tags=["users"],
    )
    def get(self, request: Request, user_id: UUID) -> Response:
        user = selectors.user_get_visible(requester=request.user, user_id=user_id)
        paginator = HeaderLimitOffsetPagination()
        limit, offset = paginator.get_limit(request), paginator.get_offset(request)
        rows, total = selectors.user_history(user=user, offset=offset, limit=limit)
        paginator.paginate_list(rows, total, request)
        return paginator.get_paginated_response(HistoryItemOutputSerializer(rows, many=True).data)
