from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from agents.admin import staff_dashboard
from common.metrics import metrics_view
from common.views import HealthApi, HealthLiveApi, HealthReadyApi
from common.views_errors import api_not_found
from learning.views import CodeExecuteApi, JacExecuteApi
from resources.recommend.views import RecommendationsApi

urlpatterns = [
    path("admin/dashboard/", admin.site.admin_view(staff_dashboard), name="staff-dashboard"),
    path("admin/", admin.site.urls),
    # Internal: Prometheus scrapes it from allowed networks or with METRICS_TOKEN (common/metrics.py).
    re_path(r"^internal/metrics/?$", metrics_view, name="metrics"),
    path("api/health/", HealthApi.as_view(), name="health"),
    path("api/health/live/", HealthLiveApi.as_view(), name="health-live"),
    path("api/health/ready/", HealthReadyApi.as_view(), name="health-ready"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's init script comes from the same URL (?script), not inline: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="common/redoc.html"),
        name="redoc",
    ),
    path("api/users/", include("users.urls")),
    path("api/auth/", include("users.urls_auth_alias")),
    path("api/learning/", include("learning.urls")),
    path("api/assessment/", include("learning.urls_assessment")),
    # The SPA's assessment page (SPA.md §3) calls these under /api/learning/assessment/: an alias, same views.
    path("api/learning/assessment/", include(("learning.urls_assessment", "assessment-alias"))),
    path("api/gamification/", include("learning.gamification.urls")),
    # The SPA's search box, knowledge-graph page and advanced analytics, at the paths it calls (SPA.md §10).
    path("api/", include("agents.spa.urls")),
    path("api/resources/recommendations/<uuid:user_id>/", RecommendationsApi.as_view(), name="recommendations"),
    path("api/resources/", include("resources.urls")),
    path("api/roadmaps/", include("roadmaps.urls")),
    path("api/agents/", include("agents.urls")),
    path("api/tasks/", include("agents.urls_tasks")),
    path("api/jac-execution/api/quick-execute/", CodeExecuteApi.as_view(), name="jac-quick-execute"),
    path("api/jac-execution/api/execute/", JacExecuteApi.as_view(), name="jac-execute"),
    # Anything else under /api/ is a JSON 404, whatever DEBUG says.
    re_path(r"^api/", api_not_found),
]

handler404 = "common.views_errors.handler404"
handler500 = "common.views_errors.handler500"
