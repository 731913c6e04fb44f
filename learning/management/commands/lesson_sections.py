from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from learning.services_sections import lesson_sections_sync_all


class Command(BaseCommand):
    help = "Rebuild the lessons corpus: every module's sections and their retrieval embeddings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Recompute every embedding, changed or not.")

    def handle(self, *args: Any, **options: Any) -> None:
        count = lesson_sections_sync_all(force=options["force"])
        self.stdout.write(f"{count} lesson sections (re)embedded.")
