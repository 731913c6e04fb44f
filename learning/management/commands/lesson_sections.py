from django.core.management.base import BaseCommand

from learning.services_sections import lesson_sections_sync_all


class Command(BaseCommand):
    help = "Rebuild the lessons corpus: every module's sections and their retrieval embeddings."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--force", action="store_true", help="Recompute every embedding, changed or not.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        count = lesson_sections_sync_all(force=options["force"])
        self.stdout.write(f"{count} lesson sections (re)embedded.")
