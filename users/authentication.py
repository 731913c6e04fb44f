"""Bearer JWT authentication with revocation; lenient on public endpoints."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import Token

from users.models import User
from users.tokens import token_is_current


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's access-token check, plus: an inactive or deleted user, a logged-out session or a token older
    than the last password change all answer 401."""

    def get_user(self, validated_token: Token) -> User:
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
