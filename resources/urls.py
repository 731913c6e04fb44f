from django.urls import path

from resources import views

urlpatterns = [
    path("search/", views.ResourceSearchApi.as_view(), name="resource-search"),
    path("scrape/", views.ScrapeApi.as_view(), name="resource-scrape"),
    path("scrape/<int:job_id>/", views.ScrapeJobDetailApi.as_view(), name="resource-scrape-job"),
    path("<int:resource_id>/", views.ResourceDetailApi.as_view(), name="resource-detail"),
    path("<int:resource_id>/rate/", views.ResourceRateApi.as_view(), name="resource-rate"),
    path("<int:resource_id>/complete/", views.ResourceCompleteApi.as_view(), name="resource-complete"),
    path("<int:resource_id>/like/", views.ResourceLikeApi.as_view(), name="resource-like"),
    path("<int:resource_id>/save/", views.ResourceSaveApi.as_view(), name="resource-save"),
    path("<int:resource_id>/view/", views.ResourceViewApi.as_view(), name="resource-view"),
]
