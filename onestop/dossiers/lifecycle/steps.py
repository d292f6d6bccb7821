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
from ..models import Action, Handover
from .advance import COMPLETE_TASK, advance
from .locking import PROCESS_KINDS, locked_item
from .reception import receive
from .returns import mark_returned

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from ..models import Dossier


def note_received(dossier: Dossier, item: WorkItem, user: User) -> None:
    """Fill in who received the dossier at this agency, on the open leg of its route (read with the item by
    ``queued_item``, else looked up here)."""
    if item.agency_id is None:
        return
    leg = getattr(item, "open_leg", _UNREAD)
    if leg is _UNREAD:
        leg = (dossier.handovers.filter(to_agency_id=item.agency_id, received_by__isnull=True)
               .order_by("-id").values_list("id", flat=True).first())
    item.open_leg = None  # noted once: a claim and then the completion write it once
    if leg is not None:
        Handover.objects.filter(pk=leg, received_by__isnull=True).update(received_by=user, received_at=timezone.now())


_UNREAD = object()


@transaction.atomic
def claim_work_item(item: WorkItem, user: User) -> WorkItem:
    """The official takes the step: it leaves the shared queue for their own list."""
    dossier, item = locked_item(item)
    claim_locked(dossier, item, user)
    return item


def claim_locked(dossier: Dossier, item: WorkItem, user: User) -> None:
    """``claim_work_item`` on a dossier and item already locked (``queued_item``)."""
    if worklist.claim(item, user):
        note_received(dossier, item, user)
        audit.record(dossier, Action.CLAIMED, actor=user, agency=item.agency, from_status=dossier.status,
                     work_item=item)


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
    """An official completes a step: the desk's reception or return, or a step of the process. A step still
    open is claimed by the same act (the caller checked that the official may act on it: their queue)."""
    dossier, item = locked_item(item, with_process=item.kind in PROCESS_KINDS)
    return complete_locked(dossier, item, user, decision=decision, data=data, comment=comment)


def complete_locked(dossier: Dossier, item: WorkItem, user: User, *, decision: str, data: dict | None = None,
                    comment: str = "") -> Dossier:
    """``complete_work_item`` on a dossier and item already locked, the process read (``queued_item``).

    The trail says who took the step (``claimed``, when it was open) and who completed it; the completion comes
    before what its advance recorded (a stopped clock, a timer, an incident) and carries the status it led to.
    Every event of the completion is written in one insert at its end.
    """
    worklist.check_can_act(item, user)
    clean = clean_submission(item.form, decision, data or {}, comment)
    from_status = dossier.status
    with audit.batch():
        if item.state == WorkItem.State.OPEN:  # claimed as it is completed: one write of the item, below
            worklist.claim(item, user, save=False)
            audit.record(dossier, Action.CLAIMED, actor=user, agency=item.agency, from_status=from_status,
                         work_item=item)
        completion = audit.reserve()
        if item.kind == WorkItem.Kind.RECEPTION:
            receive(dossier, item, user, decision, clean, comment)
        elif item.kind == WorkItem.Kind.RETURN:
            mark_returned(dossier)
        elif item.kind == WorkItem.Kind.TASK:
            advance(dossier, {"call": COMPLETE_TASK, "task_id": item.task_id, "data": clean}, user,
                    from_agency=item.agency, result=decision, element=(item.task_spec_id, item.name),
                    closing=item)
        else:
            raise Conflict(_("This step is done by the applicant."))
        note_received(dossier, item, user)
        worklist.close(item, user, decision=decision, comment=comment, data=clean)
        audit.fill(completion, audit.event(
            dossier, Action.completed(item.kind), actor=user, agency=item.agency, from_status=from_status,
            work_item=item, comment=comment, data={"step": item.name, "decision": decision, **clean}))
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
