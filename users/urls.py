from django.urls import path

from common.views import HealthApi
from users import views

auth_patterns = [
    path("auth/register/", views.RegisterApi.as_view(), name="auth-register"),
    path("auth/login/", views.LoginApi.as_view(), name="auth-login"),
    path("auth/refresh/", views.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutApi.as_view(), name="auth-logout"),
    path("auth/me/", views.MeApi.as_view(), name="auth-me"),
    path("auth/password-change/", views.PasswordChangeApi.as_view(), name="auth-password-change"),
]

urlpatterns = [
    *auth_patterns,
    path("health/", HealthApi.as_view(), name="users-health"),
    path("profile/", views.ProfileApi.as_view(), name="users-profile"),
    path("settings/", views.SettingsApi.as_view(), name="users-settings"),
    path("stats/", views.StatsApi.as_view(), name="users-stats"),
    path("<uuid:user_id>/", views.UserDetailApi.as_view(), name="users-detail"),
    path("<uuid:user_id>/preferences/", views.UserPreferencesApi.as_view(), name="users-preferences"),
    path("<uuid:user_id>/history/", views.UserHistoryApi.as_view(), name="users-history"),
]
