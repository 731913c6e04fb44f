from django.urls import path

from agents import views

urlpatterns = [
    path("", views.AgentListApi.as_view(), name="agents"),
    path("status/", views.AgentStatusApi.as_view(), name="agents-status"),
    path("metrics/", views.AgentMetricsApi.as_view(), name="agents-metrics"),
    path("<int:agent_id>/", views.AgentDetailApi.as_view(), name="agent-detail"),
    path("<int:agent_id>/restart/", views.AgentRestartApi.as_view(), name="agent-restart"),
    path("<int:agent_id>/metrics/", views.AgentMetricsDetailApi.as_view(), name="agent-metrics"),
    path("chat-assistant/message/", views.ChatMessageApi.as_view(), name="chat-message"),
    path("chat-assistant/history/", views.ChatHistoryApi.as_view(), name="chat-history"),
    path("chat-assistant/rate/<int:message_id>/", views.ChatRateApi.as_view(), name="chat-rate"),
    path("code-evaluator/evaluate/", views.CodeEvaluateApi.as_view(), name="code-evaluate"),
    path("content-generator/generate/", views.ContentGenerateApi.as_view(), name="content-generate"),
    path("learning-coordinator/recommend/", views.CoordinatorRecommendApi.as_view(), name="coordinator-recommend"),
    path("progress-tracker/track/", views.ProgressTrackApi.as_view(), name="progress-track"),
    path("knowledge-graph/", views.KnowledgeGraphApi.as_view(), name="knowledge-graph"),
    path("knowledge-graph/graph.svg/", views.KnowledgeGraphPictureApi.as_view(), name="knowledge-graph-picture"),
    path("knowledge-graph/relations/", views.KnowledgeRelationsApi.as_view(), name="knowledge-relations"),
]
