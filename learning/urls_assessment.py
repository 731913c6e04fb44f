from django.urls import path

from learning import views

urlpatterns = [
    path("quizzes/", views.QuizListApi.as_view(), name="quizzes"),
    path("quizzes/<int:quiz_id>/", views.QuizDetailApi.as_view(), name="quiz-detail"),
    path("attempts/", views.QuizAttemptListApi.as_view(), name="attempts"),
    path("attempts/<int:attempt_id>/", views.QuizAttemptDetailApi.as_view(), name="attempt-detail"),
]
