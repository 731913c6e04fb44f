"""The code evaluator's feedback: what failed and why, without running anything outside the sandbox.

- Python: `ast.parse` for syntax errors with line and column (parsing only; nothing is executed), and ruff's linter
  for pyflakes/bugbear-style findings — ruff runs inside the sandbox like any program (executor.languages.CHECKERS),
  only its JSON report is parsed here.
- Jac: `jac check` runs inside the sandbox the same way; its report is parsed here.
- Tests: for each failed test, a unified diff of expected and actual output.
"""

from __future__ import annotations

import ast
import difflib
import json
import logging
import re
import warnings
from typing import Any

logger = logging.getLogger(__name__)

MAX_FINDINGS = 25
_JAC_ITEM = re.compile(
    r"^(?:[✖⚠] )?(?:Error: |Warning: )?(?P<severity>error|warning)\[(?P<code>[EW]\d+)\]: (?P<message>.+)$"
)
_JAC_WHERE = re.compile(r"^\s*--> [^:]+:(?P<line>\d+):(?P<column>\d+)")


def python_syntax_errors(source: str) -> list[dict[str, Any]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about the learner's code are not ours to log
            ast.parse(source, filename="main.py")
    except SyntaxError as exc:
        return [{"line": exc.lineno, "column": exc.offset, "message": f"{type(exc).__name__}: {exc.msg}"}]
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, absurd nesting
        return [{"line": None, "column": None, "message": f"{type(exc).__name__}: {exc}"}]
    return []


def ruff_findings(report: str) -> list[dict[str, Any]]:
    """Parse ruff's JSON report (`ruff check --output-format json`, run in the sandbox) into findings."""
    try:
        items = json.loads(report or "[]")
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    findings = [
        {
            "code": item.get("code") or "syntax",
            "message": str(item.get("message", ""))[:500],
            "line": (item.get("location") or {}).get("row"),
            "column": (item.get("location") or {}).get("column"),
            "severity": "error" if (item.get("code") or "E9").startswith(("E9", "F8", "PLE")) else "warning",
        }
        for item in items
        if isinstance(item, dict)
    ]
    findings.sort(key=lambda f: (f["line"] or 0, f["column"] or 0))
    return findings[:MAX_FINDINGS]


def jac_findings(report: str) -> list[dict[str, Any]]:
    """Parse `jac check` output: each `error[E…]: message` / `warning[W…]: message` with the `--> file:l:c` after."""
    findings: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for raw in report.splitlines():
        line = raw.strip()
        item = _JAC_ITEM.match(line)
        if item:
            current = {
                "code": item["code"],
                "message": item["message"],
                "line": None,
                "column": None,
                "severity": item["severity"],
            }
            findings.append(current)
            continue
        where = _JAC_WHERE.match(raw)
        if where and current is not None and current["line"] is None:
            current["line"], current["column"] = int(where["line"]), int(where["column"])
    unique: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for finding in findings:
        key = (finding["code"], finding["line"], finding["column"], finding["message"])
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique[:MAX_FINDINGS]


def output_diff(expected: str, actual: str) -> str:
    """A unified diff of expected vs actual output (trailing whitespace ignored the way grading ignores it)."""
    exp = [line.rstrip() for line in expected.rstrip().splitlines()]
    act = [line.rstrip() for line in actual.rstrip().splitlines()]
    return "\n".join(difflib.unified_diff(exp, act, fromfile="expected", tofile="actual", lineterm="", n=2))


def test_feedback(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per test: passed, status, and for a visible failure the expected/actual output and their diff."""
    out = []
    for index, result in enumerate(results, start=1):
        hidden = bool(result.get("is_hidden"))
        item: dict[str, Any] = {
            "test": index,
            "passed": bool(result.get("passed")),
            "is_hidden": hidden,
            # a hidden case reports pass/fail only: its time or status would tell its input
            "status": ("passed" if result.get("passed") else "failed") if hidden else result.get("status"),
            "execution_time": None if hidden else result.get("execution_time"),
        }
        if not hidden:
            item.update(
                input=result.get("input", ""),
                expected_output=result.get("expected_output", ""),
                actual_output=result.get("actual_output", ""),
                error=result.get("error", ""),
            )
            if not item["passed"] and result.get("status") == "success":
                item["diff"] = output_diff(item["expected_output"], item["actual_output"])
        out.append(item)
    return out


def summary_lines(
    *, tests: list[dict[str, Any]], syntax: list[dict[str, Any]], findings: list[dict[str, Any]], status: str
) -> list[str]:
    """Plain-language feedback, most important first."""
    lines: list[str] = []
    for err in syntax:
        where = f" on line {err['line']}" if err.get("line") else ""
        lines.append(f"Your code does not parse{where}: {err['message']}. Fix this first; nothing else can run.")
    failed = [t for t in tests if not t["passed"]]
    if tests and not failed:
        lines.append(f"All {len(tests)} tests pass.")
    elif tests:
        lines.append(f"{len(tests) - len(failed)} of {len(tests)} tests pass.")
        for test in failed[:3]:
            if test["is_hidden"]:
                lines.append(f"Hidden test {test['test']} fails.")
            elif test.get("diff"):
                lines.append(f"Test {test['test']}: the output differs from what is expected (see its diff).")
            else:
                lines.append(f"Test {test['test']} ends with {test['status']}: {test.get('error', '')[-200:]}".rstrip())
    elif status and status != "success":
        lines.append(f"The program ended with {status}.")
    errors = [f for f in findings if f["severity"] == "error"]
    for finding in (errors or findings)[:3]:
        where = f"line {finding['line']}: " if finding.get("line") else ""
        lines.append(f"{where}{finding['message']} ({finding['code']}).")
    return lines
