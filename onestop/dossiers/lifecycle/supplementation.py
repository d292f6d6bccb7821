"""Supplementation: the applicant answers a request for documents or corrections on the same dossier code,
asked by the desk at reception or by a step of the process."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict, InvalidInput
from onestop.deadlines import services as deadlines
from onestop.worklist import services as worklist
from onestop.worklist.models import WorkItem

from .. import audit
from ..forms import form_errors
from ..models import Action, Attachment, DossierEvent, Status, can_supplement
from .advance import COMPLETE_TASK, advance
from .locking import applicants_dossier
from .reception import open_reception
from .transitions import move

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from ..models import Dossier


def _files_since_request(dossier) -> bool:
    """The applicant added a supplementary file since the dossier was last sent back to them."""
    asked_at = (DossierEvent.objects.filter(dossier=dossier, to_status=Status.SUPPLEMENT_REQUESTED)
                .order_by("-at", "-id").values_list("at", flat=True).first())
    files = dossier.attachments.filter(kind=Attachment.Kind.SUPPLEMENT)
    return (files.filter(uploaded_at__gte=asked_at) if asked_at else files).exists()


@transaction.atomic
def supplement(user: User, code: str, *, form_data: dict | None = None, comment: str = "") -> Dossier:
    """The applicant answers a supplementation request on the same dossier code.

    An answer brings something: a supplementary file added since the request, a note, or a corrected form;
    an empty one is refused and the dossier stays with the applicant (its clock still stopped)."""
    dossier = applicants_dossier(user, code)
    if not can_supplement(dossier):
        raise Conflict(_("Nothing is asked of you on this dossier now."))
    from_status = dossier.status
    corrected = False
    if form_data is not None:
        merged = {**dossier.form_data, **form_data} if isinstance(form_data, dict) else form_data
        errors = form_errors(dossier.procedure.form_schema, merged)
        if errors:
            raise InvalidInput(_("The form has errors."), errors={"form_data": errors})
        corrected = merged != dossier.form_data
        dossier.form_data = merged
    if not (corrected or (comment or "").strip() or _files_since_request(dossier)):
        raise InvalidInput(_("Your answer is empty: attach a document asked for, or write a note."),
                           errors={"comment": [_("Attach at least one document asked for, or write a note.")]})
    item = dossier.work_items.filter(kind=WorkItem.Kind.APPLICANT, state__in=WorkItem.ACTIVE_STATES).first()
    if item is not None:  # asked by a processing step of the BPMN
        deadlines.restart_clock(dossier, user)
        fields = {f["id"] for f in item.form}
        data = {"form": dossier.form_data}
        if "supplement_note" in fields:
            data["supplement_note"] = comment or ""

        asked_by = (dossier.work_items.filter(kind=WorkItem.Kind.TASK, state=WorkItem.State.COMPLETED)
                    .order_by("completed_at", "id").select_related("agency").last())

        worklist.close(item, user, comment=comment)
        advance(dossier, {"call": COMPLETE_TASK, "task_id": item.task_id, "data": data}, user,
                from_agency=asked_by.agency if asked_by else None, result=_("Supplemented"),
                element=(item.task_spec_id, item.name))
    else:  # asked by the desk at reception
        move(dossier, Status.SUBMITTED)
        dossier.missing_documents = []
        dossier.save()
        item = open_reception(dossier, timezone.localdate())
    audit.record(dossier, Action.SUPPLEMENTED, actor=user, from_status=from_status, work_item=item, comment=comment)
    return dossier
