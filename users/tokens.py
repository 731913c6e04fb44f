"""JWT issuance and revocation.

Every login opens a session (a `UserSession` row): its refresh token carries the row's id as `sid`, which every
access token minted from it inherits, and the user's `token_version` as `ver`.
- Authentication loads the session and its user in one query (users.authentication): a missing or revoked session,
  an inactive user or an older `ver` answers 401. The database is the only authority, so a logout holds in every
  process of every mode at once and survives a cache flush.
- Logout revokes the session (and blacklists its refresh token); a password change bumps `token_version`, revokes
  every session of the user and blacklists every outstanding refresh token.
"""

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.tokens import RefreshToken, Token

from users.models import User, UserSession

logger = logging.getLogger(__name__)


def tokens_for_user(*, user: User) -> dict[str, str]:
    """A new session for the user: its row, then a refresh/access pair carrying its id."""
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    session = UserSession.objects.create(user=user, expires_at=timezone.now() + lifetime)
    refresh = RefreshToken.for_user(user)
    refresh["sid"] = session.id.hex
    refresh["ver"] = user.token_version
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def parse_sid(sid: Any) -> uuid.UUID | None:
    """The session id of a `sid` claim, or None when it is not one of ours."""
    if not isinstance(sid, str):
        return None
    try:
        return uuid.UUID(hex=sid)
    except ValueError:
        return None


def session_revoke(*, sid: Any) -> int:
    """Revoke one session (logout). Returns how many rows changed (0 when already revoked or unknown)."""
    session_id = parse_sid(sid)
    if session_id is None:
        return 0
    return UserSession.objects.filter(pk=session_id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def user_sessions_revoke(*, user: User) -> int:
    """Revoke every open session of the user (password change, deactivation)."""
    return UserSession.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def session_is_live(*, session: UserSession | None, user_id: Any) -> bool:
    return (
        session is not None
        and session.revoked_at is None
        and session.expires_at > timezone.now()
        and str(session.user_id) == str(user_id)
    )


def token_is_current(*, token: Token, user: User) -> bool:
    """False when the token predates a password change or its session was logged out (one indexed query).

    A token without `sid` is not one this server issues to clients (tokens_for_user always sets one); only its
    `ver` is checked."""
    if token.get("ver") != user.token_version:
        return False
    if "sid" not in token:
        return True
    session_id = parse_sid(token.get("sid"))
    if session_id is None:
        return False
    try:
        session = UserSession.objects.filter(pk=session_id).only("id", "user_id", "revoked_at", "expires_at").first()
    except DjangoValidationError:
        return False
    return session_is_live(session=session, user_id=user.pk)


def session_extend(*, sid: Any, expires_at: Any) -> None:
    """A rotated refresh token lives longer than the session row said: keep the row until it expires."""
    session_id = parse_sid(sid)
    if session_id is not None:
        UserSession.objects.filter(pk=session_id, revoked_at__isnull=True, expires_at__lt=expires_at).update(
            expires_at=expires_at
        )


def sessions_prune(*, older_than_days: int = 1) -> int:
    """Delete session rows that expired more than `older_than_days` ago; returns how many."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = UserSession.objects.filter(expires_at__lt=cutoff).delete()
    return deleted


def user_refresh_tokens_blacklist(*, user: User) -> int:
    """Blacklist every outstanding refresh token of the user; returns how many were newly blacklisted."""
    pending = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    rows = [BlacklistedToken(token=token) for token in pending]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
