from typing import TYPE_CHECKING

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.pagination import PAGINATION_PARAMETERS, paginate
from common.pictures import PictureApi, PictureFormatInputSerializer, picture_response, picture_responses
from common.serializers import error_responses
from executor.choices import RunState
from learning import pictures, selectors, services, services_code
from learning.models import LearningPath, Module
from learning.review import selectors as review_selectors
from learning.sandbox import sandbox_require
from learning.serializers import (
    CodeExecuteInputSerializer,
    CodeExecuteOutputSerializer,
    CodeRunPendingOutputSerializer,
    CodeSubmissionInputSerializer,
    CodeSubmissionOutputSerializer,
    JacExecuteInputSerializer,
    LearningPathDetailOutputSerializer,
    LearningPathOutputSerializer,
    ModuleOutputSerializer,
    ModuleQueryInputSerializer,
    ProgressOutputSerializer,
    ProgressQueryInputSerializer,
    ProgressUpdateInputSerializer,
    QuizAttemptInputSerializer,
    QuizAttemptOutputSerializer,
    QuizOutputSerializer,
    RateInputSerializer,
    TestCaseOutputSerializer,
)

if TYPE_CHECKING:
    from executor.models import CodeRun


class PublicApi(APIView):
    """Catalogue reads: anonymous allowed; an invalid or stale token is read as anonymous."""

    permission_classes = [AllowAny]
    anonymous_on_invalid_token = True


def _int_param(name: str, description: str, required: bool = False) -> OpenApiParameter:
    return OpenApiParameter(
        name, {"type": "integer", "minimum": 1, "maximum": 2**62}, required=required, description=description
    )


class LearningPathListApi(PublicApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("difficulty_level", str, enum=["beginner", "intermediate", "advanced"]),
            OpenApiParameter("search", str, description="Words in the title or description."),
            *PAGINATION_PARAMETERS,
        ],
        responses={200: LearningPathOutputSerializer(many=True), **error_responses(400)},
        tags=["learning"],
    )
    def get(self, request: Request) -> Response:
        paths = selectors.learning_paths_list(params=request.query_params)
        return paginate(request, paths, lambda page: LearningPathOutputSerializer(page, many=True).data)


class LearningPathDetailApi(PublicApi):
    @extend_schema(responses={200: LearningPathDetailOutputSerializer, **error_responses(404)}, tags=["learning"])
    def get(self, request: Request, path_id: int) -> Response:
        path = selectors.learning_path_get(path_id=path_id)
        progress = selectors.learning_path_progress_percentage(user=request.user, learning_path=path)
        return Response(LearningPathDetailOutputSerializer(path, context={"progress_percentage": progress}).data)


class LearningPathGraphApi(PictureApi):
    """Public like the path itself; a signed-in learner sees their completed modules marked."""

    permission_classes = [AllowAny]
    anonymous_on_invalid_token = True

    @extend_schema(
        parameters=[PictureFormatInputSerializer],
        responses=picture_responses(400, 404, description="The path's modules and prerequisites (SVG)."),
        operation_id="learning_path_graph_svg",
        tags=["learning"],
    )
    def get(self, request: Request, path_id: int) -> HttpResponse:
        query = PictureFormatInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        path = selectors.learning_path_get(path_id=path_id)
        status_map = selectors.module_statuses(user=request.user, learning_path=path)
        return picture_response(
            lambda: pictures.path_svg(path, status_map),
            lambda: pictures.path_mermaid(path, status_map),
            query.validated_data["format"],
        )


class LearningPathRateApi(APIView):
    @extend_schema(
        request=RateInputSerializer,
        responses={200: LearningPathOutputSerializer, **error_responses(400, 401, 404)},
        tags=["learning"],
    )
    def post(self, request: Request, path_id: int) -> Response:
        data = RateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        path: LearningPath = selectors.learning_path_get(path_id=path_id)
        path = services.learning_path_rate(user=request.user, learning_path=path, rating=data.validated_data["rating"])
        return Response(LearningPathOutputSerializer(path).data)


class ModuleListApi(PublicApi):
    @extend_schema(
        parameters=[
            _int_param("learning_path", "Only the modules of this path."),
            OpenApiParameter("module_type", str, enum=["lesson", "exercise", "assessment"]),
            *PAGINATION_PARAMETERS,
        ],
        responses={200: ModuleOutputSerializer(many=True), **error_responses(400)},
        tags=["learning"],
    )
    def get(self, request: Request) -> Response:
        modules = selectors.modules_list(params=request.query_params)
        return paginate(request, modules, lambda page: ModuleOutputSerializer(page, many=True).data)


class ModuleDetailApi(PublicApi):
    @extend_schema(responses={200: ModuleOutputSerializer, **error_responses(404)}, tags=["learning"])
    def get(self, request: Request, module_id: int) -> Response:
        return Response(ModuleOutputSerializer(selectors.module_get(module_id=module_id)).data)


class UserModuleProgressApi(APIView):
    """The SPA's single-object progress endpoint: `?module=<id>` selects the current user's row."""

    def _module(self, request: Request) -> Module:
        query = ProgressQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.module_get(module_id=query.validated_data["module"])

    @extend_schema(
        parameters=[_int_param("module", "The module.", required=True)],
        responses={200: ProgressOutputSerializer, **error_responses(400, 401, 404)},
        tags=["learning"],
    )
    def get(self, request: Request) -> Response:
        progress = services.progress_touch(user=request.user, module=self._module(request))
        return Response(ProgressOutputSerializer(progress).data)

    @extend_schema(
        parameters=[_int_param("module", "The module.", required=True)],
        request=ProgressUpdateInputSerializer,
        responses={200: ProgressOutputSerializer, **error_responses(400, 401, 404, 409)},
        tags=["learning"],
    )
    def patch(self, request: Request) -> Response:
        module = self._module(request)
        data = ProgressUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        progress = services.progress_update(user=request.user, module=module, **data.validated_data)
        return Response(ProgressOutputSerializer(progress).data)

    @extend_schema(
        parameters=[_int_param("module", "The module.", required=True)],
        request=ProgressUpdateInputSerializer,
        responses={200: ProgressOutputSerializer, **error_responses(400, 401, 404, 409)},
        tags=["learning"],
    )
    def put(self, request: Request) -> Response:
        return self.patch(request)


class ProgressListApi(APIView):
    @extend_schema(
        parameters=[
            _int_param("module", "Only this module."),
            OpenApiParameter("status", str, enum=["not_started", "in_progress", "completed"]),
            *PAGINATION_PARAMETERS,
        ],
        responses={200: ProgressOutputSerializer(many=True), **error_responses(400, 401)},
        tags=["learning"],
    )
    def get(self, request: Request) -> Response:
        rows = selectors.progress_list(user=request.user, params=request.query_params)
        return paginate(request, rows, lambda page: ProgressOutputSerializer(page, many=True).data)


class ProgressChartApi(PictureApi):
    @extend_schema(
        responses=picture_responses(
            401,
            mermaid=False,
            description="The caller's last 4 weeks (minutes and modules completed a day) and mastery per path (SVG).",
        ),
        operation_id="progress_chart_svg",
        tags=["learning"],
    )
    def get(self, request: Request) -> HttpResponse:
        today = timezone.now().date()
        days = selectors.activity_days(user=request.user, today=today, days=28)
        mastery = review_selectors.mastery(user=request.user)["topics"]
        return picture_response(
            lambda: pictures.progress_chart_svg(days=days, mastery=mastery, today=today), None, "svg"
        )


class TestCaseListApi(APIView):
    @extend_schema(
        parameters=[_int_param("module", "The exercise module.", required=True), *PAGINATION_PARAMETERS],
        responses={200: TestCaseOutputSerializer(many=True), **error_responses(400, 401, 404)},
        tags=["learning"],
    )
    def get(self, request: Request) -> Response:
        query = ModuleQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cases = selectors.test_cases_visible(module_id=query.validated_data["module"])
        return paginate(request, cases, lambda page: TestCaseOutputSerializer(page, many=True).data)


class QuizListApi(PublicApi):
    @extend_schema(
        parameters=[_int_param("module", "Only the quizzes of this module."), *PAGINATION_PARAMETERS],
        responses={200: QuizOutputSerializer(many=True), **error_responses(400)},
        tags=["assessment"],
    )
    def get(self, request: Request) -> Response:
        quizzes = selectors.quizzes_list(params=request.query_params)
        return paginate(request, quizzes, lambda page: QuizOutputSerializer(page, many=True).data)


class QuizDetailApi(PublicApi):
    @extend_schema(responses={200: QuizOutputSerializer, **error_responses(404)}, tags=["assessment"])
    def get(self, request: Request, quiz_id: int) -> Response:
        return Response(QuizOutputSerializer(selectors.quiz_get(quiz_id=quiz_id)).data)


class QuizAttemptListApi(APIView):
    @extend_schema(
        parameters=[_int_param("quiz", "Only attempts of this quiz."), *PAGINATION_PARAMETERS],
        responses={200: QuizAttemptOutputSerializer(many=True), **error_responses(400, 401)},
        tags=["assessment"],
    )
    def get(self, request: Request) -> Response:
        attempts = selectors.attempts_list(user=request.user, params=request.query_params)
        return paginate(request, attempts, lambda page: QuizAttemptOutputSerializer(page, many=True).data)

    @extend_schema(
        request=QuizAttemptInputSerializer,
        responses={201: QuizAttemptOutputSerializer, **error_responses(400, 401, 404, 409)},
        tags=["assessment"],
    )
    def post(self, request: Request) -> Response:
        data = QuizAttemptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        quiz = selectors.quiz_get(quiz_id=fields.pop("quiz"))
        attempt = services.quiz_attempt_submit(user=request.user, quiz=quiz, **fields)
        return Response(QuizAttemptOutputSerializer(attempt).data, status=status.HTTP_201_CREATED)


class QuizAttemptDetailApi(APIView):
    @extend_schema(responses={200: QuizAttemptOutputSerializer, **error_responses(401, 404)}, tags=["assessment"])
    def get(self, request: Request, attempt_id: int) -> Response:
        return Response(
            QuizAttemptOutputSerializer(selectors.attempt_get(user=request.user, attempt_id=attempt_id)).data
        )


# --- Code execution ---------------------------------------------------------------------------------------------------


def _run_response(run: "CodeRun") -> Response:
    if run.state != RunState.FINISHED:
        body = {
            "submission_id": run.pk,
            "status": run.state,
            "detail": f"Still {run.state}; poll /api/learning/code/execute/{run.pk}/.",
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)
    return Response(services_code.execution_payload(run))


def _execute(request: Request, v: dict) -> Response:
    sandbox_require()
    run = services_code.code_execute(
        user=request.user,
        code=v["code"],
        language=v["language"],
        stdin=v["stdin"],
        timeout=v.get("timeout"),
        memory_mb=v.get("memory_limit"),
    )
    return _run_response(run)


class CodeExecuteApi(APIView):
    """Run code in the sandbox and answer with its result once it finishes (200 even when the code fails)."""

    @extend_schema(
        request=CodeExecuteInputSerializer,
        responses={
            200: CodeExecuteOutputSerializer,
            202: CodeRunPendingOutputSerializer,
            **error_responses(400, 401, 429, 503),
        },
        tags=["code"],
    )
    def post(self, request: Request) -> Response:
        data = CodeExecuteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return _execute(request, v)


class CodeRunDetailApi(APIView):
    @extend_schema(
        responses={200: CodeExecuteOutputSerializer, 202: CodeRunPendingOutputSerializer, **error_responses(401, 404)},
        tags=["code"],
    )
    def get(self, request: Request, run_id: int) -> Response:
        return _run_response(services_code.code_run_get(user=request.user, run_id=run_id))


class JacExecuteApi(APIView):
    """The SPA's editor endpoint: a plain run, or grading against the given test cases when there are any."""

    @extend_schema(
        request=JacExecuteInputSerializer,
        responses={
            200: CodeExecuteOutputSerializer,
            201: CodeSubmissionOutputSerializer,
            202: CodeRunPendingOutputSerializer,
            **error_responses(400, 401, 429, 503),
        },
        tags=["code"],
    )
    def post(self, request: Request) -> Response:
        data = JacExecuteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v.get("test_cases"):
            sandbox_require()
            submission = services_code.submission_create_adhoc(
                user=request.user, code=v["code"], language=v["language"], test_cases=v["test_cases"]
            )
            submission = services_code.submission_wait(
                submission=submission, timeout=services_code.submission_wait_budget(submission)
            )
            return Response(CodeSubmissionOutputSerializer(submission).data, status=status.HTTP_201_CREATED)
        return _execute(request, v)


class CodeSubmissionListApi(APIView):
    @extend_schema(
        parameters=[_int_param("module", "Only submissions for this module."), *PAGINATION_PARAMETERS],
        responses={200: CodeSubmissionOutputSerializer(many=True), **error_responses(400, 401)},
        tags=["code"],
    )
    def get(self, request: Request) -> Response:
        rows = selectors.submissions_list(user=request.user, params=request.query_params)
        return paginate(request, rows, lambda page: CodeSubmissionOutputSerializer(page, many=True).data)

    @extend_schema(
        request=CodeSubmissionInputSerializer,
        responses={201: CodeSubmissionOutputSerializer, **error_responses(400, 401, 404, 429, 503)},
        tags=["code"],
    )
    def post(self, request: Request) -> Response:
        data = CodeSubmissionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        module = selectors.module_get(module_id=v["module"])
        sandbox_require()
        submission = services_code.submission_create(
            user=request.user, module=module, code=v["code"], language=v["language"]
        )
        submission = services_code.submission_wait(
            submission=submission, timeout=services_code.submission_wait_budget(submission)
        )
        return Response(CodeSubmissionOutputSerializer(submission).data, status=status.HTTP_201_CREATED)


class CodeSubmissionDetailApi(APIView):
    @extend_schema(responses={200: CodeSubmissionOutputSerializer, **error_responses(401, 404)}, tags=["code"])
    def get(self, request: Request, submission_id: int) -> Response:
        submission = selectors.submission_get(user=request.user, submission_id=submission_id)
        return Response(CodeSubmissionOutputSerializer(submission).data)
