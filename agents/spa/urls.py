"""The SPA's canonical paths (../shared/SPA.md §10), mounted at /api/ by config/urls.py."""

from django.urls import path, re_path

from agents.spa import views

urlpatterns = [
    path("search/popular/popular/", views.SearchPopularApi.as_view(), name="spa-search-popular"),
    path("search/popular/trending/", views.SearchTrendingApi.as_view(), name="spa-search-trending"),
    path("search/search/suggestions/", views.SearchSuggestionsApi.as_view(), name="spa-search-suggestions"),
    path("search/search/track_click/", views.SearchTrackClickApi.as_view(), name="spa-search-track-click"),
    path("search/search/", views.SearchApi.as_view(), name="spa-search"),
    path("v1/knowledge-graph/", views.SpaGraphApi.as_view(), name="spa-graph"),
    path("v1/knowledge-graph/search/", views.SpaGraphSearchApi.as_view(), name="spa-graph-search"),
    path("v1/analytics/", views.SpaGraphAnalyticsApi.as_view(), name="spa-graph-analytics"),
    path("v1/graph/nodes/<str:node_id>/increment-view/", views.SpaNodeViewApi.as_view(), name="spa-node-view"),
    path("ai-agents/ai-agents/available_agents/", views.AvailableAgentsApi.as_view(), name="spa-agents"),
    path("ai-agents/ai-agents/chat/", views.GraphChatApi.as_view(), name="spa-agents-chat"),
    path("knowledge-graph/api-extended/concepts/", views.ConceptsApi.as_view(), name="spa-concepts"),
    path("knowledge-graph/api-extended/learning_paths/", views.GraphLearningPathsApi.as_view(), name="spa-paths"),
    path(
        "knowledge-graph/api-extended/track_concept_interaction/",
        views.TrackConceptApi.as_view(),
        name="spa-track-concept",
    ),
    path("advanced/dashboard/", views.AdvancedDashboardApi.as_view(), name="spa-advanced-dashboard"),
    re_path(
        r"^advanced/(?P<kind>statistical|ml-insights|pattern-recognition|personalized-recommendations)/$",
        views.AdvancedNotAvailableApi.as_view(),
        name="spa-advanced-not-available",
    ),
]
