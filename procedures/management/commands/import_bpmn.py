"""``manage.py import_bpmn PATH --procedure CODE``: the upload API's door for the server's operator.

It takes what the API takes (the process to run, the catalogue entry and the applicant's form beside the
file), answers in one language (``--lang``, Vietnamese by default), prints the report's warnings, and is
all or nothing: a non-zero exit keeps no procedure, version or catalogue change.
"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from onestop.core.exceptions import DomainError
from procedures import entries, services

SIDE_FILE_SUFFIX = ".catalogue.json"


def side_file(bpmn: Path) -> Path:
    """``birth.bpmn`` -> ``birth.catalogue.json`` beside it."""
    return bpmn.with_name(bpmn.stem + SIDE_FILE_SUFFIX)


class Command(BaseCommand):
    help = ("Import a BPMN file as a new version of a procedure (created when the code is new), with its "
            "catalogue entry and applicant's form when given.")

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--procedure", required=True, help="Procedure code, e.g. 1.001193")
        parser.add_argument("--publish", action="store_true", help="Publish the version at once")
        parser.add_argument("--process", default=None, help="Id of the process to run when the file has several")
        parser.add_argument("--catalogue", default=None,
                            help="The catalogue entry (JSON); default: NAME.catalogue.json beside the BPMN file")
        parser.add_argument("--form", default=None,
                            help="The applicant's form: a Camunda Forms .form file or a JSON Schema")
        parser.add_argument("--lang", default="vi", choices=["vi", "en"], help="Language of the messages")

    def handle(self, *args, path, procedure, publish, process, catalogue, form, lang, **options):
        with translation.override(lang):
            lines, version = self._import(Path(path), procedure, publish, process, catalogue, form)
            for line in lines:
                self.stdout.write(self.style.WARNING(line))
            self.stdout.write(self.style.SUCCESS(
                _("%(code)s v%(n)s (%(state)s), process %(process)s")
                % {"code": version.procedure.code, "n": version.number, "state": version.get_state_display(),
                   "process": version.process_id}))

    def _import(self, file, procedure, publish, process, catalogue, form):
        if not file.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        try:
            entry = self._entry(file, procedure, catalogue, form)
            version = services.import_bpmn(file.read_bytes(), procedure, publish=publish, filename=file.name,
                                           process_id=process, entry=entry)
        except DomainError as exc:
            lines = [f"{file.name}: {exc.message}", *_error_lines(exc.errors)]
            lines.append(_("Nothing was kept: no procedure, version or catalogue change."))
            raise CommandError("\n".join(lines)) from None
        warnings = [e for e in version.report.get("entries", []) if e["level"] == "warning"]
        return [_("Warning: %(line)s") % {"line": services.entry_line(e)} for e in warnings], version

    def _entry(self, file, procedure, catalogue, form):
        entry = {}
        catalogue_path = Path(catalogue) if catalogue else side_file(file)
        if catalogue or catalogue_path.is_file():
            entry = entries.read_side_file(self._read(catalogue_path), code=procedure)
        if form:
            entry["form_schema"] = entries.read_form_file(self._read(Path(form)))
        return entry

    @staticmethod
    def _read(path):
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        return path.read_bytes()


def _error_lines(errors, prefix=""):
    """Every error of a ``DomainError``, one per line, with the field it is about."""
    if isinstance(errors, dict):
        return [line for key, value in errors.items() for line in _error_lines(value, f"{prefix}{key}: ")]
    if isinstance(errors, list):
        return [line for value in errors for line in _error_lines(value, prefix)]
    return [] if errors is None else [f"  - {prefix}{errors}"]
