from django.urls import path

from learning.gamification import views

urlpatterns = [
    path("overview/", views.OverviewApi.as_view(), name="gamification-overview"),
    path("user-achievements/", views.UserAchievementsApi.as_view(), name="gamification-user-achievements"),
    path("user-badges/", views.UserBadgesApi.as_view(), name="gamification-user-badges"),
    path("badges/", views.BadgesApi.as_view(), name="gamification-badges"),
    path("user-points/", views.UserPointsApi.as_view(), name="gamification-user-points"),
    path("user-level/", views.UserLevelApi.as_view(), name="gamification-user-level"),
    path("learning-streak/", views.LearningStreakApi.as_view(), name="gamification-learning-streak"),
    path("integration/award_points/", views.AwardPointsApi.as_view(), name="gamification-award-points"),
    path("integration/check_achievements/", views.CheckAchievementsApi.as_view(), name="gamification-check"),
]
