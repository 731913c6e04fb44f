"""The languages learners can run, in a small registry: how to write the program and the command that runs it
inside the sandbox runtime. Adding a language is one entry here (plus its runtime in build_runtime)."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from executor.spec import Limits, RunStatus

RUNTIME_MOUNT = "/runtime"  # where the runtime is mounted inside every sandbox
WORKDIR = "/work"
PYTHON = f"{RUNTIME_MOUNT}/python/bin/python3.12"
RUFF = f"{RUNTIME_MOUNT}/python/bin/ruff"
# jaclang's lazy finder for `.jac` imports from Python, installed through a .pth file that site.py runs at every start
# of the interpreter: it imports contextlib, collections and functools, 6-10 ms of CPU of a 17 ms hello world. A Python
# program has no Jac module to import (`import jaclang` still works: site-packages stays on the path).
JAC_PTH = f"{RUNTIME_MOUNT}/python/lib/python3.12/site-packages/jaclang.pth"
# The lint rules the code evaluator reports: syntax, pyflakes, bugbear and a few pycodestyle/pylint error checks.
RUFF_RULES = "E9,F,B,E711,E712,E721,E722,W605,PLE"

_PY_COMPILE = re.compile(r"^(SyntaxError|IndentationError|TabError)\b", re.MULTILINE)


def _python_compile_error(stderr: str) -> bool:
    # A compile error is reported before anything runs: no "Traceback" header, a SyntaxError-family last line.
    return "Traceback (most recent call last)" not in stderr and bool(_PY_COMPILE.search(stderr))


def _jac_compile_error(stderr: str) -> bool:
    return bool(re.search(r"error\[E\d+\]", stderr))


def _python_memory_error(stderr: str) -> bool:
    return "MemoryError" in stderr[-4000:]


def _jac_memory_error(stderr: str) -> bool:
    # jaclang prints "Error: <str(exception)>" without the exception's type; a MemoryError is the usual exception
    # with an empty message, which is what an exhausted address space raises.
    return _python_memory_error(stderr) or bool(re.search(r"Error: Error: *\n", stderr[-4000:]))


@dataclass(frozen=True)
class Language:
    name: str
    filename: str
    argv: tuple[str, ...]
    default_limits: Limits
    max_limits: Limits
    is_compile_error: Callable[[str], bool]
    is_memory_error: Callable[[str], bool] = _python_memory_error
    # Runtime files this language's runs see empty (the bwrap backend binds /dev/null over them).
    masked: tuple[str, ...] = ()

    def classify_failure(self, stderr: str) -> RunStatus | None:
        if self.is_compile_error(stderr):
            return RunStatus.COMPILE_ERROR
        return None


LANGUAGES: dict[str, Language] = {
    "python": Language(
        name="python",
        filename="main.py",
        argv=(PYTHON, "-I", "main.py"),
        default_limits=Limits(),
        max_limits=Limits(wall_seconds=10, cpu_seconds=5, memory_mb=512),
        is_compile_error=_python_compile_error,
        masked=(JAC_PTH,),
    ),
    "jac": Language(
        name="jac",
        filename="main.jac",
        argv=(PYTHON, "-I", "-m", "jaclang", "run", "main.jac"),
        default_limits=Limits(wall_seconds=10, cpu_seconds=5),
        max_limits=Limits(wall_seconds=20, cpu_seconds=10, memory_mb=512),
        is_compile_error=_jac_compile_error,
        is_memory_error=_jac_memory_error,
    ),
}


# Static checkers, run in the same sandbox as programs (a checker parses learner code, and jaclang's checker imports
# what the code imports, so it is treated as untrusted too). Internal: learners cannot pick them as a language.
CHECKERS: dict[str, Language] = {
    "python:check": Language(
        name="python:check",
        filename="main.py",
        argv=(
            RUFF,
            "check",
            "--isolated",
            "--no-cache",
            "--output-format",
            "json",
            "--exit-zero",
            "--select",
            RUFF_RULES,
            "main.py",
        ),
        default_limits=Limits(wall_seconds=10, cpu_seconds=5, memory_mb=512),
        max_limits=Limits(wall_seconds=10, cpu_seconds=5, memory_mb=512),
        is_compile_error=lambda stderr: False,
    ),
    "jac:check": Language(
        name="jac:check",
        filename="main.jac",
        argv=(PYTHON, "-I", "-m", "jaclang", "check", "main.jac"),
        default_limits=Limits(wall_seconds=20, cpu_seconds=15, memory_mb=512),
        max_limits=Limits(wall_seconds=20, cpu_seconds=15, memory_mb=512),
        is_compile_error=lambda stderr: False,
        is_memory_error=_jac_memory_error,
    ),
}


def get_language(name: str) -> Language:
    try:
        return LANGUAGES[name] if name in LANGUAGES else CHECKERS[name]
    except KeyError:
        raise ValueError(f"Unsupported language {name!r}; choose from {', '.join(sorted(LANGUAGES))}") from None
