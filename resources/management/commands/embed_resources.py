"""`python manage.py embed_resources`: (re)compute the resources' stored embeddings, with a progress bar."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Q
from tqdm import tqdm

from common.retrieval import MODEL_NAME, PRECISE_MODEL_NAME
from resources import services
from resources.models import Resource
from resources.results import catalogue_changed


class Command(BaseCommand):
    help = "Compute both dense vectors of resources (all of them, or with --missing those missing either)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--missing", action="store_true", help="Only resources missing either vector.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = Resource.objects.all()
        if options["missing"]:
            rows = rows.filter(Q(embedding__isnull=True) | Q(meaning__isnull=True))
        with tqdm(
            total=rows.count(),
            desc=f"{MODEL_NAME} + {PRECISE_MODEL_NAME}",
            unit="resource",
            disable=options["no_progress"],
            file=self.stderr._out,
        ) as bar:
            done = services.resource_embeddings_compute(only_missing=options["missing"], advance=bar.update)
        catalogue_changed()  # every process rebuilds its shared index from the new vectors
        self.stdout.write(self.style.SUCCESS(f"Embedded {done} resources with {MODEL_NAME} and {PRECISE_MODEL_NAME}."))
