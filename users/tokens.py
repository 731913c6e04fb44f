"""JWT issuance and revocation.

Every login opens a session: its refresh token carries a random `sid` that every access token minted from it
inherits, and the user's `token_version` as `ver`.
- Logout blacklists the refresh token (database) and puts its `sid` on a denylist in the shared cache for as long as
  the refresh token could live, so the access tokens of that session fail at once.
- A password change bumps `token_version` and blacklists every outstanding refresh token: all older tokens fail.
"""

import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.tokens import RefreshToken, Token

from common.cache import CACHE_ERRORS
from users.models import User

logger = logging.getLogger(__name__)


def _sid_key(sid: str) -> str:
    return f"jwt:revoked-sid:{sid}"


def tokens_for_user(*, user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    refresh["sid"] = uuid.uuid4().hex
    refresh["ver"] = user.token_version
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def session_revoke(*, sid: str | None) -> None:
    if not sid:
        return
    ttl = int(settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].total_seconds())
    cache.set(_sid_key(str(sid)), 1, timeout=ttl)


def session_is_revoked(*, sid: Any) -> bool:
    if not sid:
        return False
    try:
        return cache.get(_sid_key(str(sid))) is not None
    except CACHE_ERRORS:
        # Fail open: the refresh tokens are blacklisted in the database and access tokens are short-lived;
        # refusing every request during a cache outage would be worse.
        logger.warning("Token denylist unreachable; session %s not checked", sid)
        return False


def token_is_current(*, token: Token, user: User) -> bool:
    """False when the token predates a password change or its session was logged out."""
    if token.get("ver") != user.token_version:
        return False
    return not session_is_revoked(sid=token.get("sid"))


def user_refresh_tokens_blacklist(*, user: User) -> int:
    """Blacklist every outstanding refresh token of the user; returns how many were newly blacklisted."""
    pending = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    rows = [BlacklistedToken(token=token) for token in pending]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
