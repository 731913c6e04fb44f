"""Bearer JWT authentication with revocation; lenient on public endpoints."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from users.models import User, UserSession
from users.tokens import parse_sid, session_is_live, token_is_current


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's access-token check, plus: an inactive or deleted user, a logged-out session or a token older
    than the last password change all answer 401.

    The session row and its user come in one query (a join on the session's primary key), so revocation is checked
    in the database on every request at no extra round trip."""

    def get_user(self, validated_token: Token) -> User:
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        if user_id is None:
            raise InvalidToken("Token contained no recognizable user identification")
        if "sid" not in validated_token:
            return self._user_without_session(validated_token)
        session_id = parse_sid(validated_token.get("sid"))
        session = None
        if session_id is not None:
            session = UserSession.objects.select_related("user").filter(pk=session_id).first()
        if session is None or str(session.user_id) != str(user_id):
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        user = session.user
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if not session_is_live(session=session, user_id=user_id) or validated_token.get("ver") != user.token_version:
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        return user

    def _user_without_session(self, validated_token: Token) -> User:
        try:
            user = super().get_user(validated_token)
        except (DjangoValidationError, ValueError):
            raise AuthenticationFailed("User not found.", code="user_not_found") from None
        if not token_is_current(token=validated_token, user=user):
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        return user

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        """On views that set `anonymous_on_invalid_token` (public catalogue reads), a bad, expired or revoked token
        means anonymous instead of 401: the SPA may send a stale or fake token there."""
        try:
            return super().authenticate(request)
        except (AuthenticationFailed, InvalidToken):
            view = (getattr(request, "parser_context", None) or {}).get("view")
            if getattr(view, "anonymous_on_invalid_token", False):
                return None
            raise
