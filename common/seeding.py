"""The `seed` command's hook: each app registers the loaders of its data files in AppConfig.ready()."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Seeder:
    name: str
    order: int
    # Called with a progress callback `advance(n)`; returns a summary such as {"created": 3, "updated": 5}.
    run: Callable[[Callable[[int], None]], dict[str, int]]
    # How many progress steps `run` will report, for the progress bar.
    size: Callable[[], int]


_seeders: dict[str, Seeder] = {}


def register_seeder(seeder: Seeder) -> None:
    _seeders[seeder.name] = seeder


def seeders() -> list[Seeder]:
    return sorted(_seeders.values(), key=lambda s: (s.order, s.name))
