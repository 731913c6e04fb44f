import pytest
from django.db import DataError, connection

from learning.models import AwardKind, PointAward
from learning.services import award_once
from users.models import User

pytestmark = pytest.mark.django_db


def test_award_row_points_and_level_move_together(user):
    assert award_once(user=user, kind=AwardKind.QUIZ_PASSED, object_id=1, points=150) is True
    assert award_once(user=user, kind=AwardKind.QUIZ_PASSED, object_id=1, points=150) is False
    user.refresh_from_db()
    assert (user.total_points, user.level, user.experience_level) == (150, 2, 50)
    assert PointAward.objects.filter(user=user).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite integers do not overflow")
def test_a_failed_points_update_leaves_no_award_row(user):
    User.objects.filter(pk=user.pk).update(total_points=2**31 - 10)
    with pytest.raises(DataError):
        award_once(user=user, kind=AwardKind.QUIZ_PASSED, object_id=2, points=100)
    assert not PointAward.objects.filter(user=user, object_id=2).exists()  # before: the row stayed, points lost
