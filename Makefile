# Pathwise — `make run` serves the API on 0.0.0.0:8000; `make test` runs ruff, import-linter, mypy, then the suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
WORKERS ?= 2
QUEUES ?= default,executor,llm,scrape,reco

# A Python 3.12 interpreter: python3.12 on PATH (when it really runs), else pyenv's 3.12 install.
PYTHON312 := $(shell \
  for c in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
    if $$c -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then command -v $$c || echo $$c; break; fi; \
  done)

.PHONY: run test lint fmt schema worker beat up down bench bench-deps venv migrate seed dev check-python sandbox

check-python:
	@if [ -z "$(PYTHON312)" ]; then \
	  echo "Python 3.12 is required (jaclang needs it). Install it, e.g. 'apt-get install python3.12 python3.12-venv'"; \
	  echo "or 'pyenv install 3.12', then run make again."; exit 1; fi

$(VENV)/.installed: requirements.txt requirements-dev.txt | check-python
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then \
	  rm -rf $(VENV); $(PYTHON312) -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

.env:
	@cp .env.example .env
	@key=$$($(PYTHON312) -c 'import secrets; print(secrets.token_urlsafe(50))'); \
	  sed -i "s|^DJANGO_SECRET_KEY=.*|DJANGO_SECRET_KEY=$$key|" .env
	@echo "Wrote .env with a new DJANGO_SECRET_KEY."

migrate: venv .env
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed

sandbox: venv .env
	$(PY) manage.py executor_build_runtime

# Each preparation step runs only when something changed (`manage.py prepare`: migrate when the plan is not empty,
# seed / collectstatic / the sandbox runtime when their inputs' hash differs from the stamp in .run-state/).
# Bytecode of the project's own modules is written once and reused at every start (pip already compiles what it
# installs): a PYTHONDONTWRITEBYTECODE inherited from the environment would recompile ~240 modules in every process.
run dev: export PYTHONDONTWRITEBYTECODE :=
run: venv .env
	@# Code execution needs bubblewrap: as root on Debian/Ubuntu, install it (saying so) when it is missing.
	@if [ "$$(id -u)" = "0" ] && ! command -v bwrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing bubblewrap for the code-execution sandbox: apt-get install -y bubblewrap"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap >/dev/null 2>&1 \
	    || { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
	         && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap >/dev/null; } \
	    || echo "Could not install bubblewrap: code execution answers 503 sandbox_unavailable until it is installed."; \
	fi
	@if [ "$$(id -u)" = "0" ] && command -v bwrap >/dev/null 2>&1; then \
	  $(PY) manage.py prepare --sandbox; \
	else \
	  $(PY) manage.py prepare; \
	  echo "Note: code execution needs the sandbox: as root, 'apt-get install bubblewrap' then 'make sandbox'"; \
	  echo "      (or EXECUTOR_BACKEND=docker with a Docker engine; see README). Everything else works without it."; \
	fi
	@echo "Serving on http://0.0.0.0:$(PORT)/ — API docs at http://localhost:$(PORT)/api/docs/"
	@# An empty forwarded-allow-ips list: no X-Forwarded-For rewrites the client address; NUM_PROXIES alone decides.
	$(VENV)/bin/gunicorn config.asgi:application -k uvicorn_worker.UvicornWorker --bind 0.0.0.0:$(PORT) \
	  --workers $(WORKERS) --forwarded-allow-ips=""

dev: venv .env
	$(PY) manage.py prepare
	DJANGO_DEBUG=true $(PY) manage.py runserver 0.0.0.0:$(PORT)

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Static checks, fastest first: style, the dependency contracts (pyproject.toml), then types (cached in .mypy_cache).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: venv
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

worker: venv .env
	$(VENV)/bin/celery -A config worker -Q $(QUEUES) --loglevel=INFO

beat: venv .env
	$(VENV)/bin/celery -A config beat --loglevel=INFO

# What the quality benches read beyond the runtime (MovieLens for bench/recommendations.py), into the venv.
bench-deps: venv
	$(PY) -m pip install --quiet -r requirements-bench.txt

bench: venv
	$(PY) bench/auth.py
	$(PY) bench/learning.py
	$(PY) bench/executor.py

up:
	deploy/compose-secrets.sh
	docker compose --env-file deploy/image-digests.env up -d --build

down:
	docker compose --env-file deploy/image-digests.env down
