from typing import Any

from django.core.management.base import BaseCommand

from executor import runtime


class Command(BaseCommand):
    help = "Build the sandbox runtime (Python 3.12 + pinned jaclang, pre-warmed Jac cache). Idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="Rebuild even if up to date.")

    def handle(self, *args: Any, **options: Any) -> None:
        runtime.build(force=options["force"], log=self.stdout.write)
