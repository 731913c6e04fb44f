"""Local development and `make run`: the embedded defaults (SQLite, eager Celery) unless the environment says more."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY

if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. `make run` writes one into .env on first start; "
        "or export DJANGO_SECRET_KEY yourself."
    )
