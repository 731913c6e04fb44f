"""Settings for bench/request_cost.py: the benchmark stack plus probe views (bench/request_cost_urls.py)."""

from bench.bench_settings import *  # noqa: F403

ROOT_URLCONF = "bench.request_cost_urls"
