"""Writes on work items: opening them from the process, claiming, releasing, closing.

Every function here runs inside the caller's transaction, under the dossier's row lock.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core import inserts, updates
from onestop.core.exceptions import Conflict, InvalidInput, NotAllowed
from onestop.deadlines import services as deadlines
from onestop.organisation import access, routing
from onestop.organisation.models import OfficialRole

from .forms import decision_field
from .models import WorkItem

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from onestop.dossiers.models import Dossier
    from onestop.engine.runtime import HumanTask, Snapshot
    from onestop.organisation.models import Agency

DEFAULT_ROLE = OfficialRole.SPECIALIST


def open_item(dossier: Dossier, *, kind: str, agency: Agency | None, role: str, name: str, due_date: date | None = None,
              form: Iterable[dict] = (), task: HumanTask | None = None, due_at: datetime | None = None,
              save: bool = True) -> WorkItem:
    """A new item of the dossier; with ``save=False`` not written yet (``core.inserts`` writes several at once)."""
    item = WorkItem(
        dossier=dossier,
        dossier_code=dossier.code,
        procedure_code=dossier.procedure.code,
        kind=kind,
        agency=agency,
        role=role,
        name=name,
        due_date=due_date,
        due_at=due_at,
        form=list(form),
        task_id=task.id if task else "",
        task_spec_id=task.spec_id if task else "",
        lane=(task.lane or "") if task else "",
    )
    if save:
        item.save()
    return item


# What the sync with the process and the hand-overs read of a dossier's active items, in the model's order
# (``Model.from_db`` takes a subset of the fields in that order).
ACTIVE_FIELDS = tuple(f.attname for f in WorkItem._meta.concrete_fields
                      if f.attname in {"id", "kind", "state", "task_id", "agency_id"})


def active_items(dossier: Dossier) -> list[WorkItem]:
    """The dossier's open and claimed items, of every kind, with ``ACTIVE_FIELDS`` only: as the lifecycle read
    them with the process after the dossier's lock (``dossier.active_rows``, used once), else in a query."""
    rows = dossier.__dict__.pop("active_rows", None)
    if rows is not None:
        return [WorkItem.from_db("default", ACTIVE_FIELDS, [row[name] for name in ACTIVE_FIELDS]) for row in rows]
    return list(dossier.work_items.filter(state__in=WorkItem.ACTIVE_STATES).order_by("id").only(*ACTIVE_FIELDS))


def sync_with_process(dossier: Dossier, snapshot: Snapshot, *, due_date: date | None,
                      active: list[WorkItem] | None = None, closing: WorkItem | None = None) -> list[WorkItem]:
    """Make the dossier's open process items match the READY human tasks of ``snapshot``.

    New READY tasks become items in the queue of the agency their lane resolves to; items whose
    task is no longer READY (cancelled by the process) are cancelled, in one update. ``active`` is the
    dossier's active items when the caller read them (``active_items``); ``closing`` is the item being
    completed, which the caller closes itself. Returns the new items.
    """
    if active is None:
        active = active_items(dossier)
    process_kinds = (WorkItem.Kind.TASK, WorkItem.Kind.APPLICANT)
    active = {item.task_id: item for item in active if item.kind in process_kinds and item.is_active}
    ready_ids = {task.id for task in snapshot.ready}
    gone = [item for task_id, item in active.items()
            if task_id not in ready_ids and (closing is None or item.pk != closing.pk)]
    for item in gone:
        item.state = WorkItem.State.CANCELLED
    if gone:
        WorkItem.objects.filter(pk__in=[item.pk for item in gone]).update(state=WorkItem.State.CANCELLED)
    created = []
    now = timezone.now()
    for task in snapshot.ready:
        if task.id in active:
            continue
        role_code = routing.role_code_of_lane(task.lane)
        if role_code == routing.APPLICANT:
            kind, agency, role = WorkItem.Kind.APPLICANT, None, ""
        else:
            kind = WorkItem.Kind.TASK
            agency = routing.resolve_agency(role_code, dossier.receiving_agency)
            role = task.groups[0] if task.groups else DEFAULT_ROLE
            if role not in OfficialRole.values:
                raise routing.RoutingError(
                    _("Step “%(step)s” names an unknown official role “%(role)s”.") % {"step": task.name, "role": role}
                )
        # A step with its own time budget (from the BPMN) is due by it; any other by the appointment date.
        due = deadlines.step_due(task.budget, now, agency or dossier.receiving_agency)
        created.append(
            open_item(dossier, kind=kind, agency=agency, role=role, name=task.name,
                      due_date=due.date if due else due_date, due_at=due.at if due else None,
                      form=task.form, task=task, save=False)
        )
    if created:
        inserts.insert_rows(*created)
    return created


def asks_applicant(snapshot: Snapshot) -> bool:
    """Whether the process now waits for the applicant: ``sync_with_process`` keeps exactly one active
    item per READY task, so the snapshot says it without reading the items again."""
    return any(routing.role_code_of_lane(task.lane) == routing.APPLICANT for task in snapshot.ready)


def check_can_act(item: WorkItem, user: User) -> None:
    """Refuse acting on an item someone else holds (403) or that is already closed (409)."""
    if not item.is_active:
        raise Conflict(_("This step is already %(state)s.") % {"state": item.get_state_display().lower()})
    if item.claimed_by_id and item.claimed_by_id != user.pk:
        raise NotAllowed(_("This step is held by %(name)s.") % {"name": item.claimed_by.get_full_name()
                                                               or item.claimed_by.get_username()})


def claim(item: WorkItem, user: User, *, save: bool = True) -> bool:
    """``user`` takes the item; ``save=False`` leaves the write to the caller (a completion writes it once)."""
    check_can_act(item, user)
    if item.claimed_by_id == user.pk:
        return False
    item.state = WorkItem.State.CLAIMED
    item.claimed_by = user
    item.claimed_at = timezone.now()
    if save:
        item.save(update_fields=["state", "claimed_by", "claimed_at"])
    return True


def unclaim(item: WorkItem, user: User) -> None:
    if not item.is_active:
        raise Conflict(_("This step is already %(state)s.") % {"state": item.get_state_display().lower()})
    if item.claimed_by_id != user.pk:
        raise NotAllowed(_("Only the official who holds this step can release it."))
    item.state = WorkItem.State.OPEN
    item.claimed_by = None
    item.claimed_at = None
    item.save(update_fields=["state", "claimed_by", "claimed_at"])


def close(item: WorkItem, user: User, *, decision: str = "", comment: str = "", data: dict | None = None) -> None:
    """Complete the item; ``data`` is the step's checked form data, kept with it (the decision apart)."""
    chosen = decision_field(item.form)
    item.data = {key: value for key, value in (data or {}).items() if not chosen or key != chosen["id"]}
    item.state = WorkItem.State.COMPLETED
    if item.claimed_by_id is None:
        item.claimed_by = user
        item.claimed_at = timezone.now()
    item.completed_by = user
    item.completed_at = timezone.now()
    item.decision = decision or ""
    item.comment = comment or ""
    deadlines.classify_item(item)
    updates.save_columns(item, CLOSED_FIELDS)


# What closing writes (the step's form and the rest, often kilobytes, stay as they are).
CLOSED_FIELDS = ["data", "state", "claimed_by", "claimed_at", "completed_by", "completed_at", "decision", "comment",
                 "timeliness"]


def cancel_open_items(dossier: Dossier) -> None:
    dossier.work_items.filter(state__in=WorkItem.ACTIVE_STATES).update(state=WorkItem.State.CANCELLED)


def reassign(item: WorkItem, leader: User, official: User) -> None:
    """A leader of the item's agency hands it to ``official``, who must hold the item's role there."""
    if not access.is_leader_of(leader, item.agency_id):
        raise NotAllowed(_("Only a leader of this agency can reassign its work."))
    if not item.is_active:
        raise Conflict(_("This step is already %(state)s.") % {"state": item.get_state_display().lower()})
    if not access.may_act_on(item, official):
        raise InvalidInput(_("This official cannot do this step."),
                           errors={"official": [_("Choose an official of this agency who holds the step's role.")]})
    item.state = WorkItem.State.CLAIMED
    item.claimed_by = official
    item.claimed_at = timezone.now()
    item.save(update_fields=["state", "claimed_by", "claimed_at"])
