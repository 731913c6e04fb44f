"""Pruning that beat runs (config/settings/base.py): expired JWTs of the blacklist app (old recommender versions are
pruned by the recommender: resources.recommend.services.training). Idempotent: two beats, or two runs at once, delete
the same rows at most once."""

import logging

from django.core.management import call_command
from django.utils import timezone

logger = logging.getLogger(__name__)


def tokens_flush_expired() -> int:
    """simplejwt's `flushexpiredtokens`: outstanding tokens past their expiry (and their blacklist rows) go."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    before = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).count()
    call_command("flushexpiredtokens")
    if before:
        logger.info("Flushed %s expired tokens", before)
    return before
