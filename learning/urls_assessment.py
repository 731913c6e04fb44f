from django.urls import path

from learning import views
from learning.gamification.views import AssessmentStatsApi

urlpatterns = [
    path("quizzes/", views.QuizListApi.as_view(), name="quizzes"),
    path("quizzes/<int:quiz_id>/", views.QuizDetailApi.as_view(), name="quiz-detail"),
    path("attempts/", views.QuizAttemptListApi.as_view(), name="attempts"),
    path("attempts/<int:attempt_id>/", views.QuizAttemptDetailApi.as_view(), name="attempt-detail"),
    path("stats/", AssessmentStatsApi.as_view(), name="assessment-stats"),
]
