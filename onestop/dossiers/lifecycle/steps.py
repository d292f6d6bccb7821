"""The steps officials work on: claim, unclaim, complete, comment, reassign.

Completing a step applies its consequence in the same transaction: the desk's reception, the return of
the result, or the process's next steps (``advance``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict, InvalidInput
from onestop.worklist import services as worklist
from onestop.worklist.forms import clean_submission
from onestop.worklist.models import WorkItem

from .. import audit
from ..models import Action
from .advance import COMPLETE_TASK, advance
from .locking import locked_item
from .reception import receive
from .returns import mark_returned

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from ..models import Dossier


def note_received(dossier: Dossier, item: WorkItem, user: User) -> None:
    """Fill in who received the dossier at this agency, on the open leg of its route."""
    if item.agency_id is None:
        return
    leg = dossier.handovers.filter(to_agency_id=item.agency_id, received_by__isnull=True).last()
    if leg is not None:
        leg.received_by = user
        leg.received_at = timezone.now()
        leg.save(update_fields=["received_by", "received_at"])


@transaction.atomic
def claim_work_item(item: WorkItem, user: User) -> WorkItem:
    """The official takes the step: it leaves the shared queue for their own list."""
    dossier, item = locked_item(item)
    if worklist.claim(item, user):
        note_received(dossier, item, user)
        audit.record(dossier, Action.CLAIMED, actor=user, agency=item.agency, from_status=dossier.status,
                     work_item=item)
    return item


@transaction.atomic
def unclaim_work_item(item: WorkItem, user: User) -> WorkItem:
    """The official gives the step back to the shared queue."""
    dossier, item = locked_item(item)
    worklist.unclaim(item, user)
    audit.record(dossier, Action.UNCLAIMED, actor=user, agency=item.agency, from_status=dossier.status,
                 work_item=item)
    return item


@transaction.atomic
def complete_work_item(item: WorkItem, user: User, *, decision: str, data: dict | None = None,
                       comment: str = "") -> Dossier:
    """An official completes a step: the desk's reception or return, or a step of the process."""
    dossier, item = locked_item(item, with_process=item.kind in (WorkItem.Kind.TASK, WorkItem.Kind.RECEPTION))
    worklist.check_can_act(item, user)
    clean = clean_submission(item.form, decision, data or {}, comment)
    from_status = dossier.status
    if item.kind == WorkItem.Kind.RECEPTION:
        receive(dossier, item, user, decision, clean, comment)
    elif item.kind == WorkItem.Kind.RETURN:
        mark_returned(dossier)
    elif item.kind == WorkItem.Kind.TASK:
        advance(dossier, {"call": COMPLETE_TASK, "task_id": item.task_id, "data": clean}, user,
                from_agency=item.agency, result=decision, element=(item.task_spec_id, item.name))
    else:
        raise Conflict(_("This step is done by the applicant."))
    note_received(dossier, item, user)
    worklist.close(item, user, decision=decision, comment=comment, data=clean)
    audit.record(dossier, Action.completed(item.kind), actor=user, agency=item.agency, from_status=from_status,
                 work_item=item, comment=comment, data={"step": item.name, "decision": decision, **clean})
    return dossier


@transaction.atomic
def comment_on(item: WorkItem, user: User, text: str) -> Dossier:
    """An official writes a note on the dossier at this step; it stays in the audit trail."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write the comment first."), errors={"comment": [_("This field is required.")]})
    dossier, item = locked_item(item)
    audit.record(dossier, Action.COMMENTED, actor=user, agency=item.agency, from_status=dossier.status,
                 work_item=item, comment=text[:4000], data={"step": item.name})
    return dossier


@transaction.atomic
def reassign_work_item(item: WorkItem, leader: User, official: User) -> WorkItem:
    """A leader gives an open or claimed step to another official of the same agency and role."""
    dossier, item = locked_item(item)
    previous = item.claimed_by
    worklist.reassign(item, leader, official)
    audit.record(dossier, Action.REASSIGNED, actor=leader, agency=item.agency, from_status=dossier.status,
                 work_item=item, data={"step": item.name, "from": previous.get_username() if previous else "",
                                       "to": official.get_username()})
    return item
