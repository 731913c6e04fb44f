"""`python manage.py seed`: load every app's curated data idempotently (update by slug), with a progress bar.

Rows staff edited since the last seed are left alone and listed (common/seeding.py)."""

from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from common.seeding import reset_report, seeders


class Command(BaseCommand):
    help = (
        "Load curated content (learning paths, resources, topics, agents). Safe to run again: rows staff edited "
        "since the last seed are kept and reported."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--only", nargs="*", help="Run only these seeders.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw progress bars.")

    def handle(self, *args: Any, **options: Any) -> None:
        selected = [s for s in seeders() if not options["only"] or s.name in options["only"]]
        if not selected:
            self.stdout.write("Nothing to seed yet.")
            return
        report = reset_report()
        for seeder in selected:
            with tqdm(
                total=seeder.size(),
                desc=seeder.name,
                unit="item",
                disable=options["no_progress"],
                file=self.stderr._out,
            ) as bar:
                summary = seeder.run(bar.update)
            parts = ", ".join(f"{k} {v}" for k, v in summary.items())
            self.stdout.write(self.style.SUCCESS(f"{seeder.name}: {parts}"))
        if report.skipped:
            self.stdout.write(
                self.style.WARNING(f"Kept {len(report.skipped)} row(s) edited by staff since the last seed:")
            )
            for row in report.skipped:
                self.stdout.write(f"  skipped {row}")
