"""manage.py import_national_catalogue export.json: procedures from the national procedure database."""
import json

from django.core.management.base import BaseCommand, CommandError

from onestop.nationalportal.catalogue import import_catalogue


class Command(BaseCommand):
    help = "Create or update procedures from a JSON export of the national procedure database (LayThuTuc shape)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the JSON export: {\"error_code\": 0, \"result\": [...]} or a list")

    def handle(self, path, **options):
        try:
            with open(path, encoding="utf-8") as handle:
                export = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        report = import_catalogue(export)
        for code in report.created:
            self.stdout.write(f"created {code}")
        for code in report.updated:
            self.stdout.write(f"updated {code}")
        for where, problem in report.problems:
            self.stderr.write(f"skipped {where}: {problem}")
        self.stdout.write(f"{len(report.created)} created, {len(report.updated)} updated, "
                          f"{len(report.problems)} skipped")
