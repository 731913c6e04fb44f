from typing import Any

from django.core.management.base import BaseCommand

from executor import runtime
from executor.backends.bwrap import prewarm_jac_cache


class Command(BaseCommand):
    help = "Build the sandbox runtime (Python 3.12 + pinned jaclang, pre-warmed Jac cache). Idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="Rebuild even if up to date.")
        parser.add_argument(
            "--skip-prewarm",
            action="store_true",
            help="Do not warm the Jac cache (needs a working sandbox; e.g. in `docker build`). A later run warms it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        warm = None if options["skip_prewarm"] else prewarm_jac_cache
        runtime.build(force=options["force"], prewarm=warm, log=self.stdout.write)
