"""Writes to the catalogue: importing BPMN as versions, publishing."""
import hashlib

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import InvalidInput
from onestop.engine import parsing

from .models import Procedure, ProcedureVersion


@transaction.atomic
def import_bpmn(xml_bytes, procedure_code, *, user=None, publish=False, defaults=None):
    """Store ``xml_bytes`` as a new draft version of ``procedure_code`` (created when new).

    An upload identical to an existing version returns that version instead of a copy.
    Raises ``InvalidInput`` (with the parser's findings) when the file cannot run.
    """
    parsed = parsing.parse_bpmn(xml_bytes)  # raises BpmnError, an InvalidInput
    checksum = hashlib.sha256(xml_bytes).hexdigest()
    procedure, _created = Procedure.objects.get_or_create(
        code=procedure_code,
        defaults={
            "name": parsed.name or parsed.process_id,
            "competent_level": "ward",
            "receiving_level": "ward",
            "processing_days": 1,
            "online_level": Procedure.OnlineLevel.PARTIAL,
            **(defaults or {}),
        },
    )
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    version = procedure.versions.filter(checksum=checksum).first()
    if version is None:
        number = (procedure.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = ProcedureVersion.objects.create(
            procedure=procedure,
            number=number,
            bpmn_xml=xml_bytes.decode("utf-8"),
            checksum=checksum,
            process_id=parsed.process_id,
            dialect=parsed.dialect,
            uploaded_by=user,
        )
    if publish and version.state != ProcedureVersion.State.PUBLISHED:
        publish_version(version)
    return version


@transaction.atomic
def publish_version(version):
    """Make ``version`` the one new dossiers start on. Running dossiers keep their own version."""
    if version.state == ProcedureVersion.State.RETIRED:
        raise InvalidInput(_("A retired version cannot be published again; upload it as a new version."))
    Procedure.objects.select_for_update().get(pk=version.procedure_id)
    version.procedure.versions.filter(state=ProcedureVersion.State.PUBLISHED).exclude(pk=version.pk).update(
        state=ProcedureVersion.State.RETIRED
    )
    version.state = ProcedureVersion.State.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["state", "published_at"])
    return version
