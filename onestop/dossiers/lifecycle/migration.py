"""Moving running dossiers to a new version of their procedure (the admin's migration of a version)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict, InvalidInput
from onestop.engine import runtime
from procedures import services as procedures

from .. import audit
from ..models import FINAL_STATUSES, Action, Dossier
from .advance import MIGRATE, OnFailure, advance
from .locking import lock_dossier

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from procedures.models import ProcedureVersion


def _running_on(version):
    return Dossier.objects.filter(version=version).exclude(status__in=FINAL_STATUSES)


@transaction.atomic
def migrate_dossiers(from_version: ProcedureVersion, to_version: ProcedureVersion, user: User | None) -> list[str]:
    """Move every running dossier of ``from_version`` onto ``to_version``, all or none; returns their codes.

    Refused with the list of blocking dossiers and steps when any of them waits in a step the new
    version does not have.
    """
    if from_version.procedure_id != to_version.procedure_id:
        raise InvalidInput(_("Both versions must belong to the same procedure."))
    ids = list(_running_on(from_version).values_list("pk", flat=True))
    dossiers = [lock_dossier(pk) for pk in ids]
    blockers = [{"dossier": d.code, "steps": steps} for d in dossiers if d.process_id
                and (steps := runtime.migration_blockers(d.process, to_version))]
    if blockers:
        raise Conflict(_("Some running dossiers wait in steps the new version does not have."),
                       errors={"blockers": blockers})
    for dossier in dossiers:
        from_status = dossier.status
        dossier.version = to_version
        if dossier.process_id:
            advance(dossier, {"call": MIGRATE}, user, on_failure=OnFailure.REFUSE)
        dossier.save()
        audit.record(dossier, Action.MIGRATED, actor=user, from_status=from_status,
                     data={"from_version": from_version.number, "to_version": to_version.number})
    return [d.code for d in dossiers]


@transaction.atomic
def migrate_version(from_version: ProcedureVersion, to_version: ProcedureVersion, user: User | None) -> list[str]:
    """The admin's migration: the running dossiers moved (``migrate_dossiers``) and the catalogue's history
    told, together."""
    moved = migrate_dossiers(from_version, to_version, user)
    procedures.record_migration(from_version, to_version, user, moved)
    return moved
