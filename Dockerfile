# syntax=docker/dockerfile:1
# The base image, pinned by digest: compose passes PYTHON_IMAGE from deploy/image-digests.env; a bare tag is refused.
ARG PYTHON_IMAGE
# Build stage: dependencies into a virtualenv, every file checked against the lock's hashes.
FROM ${PYTHON_IMAGE:?set PYTHON_IMAGE=python:3.12-slim-bookworm@sha256:… (deploy/image-digests.env)} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.lock .
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.lock

# Runtime stage: no compilers, no tests or benchmarks (.dockerignore), code owned by root and read-only to the
# non-root user that runs it, gunicorn running the ASGI app under uvicorn workers.
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    EXECUTOR_RUNTIME_DIR=/opt/pathwise-sandbox \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap time procps libpq5 postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . .
# Settings need a key to import; this throwaway is used only by these build steps.
# The sandbox runtime (a copy of this Python 3.12 + pinned jaclang + its shared libraries), built as root into
# /opt/pathwise-sandbox, world-readable and owned by root. bwrap cannot run inside `docker build`, so the Jac cache
# is warmed by the executor worker when it starts (the same command, which then only warms).
RUN DJANGO_SECRET_KEY=build-only-not-a-secret python manage.py executor_build_runtime --skip-prewarm \
    && DJANGO_SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput --verbosity 0 \
    && python -m compileall -q /app \
    && chmod -R a-w,a+rX /app
USER app
EXPOSE 8000
# Liveness only: a database outage must not get the web container restarted (load balancers poll /api/health/ready/).
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health/live/', timeout=4)"
# gunicorn.conf.py (in /app) adds the Prometheus multiprocess hooks and JSON logging for gunicorn's own lines.
# An empty forwarded-allow-ips list: uvicorn rewrites no client address from X-Forwarded-For; NUM_PROXIES alone decides.
CMD ["gunicorn", "config.asgi:application", "-k", "uvicorn_worker.UvicornWorker", "--bind", "0.0.0.0:8000", "--workers", "3", "--forwarded-allow-ips", ""]

# Operations image (compose profile "ops"): the runtime plus Flower, which is not an application dependency.
FROM runtime AS ops
USER root
COPY requirements-ops.txt /tmp/requirements-ops.txt
RUN pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements-ops.txt && rm /tmp/requirements-ops.txt
USER app
EXPOSE 5555
CMD ["celery", "-A", "config", "flower", "--port=5555"]
