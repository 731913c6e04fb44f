"""The second seed's /auth/* paths, served under /api/auth/ by the same views."""

from django.urls import path

from users import views

urlpatterns = [
    path("register/", views.RegisterApi.as_view(), name="alias-auth-register"),
    path("login/", views.LoginApi.as_view(), name="alias-auth-login"),
    path("refresh/", views.RefreshApi.as_view(), name="alias-auth-refresh"),
    path("logout/", views.LogoutApi.as_view(), name="alias-auth-logout"),
    path("me/", views.MeApi.as_view(), name="alias-auth-me"),
    path("password-change/", views.PasswordChangeApi.as_view(), name="alias-auth-password-change"),
]
