"""`python manage.py prepare`: what `make run` needs before it serves, each step only when something changed.

- migrate: only when the migration plan is not empty (asked of the database itself, so a new or reset database is
  always migrated);
- seed: only when the seed inputs (every app's data/ files and the seeders' code) changed since the last seed of this
  database, or when migrations just ran (a new database);
- collectstatic: only when the static sources (paths, sizes, modification times) or the storage changed, or the
  collected directory is missing;
- the sandbox runtime (--sandbox): only when it is not built for the current inputs or not warm (its own stamp).

Stamps live in .run-state/ next to manage.py (ignored by git); delete the folder to force every step.
"""

import hashlib
import inspect
import json
import os
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from common.seeding import seeders


def state_dir() -> Path:
    return Path(settings.BASE_DIR) / ".run-state"


def _database_identity() -> str:
    db = settings.DATABASES[DEFAULT_DB_ALIAS]
    name = str(db.get("NAME", ""))
    identity = f"{db['ENGINE']}|{db.get('HOST', '')}|{db.get('PORT', '')}|{name}"
    if "sqlite" in db["ENGINE"] and os.path.exists(name):
        identity += f"|inode={os.stat(name).st_ino}"  # a deleted and recreated file is another database
    return identity


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _file_parts(paths: list[Path]) -> list[str]:
    """Content hashes: data files are small, and an edit that keeps the size and mtime must still count."""
    return [f"{path}:{hashlib.sha256(path.read_bytes()).hexdigest()}" for path in sorted(set(paths)) if path.is_file()]


def seed_inputs_digest() -> str:
    paths: list[Path] = []
    for config in apps.get_app_configs():
        data = Path(config.path) / "data"
        if data.is_dir() and str(config.path).startswith(str(settings.BASE_DIR)):
            paths += [p for p in data.rglob("*") if p.is_file()]
    for seeder in seeders():
        source = inspect.getsourcefile(seeder.run)
        if source:
            paths.append(Path(source))
    paths.append(Path(__file__).resolve().parent.parent.parent / "seeding.py")
    return _digest([_database_identity(), *_file_parts(paths)])


def static_inputs_digest() -> str:
    parts = [json.dumps(settings.STORAGES["staticfiles"], sort_keys=True, default=str), str(settings.STATIC_ROOT)]
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return _digest(sorted(parts))


class Command(BaseCommand):
    help = "Migrate, seed, collect static files (and build the sandbox runtime) — each only when something changed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sandbox", action="store_true", help="Also build the sandbox runtime when needed.")
        parser.add_argument("--force", action="store_true", help="Run every step whatever the stamps say.")

    def _stamp(self, name: str) -> Path:
        return state_dir() / f"{name}.stamp"

    def _fresh(self, name: str, digest: str) -> bool:
        stamp = self._stamp(name)
        return stamp.exists() and stamp.read_text().strip() == digest

    def _write(self, name: str, digest: str) -> None:
        state_dir().mkdir(exist_ok=True)
        self._stamp(name).write_text(digest + "\n")

    def handle(self, *args: Any, **options: Any) -> None:
        force = options["force"]
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        migrated = bool(plan) or force
        if migrated:
            self.stdout.write(f"migrate: {len(plan)} migration(s) to apply")
            call_command("migrate", interactive=False, verbosity=1, stdout=self.stdout._out)
        else:
            self.stdout.write("migrate: up to date (skipped)")

        seed_digest = seed_inputs_digest()  # after migrate: a new SQLite file has its inode now
        if migrated or not self._fresh("seed", seed_digest):
            call_command("seed", no_progress=True, stdout=self.stdout._out)
            self._write("seed", seed_digest)
        else:
            self.stdout.write("seed: inputs unchanged since the last seed of this database (skipped)")

        static_digest = static_inputs_digest()
        if force or not Path(settings.STATIC_ROOT).is_dir() or not self._fresh("static", static_digest):
            call_command("collectstatic", interactive=False, verbosity=0)
            self._write("static", static_digest)
            self.stdout.write("collectstatic: done")
        else:
            self.stdout.write("collectstatic: static sources unchanged (skipped)")

        if options["sandbox"]:
            from executor import runtime
            from executor.backends.bwrap import prewarm_jac_cache

            if force or not runtime.is_built() or not runtime.is_warm():
                runtime.build(force=False, prewarm=prewarm_jac_cache, log=self.stdout.write)
            else:
                self.stdout.write(f"sandbox: runtime up to date and warm at {runtime.runtime_dir()} (skipped)")
