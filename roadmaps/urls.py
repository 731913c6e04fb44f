from django.urls import path

from roadmaps import views

urlpatterns = [
    path("", views.RoadmapListApi.as_view(), name="roadmaps"),
    path("generate/", views.RoadmapGenerateApi.as_view(), name="roadmap-generate"),
    path("user/<uuid:user_id>/", views.UserRoadmapListApi.as_view(), name="roadmaps-of-user"),
    path("<int:roadmap_id>/", views.RoadmapDetailApi.as_view(), name="roadmap-detail"),
    path("<int:roadmap_id>/graph.svg/", views.RoadmapGraphApi.as_view(), name="roadmap-graph"),
    path("<int:roadmap_id>/progress/", views.RoadmapProgressApi.as_view(), name="roadmap-progress"),
]
