from typing import Any

from django.core.management.base import BaseCommand

from executor import runtime


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
        runtime.build(force=options["force"], prewarm=not options["skip_prewarm"], log=self.stdout.write)
