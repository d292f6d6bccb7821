"""The one door to change a dossier: take its row lock first, then read what the change needs.

Every use case of the lifecycle (and every app above it that changes a dossier) locks it through
``lock_dossier``; two changes of one dossier then run one after the other, never interleaved.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from onestop.core import refcache
from onestop.core.exceptions import NotFound
from onestop.engine.models import ProcessInstance
from onestop.organisation import access
from onestop.worklist.models import WorkItem
from procedures.models import ProcedureVersion

from ..models import Dossier, Handover

if TYPE_CHECKING:
    from django.contrib.auth.models import User

VERSIONS = "lifecycle-versions"
refcache.invalidate_on(ProcedureVersion, VERSIONS)


def lock_dossier(dossier_id: int, *, with_process: bool = False, skip_locked: bool = False) -> Dossier | None:
    """The dossier, row-locked, with what every change reads: its procedure and its receiving agency up to
    the city (routing walks that line: ``Agency.lineage``); neither changes while dossiers run.

    ``with_process`` then reads its workflow state and version, in a query of its own *after* the lock:
    PostgreSQL re-reads only the locked row when a lock wait ends, so a joined process would be the one
    from before the wait (two exchanges resuming one dossier would lose one). The BPMN text is read only
    if the engine has not parsed that version yet.

    ``skip_locked`` answers None instead of waiting when another transaction holds the dossier (beat's
    timers leave a dossier an official is changing for their next run).
    """
    locked = Dossier.objects.select_for_update(of=("self",), skip_locked=skip_locked)
    locked = locked.select_related("procedure", "receiving_agency__parent__parent")
    # The procedure's documents and form schema (JSON, often kilobytes) are read only where used.
    dossier = locked.defer("procedure__documents", "procedure__form_schema").filter(pk=dossier_id).first()
    if dossier is None:
        if skip_locked:
            return None
        raise Dossier.DoesNotExist
    dossier.row_locked = True  # what follows the change in its transaction need not lock it again (the outbox)
    if with_process:
        _read_process(dossier)
    return dossier


def _read_process(dossier: Dossier) -> None:
    if dossier.process_id:
        dossier.process = (ProcessInstance.objects.select_related("version")
                           .defer("version__bpmn_xml", "version__report").get(pk=dossier.process_id))
    else:  # the process starts on this version: kept per process, like the other reference data a step reads
        kept = refcache.cache(VERSIONS).get(dossier.version_id, lambda: refcache.row(
            ProcedureVersion.objects.defer("bpmn_xml", "report").get(pk=dossier.version_id)))
        dossier.version = refcache.rebuild(kept)


# The steps whose completion runs the process (a task) or starts it (the reception).
PROCESS_KINDS = (WorkItem.Kind.TASK, WorkItem.Kind.RECEPTION)


def locked_item(item: WorkItem, *, with_process: bool = False) -> tuple[Dossier, WorkItem]:
    """The work item's dossier locked (see ``lock_dossier``), then the item itself, read again under the lock."""
    dossier = lock_dossier(item.dossier_id, with_process=with_process)
    locked = WorkItem.objects.select_for_update(of=("self",))
    item = locked.select_related("claimed_by", "agency").get(pk=item.pk)
    item.dossier = dossier  # the answer names the dossier and its procedure: no query to find them again
    return dossier, item


def queued_item(pk: int | str, user: User, *, with_process: bool = False) -> tuple[Dossier, WorkItem]:
    """The work item ``pk`` of ``user``'s queues and its dossier, both row-locked, in one statement: the queue
    check, the dossier with what every change reads (see ``lock_dossier``), the item's agency and holder, and
    the open leg of the dossier's route to the item's agency (``item.open_leg``, for ``note_received``).

    ``FOR UPDATE OF`` locks the dossier before the item (the order every other change takes them in), and a
    lock wait re-reads both rows. An item the user may not act on, or no item, is not found (404).
    """
    if not str(pk).isdigit():
        raise NotFound(_("No such step in your queues."))
    leg = (Handover.objects.filter(dossier_id=OuterRef("dossier_id"), to_agency_id=OuterRef("agency_id"),
                                   received_by__isnull=True).order_by("-id").values("id")[:1])
    rows = (WorkItem.objects.select_related("dossier__procedure", "dossier__receiving_agency__parent__parent",
                                            "agency", "claimed_by")
            .defer("dossier__procedure__documents", "dossier__procedure__form_schema")
            .annotate(may_act=access.may_act_on_row(user), open_leg=Subquery(leg))
            .select_for_update(of=("dossier", "self")))
    item = rows.filter(pk=int(pk)).order_by().first()
    if item is None or not item.may_act:
        raise NotFound(_("No such step in your queues."))
    dossier = item.dossier
    dossier.row_locked = True
    if item.claimed_by_id and getattr(item.claimed_by, "pk", None) != item.claimed_by_id:
        # Claimed while this request waited for the lock: the holder joined was read before the wait.
        item.claimed_by = type(user).objects.get(pk=item.claimed_by_id)
    if with_process and item.kind in PROCESS_KINDS:
        _read_process(dossier)
    return dossier, item


def applicants_dossier(user: User, code: str) -> Dossier:
    """The applicant's own dossier ``code``, locked; another person's is not found."""
    dossier = Dossier.objects.filter(code=code, applicant=user).values_list("pk", flat=True).first()
    if dossier is None:
        raise NotFound(_("No such dossier."))
    return lock_dossier(dossier)
