#!/bin/sh
# Render the broker's ACL file from the passwords (compose runs this in the broker's container before redis-server).
# Passwords come from REDIS_APP_PASSWORD / REDIS_EXECUTOR_PASSWORD or their *_FILE (mounted secrets).
set -eu
[ -n "${REDIS_APP_PASSWORD_FILE:-}" ] && REDIS_APP_PASSWORD=$(cat "$REDIS_APP_PASSWORD_FILE")
[ -n "${REDIS_EXECUTOR_PASSWORD_FILE:-}" ] && REDIS_EXECUTOR_PASSWORD=$(cat "$REDIS_EXECUTOR_PASSWORD_FILE")
: "${REDIS_APP_PASSWORD:?}" "${REDIS_EXECUTOR_PASSWORD:?}"
# Redis refuses an ACL file holding anything but `user` lines (comments and blank lines included): drop them.
sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' -e "s|\${REDIS_APP_PASSWORD}|$REDIS_APP_PASSWORD|" -e "s|\${REDIS_EXECUTOR_PASSWORD}|$REDIS_EXECUTOR_PASSWORD|" \
  "${1:-/etc/redis/users.acl.template}" > "${2:-/tmp/users.acl}"
