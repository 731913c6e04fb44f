#!/bin/sh
# Create or update the executor's PostgreSQL role (deploy/sql/executor_role.sql). Needs psql and the owner's URL.
#   DATABASE_URL=postgres://pathwise:…@db/pathwise EXECUTOR_DB_PASSWORD=… deploy/sql/apply-executor-role.sh
set -eu
: "${DATABASE_URL:?set DATABASE_URL (the database owner's)}"
: "${EXECUTOR_DB_PASSWORD:?set EXECUTOR_DB_PASSWORD}"
exec psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -v executor_password="$EXECUTOR_DB_PASSWORD" \
  -f "$(dirname "$0")/executor_role.sql"
