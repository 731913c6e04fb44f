"""Pruning beat jobs: expired JWTs and old recommender versions."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from common import tasks
from resources.models_reco import RecommenderModel, RecommenderStatus
from resources.recommend import tasks as reco_tasks
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_prune_jobs_are_scheduled():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"common.flush_expired_tokens", "resources.recommend.prune_versions"} <= scheduled


def test_expired_tokens_are_flushed_and_live_ones_stay():
    user = UserFactory()
    now = timezone.now()
    expired = OutstandingToken.objects.create(user=user, jti="old", token="t1", expires_at=now - timedelta(hours=1))
    BlacklistedToken.objects.create(token=expired)
    live = OutstandingToken.objects.create(user=user, jti="new", token="t2", expires_at=now + timedelta(hours=1))
    assert tasks.flush_expired_tokens() == 1
    assert list(OutstandingToken.objects.values_list("pk", flat=True)) == [live.pk]
    assert not BlacklistedToken.objects.exists()
    assert tasks.flush_expired_tokens() == 0  # idempotent


def _version(current: bool = False) -> RecommenderModel:
    return RecommenderModel.objects.create(
        algorithm="als", status=RecommenderStatus.PROMOTED, is_current=current, data_signature="s", artifact=b"x"
    )


def test_old_recommender_versions_are_pruned_keeping_the_current_and_n_previous(settings):
    settings.RECO_KEEP_PREVIOUS_VERSIONS = 2
    old = [_version() for _ in range(3)]
    current = _version(current=True)
    newer_rejected = _version()  # trained after the current one but rejected by the gate: among the previous
    assert reco_tasks.prune_recommender_versions() == 2
    kept = set(RecommenderModel.objects.values_list("pk", flat=True))
    assert kept == {current.pk, newer_rejected.pk, old[-1].pk}
    assert reco_tasks.prune_recommender_versions() == 0
