"""The portal's message shapes, read from data (``data/dvcqg.json`` or ``ONESTOP_NATIONAL_PORTAL_PROTOCOL``).

``dossier_record`` turns a dossier into the portal's ``DongBoHoSoMC`` item; ``status_code`` looks up the
portal's status for one of our changes in the table (first row whose action and status match). No field
name or code of the portal is written in Python: they are all in the data file.
"""
import functools
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from onestop.dossiers.models import Attachment
from onestop.interop import portal_client
from onestop.worklist.models import WorkItem

DEFAULT_PROTOCOL = Path(__file__).resolve().parent / "data" / "dvcqg.json"


@functools.cache
def protocol() -> dict:
    path = getattr(settings, "ONESTOP_NATIONAL_PORTAL_PROTOCOL", "") or DEFAULT_PROTOCOL
    return json.loads(Path(path).read_text(encoding="utf-8"))


def service(name: str) -> str:
    return protocol()["services"][name]


def post(link, payload: dict):
    """Send ``payload`` to the portal (``interop.portal_client``), signed with the profile's tag."""
    return portal_client.post(link, payload, tag=protocol().get("signature_tag", "dvcqg"))


def envelope_field(name: str) -> str:
    return protocol()["envelope"][name]


def status_code(action: str, to_status: str) -> str | None:
    """The portal's status for a change of ours, or None when the table does not report it."""
    for row in protocol()["status_codes"]:
        if row.get("to_status") == to_status and row.get("action", action) == action:
            return row["code"]
    return None


def _date(value) -> str:
    if value is None:
        return ""
    if not hasattr(value, "hour"):  # a date: the end of the working day it names
        value = timezone.make_aware(timezone.datetime(value.year, value.month, value.day, 17, 0))
    return timezone.localtime(value).strftime(protocol()["date_format"])


def _file_url(attachment) -> str:
    """Where the portal's officials fetch the file (our site; access rules apply there)."""
    try:
        return settings.ONESTOP_SITE_URL.rstrip("/") + reverse("dossier-attachment", args=[attachment.key])
    except NoReverseMatch:
        return ""


def _named(mapping_name: str, values: dict) -> dict:
    names = protocol()[mapping_name]
    return {names[key]: value for key, value in values.items() if key in names}


def _processing_agencies(dossier):
    """Who holds the dossier now: the agencies of its open steps, else its receiving agency."""
    agencies = {item.agency_id: item.agency for item in
                dossier.work_items.filter(state__in=WorkItem.ACTIVE_STATES).select_related("agency")
                if item.agency_id}
    return list(agencies.values()) or [dossier.receiving_agency]


def _applicant(dossier):
    """The applicant with their citizen record, in one query (none when already read with the dossier)."""
    field = type(dossier)._meta.get_field("applicant")
    if not field.is_cached(dossier):
        dossier.applicant = get_user_model().objects.select_related("citizen").get(pk=dossier.applicant_id)
    return dossier.applicant


def dossier_record(dossier, code: str) -> dict:
    """The dossier as the portal's dossier-sync item (``DongBoHoSoMC``'s ``data`` entry)."""
    proto = protocol()
    applicant = _applicant(dossier)
    citizen = getattr(applicant, "citizen", None)
    procedure = dossier.procedure
    agencies = _processing_agencies(dossier)
    attachments = list(dossier.attachments.order_by("pk"))
    documents = [_named("document_fields", {"name": a.original_name, "id": str(a.key), "url": _file_url(a),
                                            "part": "", "deleted": "False"})
                 for a in attachments if a.kind != Attachment.Kind.RESULT]
    results = [_named("result_fields", {"name": a.original_name, "id": str(a.key), "url": _file_url(a), "part": ""})
               for a in attachments if a.kind == Attachment.Kind.RESULT]
    fees = [_named("fee_fields", {"name": procedure.fee_note or procedure.name, "code": "", "method": "",
                                  "amount": str(procedure.fee), "kind": "1"})] if procedure.fee else []
    supplements = [_named("supplement_fields", {"id": str(dossier.pk), "requested_by": "",
                                                "content": "; ".join(map(str, dossier.missing_documents)),
                                                "requested_at": _date(dossier.updated_at), "status": "0"})
                   ] if dossier.missing_documents else []
    finished = dossier.result_at or (dossier.closed_at if dossier.status != "returned" else dossier.result_at)
    return _named("dossier_fields", {
        "code": dossier.code,
        "procedure_code": procedure.code,
        "procedure_name": procedure.name,
        "field_code": "",
        "field_name": procedure.field,
        "applicant_name": citizen.full_name if citizen else (applicant.get_full_name() or applicant.get_username()),
        "applicant_kind": proto["applicant_kinds"]["citizen"],
        "applicant_id": citizen.id_number if citizen else "",
        "email": applicant.email or "",
        "phone": citizen.phone if citizen else "",
        "summary": procedure.name,
        "received_at": _date(dossier.received_at or dossier.submitted_at),
        "appointment_at": _date(dossier.appointment_date),
        "status": code,
        "returned_at": _date(dossier.closed_at) if dossier.status == "returned" else "",
        "channel": proto["channel_codes"].get(dossier.channel, ""),
        "finished_at": _date(finished),
        "processing_agency": ", ".join(a.name for a in agencies),
        "processing_agency_code": ", ".join(a.identifier for a in agencies),
        "documents": documents,
        "results": results,
        "fees": fees,
        "supplements": supplements,
    })


def progress_record(dossier, event, code: str) -> dict:
    """One step of the dossier's handling as the portal's progress item (``CapNhatTienDoHoSoMC``)."""
    actor = event.actor
    data = event.data or {}
    content = " — ".join(str(part) for part in (data.get("step"), data.get("decision"), event.comment) if part)
    return _named("progress_fields", {
        "code": dossier.code,
        "official": (actor.get_full_name() or actor.get_username()) if actor is not None else "",
        "title": "",
        "at": _date(event.at),
        "department": event.agency.name if event.agency_id else "",
        "content": content or event.action,
        "status": code,
        "started_at": _date(dossier.received_at or dossier.submitted_at),
        "due_at": _date(dossier.appointment_date),
    })


def envelope(service_key: str, *, agency_code: str, message_id: str = "", data=None, updating=None,
             **extra) -> dict:
    """A request to the portal: the service name, our agency code and the data, in the portal's names."""
    names = protocol()["envelope"]
    body = {names["service"]: service(service_key), names["agency"]: agency_code}
    if message_id:
        body[names["message_id"]] = message_id
    if updating is not None:
        body[names["updating"]] = "True" if updating else "False"
    if data is not None:
        body[names["data"]] = data
    body.update(extra)
    return body
