"""What a web worker imports at start decides how soon `make run` serves (issue 22: ≤ 15 s on a warm checkout).

scikit-learn pulls in scipy.stats and costs ~2 s per process; it is needed only when a tutor or roadmap index is
built, so the application and its URLconf must load without it.
"""

import subprocess
import sys

from django.conf import settings

PROBE = """
import sys, django
django.setup()
import config.asgi, config.urls  # what gunicorn's workers load, and the routes they resolve
from django.urls import resolve
resolve("/api/health/")
print(",".join(sorted(m for m in ("sklearn", "scipy.stats", "torch") if m in sys.modules)) or "-")
"""


def test_the_asgi_application_and_its_routes_load_without_scikit_learn():
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin", "DJANGO_READ_DOT_ENV": "false"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "-"


def test_the_tutor_stop_list_is_scikit_learns_minus_the_programming_words():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from agents.tutor import retrieval

    assert retrieval.STOP_WORDS == frozenset((ENGLISH_STOP_WORDS - retrieval._KEEP) | retrieval._FILLER)
    assert "while" not in retrieval.STOP_WORDS and "the" in retrieval.STOP_WORDS
