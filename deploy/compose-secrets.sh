#!/bin/sh
# Generate compose's secret files under ./secrets/ (once; existing files are kept). Each is mounted read-only at
# /run/secrets/<name> and read through the *_FILE variables, never passed as plain environment.
set -eu
cd "$(dirname "$0")/.."
umask 077
mkdir -p secrets
rand() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
put() { [ -s "secrets/$1" ] || printf '%s' "$2" > "secrets/$1"; }
put django_secret_key "$(rand)$(rand)"
put postgres_password "$(rand)"
put executor_db_password "$(rand)"
put redis_app_password "$(rand)"
put redis_executor_password "$(rand)"
put redis_cache_password "$(rand)"
pg=$(cat secrets/postgres_password); ex=$(cat secrets/executor_db_password)
app=$(cat secrets/redis_app_password); rex=$(cat secrets/redis_executor_password); rc=$(cat secrets/redis_cache_password)
put database_url "postgres://pathwise:$pg@postgres:5432/pathwise"
put executor_database_url "postgres://pathwise_executor:$ex@postgres:5432/pathwise"
put redis_url "redis://app:$app@redis-broker:6379/0"
put executor_redis_url "redis://executor:$rex@redis-broker:6379/0"
put cache_redis_url "redis://:$rc@redis-cache:6379/0"
echo "secrets/ ready: $(ls secrets | tr '\n' ' ')"
