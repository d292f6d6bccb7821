"""The return of the result at the one-stop desk: the step that opens when the process ends with a result."""
from django.utils import timezone

from onestop.organisation.models import OfficialRole
from onestop.worklist import services as worklist
from onestop.worklist.models import WorkItem

from ..models import Status
from .transitions import move

RETURN_FORM = [
    {"id": "decision", "type": "enum", "label": "Trả kết quả / Hand over the result",
     "options": [{"id": "returned", "name": "Đã trả kết quả / Result handed over"}]},
    {"id": "collected_by", "type": "string", "label": "Người nhận kết quả / Collected by", "options": []},
]
RETURN_NAME = "Trả kết quả / Return the result"


def open_return(dossier) -> WorkItem:
    """The desk of the receiving agency hands the result over, by the appointment date."""
    return worklist.open_item(
        dossier, kind=WorkItem.Kind.RETURN, agency=dossier.receiving_agency, role=OfficialRole.RECEIVER,
        name=RETURN_NAME, due_date=dossier.appointment_date, form=RETURN_FORM,
    )


def mark_returned(dossier) -> None:
    """The result is in the applicant's hands: the dossier is closed."""
    move(dossier, Status.RETURNED)
    dossier.closed_at = timezone.now()
    dossier.save()
