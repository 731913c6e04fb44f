from typing import Any

from django.core.management.base import BaseCommand

from executor.backends.docker import build_image


class Command(BaseCommand):
    help = "Import the sandbox runtime as the Docker backend's image (offline `docker import`). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        build_image(log=self.stdout.write)
