"""Writes to the catalogue: uploading BPMN as versions (with a validation report), publishing,
retiring, discarding, and moving running dossiers to a new version. Every step is audited."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict, InvalidInput
from onestop.engine import analysis, parsing, validation
from onestop.interop import connectors
from onestop.organisation.models import OfficialRole, RoutingRole

from .models import CatalogueEvent, Procedure, ProcedureVersion
from .selectors import unroutable_agencies, unroutable_lanes
from .step_forms import apply_step_forms

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from onestop.organisation.models import Agency

# What a procedure created by a BPMN upload without its catalogue entry starts with; the entry (side file,
# API) says the rest, and publishing waits for the applicant's form.
NEW_PROCEDURE = {"competent_level": "ward", "receiving_level": "ward", "processing_days": 1,
                 "online_level": Procedure.OnlineLevel.PARTIAL}


@dataclass
class Upload:
    version: ProcedureVersion | None  # None when the file could not be read as a process at all
    report: dict
    created: bool


def validation_context(process_id: str | None = None) -> validation.ValidationContext:
    operators = {}
    for name in connectors.known_operators():
        operators[name] = connectors.get_operator(name).params_schema
    return validation.ValidationContext(
        role_codes=set(RoutingRole.objects.values_list("code", flat=True)),
        official_roles=set(OfficialRole.values), operators=operators, process_id=process_id,
    )


def _record(procedure, action, user=None, version=None, **data):
    CatalogueEvent.objects.create(procedure=procedure, version_number=version.number if version else None,
                                  action=action, actor=user if user is not None and user.is_authenticated else None,
                                  data=data)


@transaction.atomic
def create_procedure(entry: dict, *, user: User | None = None) -> Procedure:
    """A new catalogue entry (checked by ``entries.CatalogueEntrySerializer``); no version yet."""
    if Procedure.objects.filter(code=entry["code"]).exists():
        raise Conflict(_("A procedure with this code exists already; change it with PATCH."),
                       errors={"code": [_("This code is taken.")]})
    procedure = Procedure.objects.create(**{**NEW_PROCEDURE, **entry})
    _record(procedure, "created", user, fields=sorted(entry))
    return procedure


@transaction.atomic
def update_procedure(procedure: Procedure, entry: dict, *, user: User | None = None) -> Procedure:
    """Change the catalogue entry of ``procedure`` (names, levels, time, fee, documents, form...); audited with
    the names of the fields that changed. Running dossiers keep the form they were submitted with."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    changed = sorted(name for name, value in entry.items() if name != "code" and getattr(procedure, name) != value)
    for name in changed:
        setattr(procedure, name, entry[name])
    if changed:
        procedure.save()
        _record(procedure, "catalogue_changed", user, fields=changed)
    return procedure


@transaction.atomic
def upload_version(xml_bytes: bytes, procedure_code: str, *, user: User | None = None, filename: str = "upload.bpmn",
                   process_id: str | None = None, defaults: dict | None = None, entry: dict | None = None) -> Upload:
    """Validate ``xml_bytes`` and keep it as a draft version of ``procedure_code`` (created when new).

    User tasks made from onestop's step templates get the template's form (``step_forms``).
    ``entry``: the catalogue entry uploaded with the file (its side file, checked by ``entries``), applied
    to the procedure in the same transaction. The report lists every problem at once; a version with
    errors is kept as a draft so the admin sees its report and diagram, but it cannot be published. An
    upload identical to a version already kept returns that version.
    """
    xml_bytes = apply_step_forms(xml_bytes)
    report = validation.validate(xml_bytes, context=validation_context(process_id))
    report_dict = report.as_dict()
    if report.process_id is None:
        return Upload(None, report_dict, False)
    entry = {k: v for k, v in (entry or {}).items() if k != "code"}
    procedure = Procedure.objects.filter(code=procedure_code).first()
    if procedure is None:
        procedure = create_procedure({"name": report.process_name or report.process_id, **NEW_PROCEDURE,
                                      **(defaults or {}), **entry, "code": procedure_code}, user=user)
    elif entry:
        procedure = update_procedure(procedure, entry, user=user)
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    checksum = hashlib.sha256(xml_bytes).hexdigest()
    existing = procedure.versions.filter(checksum=checksum).first()
    if existing is not None:
        return Upload(existing, existing.report or report_dict, False)
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=_next_number(procedure),
        bpmn_xml=xml_bytes.decode("utf-8"),
        checksum=checksum,
        process_id=report.process_id,
        dialect=report.dialect,
        uploaded_by=user if user is not None and user.is_authenticated else None,
        filename=filename[:255],
        report=report_dict,
    )
    _record(procedure, "uploaded", user, version, checksum=checksum, errors=len(report.errors),
            warnings=len(report.warnings))
    return Upload(version, report_dict, True)


def ensure_routable(version: ProcedureVersion, agency: Agency) -> None:
    """Refuse a dossier of ``version`` received by ``agency`` when one of its lanes cannot be routed from
    there (e.g. a district step for a commune of a two-tier province): refused at submission, with the
    missing level named, rather than stuck at the first hand-over."""
    broken = unroutable_lanes(version, agency)
    if broken:
        raise InvalidInput(_("This procedure cannot be handled from this agency."),
                           errors={"agency": [entry["message"] for entry in broken]})


def _next_number(procedure):
    """Numbers are never reused, not even those of discarded drafts (the audit trail names them)."""
    kept = procedure.versions.aggregate(n=Max("number"))["n"] or 0
    seen = procedure.events.aggregate(n=Max("version_number"))["n"] or 0
    return max(kept, seen) + 1


@transaction.atomic
def import_bpmn(xml_bytes: bytes, procedure_code: str, *, user: User | None = None, publish: bool = False,
                defaults: dict | None = None, filename: str = "upload.bpmn", process_id: str | None = None,
                entry: dict | None = None) -> ProcedureVersion:
    """The command-line path: upload (with the catalogue entry, when given), refuse a file with errors,
    publish when asked. All or nothing: when anything is refused, no procedure, version or entry change is
    kept (the transaction is rolled back) and the ``DomainError`` says why."""
    upload = upload_version(xml_bytes, procedure_code, user=user, filename=filename, defaults=defaults,
                            process_id=process_id, entry=entry)
    errors = [e for e in upload.report.get("entries", []) if e["level"] == "error"]
    if errors or upload.version is None:
        raise InvalidInput(_("The file cannot be used as it is."), errors=[entry_line(e) for e in errors])
    if publish and upload.version.state != ProcedureVersion.State.PUBLISHED:
        publish_version(upload.version, user=user)
    return upload.version


def entry_line(entry: dict) -> str:
    """One report entry as a line in the active language: where (element id, name, line) and what."""
    line = entry.get("line") and _("line %(n)s") % {"n": entry["line"]}
    where = ", ".join(p for p in (entry.get("element_id") and f"id={entry['element_id']}",
                                  entry.get("element_name") and f"“{entry['element_name']}”", line) if p)
    vietnamese = (translation.get_language() or "vi").lower().startswith("vi")
    message = entry.get("message_vi") if vietnamese and entry.get("message_vi") else entry["message"]
    return f"{where}: {message}" if where else message


@transaction.atomic
def publish_version(version: ProcedureVersion, user: User | None = None) -> ProcedureVersion:
    """Make ``version`` the one new dossiers start on. Running dossiers keep their own version.

    The receiving agencies from which a lane of the version cannot be routed are listed on the returned
    version (``unroutable_agencies``) and in the audit event: the procedure is not offered there and
    submissions there are refused; it is published for the others.
    """
    Procedure.objects.select_for_update().get(pk=version.procedure_id)
    version.refresh_from_db()
    if version.state == ProcedureVersion.State.RETIRED:
        raise Conflict(_("A retired version cannot be published again; upload it as a new version."))
    if version.has_errors:
        raise Conflict(_("This version has errors in its validation report; fix them and upload it again."))
    problems = form_problems(version)
    if problems:
        raise Conflict(_("This version cannot be published until the applicant's form is complete."),
                       errors={"form_schema": problems})
    for old in version.procedure.versions.filter(state=ProcedureVersion.State.PUBLISHED).exclude(pk=version.pk):
        old.state = ProcedureVersion.State.RETIRED
        old.save(update_fields=["state"])
        _record(old.procedure, "retired", user, old, replaced_by=version.number)
    version.state = ProcedureVersion.State.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["state", "published_at"])
    version.unroutable_agencies = unroutable_agencies(version)
    _record(version.procedure, "published", user, version,
            unroutable_agencies=[entry["agency"] for entry in version.unroutable_agencies])
    return version


def form_problems(version: ProcedureVersion) -> list[str]:
    """Why the applicant's form cannot go with ``version``: empty, or lacking a field the process reads (the
    first script to read it would fail at the citizen's dossier). Empty when it can be published."""
    properties = (version.procedure.form_schema or {}).get("properties") or {}
    if not properties:
        return [_("The applicant's form is empty: give the procedure its form (form_schema, or a Camunda form) "
                  "before publishing.")]
    missing = sorted(analysis.applicant_fields_read(version) - set(properties))
    if missing:
        return [_("The process reads applicant fields the form does not define: %(names)s.")
                % {"names": ", ".join(missing)}]
    return []


@transaction.atomic
def retire_version(version: ProcedureVersion, user: User | None = None) -> ProcedureVersion:
    """No new dossiers on this version; the dossiers running on it carry on."""
    if version.state != ProcedureVersion.State.PUBLISHED:
        raise Conflict(_("Only the published version can be retired."))
    version.state = ProcedureVersion.State.RETIRED
    version.save(update_fields=["state"])
    _record(version.procedure, "retired", user, version)
    return version


@transaction.atomic
def discard_version(version: ProcedureVersion, user: User | None = None) -> None:
    """Throw away a draft nobody uses."""
    if version.state != ProcedureVersion.State.DRAFT or version.dossiers.exists():
        raise Conflict(_("Only a draft no dossier uses can be discarded."))
    _record(version.procedure, "discarded", user, version)
    version.delete()


def diff(version: ProcedureVersion, against: ProcedureVersion) -> dict:
    """Tasks and lanes added, removed and renamed between ``against`` (e.g. the published version) and ``version``."""
    old, new = parsing.elements(against.bpmn_xml.encode()), parsing.elements(version.bpmn_xml.encode())
    result = {}
    for kind in ("tasks", "lanes"):
        before, after = old[kind], new[kind]
        result[kind] = {
            "added": [{"id": i, "name": after[i]} for i in after if i not in before],
            "removed": [{"id": i, "name": before[i]} for i in before if i not in after],
            "renamed": [{"id": i, "from": before[i], "to": after[i]} for i in after
                        if i in before and before[i] != after[i]],
        }
    return result


def record_migration(from_version: ProcedureVersion, to_version: ProcedureVersion, user: User | None,
                     moved: list[str]) -> None:
    """Keep in the catalogue's history that the running dossiers ``moved`` (their codes) went to ``to_version``
    (the lifecycle moves them: ``onestop.dossiers.lifecycle.migration``)."""
    _record(to_version.procedure, "migrated", user, to_version, from_version=from_version.number, dossiers=moved)
