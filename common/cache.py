"""What a cache (Redis) outage raises, so callers can choose to fail open or closed."""

import redis

CACHE_ERRORS = (redis.exceptions.RedisError, OSError)
