from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from users.models import (
    Achievement,
    Badge,
    User,
    UserAchievement,
    UserBadge,
    UserPreferences,
)


class UserPreferencesInline(admin.StackedInline):
    model = UserPreferences
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "is_staff", "is_active", "level", "total_points", "created_at"]
    list_filter = ["is_staff", "is_active", "learning_style", "preferred_difficulty"]
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering = ["-created_at"]
    inlines = [UserPreferencesInline]
    readonly_fields = [
        "total_modules_completed", "total_time_spent", "current_streak", "longest_streak", "total_points", "level",
        "experience_level", "next_level_points", "token_version", "created_at", "updated_at", "last_login",
        "date_joined",
    ]  # fmt: skip
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("Profile", {"fields": ["bio", "profile_image", "learning_style", "preferred_difficulty", "learning_pace"]}),
        (
            "Statistics",
            {
                "fields": [
                    "total_modules_completed",
                    "total_time_spent",
                    "current_streak",
                    "longest_streak",
                    "total_points",
                    "level",
                    "experience_level",
                    "next_level_points",
                ]
            },
        ),
        (
            "Settings",
            {
                "fields": [
                    "current_goal",
                    "goal_deadline",
                    "agent_interaction_level",
                    "preferred_feedback_style",
                    "dark_mode",
                    "notifications_enabled",
                    "email_notifications",
                    "push_notifications",
                ]
            },
        ),
        ("Security", {"fields": ["token_version", "created_at", "updated_at"]}),
    ]


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "points"]
    search_fields = ["code", "title"]


@admin.register(Badge)
class BadgeAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(UserAchievement)
class UserAchievementAdmin(admin.ModelAdmin):
    list_display = ["user", "achievement", "earned_date"]
    list_filter = ["achievement"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


@admin.register(UserBadge)
class UserBadgeAdmin(admin.ModelAdmin):
    list_display = ["user", "badge", "earned_date"]
    list_filter = ["badge"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
