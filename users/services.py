"""Writes for users: registration, login, tokens, profile, settings and preferences."""

import logging
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from common import throttling
from common.errors import Invalid, RateLimited, Unauthenticated, Unavailable
from common.utils import model_update
from users.errors import UserErrorCode
from users.models import Achievement, Badge, DailyActivity, User, UserAchievement, UserBadge, UserPreferences
from users.tokens import (
    session_extend,
    session_revoke,
    token_is_current,
    tokens_for_user,
    user_refresh_tokens_blacklist,
    user_sessions_revoke,
)

logger = logging.getLogger(__name__)

INVALID_CREDENTIALS = "Invalid username or password."

PROFILE_FIELDS = [
    "username",
    "email",
    "first_name",
    "last_name",
    "bio",
    "profile_image",
    "learning_style",
    "preferred_difficulty",
    "learning_pace",
    "current_goal",
    "goal_deadline",
    "agent_interaction_level",
    "preferred_feedback_style",
    "dark_mode",
    "notifications_enabled",
    "email_notifications",
    "push_notifications",
]
SETTINGS_FIELDS = PROFILE_FIELDS
PREFERENCE_FIELDS = [
    "preferred_media_types",
    "preferred_difficulty",
    "preferred_learning_style",
    "max_duration_minutes",
    "avoid_tags",
    "interests",
]
# Profile fields the recommender reads: a change bumps UserPreferences.version (its cache identity).
PERSONALISATION_PROFILE_FIELDS = ["bio", "current_goal", "learning_style", "preferred_difficulty"]


def _unique_errors(*, username: str | None, email: str | None, exclude: User | None = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    others = User.objects.all() if exclude is None else User.objects.exclude(pk=exclude.pk)
    if username is not None and others.filter(username__iexact=username).exists():
        errors["username"] = ["A user with that username already exists."]
    if email is not None and others.filter(email__iexact=email).exists():
        errors["email"] = ["A user with that email already exists."]
    return errors


def _raise_unique(errors: dict[str, list[str]]) -> None:
    if errors:
        raise Invalid(fields=errors, code=UserErrorCode.UNIQUE)


@transaction.atomic
def user_register(*, username: str, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    email = email.strip()
    _raise_unique(_unique_errors(username=username, email=email))
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise Invalid(fields={"password": list(exc.messages)}, code="password_invalid") from None
    user.set_password(password)
    try:
        user.full_clean(exclude=["password"])
        with transaction.atomic():
            user.save()
    except IntegrityError:  # lost a race with a concurrent registration of the same name
        _raise_unique(
            _unique_errors(username=username, email=email)
            or {"username": ["A user with that username already exists."]}
        )
        raise
    UserPreferences.objects.create(user=user)
    return user


def _failure_count(ident: str, detail: str) -> None:
    """Count one attempt before checking anything: the atomic increment is the check, so N parallel attempts get
    exactly `limit` password checks. Past the limit the attempt is refused (429) before the password is checked."""
    try:
        state = throttling.hit("login_failures", ident)
    except throttling.CACHE_ERRORS:
        raise Unavailable("Login is temporarily unavailable; try again shortly.") from None
    if state.exceeded:
        raise RateLimited(detail, wait=state.retry_after)


def user_authenticate(*, identifier: str, password: str, ip: str) -> User:
    """Check credentials given a username or an e-mail address.

    Attempts are counted per (account, IP) — the account the identifier resolves to, so its username and e-mail
    share one counter; an identifier that names no account has its own key — and a success resets the count. The
    message is the same whether the user exists or not, and an unknown user costs a hash too.
    """
    identifier = identifier.strip()
    lookup = {"email__iexact": identifier} if "@" in identifier else {"username__iexact": identifier}
    user = User.objects.filter(**lookup).first()
    account = f"user:{user.pk}" if user is not None else f"unknown:{identifier.lower()}"
    ident = f"{account}|{ip}"
    _failure_count(ident, "Too many failed login attempts.")
    if user is None:
        User().set_password(password)  # same cost as a real check: no timing oracle for existence
        valid = False
    else:
        valid = user.check_password(password) and user.is_active
    if user is None or not valid:
        raise Unauthenticated(INVALID_CREDENTIALS, code=UserErrorCode.INVALID_CREDENTIALS)
    throttling.reset("login_failures", ident)
    return user


def token_refresh(*, raw_refresh: str) -> dict[str, str]:
    """A new access token (and, with rotation on, a new refresh token) for a valid, unrevoked refresh token."""
    invalid = Unauthenticated("Token is invalid or expired.", code=UserErrorCode.TOKEN_NOT_VALID)
    try:
        refresh = RefreshToken(raw_refresh)  # type: ignore[arg-type]  # simplejwt annotates the raw str as Token
    except TokenError:
        raise invalid from None
    user = User.objects.filter(pk=refresh.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active or not token_is_current(token=refresh, user=user):
        raise invalid
    data = {"access": str(refresh.access_token)}
    if settings.SIMPLE_JWT.get("ROTATE_REFRESH_TOKENS", False):
        # The blacklist row is unique per token: of two concurrent refreshes with one token only one rotates.
        with transaction.atomic():
            # simplejwt annotates blacklist() as the row; it returns get_or_create's (row, created).
            _, created = cast("tuple[object, bool]", refresh.blacklist())
            if not created:
                raise invalid
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            OutstandingToken.objects.create(
                user=user,
                jti=refresh[jwt_settings.JTI_CLAIM],
                token=str(refresh),
                created_at=refresh.current_time,
                expires_at=refresh.lifetime + refresh.current_time,
            )
            session_extend(sid=refresh.get("sid"), expires_at=refresh.lifetime + refresh.current_time)
        data["refresh"] = str(refresh)
    return data


def user_logout(*, raw_refresh: str) -> None:
    """Revoke the session of a refresh token: the token itself and every access token minted from it.

    Logging out twice is not an error, so the blacklist is not checked here; signature, expiry and type are.
    """
    try:
        token_backend.decode(raw_refresh, verify=True)  # type: ignore[arg-type]  # the raw str, annotated as Token
        refresh = RefreshToken(raw_refresh, verify=False)  # type: ignore[arg-type]
        refresh.verify_token_type()
    except (TokenError, TokenBackendError):
        raise Unauthenticated("Token is invalid or expired.", code=UserErrorCode.TOKEN_NOT_VALID) from None
    session_revoke(sid=refresh.get("sid"))
    try:
        with transaction.atomic():
            refresh.blacklist()
    except IntegrityError:  # a concurrent logout blacklisted it first
        logger.info("Refresh token already blacklisted")


def user_change_password(*, user: User, current_password: str, new_password: str, ip: str) -> dict[str, str]:
    """Counted like a login (increment first, per account and IP), outside the write transaction so a refused
    attempt still counts."""
    ident = f"password-change|user:{user.pk}|{ip}"
    _failure_count(ident, "Too many failed attempts.")
    if not user.check_password(current_password):
        raise Invalid(
            fields={"current_password": ["Current password is incorrect."]}, code=UserErrorCode.WRONG_PASSWORD
        )
    throttling.reset("login_failures", ident)  # the right password: a weak new one is not a guess
    try:
        password_validation.validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise Invalid(fields={"new_password": list(exc.messages)}, code="password_invalid") from None
    return _password_set(user=user, new_password=new_password)


@transaction.atomic
def _password_set(*, user: User, new_password: str) -> dict[str, str]:
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    user_sessions_revoke(user=user)
    user_refresh_tokens_blacklist(user=user)
    return tokens_for_user(user=user)


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any]) -> User:
    """Update profile/settings fields; only the writable ones are ever read from `data`."""
    _raise_unique(
        _unique_errors(
            username=data.get("username") if "username" in data else None,
            email=data.get("email") if "email" in data else None,
            exclude=user,
        )
    )
    locked = User.objects.select_for_update().get(pk=user.pk)
    personal = [f for f in PERSONALISATION_PROFILE_FIELDS if f in data and getattr(locked, f) != data[f]]
    try:
        model_update(instance=locked, fields=PROFILE_FIELDS, data=data)
    except DjangoValidationError as exc:
        raise Invalid(fields=exc.message_dict) from None
    if personal:
        preferences_version_bump(user=locked)
    return locked


def preferences_version_bump(*, user: User) -> None:
    """+1 on the personalisation version, in the caller's transaction (the row exists from registration on)."""
    if not UserPreferences.objects.filter(user=user).update(version=F("version") + 1, updated_at=timezone.now()):
        UserPreferences.objects.get_or_create(user=user, defaults={"version": 1})


def preferences_get_or_create(*, user: User) -> UserPreferences:
    prefs, _ = UserPreferences.objects.get_or_create(user=user)
    return prefs


@transaction.atomic
def preferences_update(*, user: User, data: dict[str, Any]) -> UserPreferences:
    preferences_get_or_create(user=user)
    prefs = UserPreferences.objects.select_for_update().get(user=user)
    try:
        _, changed = model_update(instance=prefs, fields=PREFERENCE_FIELDS, data=data)
    except DjangoValidationError as exc:
        raise Invalid(fields=exc.message_dict) from None
    if changed:
        preferences_version_bump(user=user)
        prefs.refresh_from_db(fields=["version", "updated_at"])
    return prefs


# --- Gamification: points, levels, streaks, achievements and badges -------------------------------------------------
# Level n starts at 50*n*(n-1) points, so level n is 100*n points wide: 0 → level 1, 100 → 2, 300 → 3, 600 → 4.
# `experience_level` is the points earned inside the current level, `next_level_points` the level's width.


def level_for_points(total_points: int) -> tuple[int, int, int]:
    """(level, experience_level, next_level_points) for a points total."""
    level = 1
    while 50 * (level + 1) * level <= total_points:
        level += 1
    start = 50 * level * (level - 1)
    return level, total_points - start, 100 * level


@transaction.atomic
def user_add_points(*, user: User, points: int) -> User:
    """Add points and recompute the level fields, under a row lock so concurrent awards add up exactly."""
    if points <= 0:
        return user
    User.objects.filter(pk=user.pk).update(total_points=F("total_points") + points)
    locked = User.objects.select_for_update().only("total_points").get(pk=user.pk)
    level, experience, width = level_for_points(locked.total_points)
    User.objects.filter(pk=user.pk).update(level=level, experience_level=experience, next_level_points=width)
    today = timezone.now().date()
    DailyActivity.objects.get_or_create(user_id=user.pk, date=today)
    DailyActivity.objects.filter(user_id=user.pk, date=today).update(points=F("points") + points)
    return locked


@transaction.atomic
def user_record_activity(*, user: User, minutes: int = 0, modules_completed: int = 0) -> None:
    """Record activity today (UTC) and move the daily streak: consecutive days extend it, a gap restarts it."""
    today = timezone.now().date()
    locked = (
        User.objects.select_for_update().only("last_activity_date", "current_streak", "longest_streak").get(pk=user.pk)
    )
    DailyActivity.objects.get_or_create(user_id=user.pk, date=today)
    DailyActivity.objects.filter(user_id=user.pk, date=today).update(
        minutes=F("minutes") + max(minutes, 0),
        actions=F("actions") + 1,
        modules_completed=F("modules_completed") + max(modules_completed, 0),
    )
    updates: dict[str, Any] = {}
    if minutes > 0:
        updates["total_time_spent"] = F("total_time_spent") + minutes
    if modules_completed > 0:
        updates["total_modules_completed"] = F("total_modules_completed") + modules_completed
    if locked.last_activity_date != today:
        if locked.last_activity_date == today - timedelta(days=1):
            streak = locked.current_streak + 1
        else:
            streak = 1
        updates.update(
            current_streak=streak, longest_streak=max(locked.longest_streak, streak), last_activity_date=today
        )
    if updates:
        User.objects.filter(pk=user.pk).update(**updates)


def effective_streak(user: User) -> int:
    """The streak as of today: it lapses to 0 once a whole day has passed without activity."""
    if user.last_activity_date is None:
        return 0
    if user.last_activity_date < timezone.now().date() - timedelta(days=1):
        return 0
    return user.current_streak


def achievement_grant(*, user: User, code: str) -> bool:
    """Give the achievement `code` to the user once; returns True only the first time. Unknown codes are ignored."""
    achievement = Achievement.objects.filter(code=code).first()
    if achievement is None:
        logger.warning("Achievement %s is not defined (run `manage.py seed`)", code)
        return False
    with transaction.atomic():  # the achievement and its points together, or neither
        try:
            with transaction.atomic():
                UserAchievement.objects.create(user=user, achievement=achievement)
        except IntegrityError:
            return False
        if achievement.points:
            user_add_points(user=user, points=achievement.points)
    return True


def badge_grant(*, user: User, code: str) -> bool:
    """Give the badge `code` to the user once; returns True only the first time."""
    badge = Badge.objects.filter(code=code).first()
    if badge is None:
        logger.warning("Badge %s is not defined (run `manage.py seed`)", code)
        return False
    try:
        with transaction.atomic():
            UserBadge.objects.create(user=user, badge=badge)
    except IntegrityError:
        return False
    return True
