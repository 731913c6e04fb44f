"""Pruning that beat runs (config/settings/base.py): expired JWTs of the blacklist app, and old recommender versions
(the current one and the RECO_KEEP_PREVIOUS_VERSIONS most recent others stay, for a rollback). Both are idempotent:
two beats, or two runs at once, delete the same rows at most once."""

import logging

from django.core.management import call_command
from django.db import transaction
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


def recommender_versions_prune(*, keep_previous: int) -> int:
    from resources.models_reco import RecommenderModel

    with transaction.atomic():
        keep = list(
            RecommenderModel.objects.filter(is_current=False)
            .order_by("-created_at", "-id")
            .values_list("id", flat=True)[: max(keep_previous, 0)]
        )
        deleted, _ = RecommenderModel.objects.filter(is_current=False).exclude(id__in=keep).delete()
    if deleted:
        logger.info("Pruned %s old recommender versions (kept the current one and %s previous)", deleted, len(keep))
    return deleted
