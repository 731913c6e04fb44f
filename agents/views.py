"""HTTP layer of the agents API: validate → service/selector → serialize."""

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAdminUser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from agents import graph, pictures, selectors, services, services_work
from agents.registry import TYPE_OF_KIND
from agents.serializers import (
    AgentCreateInputSerializer,
    AgentMetricsOutputSerializer,
    AgentOutputSerializer,
    AgentStatusOutputSerializer,
    AgentUpdateInputSerializer,
    ChatHistoryInputSerializer,
    ChatMessageInputSerializer,
    ChatMessageOutputSerializer,
    ChatRateInputSerializer,
    ChatStreamEventOutputSerializer,
    CodeEvaluateInputSerializer,
    CodeEvaluateOutputSerializer,
    ContentGenerateInputSerializer,
    ContentGenerateOutputSerializer,
    CoordinatorOutputSerializer,
    GraphInputSerializer,
    GraphOutputSerializer,
    GraphPictureInputSerializer,
    ProgressTrackInputSerializer,
    ProgressTrackOutputSerializer,
    RelationsInputSerializer,
    TaskListInputSerializer,
    TaskOutputSerializer,
)
from common.pagination import PAGINATION_PARAMETERS, paginate
from common.pictures import PictureApi, picture_response, picture_responses
from common.serializers import error_responses
from learning.sandbox import sandbox_require

TAGS = ["agents"]


PUBLIC_READ = [{"jwtAuth": []}, {}]  # the schema's way to say "a token is optional here"


class ReadPublicWriteStaff(BasePermission):
    """Agents are public to read (the SPA lists them before login); only staff create, edit or delete them."""

    def has_permission(self, request: Request, view: object) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


def _agents_payload(agents: list, many: bool = True) -> list | dict:
    metrics = {pk: selectors.performance_metrics(m) for pk, m in selectors.agent_metrics_map(agents).items()}
    data = AgentOutputSerializer(agents, many=True, context={"metrics": metrics}).data
    return data if many else data[0]


class AgentListApi(APIView):
    permission_classes = [ReadPublicWriteStaff]
    anonymous_on_invalid_token = True

    @extend_schema(
        parameters=PAGINATION_PARAMETERS,
        responses={200: AgentOutputSerializer(many=True), **error_responses(400)},
        tags=TAGS,
        auth=PUBLIC_READ,
    )
    def get(self, request: Request) -> Response:
        return paginate(request, selectors.agent_list(), lambda page: _agents_payload(list(page)))

    @extend_schema(
        request=AgentCreateInputSerializer,
        responses={201: AgentOutputSerializer, **error_responses(400, 401, 403, 409)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = AgentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent = services.agent_create(data=data.validated_data)
        return Response(_agents_payload([agent], many=False), status=status.HTTP_201_CREATED)


class AgentDetailApi(APIView):
    permission_classes = [ReadPublicWriteStaff]
    anonymous_on_invalid_token = True

    @extend_schema(responses={200: AgentOutputSerializer, **error_responses(404)}, tags=TAGS, auth=PUBLIC_READ)
    def get(self, request: Request, agent_id: int) -> Response:
        return Response(_agents_payload([selectors.agent_get(agent_id=agent_id)], many=False))

    @extend_schema(
        request=AgentUpdateInputSerializer,
        responses={200: AgentOutputSerializer, **error_responses(400, 401, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, agent_id: int) -> Response:
        agent = selectors.agent_get(agent_id=agent_id)
        data = AgentUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        agent = services.agent_update(agent=agent, data=data.validated_data)
        return Response(_agents_payload([agent], many=False))

    @extend_schema(responses={204: None, **error_responses(401, 403, 404, 409)}, tags=TAGS)
    def delete(self, request: Request, agent_id: int) -> Response:
        services.agent_delete(agent=selectors.agent_get(agent_id=agent_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AgentRestartApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(request=None, responses={200: AgentOutputSerializer, **error_responses(401, 403, 404)}, tags=TAGS)
    def post(self, request: Request, agent_id: int) -> Response:
        agent = services.agent_restart(agent=selectors.agent_get(agent_id=agent_id))
        return Response(_agents_payload([agent], many=False))


class AgentStatusApi(APIView):
    @extend_schema(responses={200: AgentStatusOutputSerializer, **error_responses(401)}, tags=TAGS)
    def get(self, request: Request) -> Response:
        return Response(AgentStatusOutputSerializer(selectors.agent_status_view()).data)


class AgentMetricsApi(APIView):
    @extend_schema(
        parameters=PAGINATION_PARAMETERS,
        responses={200: AgentMetricsOutputSerializer(many=True), **error_responses(400, 401)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        rows = selectors.metrics_rows(list(selectors.agent_list()))
        return paginate(request, rows, lambda page: AgentMetricsOutputSerializer(page, many=True).data)


class AgentMetricsDetailApi(APIView):
    @extend_schema(
        operation_id="agents_metrics_detail",
        parameters=PAGINATION_PARAMETERS,
        responses={200: AgentMetricsOutputSerializer(many=True), **error_responses(400, 401, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, agent_id: int) -> Response:
        rows = selectors.metrics_rows([selectors.agent_get(agent_id=agent_id)])
        return paginate(request, rows, lambda page: AgentMetricsOutputSerializer(page, many=True).data)


class TaskListApi(APIView):
    @extend_schema(
        parameters=[TaskListInputSerializer, *PAGINATION_PARAMETERS],
        responses={200: TaskOutputSerializer(many=True), **error_responses(400, 401, 404)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        query = TaskListInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        agent_id = query.validated_data.get("agent")
        agent = selectors.agent_get(agent_id=agent_id) if agent_id else None
        tasks = selectors.task_list(user=request.user, agent=agent, status=query.validated_data.get("status"))
        ids = selectors.agent_ids_by_type()

        def render(page: list) -> list:
            return [selectors.task_payload(job, ids.get(TYPE_OF_KIND.get(job.kind, ""))) for job in page]

        return paginate(request, tasks, render)


class TaskDetailApi(APIView):
    @extend_schema(responses={200: TaskOutputSerializer, **error_responses(401, 404)}, tags=TAGS)
    def get(self, request: Request, task_id: int) -> Response:
        job = selectors.task_get(user=request.user, task_id=task_id)
        agent_id = selectors.agent_ids_by_type().get(TYPE_OF_KIND.get(job.kind, ""))
        return Response(selectors.task_payload(job, agent_id))


class EventStreamRenderer(BaseRenderer):
    """Lets a client ask the chat endpoint for `text/event-stream` (the view streams the reply itself); errors,
    raised before the stream starts, are still JSON in the project's one error shape (see `finalize_response`)."""

    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        return sse_event("error", data).encode()


def sse_event(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)}\n\n"


def _chat_sse(events: Iterator[dict]) -> Iterator[str]:
    for event in events:
        if event["type"] == "chunk":
            yield sse_event("chunk", {"delta": event["delta"]})
        else:
            yield sse_event("message", ChatMessageOutputSerializer(event["chat"]).data)


async def _chat_sse_async(events: Iterator[dict]) -> AsyncIterator[str]:
    # Under ASGI a synchronous iterator would be drained before the first byte is sent; step it in the sync thread
    # (thread-sensitive: the same database connection as the request) one event at a time instead.
    stream = _chat_sse(events)
    done = object()
    while (item := await sync_to_async(next, thread_sensitive=True)(stream, done)) is not done:
        yield item


class ChatMessageApi(APIView):
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, EventStreamRenderer]

    @extend_schema(
        request=ChatMessageInputSerializer,
        responses={
            (201, "application/json"): ChatMessageOutputSerializer,
            (200, "text/event-stream"): ChatStreamEventOutputSerializer,
            **error_responses(400, 401, 404, 429),
        },
        description="With `Accept: text/event-stream` the reply streams as Server-Sent Events: `chunk` events "
        "(`{delta}`) while it is written, then one `message` event with the stored ChatMessage (authoritative).",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response | StreamingHttpResponse:
        data = ChatMessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        kwargs = {
            "user": request.user,
            "message": v["message"],
            "session_id": v.get("session_id") or None,
            "module_id": v.get("module_id"),
        }
        if request.accepted_renderer.media_type == EventStreamRenderer.media_type:
            events = services.chat_message_stream(**kwargs)
            body = _chat_sse_async(events) if isinstance(request._request, ASGIRequest) else _chat_sse(events)
            response = StreamingHttpResponse(body, content_type="text/event-stream; charset=utf-8")
            response["Cache-Control"] = "no-cache"
            response["X-Accel-Buffering"] = "no"  # nginx: pass chunks through
            return response
        chat = services.chat_message_send(**kwargs)
        return Response(ChatMessageOutputSerializer(chat).data, status=status.HTTP_201_CREATED)

    def finalize_response(
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and getattr(response, "accepted_renderer", None).__class__ is (
            EventStreamRenderer
        ):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


class ChatHistoryApi(APIView):
    @extend_schema(
        parameters=[ChatHistoryInputSerializer, *PAGINATION_PARAMETERS],
        responses={200: ChatMessageOutputSerializer(many=True), **error_responses(400, 401)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        query = ChatHistoryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.chat_history(user=request.user, session_id=query.validated_data.get("session_id") or None)
        return paginate(request, rows, lambda page: ChatMessageOutputSerializer(page, many=True).data)


class ChatRateApi(APIView):
    @extend_schema(
        request=ChatRateInputSerializer,
        responses={200: ChatMessageOutputSerializer, **error_responses(400, 401, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, message_id: int) -> Response:
        data = ChatRateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chat = services.chat_message_rate(
            user=request.user, message_id=message_id, rating=data.validated_data["rating"]
        )
        return Response(ChatMessageOutputSerializer(chat).data)


class CodeEvaluateApi(APIView):
    @extend_schema(
        request=CodeEvaluateInputSerializer,
        responses={200: CodeEvaluateOutputSerializer, **error_responses(400, 401, 404, 429, 503)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = CodeEvaluateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        module = services_work.module_for_user(module_id=v["module_id"]) if v.get("module_id") else None
        sandbox_require()
        result = services_work.code_evaluate(
            user=request.user,
            code=v["code"],
            language=v["language"],
            test_cases=v.get("test_cases"),
            module=module,
            stdin=v.get("stdin", ""),
        )
        return Response(CodeEvaluateOutputSerializer(result).data)


class ContentGenerateApi(APIView):
    @extend_schema(
        request=ContentGenerateInputSerializer,
        responses={200: ContentGenerateOutputSerializer, **error_responses(400, 401, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = ContentGenerateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["save_as_draft"] and not request.user.is_staff:
            self.permission_denied(request, message="Only staff can save a draft quiz.")
        module = services_work.module_for_user(module_id=v["module_id"]) if v.get("module_id") else None
        result = services_work.content_generate_for(
            user=request.user,
            topic=v["topic"],
            difficulty=v["difficulty"],
            learning_style=v.get("learning_style"),
            module_id=module.pk if module else None,
            question_count=v["question_count"],
        )
        if v["save_as_draft"]:
            result["draft_quiz_id"] = services_work.content_save_draft(
                user=request.user, content=result, module=module
            ).pk
        return Response(ContentGenerateOutputSerializer(result).data)


class CoordinatorRecommendApi(APIView):
    @extend_schema(request=None, responses={200: CoordinatorOutputSerializer, **error_responses(401)}, tags=TAGS)
    def post(self, request: Request) -> Response:
        return Response(CoordinatorOutputSerializer(services_work.coordinator_recommend(user=request.user)).data)


class ProgressTrackApi(APIView):
    @extend_schema(
        request=ProgressTrackInputSerializer,
        responses={200: ProgressTrackOutputSerializer, **error_responses(400, 401, 404)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = ProgressTrackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        module_id = data.validated_data.get("module_id")
        module = services_work.module_for_user(module_id=module_id) if module_id else None
        return Response(
            ProgressTrackOutputSerializer(services_work.progress_track(user=request.user, module=module)).data
        )


class KnowledgeGraphApi(APIView):
    @extend_schema(
        parameters=[GraphInputSerializer],
        responses={200: GraphOutputSerializer, **error_responses(400, 401)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        query = GraphInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        topic = query.validated_data.get("topic")
        result = services_work.knowledge_graph_record(
            user=request.user,
            title=f"Map the knowledge graph{f' around “{topic[:80]}”' if topic else ''}",
            query={"topic": topic},
            build=lambda: graph.knowledge_graph(user=request.user, topic=topic),
        )
        return Response(GraphOutputSerializer(result).data)


class KnowledgeGraphPictureApi(PictureApi):
    @extend_schema(
        parameters=[GraphPictureInputSerializer],
        responses=picture_responses(400, 401, description="The knowledge graph drawn left to right (SVG)."),
        operation_id="knowledge_graph_svg",
        tags=TAGS,
    )
    def get(self, request: Request) -> HttpResponse:
        query = GraphPictureInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = graph.knowledge_graph(user=request.user, topic=query.validated_data.get("topic"))
        return picture_response(
            lambda: pictures.knowledge_graph_svg(result),
            lambda: pictures.knowledge_graph_mermaid(result),
            query.validated_data["format"],
        )


class KnowledgeRelationsApi(APIView):
    @extend_schema(
        parameters=[RelationsInputSerializer],
        responses={200: GraphOutputSerializer, **error_responses(400, 401, 404)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        query = RelationsInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        concept = query.validated_data["concept"]
        result = services_work.knowledge_graph_record(
            user=request.user,
            title=f"Relate “{concept[:80]}”",
            query={"concept": concept},
            build=lambda: graph.concept_relations(user=request.user, concept=concept),
        )
        return Response(GraphOutputSerializer(result).data)
