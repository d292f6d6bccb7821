"""Load a year's official working calendar (days off and make-up working days) from a JSON or CSV file.

    manage.py load_calendar 2027.json
    manage.py load_calendar 2027.csv --status confirmed --source "Thông báo ... của Bộ Nội vụ"

The file's days replace every declared day of that year. Format: docs/deadlines.md.
"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from onestop.deadlines import schedule
from onestop.deadlines.models import CalendarYear


class Command(BaseCommand):
    help = "Load a year's official working calendar from a JSON or CSV file (replaces that year's days)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .json or .csv file (see docs/deadlines.md)")
        parser.add_argument("--status", choices=CalendarYear.Status.values, default="",
                            help="confirmed (an official notice) or provisional; default: the file's, else provisional")
        parser.add_argument("--source", default="", help="the notices the schedule comes from")

    def handle(self, *args, file, status, source, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            parsed = schedule.parse(path.read_bytes(), path.name, status=status, source=source)
        except schedule.ScheduleError as error:
            raise CommandError(str(error)) from None
        row = schedule.load(parsed)
        self.stdout.write(f"{row.year}: {len(parsed.days_off)} days off, {len(parsed.working)} make-up working "
                          f"days, {row.status}")
