"""What the one-stop forms print, read from the dossier and its audit trail.

The desk's reception decision (accept, supplement, refuse) is recorded by
``dossiers.lifecycle.complete_work_item`` as a ``reception_completed`` event: its actor is the official,
its time the moment of the decision, its comment the reason, and its data the decision and the list of
documents to add. The forms are built from that event, so printing one again gives the same paper.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from onestop.deadlines.models import Extension
from onestop.deadlines.working_days import hours_of
from onestop.dossiers.models import Action, Attachment, Dossier, DossierEvent, Status
from procedures.selectors import is_conditional

if TYPE_CHECKING:
    from datetime import time

    from onestop.dossiers.models import Dossier
    from onestop.organisation.models import Agency


@dataclass
class ReceptionDecision:
    at: datetime
    official: object  # a User, or None when the event has no actor
    reason: str = ""
    missing_documents: list = field(default_factory=list)
    agency: object = None  # the agency whose official decided (the desk's, or a processing agency's)
    at_reception: bool = True  # False: asked by a step of the process, after reception


@dataclass
class RegisterEntry:
    year: int
    number: int  # the dossier's line in its agency's register (form 07) of that year


@dataclass
class ReceivedDocument:
    name: str
    originals: int
    copies: int
    files: int  # how many files of the dossier are this document


def reception_decision(dossier: Dossier, decision: str) -> ReceptionDecision | None:
    """The desk's latest ``decision`` ("accept", "supplement", "refuse") on ``dossier``, or None."""
    event = (DossierEvent.objects.filter(dossier=dossier, action=Action.RECEPTION_COMPLETED, data__decision=decision)
             .select_related("actor").order_by("-at", "-id").first())
    if event is None:
        return None
    missing = event.data.get("missing_documents") or []
    return ReceptionDecision(at=event.at, official=event.actor, reason=event.comment,
                             missing_documents=[str(m) for m in missing])


def register_entry(dossier: Dossier) -> RegisterEntry:
    """Where the dossier stands in its receiving agency's register of the year it was received (form 07
    lists it in the order of receipt): the number of dossiers that agency received that year before it,
    plus one. Dossiers are never deleted, so the number printed once stays the same."""
    received = timezone.localtime(dossier.received_at)
    start = received.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    before = Dossier.objects.filter(receiving_agency_id=dossier.receiving_agency_id, received_at__gte=start).filter(
        Q(received_at__lt=dossier.received_at) | Q(received_at=dossier.received_at, id__lt=dossier.id)).count()
    return RegisterEntry(year=received.year, number=before + 1)


def closing_time(agency: Agency) -> time:
    """When the agency's desk closes in the afternoon (its office hours)."""
    return hours_of(agency).afternoon_end


def supplementation_request(dossier: Dossier) -> ReceptionDecision | None:
    """The latest request to supplement the dossier, or None: the desk's at reception, or a processing step's
    (a BPMN step whose completion sent the dossier back to the applicant). Read from the event that moved the
    dossier to ``supplement_requested``: who asked, when, why (its comment), and the documents it listed."""
    event = (DossierEvent.objects.filter(dossier=dossier, to_status=Status.SUPPLEMENT_REQUESTED)
             .exclude(from_status=Status.SUPPLEMENT_REQUESTED).select_related("actor", "agency")
             .order_by("-at", "-id").first())
    if event is None:
        return None
    missing = event.data.get("missing_documents") or []
    if not isinstance(missing, list):
        missing = [missing]
    return ReceptionDecision(at=event.at, official=event.actor, reason=event.comment,
                             missing_documents=[str(m) for m in missing], agency=event.agency,
                             at_reception=event.action == Action.RECEPTION_COMPLETED)


def stopping(dossier: Dossier) -> ReceptionDecision | None:
    """Who stopped the handling of the dossier, when and why (its ``stopped`` audit event), or None."""
    if dossier.status != Status.STOPPED:
        return None
    event = (DossierEvent.objects.filter(dossier=dossier, action=Action.STOPPED).select_related("actor", "agency")
             .order_by("-at", "-id").first())
    if event is None:
        return None
    return ReceptionDecision(at=event.at, official=event.actor, reason=event.comment, agency=event.agency)


def extension_of(dossier: Dossier) -> Extension | None:
    """The dossier's extension of its appointment date (at most one), or None."""
    return Extension.objects.filter(dossier=dossier).select_related("requested_by", "agency").first()


def applicant(dossier: Dossier) -> dict[str, str]:
    """Name, citizen ID number, address, phone and email of the applicant (blank when unknown)."""
    user = dossier.applicant
    citizen = getattr(user, "citizen", None)
    return {
        "name": (citizen.full_name if citizen else "") or user.get_full_name() or user.get_username(),
        "id_number": citizen.id_number if citizen else "",
        "address": citizen.address if citizen else "",
        "phone": citizen.phone if citizen else "",
        "email": user.email,
    }


def received_documents(dossier: Dossier) -> list[ReceivedDocument]:
    """The documents received, with the numbers of originals and copies the procedure asks for.

    An online dossier has a file per document it brings: only documents with files are listed. A
    dossier without such files (a paper dossier the desk checked and accepted: acceptance means the required
    set was complete) lists the documents every applicant must bring, never one needed only in some cases
    (a power of attorney...), which nothing shows was brought. Files that are not one of the documents
    (scans, supplements) follow.
    """
    files = list(Attachment.objects.filter(dossier=dossier)
                 .exclude(kind=Attachment.Kind.RESULT).values_list("document_index", "original_name"))
    per_index = {}
    for index, _name in files:
        if index is not None:
            per_index[index] = per_index.get(index, 0) + 1
    rows = []
    for index, doc in enumerate(dossier.procedure.documents or []):
        if index not in per_index and (per_index or is_conditional(doc)):
            continue
        rows.append(ReceivedDocument(name=doc.get("name", ""), originals=int(doc.get("originals") or 0),
                                     copies=int(doc.get("copies") or 0), files=per_index.get(index, 0)))
    known = set(range(len(dossier.procedure.documents or [])))
    for index, name in files:
        if index is None or index not in known:
            rows.append(ReceivedDocument(name=name, originals=0, copies=0, files=1))
    return rows
