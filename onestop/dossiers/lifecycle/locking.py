"""The one door to change a dossier: take its row lock first, then read what the change needs.

Every use case of the lifecycle (and every app above it that changes a dossier) locks it through
``lock_dossier``; two changes of one dossier then run one after the other, never interleaved.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from onestop.core.exceptions import NotFound
from onestop.engine.models import ProcessInstance
from onestop.worklist.models import WorkItem
from procedures.models import ProcedureVersion

from ..models import Dossier

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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
    if with_process:
        versions = ProcedureVersion.objects.defer("bpmn_xml", "report")
        if dossier.process_id:
            dossier.process = (ProcessInstance.objects.select_related("version")
                               .defer("version__bpmn_xml", "version__report").get(pk=dossier.process_id))
        else:
            dossier.version = versions.get(pk=dossier.version_id)
    return dossier


def locked_item(item: WorkItem, *, with_process: bool = False) -> tuple[Dossier, WorkItem]:
    """The work item's dossier locked (see ``lock_dossier``), then the item itself, read again under the lock."""
    dossier = lock_dossier(item.dossier_id, with_process=with_process)
    locked = WorkItem.objects.select_for_update(of=("self",))
    item = locked.select_related("claimed_by", "agency").get(pk=item.pk)
    item.dossier = dossier  # the answer names the dossier and its procedure: no query to find them again
    return dossier, item


def applicants_dossier(user: User, code: str) -> Dossier:
    """The applicant's own dossier ``code``, locked; another person's is not found."""
    dossier = Dossier.objects.filter(code=code, applicant=user).values_list("pk", flat=True).first()
    if dossier is None:
        raise NotFound(_("No such dossier."))
    return lock_dossier(dossier)
