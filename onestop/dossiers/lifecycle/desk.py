"""The one-stop desk's own use cases: a paper dossier taken in and accepted at once, and the result handed
over to whoever collects it."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict, InvalidInput, NotAllowed
from onestop.organisation import access
from onestop.worklist import services as worklist
from onestop.worklist.models import WorkItem

from ..attachments import add_attachment, check_upload
from ..models import Attachment
from .locking import lock_dossier, locked_item
from .steps import claim_work_item, complete_locked, complete_work_item
from .submission import submit

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import UploadedFile

    from ..models import Dossier


def _check_receiver(official, agency_code):
    if not access.is_receiver_at(official, agency_code):
        raise NotAllowed(_("Only a receiver of this agency's one-stop desk can take in dossiers here."))


@transaction.atomic
def receive_at_desk(official: User, applicant: User, *, procedure_code: str, agency_code: str, form_data: dict,
                    scans: Iterable[UploadedFile] = ()) -> Dossier:
    """A paper dossier handed in at the desk: submitted on the applicant's behalf and accepted at once.

    The scans (``Attachment.Kind.SCAN``) are stored under the dossier's lock; all or nothing.
    """
    _check_receiver(official, agency_code)
    for scan in scans:
        check_upload(scan)
    dossier = submit(applicant, procedure_code=procedure_code, agency_code=agency_code, form_data=form_data,
                     official=official)
    dossier = lock_dossier(dossier.pk)
    for scan in scans:
        add_attachment(dossier, scan, user=official, kind=Attachment.Kind.SCAN, agency=dossier.receiving_agency)
    item = dossier.work_items.get(kind=WorkItem.Kind.RECEPTION, state=WorkItem.State.OPEN)
    claim_work_item(item, official)
    return complete_work_item(item, official, decision="accept")


def hand_over_result(item: WorkItem, official: User, *, collector_name: str, collector_id_number: str,
                     result_file: UploadedFile | None = None, locked: Dossier | None = None) -> Dossier:
    """The desk hands the result over: the result file (optional) is kept, and who collected it.

    ``locked``: the item's dossier, when the caller locked it with the item in its transaction (``queued_item``):
    then no savepoint of its own (a refusal rolls the caller's transaction back)."""
    with transaction.atomic(savepoint=locked is None):
        return _hand_over(item, official, collector_name, collector_id_number, result_file, locked)


def _hand_over(item, official, collector_name, collector_id_number, result_file, locked):
    collector_name, collector_id_number = (collector_name or "").strip(), (collector_id_number or "").strip()
    errors = {}
    if not collector_name:
        errors["collector_name"] = [_("This field is required.")]
    if not collector_id_number.isdigit() or len(collector_id_number) not in (9, 12):
        errors["collector_id_number"] = [_("Enter the 12-digit citizen ID number (or a 9-digit old ID card).")]
    if errors:
        raise InvalidInput(_("Say who collected the result."), errors=errors)
    if item.kind != WorkItem.Kind.RETURN:  # a step's kind never changes: no lock needed to read it
        raise Conflict(_("This step is not the return of a result."))
    dossier = locked
    if result_file is not None:  # kept under the lock, by whoever may act; the completion checks both again
        if dossier is None:
            dossier, item = locked_item(item)
        worklist.check_can_act(item, official)
        add_attachment(dossier, result_file, user=official, kind=Attachment.Kind.RESULT, work_item=item,
                       agency=item.agency)
    collected_by = f"{collector_name} ({collector_id_number})"
    if dossier is None:
        return complete_work_item(item, official, decision="returned", data={"collected_by": collected_by})
    return complete_locked(dossier, item, official, decision="returned", data={"collected_by": collected_by})
