"""`*_FILE` secrets: for each secret variable NAME, NAME_FILE may name a file holding its value (Docker and
Kubernetes secrets mounted as files), so secrets need not sit in the environment. An explicit NAME wins over
NAME_FILE; one trailing newline is dropped; an unreadable file is an error at start, not a silent default."""

import os
from collections.abc import MutableMapping

SECRET_VARIABLES = (
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_REDIS_URL",
    "LLM_API_KEY",
    "METRICS_TOKEN",
    "FLOWER_BASIC_AUTH",
)


class SecretFileError(RuntimeError):
    pass


def load_file_secrets(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Fill NAME from NAME_FILE where NAME is unset or empty; returns the names it filled."""
    filled = []
    for name in SECRET_VARIABLES:
        path = environ.get(f"{name}_FILE")
        if not path or environ.get(name):
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                value = fh.read()
        except OSError as exc:
            raise SecretFileError(f"{name}_FILE={path}: cannot read the secret file ({exc.strerror})") from None
        environ[name] = value[:-1] if value.endswith("\n") else value
        filled.append(name)
    return filled
