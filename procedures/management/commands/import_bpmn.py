from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from onestop.core.exceptions import DomainError
from procedures import services


class Command(BaseCommand):
    help = "Import a BPMN file as a new version of a procedure (created when the code is new)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--procedure", required=True, help="Procedure code, e.g. 1.001193")
        parser.add_argument("--publish", action="store_true", help="Publish the version at once")

    def handle(self, *args, path, procedure, publish, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            version = services.import_bpmn(file.read_bytes(), procedure, publish=publish)
        except DomainError as exc:
            lines = [f"{file.name}: {exc.message}"]
            for err in exc.errors or []:
                lines.append(f"  - {err}")
            raise CommandError("\n".join(lines)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{version.procedure.code} v{version.number} ({version.state}), process {version.process_id}"
            )
        )
