"""Shapes of the SPA's Achievements page (../shared/SPA.md §4) and the chat page's points calls (§7)."""

from rest_framework import serializers

TIERS = ["bronze", "silver", "gold", "platinum"]


class GamificationAchievementOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    icon = serializers.CharField(help_text="An emoji.")
    category = serializers.ChoiceField(choices=["learning", "streak", "coding", "milestone"])
    difficulty = serializers.ChoiceField(choices=TIERS)
    rarity = serializers.ChoiceField(choices=["common", "rare", "epic", "legendary"])
    criteria_type = serializers.CharField()
    criteria_value = serializers.IntegerField()
    criteria_operator = serializers.CharField()
    points_reward = serializers.IntegerField()


class GamificationUserAchievementOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The achievement's id.")
    achievement = GamificationAchievementOutputSerializer()
    current_progress = serializers.IntegerField()
    target_progress = serializers.IntegerField()
    progress_percentage = serializers.FloatField()
    is_completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)


class GamificationBadgeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    icon = serializers.CharField(help_text="An emoji.")
    difficulty = serializers.ChoiceField(choices=TIERS)


class GamificationUserBadgeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    badge = GamificationBadgeOutputSerializer()
    earned_at = serializers.DateTimeField()


class RecentAchievementOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    icon = serializers.CharField()
    completed_at = serializers.DateTimeField()


class OverviewOutputSerializer(serializers.Serializer):
    total_points = serializers.IntegerField()
    current_level = serializers.IntegerField()
    current_streak = serializers.IntegerField()
    total_achievements = serializers.IntegerField()
    completed_achievements = serializers.IntegerField()
    total_badges = serializers.IntegerField()
    earned_badges = serializers.IntegerField()
    recent_achievements = RecentAchievementOutputSerializer(many=True)
    recent_badges = GamificationUserBadgeOutputSerializer(many=True)


class PointsHistoryOutputSerializer(serializers.Serializer):
    points = serializers.IntegerField()
    kind = serializers.CharField()
    awarded_at = serializers.DateTimeField()


class UserPointsOutputSerializer(serializers.Serializer):
    total_points = serializers.IntegerField()
    history = PointsHistoryOutputSerializer(many=True, help_text="Newest first, at most 100.")


class UserLevelOutputSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    experience_level = serializers.IntegerField()
    total_points = serializers.IntegerField()
    next_level_points = serializers.IntegerField()


class StreakOutputSerializer(serializers.Serializer):
    current_streak = serializers.IntegerField()
    longest_streak = serializers.IntegerField()
    last_activity_date = serializers.DateField(allow_null=True)


class AwardPointsInputSerializer(serializers.Serializer):
    """Read and ignored: points come only from server-verified events."""

    amount = serializers.JSONField(required=False, allow_null=True)
    source = serializers.JSONField(required=False, allow_null=True)
    metadata = serializers.JSONField(required=False, allow_null=True)


class AwardPointsOutputSerializer(serializers.Serializer):
    awarded = serializers.IntegerField(help_text="Always 0: the client cannot choose points.")
    total_points = serializers.IntegerField()
    detail = serializers.CharField()


class CheckAchievementsOutputSerializer(serializers.Serializer):
    unlocked = GamificationAchievementOutputSerializer(many=True)


class AssessmentStatsOutputSerializer(serializers.Serializer):
    total_attempts = serializers.IntegerField()
    completed_attempts = serializers.IntegerField()
    average_score = serializers.FloatField(help_text="Percent.")
    best_score = serializers.FloatField(help_text="Percent.")
    passed = serializers.IntegerField()
    quizzes_available = serializers.IntegerField()
