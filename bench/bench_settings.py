"""Settings for benchmark runs: the normal stack plus one bare view to compare against."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
