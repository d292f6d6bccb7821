"""Reception at the one-stop desk: the completeness check that accepts the dossier (and starts its
process), asks for documents, or refuses it with a reason."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import InvalidInput
from onestop.deadlines.working_days import add_working_days, appointment_date
from onestop.organisation.models import OfficialRole
from onestop.worklist import services as worklist
from onestop.worklist.models import WorkItem

from ..models import Action, Status
from .advance import START, advance
from .transitions import move, save

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from ..models import Dossier

RECEPTION_FORM = [
    {
        "id": "decision", "type": "enum", "label": "Kết quả kiểm tra hồ sơ / Completeness check",
        "options": [
            {"id": "accept", "name": "Tiếp nhận / Accept"},
            {"id": "supplement", "name": "Yêu cầu bổ sung / Request supplementation"},
            {"id": "refuse", "name": "Từ chối tiếp nhận / Refuse"},
        ],
    },
    {"id": "missing_documents", "type": "list", "label": "Giấy tờ cần bổ sung / Documents to add",
     "options": []},
]
RECEPTION_NAME = "Tiếp nhận hồ sơ / Receive the dossier"
# The desk's decisions: each changes the status the applicant is told of.
DESK_DECISIONS = frozenset(option["id"] for option in RECEPTION_FORM[0]["options"])


def open_reception(dossier: Dossier, today: date, save: bool = True) -> WorkItem:
    """The receiving agency's desk checks the dossier within one working day (``save=False``: not written yet)."""
    return worklist.open_item(
        dossier, kind=WorkItem.Kind.RECEPTION, agency=dossier.receiving_agency, role=OfficialRole.RECEIVER,
        name=RECEPTION_NAME, due_date=add_working_days(today, 1), form=RECEPTION_FORM, save=save,
    )


def asked_at_reception(dossier: Dossier) -> bool:
    """The desk already asked this dossier's applicant for supplementation (the law allows it once)."""
    return dossier.events.filter(action=Action.RECEPTION_COMPLETED, data__decision="supplement").exists()


def start_call(dossier: Dossier) -> dict:
    """The engine call that starts the dossier's process with the applicant's form."""
    return {"call": START, "data": {"form": dossier.form_data, "dossier_code": dossier.code}}


def receive(dossier: Dossier, item: WorkItem, user: User, decision: str, clean: dict, comment: str) -> None:
    """Apply the desk's decision (the completed reception step ``item``) to the locked dossier."""
    now = timezone.now()
    if decision == "accept":
        move(dossier, Status.PROCESSING)
        dossier.received_at = now
        dossier.missing_documents = []
        # Counted from the receipt of the complete dossier: an online submission made outside office
        # hours counts from the next opening; a same-day procedure whose law sets a cut-off, received after
        # it, from the next day.
        dossier.appointment_date = appointment_date(now, dossier.procedure.processing_days, dossier.receiving_agency,
                                                    dossier.procedure)
        # Written with the started process (after_advance). A process that cannot start leaves the dossier
        # received, with an incident (the run contract: advance writes the reception then).
        advance(dossier, start_call(dossier), user, from_agency=item.agency, result=decision,
                element=("", dossier.procedure.name))
    elif decision == "supplement":
        missing = clean.get("missing_documents") or []
        if not missing:
            raise InvalidInput(_("List the documents to add."),
                               errors={"missing_documents": [_("List every document to add, at once.")]})
        if asked_at_reception(dossier):
            raise InvalidInput(
                _("Supplementation was already asked once at reception: accept or refuse the dossier."),
                errors={"decision": [_("The desk asks for supplementation once, listing everything at once.")]})
        move(dossier, Status.SUPPLEMENT_REQUESTED)
        dossier.missing_documents = missing
        save(dossier)
    else:  # refuse: clean_submission made sure a reason is given
        move(dossier, Status.REFUSED)
        dossier.closed_at = now
        save(dossier)
