"""Celery entry points of users/."""

from celery import shared_task

from users import tokens


@shared_task(name="users.prune_sessions", ignore_result=True)
def prune_sessions() -> int:
    """Session rows a day past their refresh token's expiry revoke nothing any more: delete them."""
    return tokens.sessions_prune(older_than_days=1)
