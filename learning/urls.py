from django.urls import path

from learning import views
from learning.review import views as review_views

urlpatterns = [
    path("learning-paths/", views.LearningPathListApi.as_view(), name="learning-paths"),
    path("learning-paths/<int:path_id>/", views.LearningPathDetailApi.as_view(), name="learning-path-detail"),
    path("learning-paths/<int:path_id>/graph.svg/", views.LearningPathGraphApi.as_view(), name="learning-path-graph"),
    path("learning-paths/<int:path_id>/rate/", views.LearningPathRateApi.as_view(), name="learning-path-rate"),
    path("modules/", views.ModuleListApi.as_view(), name="modules"),
    path("modules/<int:module_id>/", views.ModuleDetailApi.as_view(), name="module-detail"),
    path("user-module-progress/", views.UserModuleProgressApi.as_view(), name="user-module-progress"),
    path("progress/", views.ProgressListApi.as_view(), name="progress"),
    path("progress/chart.svg/", views.ProgressChartApi.as_view(), name="progress-chart"),
    path("test-cases/", views.TestCaseListApi.as_view(), name="test-cases"),
    path("code/execute/", views.CodeExecuteApi.as_view(), name="code-execute"),
    path("code/execute/<int:run_id>/", views.CodeRunDetailApi.as_view(), name="code-run-detail"),
    path("code-submissions/", views.CodeSubmissionListApi.as_view(), name="code-submissions"),
    path("code-submissions/<int:submission_id>/", views.CodeSubmissionDetailApi.as_view(), name="code-submission"),
    path("reviews/due/", review_views.ReviewDueApi.as_view(), name="reviews-due"),
    path("reviews/<int:item_id>/", review_views.ReviewAnswerApi.as_view(), name="review-answer"),
    path("mastery/", review_views.MasteryApi.as_view(), name="mastery"),
]
