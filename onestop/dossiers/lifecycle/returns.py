"""The return at the one-stop desk: the step that opens when the process ends, with a result or refused.

A refusal decided by the process is handed over like a result: the written refusal, with its reason, goes to
the applicant through the desk that received the dossier (Decree 61/2018, art. 19)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from onestop.organisation.models import OfficialRole
from onestop.worklist import services as worklist
from onestop.worklist.models import WorkItem

from ..models import Status
from .transitions import move, save

if TYPE_CHECKING:
    from ..models import Dossier

RETURN_FORM = [
    {"id": "decision", "type": "enum", "label": "Trả kết quả / Hand over the result",
     "options": [{"id": "returned", "name": "Đã trả kết quả / Result handed over"}]},
    {"id": "collected_by", "type": "string", "label": "Người nhận kết quả / Collected by", "options": []},
]
RETURN_NAME = "Trả kết quả / Return the result"
REFUSAL_RETURN_FORM = [
    {"id": "decision", "type": "enum", "label": "Trả văn bản từ chối / Hand over the refusal",
     "options": [{"id": "returned", "name": "Đã trao văn bản từ chối / Refusal handed over"}]},
    {"id": "collected_by", "type": "string", "label": "Người nhận / Collected by", "options": []},
]
REFUSAL_RETURN_NAME = "Trả văn bản từ chối / Hand over the refusal"


def open_return(dossier: Dossier, *, refused: bool = False) -> WorkItem:
    """The desk of the receiving agency hands the result (or the written refusal) over, by the appointment date."""
    return worklist.open_item(
        dossier, kind=WorkItem.Kind.RETURN, agency=dossier.receiving_agency, role=OfficialRole.RECEIVER,
        name=REFUSAL_RETURN_NAME if refused else RETURN_NAME, due_date=dossier.appointment_date,
        form=REFUSAL_RETURN_FORM if refused else RETURN_FORM,
    )


def mark_returned(dossier: Dossier) -> None:
    """The result is in the applicant's hands: the dossier is closed. A refused dossier was closed when refused:
    handing the refusal over changes nothing more."""
    if dossier.status == Status.REFUSED:
        return
    move(dossier, Status.RETURNED)
    dossier.closed_at = timezone.now()
    save(dossier)
