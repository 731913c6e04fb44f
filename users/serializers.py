from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers

from common.choices import Difficulty, LearningStyle, MediaType
from common.serializers import BlankableDateField, BlankAsNullMixin, StrictJsonTypesMixin
from users.models import AgentInteractionLevel, FeedbackStyle, LearningPace, User, UserPreferences
from users.services import effective_streak

# --- Output --------------------------------------------------------------------------------------------------------


class AchievementOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="achievement.id")
    title = serializers.CharField(source="achievement.title")
    description = serializers.CharField(source="achievement.description")
    icon = serializers.CharField(source="achievement.icon")
    earned_date = serializers.DateTimeField()


class BadgeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="badge.id")
    name = serializers.CharField(source="badge.name")
    icon = serializers.CharField(source="badge.icon")


STAT_FIELDS = [
    "total_modules_completed", "total_time_spent", "current_streak", "longest_streak", "total_points", "level",
    "experience_level", "next_level_points", "achievements", "badges",
]  # fmt: skip


class UserStatsOutputSerializer(serializers.Serializer):
    """Statistics under the User's own field names (the SPA merges them into the user).

    Plain serializers with declared fields: a ModelSerializer rebuilds its fields from the model on every
    instantiation, which cost ~2 ms per profile request.
    """

    total_modules_completed = serializers.IntegerField()
    total_time_spent = serializers.SerializerMethodField()
    current_streak = serializers.SerializerMethodField()
    longest_streak = serializers.IntegerField()
    total_points = serializers.IntegerField()
    level = serializers.IntegerField()
    experience_level = serializers.IntegerField()
    next_level_points = serializers.IntegerField()
    achievements = AchievementOutputSerializer(source="earned_achievements.all", many=True)
    badges = BadgeOutputSerializer(source="earned_badges.all", many=True)
    reviews_due = serializers.IntegerField(
        source="extra_stats.reviews_due", default=0, help_text="Spaced-review items due now."
    )
    mastery_percentage = serializers.FloatField(
        source="extra_stats.mastery_percentage",
        default=0.0,
        help_text="Mean recall probability now over the items the learner has reviewed, in percent.",
    )

    def get_total_time_spent(self, user: User) -> str:
        return f"{user.total_time_spent} minutes"

    def get_current_streak(self, user: User) -> int:
        return effective_streak(user)


class UserSettingsOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    bio = serializers.CharField()
    learning_style = serializers.ChoiceField(choices=LearningStyle.choices, allow_null=True)
    preferred_difficulty = serializers.ChoiceField(choices=Difficulty.choices, allow_null=True)
    learning_pace = serializers.ChoiceField(choices=LearningPace.choices, allow_null=True)
    current_goal = serializers.CharField()
    goal_deadline = serializers.DateField(allow_null=True)
    agent_interaction_level = serializers.ChoiceField(choices=AgentInteractionLevel.choices)
    preferred_feedback_style = serializers.ChoiceField(choices=FeedbackStyle.choices)
    dark_mode = serializers.BooleanField()
    notifications_enabled = serializers.BooleanField()
    email_notifications = serializers.BooleanField()
    push_notifications = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class UserOutputSerializer(UserSettingsOutputSerializer, UserStatsOutputSerializer):
    """The API's `User`."""

    is_staff = serializers.BooleanField()
    profile_image = serializers.CharField()

    def to_representation(self, instance: User) -> dict:
        data = super().to_representation(instance)
        return {name: data[name] for name in USER_OUTPUT_FIELDS}


USER_OUTPUT_FIELDS = [
    "id", "username", "email", "first_name", "last_name", "is_staff", "bio", "profile_image", "learning_style",
    "preferred_difficulty", "learning_pace", *STAT_FIELDS, "current_goal", "goal_deadline", "agent_interaction_level",
    "preferred_feedback_style", "dark_mode", "notifications_enabled", "email_notifications", "push_notifications",
    "created_at", "updated_at",
]  # fmt: skip


class TokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class AuthOutputSerializer(serializers.Serializer):
    user = UserOutputSerializer()
    tokens = TokenPairOutputSerializer()


class AccessOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField(required=False)


class TokensOutputSerializer(serializers.Serializer):
    tokens = TokenPairOutputSerializer()


class UserEnvelopeOutputSerializer(serializers.Serializer):
    user = UserOutputSerializer()


class MessageOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()


class HistoryItemOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    object_id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    occurred_at = serializers.DateTimeField()


# --- Input ----------------------------------------------------------------------------------------------------------


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=50, validators=[UnicodeUsernameValidator()])
    email = serializers.EmailField(max_length=255)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
    password_confirm = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        if attrs["password"] != attrs["password_confirm"]:
            raise serializers.ValidationError(
                {"password_confirm": ["Passwords do not match."]}, code="password_mismatch"
            )
        return attrs


class LoginInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=255, help_text="Username or e-mail address.")
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class PasswordChangeInputSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class UserUpdateInputSerializer(BlankAsNullMixin, StrictJsonTypesMixin, serializers.ModelSerializer):
    """Writable profile and settings fields. Anything else in the body (is_staff, points, id…) is ignored."""

    blank_as_null = ("learning_style", "preferred_difficulty", "learning_pace", "goal_deadline")
    goal_deadline = BlankableDateField(required=False, allow_null=True)

    class Meta:
        model = User
        fields = [
            "username", "email", "first_name", "last_name", "bio", "profile_image", "learning_style",
            "preferred_difficulty", "learning_pace", "current_goal", "goal_deadline", "agent_interaction_level",
            "preferred_feedback_style", "dark_mode", "notifications_enabled", "email_notifications",
            "push_notifications",
        ]  # fmt: skip
        extra_kwargs = {
            "username": {"validators": [UnicodeUsernameValidator()]},
            "email": {"validators": []},
            "bio": {"max_length": 5000},
        }


class PreferencesSerializer(BlankAsNullMixin, StrictJsonTypesMixin, serializers.ModelSerializer):
    """Input and output of a user's recommendation preferences."""

    blank_as_null = ("preferred_difficulty", "preferred_learning_style", "max_duration_minutes")

    preferred_media_types = serializers.ListField(
        child=serializers.ChoiceField(choices=MediaType.choices), max_length=len(MediaType.choices), required=False
    )
    preferred_difficulty = serializers.ChoiceField(choices=Difficulty.choices, allow_null=True, required=False)
    preferred_learning_style = serializers.ChoiceField(choices=LearningStyle.choices, allow_null=True, required=False)
    max_duration_minutes = serializers.IntegerField(min_value=1, max_value=100_000, allow_null=True, required=False)
    avoid_tags = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=50), max_length=50, required=False
    )
    interests = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=100),
        max_length=20,
        required=False,
        help_text='Optional: topics the learner wants to learn (topic names such as "data analysis" or topic-graph '
        'ids such as "sql"); the recommender uses them from the first request on.',
    )

    class Meta:
        model = UserPreferences
        fields = [
            "preferred_media_types", "preferred_difficulty", "preferred_learning_style", "max_duration_minutes",
            "avoid_tags", "interests", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at"]

    def validate_preferred_media_types(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    def validate_avoid_tags(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(tag.strip().lower() for tag in value if tag.strip()))

    def validate_interests(self, value: list[str]) -> list[str]:
        """Trimmed, inner whitespace collapsed, duplicates (case-insensitive) dropped, first spelling kept."""
        seen: dict[str, str] = {}
        for item in value:
            clean = " ".join(item.split())
            if clean and clean.lower() not in seen:
                seen[clean.lower()] = clean
        return list(seen.values())
