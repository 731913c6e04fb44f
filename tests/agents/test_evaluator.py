"""The code evaluator: real sandbox runs (and a real Celery worker when a broker is configured) plus feedback."""

import pytest

from agents import evaluator
from common.models import Job
from learning.models import CodeSubmission
from tests.learning.factories import ExerciseTestCaseFactory, ModuleFactory
from tests.users.test_auth_views import assert_error_shape

URL = "/api/agents/code-evaluator/evaluate/"
sandboxed = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sandbox", "celery_worker")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sandbox", "celery_worker")
def test_python_tests_with_a_diff_for_the_wrong_one_and_ruff_findings(auth_client, user):
    code = "import os\n\nname = input()\nprint('Hello, ' + name)\n"
    cases = [{"input": "Ada\n", "expected_output": "Hello, Ada\n"},
             {"input": "Bob\n", "expected_output": "Hello, Bob!\n"}]  # fmt: skip
    response = auth_client.post(URL, {"code": code, "language": "python", "test_cases": cases}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["tests_passed"], body["tests_total"], body["score"]) == (1, 2, 50.0)
    first, second = body["tests"]
    assert first["passed"] and "diff" not in first
    assert not second["passed"] and second["actual_output"] == "Hello, Bob\n"
    assert "-Hello, Bob!" in second["diff"] and "+Hello, Bob" in second["diff"]
    static = body["static_analysis"]
    assert static["checker"] == "ruff" and static["complete"] and static["syntax_errors"] == []
    assert {"code": "F401", "line": 1} == {k: static["findings"][0][k] for k in ("code", "line")}
    assert body["feedback"][0] == "1 of 2 tests pass."
    assert any("F401" in line for line in body["feedback"])
    job = Job.objects.get(kind="code_evaluation", owner=user)
    assert job.status == "completed" and job.output_data["passed"] == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sandbox", "celery_worker")
def test_python_syntax_error_is_reported_with_its_line(auth_client):
    code = "def f(:\n    return 1\n"
    body = auth_client.post(
        URL, {"code": code, "language": "python", "test_cases": [{"input": "", "expected_output": "1"}]}, format="json"
    ).json()
    assert body["static_analysis"]["syntax_errors"][0]["line"] == 1
    assert body["tests"][0]["status"] == "compile_error" and not body["tests"][0]["passed"]
    assert body["feedback"][0].startswith("Your code does not parse on line 1")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sandbox", "celery_worker")
def test_without_tests_the_code_is_run_and_its_output_returned(auth_client):
    body = auth_client.post(URL, {"code": "print(6 * 7)", "language": "python"}, format="json").json()
    assert body["tests"] == [] and body["run"]["output"] == "42\n" and body["status"] == "success"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sandbox", "celery_worker")
def test_module_test_cases_grade_hidden_ones_without_showing_them(auth_client):
    module = ModuleFactory(module_type="exercise", language="python")
    ExerciseTestCaseFactory(module=module, input="2\n3\n", expected_output="5\n")
    ExerciseTestCaseFactory(module=module, input="10\n5\n", expected_output="15\n", is_hidden=True)
    code = "a = int(input())\nb = int(input())\nprint(a + b if a < 5 else a - b)\n"
    body = auth_client.post(URL, {"code": code, "language": "python", "module_id": module.pk}, format="json").json()
    assert (body["tests_passed"], body["tests_total"]) == (1, 2)
    hidden = body["tests"][1]
    assert hidden["is_hidden"] and "expected_output" not in hidden and "actual_output" not in hidden
    assert CodeSubmission.objects.get(pk=body["submission_id"]).module_id == module.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sandbox", "celery_worker")
def test_jac_check_runs_in_the_sandbox_and_reports_the_line(auth_client, user):
    code = "with entry {\n    x = 5;\n    print(x + );\n}\n"
    body = auth_client.post(URL, {"code": code, "language": "jac"}, format="json").json()
    static = body["static_analysis"]
    assert static["checker"] == "jac check"
    assert static["syntax_errors"] and static["syntax_errors"][0]["line"] == 3
    assert any(f["code"].startswith("E") and f["line"] == 3 for f in static["findings"])
    assert Job.objects.filter(kind="code_run", owner=user, input_data__purpose="check").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [{}, {"code": "print(1)"}, {"code": "print(1)", "language": "cobol"}, {"code": "", "language": "python"},
     {"code": "print(1)", "language": "python", "test_cases": [{"input": "x"}]},
     {"code": "print(1)", "language": "python", "test_cases": [{"expected_output": "1"}] * 21},
     {"code": "print(1)", "language": "python", "module_id": "abc"},
     {"code": "print(1)", "language": "jac:check"}],
)  # fmt: skip
def test_bad_evaluation_requests_are_400(auth_client, body):
    response = auth_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert_error_shape(response.json())
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_evaluator_needs_a_login(api_client):
    assert api_client.post(URL, {"code": "print(1)", "language": "python"}, format="json").status_code == 401


def test_jac_report_parsing():
    report = (
        "✖ Error: error[E0004]: Unexpected token in expression: ')'\n  --> main.jac:3:15\n    1 | with entry {\n"
        "⚠ warning[W2001]: Name ')' may be undefined\n  --> main.jac:3:15\n"
        "✖ Error: error[E0004]: Unexpected token in expression: ')'\n  --> main.jac:3:15\n"
    )
    assert evaluator.jac_findings(report) == [
        {"code": "E0004", "message": "Unexpected token in expression: ')'", "line": 3, "column": 15,
         "severity": "error"},
        {"code": "W2001", "message": "Name ')' may be undefined", "line": 3, "column": 15, "severity": "warning"},
    ]  # fmt: skip


def test_output_diff_ignores_trailing_whitespace_only():
    assert evaluator.output_diff("5\n", "5  \n\n") == ""
    assert "-5" in evaluator.output_diff("5\n", "6\n") and "+6" in evaluator.output_diff("5\n", "6\n")


def test_python_syntax_check_never_executes_code(tmp_path):
    marker = tmp_path / "ran"
    assert evaluator.python_syntax_errors(f"open({str(marker)!r}, 'w').write('x')") == []
    assert not marker.exists()
    assert evaluator.python_syntax_errors("x = (" * 300)[0]["message"]  # absurd nesting is reported, not raised


def test_ruff_report_parsing_is_defensive():
    report = (
        '[{"code": "F401", "message": "`os` imported but unused", "location": {"row": 1, "column": 8}},'
        ' {"code": null, "message": "SyntaxError: x", "location": {"row": 2, "column": 1}}]'
    )
    assert evaluator.ruff_findings(report) == [
        {"code": "F401", "message": "`os` imported but unused", "line": 1, "column": 8, "severity": "warning"},
        {"code": "syntax", "message": "SyntaxError: x", "line": 2, "column": 1, "severity": "error"},
    ]
    assert evaluator.ruff_findings("not json") == [] and evaluator.ruff_findings('{"a": 1}') == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sandbox", "celery_worker")
@pytest.mark.parametrize(
    "payload",
    [
        {"code": "print(1)", "language": "python", "test_cases": [{"input": "", "expected_output": "1"}] * 21},
        {"code": "print(1)", "language": "python", "module_id": "not-an-exercise"},
    ],
    ids=["too many test cases", "not an exercise"],
)
def test_a_rejected_evaluation_costs_no_sandbox_run(auth_client, user, payload):
    from executor.models import CodeRun

    if payload.get("module_id") == "not-an-exercise":
        payload = {**payload, "module_id": ModuleFactory(module_type="lesson").pk}
    response = auth_client.post(URL, payload, format="json")
    assert response.status_code == 400, response.json()
    assert_error_shape(response.json())
    assert not CodeRun.objects.filter(owner=user).exists()
    assert not Job.objects.filter(owner=user).exists()
