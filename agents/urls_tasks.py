from django.urls import path

from agents import views

urlpatterns = [
    path("", views.TaskListApi.as_view(), name="tasks"),
    path("<int:task_id>/", views.TaskDetailApi.as_view(), name="task-detail"),
]
