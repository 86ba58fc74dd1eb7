from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from returns_desk.orders.importing import parse_file
from returns_desk.orders.services import orders_import


class Command(BaseCommand):
    help = "Import orders from a JSON or CSV file; every row is checked first, and nothing is imported on error."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        orders, errors = parse_file(file.name, file.read_bytes())
        if errors:
            for error in errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(errors)} problem(s) in {file.name}; nothing was imported.")
        result = orders_import(orders=orders)
        stale = f"; left as they were, being older than the desk's: {', '.join(result.stale)}" if result.stale else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {file.name}: {len(result.created)} created, {len(result.updated)} updated{stale}."
            )
        )
