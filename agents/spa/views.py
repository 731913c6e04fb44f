"""HTTP for the SPA's other pages (../shared/SPA.md): thin views over agents.spa's reshaping of other apps' data."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import graph, registry
from agents.spa import analytics, personas, search
from agents.spa import graph as spa_graph
from agents.spa import serializers as s
from common.exceptions import ServiceUnavailable
from common.serializers import error_responses
from learning import selectors as learning_selectors
from learning.serializers import LearningPathOutputSerializer

SEARCH = ["spa-search"]
GRAPH = ["spa-knowledge-graph"]
ADVANCED = ["spa-analytics"]


class PublicApi(APIView):
    """Catalogue reads: anonymous allowed; an invalid or stale token is read as anonymous (never a 401)."""

    permission_classes = [AllowAny]
    anonymous_on_invalid_token = True


def _user(request: Request) -> Any:
    return request.user if request.user.is_authenticated else None


class MessageOnErrorMixin:
    """The knowledge-graph page shows an error body's `message`, not `detail`: errors here carry both."""

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)  # type: ignore[misc]
        if response is not None and isinstance(response.data, dict) and "detail" in response.data:
            response.data.setdefault("message", str(response.data["detail"]))
        return response


# --- search box -------------------------------------------------------------------------------------------------------


class _LoggedQueriesApi(PublicApi):
    """`string[]` of logged queries; `rank` is search.popular or search.trending."""

    rank = staticmethod(search.popular)

    def get(self, request: Request) -> Response:
        v = s.PopularInputSerializer(data=request.query_params)
        v.is_valid(raise_exception=True)
        return Response(self.rank(limit=v.validated_data["limit"]))


_STRINGS = {"type": "array", "items": {"type": "string"}}


@extend_schema(
    parameters=[s.PopularInputSerializer],
    responses={200: _STRINGS, **error_responses(400)},
    tags=SEARCH,
    description="Public: queries with results from ≥ 3 learners in 30 days, most searched first.",
)
class SearchPopularApi(_LoggedQueriesApi):
    rank = staticmethod(search.popular)


@extend_schema(
    parameters=[s.PopularInputSerializer],
    responses={200: _STRINGS, **error_responses(400)},
    tags=SEARCH,
    description="Public: the popular queries ranked by growth over the last 24 hours.",
)
class SearchTrendingApi(_LoggedQueriesApi):
    rank = staticmethod(search.trending)


class SearchSuggestionsApi(PublicApi):
    @extend_schema(
        parameters=[s.SuggestionsInputSerializer],
        responses={200: s.SuggestionsOutputSerializer, **error_responses(400)},
        tags=SEARCH,
    )
    def get(self, request: Request) -> Response:
        v = s.SuggestionsInputSerializer(data=request.query_params)
        v.is_valid(raise_exception=True)
        query = v.validated_data["query"]
        items = search.suggestions(query=query, limit=v.validated_data["limit"]) if query.strip() else []
        return Response({"suggestions": items})


class SearchApi(PublicApi):
    @extend_schema(
        parameters=[s.SearchInputSerializer],
        responses={200: s.SearchResponseOutputSerializer, **error_responses(400)},
        tags=SEARCH,
        description="Paths, modules, quizzes and topics; titles and descriptions HTML-escaped.",
    )
    def get(self, request: Request) -> Response:
        v = s.SearchInputSerializer(data=request.query_params)
        v.is_valid(raise_exception=True)
        query = v.validated_data["q"]
        if not query.strip():
            return Response({"query": query, "total_results": 0, "suggestions": [], "results": [], "facets": {}})
        return Response(search.search(query=query, limit=v.validated_data["limit"], user=_user(request)))


class SearchTrackClickApi(PublicApi):
    @extend_schema(
        request=s.TrackClickInputSerializer,
        responses={200: s.TrackClickOutputSerializer, **error_responses(400)},
        tags=SEARCH,
    )
    def post(self, request: Request) -> Response:
        v = s.TrackClickInputSerializer(data=request.data)
        v.is_valid(raise_exception=True)
        d = v.validated_data
        recorded = search.click_track(
            user=_user(request), query=d["query"], url=d["result_id"], result_type=d["result_type"]
        )
        return Response({"recorded": recorded})


# --- knowledge graph page ---------------------------------------------------------------------------------------------


def _graph(request: Request, topic: str | None = None) -> dict[str, Any]:
    return spa_graph.spa_graph(graph.knowledge_graph(user=request.user, topic=topic))


class SpaGraphApi(MessageOnErrorMixin, APIView):
    @extend_schema(responses={200: s.SpaGraphOutputSerializer, **error_responses(401)}, tags=GRAPH)
    def get(self, request: Request) -> Response:
        return Response(s.SpaGraphOutputSerializer(_graph(request)).data)


class SpaGraphSearchApi(MessageOnErrorMixin, APIView):
    @extend_schema(
        request=s.SpaGraphSearchInputSerializer,
        responses={200: s.SpaGraphSearchOutputSerializer, **error_responses(400, 401)},
        tags=GRAPH,
    )
    def post(self, request: Request) -> Response:
        v = s.SpaGraphSearchInputSerializer(data=request.data)
        v.is_valid(raise_exception=True)
        d = v.validated_data
        result = _graph(request, d["query"].strip() or None)
        types, levels = d.get("node_types"), d.get("difficulty_levels")
        nodes = [
            n
            for n in result["nodes"]
            if (not types or n["node_type"] in types) and (not levels or n["difficulty_level"] in levels)
        ][: d["limit"]]
        kept = {n["id"] for n in nodes}
        edges = [e for e in result["edges"] if e["source_node"] in kept and e["target_node"] in kept]
        body = {
            "nodes": nodes,
            "edges": edges,
            "meta": {**result["meta"], "total_nodes": len(nodes), "total_edges": len(edges)},
            "total_results": len(nodes),
            "search_query": d["query"],
            "applied_filters": {"node_types": types or [], "difficulty_levels": levels or []},
        }
        return Response(s.SpaGraphSearchOutputSerializer(body).data)


class SpaGraphAnalyticsApi(MessageOnErrorMixin, APIView):
    @extend_schema(responses={200: s.GraphAnalyticsOutputSerializer, **error_responses(401)}, tags=GRAPH)
    def get(self, request: Request) -> Response:
        result = spa_graph.analytics(user=request.user, result=_graph(request))
        return Response(s.GraphAnalyticsOutputSerializer(result).data)


class SpaNodeViewApi(MessageOnErrorMixin, APIView):
    @extend_schema(
        request=None,
        responses={200: s.NodeViewOutputSerializer, **error_responses(401, 404)},
        tags=GRAPH,
        description="Counts at most one view per learner, node and day.",
    )
    def post(self, request: Request, node_id: str) -> Response:
        if len(node_id) > 120 or not spa_graph.node_exists(node_id):
            raise NotFound("No such node.")
        count = spa_graph.node_view(user=request.user, node_id=node_id)
        return Response({"status": "ok", "view_count": count})


class AvailableAgentsApi(MessageOnErrorMixin, APIView):
    @extend_schema(responses={200: s.EnvelopeOutputSerializer, **error_responses(401)}, tags=GRAPH)
    def get(self, request: Request) -> Response:
        agents = [
            {"type": a.type, "name": a.name, "role": a.description, "specializations": list(a.capabilities)}
            for a in registry.AGENTS
        ]
        return Response({"success": True, "data": {"agents": agents, "total_agents": len(agents)}})


class ConceptsApi(MessageOnErrorMixin, APIView):
    @extend_schema(
        parameters=[s.ConceptsInputSerializer],
        responses={200: s.EnvelopeOutputSerializer, **error_responses(400, 401)},
        tags=GRAPH,
    )
    def get(self, request: Request) -> Response:
        v = s.ConceptsInputSerializer(data=request.query_params)
        v.is_valid(raise_exception=True)
        return Response({"success": True, "data": spa_graph.concepts(**v.validated_data)})


class GraphLearningPathsApi(MessageOnErrorMixin, APIView):
    @extend_schema(responses={200: s.EnvelopeOutputSerializer, **error_responses(401)}, tags=GRAPH)
    def get(self, request: Request) -> Response:
        paths = learning_selectors.learning_paths_list(params={})[:200]
        data = LearningPathOutputSerializer(paths, many=True, context={"request": request}).data
        return Response({"success": True, "data": {"learning_paths": data}})


class TrackConceptApi(MessageOnErrorMixin, APIView):
    @extend_schema(
        request=s.ConceptInteractionInputSerializer,
        responses={200: s.SuccessOutputSerializer, **error_responses(400, 401)},
        tags=GRAPH,
        description="Recorded for the token's learner; any `user_id` in the body is ignored.",
    )
    def post(self, request: Request) -> Response:
        v = s.ConceptInteractionInputSerializer(data=request.data)
        v.is_valid(raise_exception=True)
        concept = v.validated_data["concept_id"]
        node_id = concept if ":" in concept else f"topic:{concept}"
        if spa_graph.node_exists(node_id):
            spa_graph.node_view(user=request.user, node_id=node_id, interaction=v.validated_data["interaction_type"])
        return Response({"success": True})


class GraphChatApi(MessageOnErrorMixin, APIView):
    @extend_schema(
        request=s.GraphChatInputSerializer,
        responses={200: s.EnvelopeOutputSerializer, **error_responses(400, 401, 429, 503)},
        tags=GRAPH,
        description="`agent_type` picks the persona/agent; `context` is ignored.",
    )
    def post(self, request: Request) -> Response:
        v = s.GraphChatInputSerializer(data=request.data)
        v.is_valid(raise_exception=True)
        persona = personas.persona_for(v.validated_data["agent_type"])
        try:
            reply = personas.persona_reply(
                user=request.user, persona=persona, text=v.validated_data["message"], session_id="knowledge-graph"
            )
        except (OSError, RuntimeError) as exc:
            raise ServiceUnavailable("The assistant could not answer; try again.") from exc
        shown = persona if persona in {a.type for a in registry.AGENTS} else "chat_assistant"
        spec = next(a for a in registry.AGENTS if a.type == shown)
        return Response(
            {
                "success": True,
                "data": {
                    "response": reply.content,
                    "agent_info": {"name": spec.name, "type": persona},
                    "timestamp": timezone.now(),
                },
            }
        )


# --- advanced analytics -----------------------------------------------------------------------------------------------


class AdvancedDashboardApi(APIView):
    @extend_schema(
        parameters=[s.AdvancedDashboardInputSerializer],
        responses={200: s.EnvelopeOutputSerializer, **error_responses(400, 401)},
        tags=ADVANCED,
    )
    def get(self, request: Request) -> Response:
        v = s.AdvancedDashboardInputSerializer(data=request.query_params)
        v.is_valid(raise_exception=True)
        include = v.validated_data["include_recommendations"]
        return Response(
            {"success": True, "data": analytics.dashboard(user=request.user, include_recommendations=include)}
        )


ADVANCED_KINDS = ["statistical", "ml-insights", "pattern-recognition", "personalized-recommendations"]


class AdvancedNotAvailableApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=ADVANCED_KINDS)],
        responses={200: s.NotAvailableOutputSerializer, **error_responses(401, 404)},
        tags=ADVANCED,
        description="Statistical and machine-learning analyses we do not compute: an honest no.",
    )
    def get(self, request: Request, kind: str) -> Response:
        return Response({"success": False, "error": "Not available yet"})
