"""Moving a dossier to a new status, as ``TRANSITIONS`` (``dossiers.models``) allows, and writing what changed."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _

from onestop.core import updates
from onestop.core.exceptions import Conflict

from ..models import TRANSITIONS, Dossier, Status


def move(dossier: Dossier, status: str) -> None:
    """Set the dossier's status, or refuse with a Conflict when the lifecycle does not lead there."""
    if status != dossier.status and status not in TRANSITIONS[dossier.status]:
        raise Conflict(
            _("A dossier that is “%(current)s” cannot become “%(new)s”.")
            % {"current": dossier.get_status_display(), "new": Status(status).label}
        )
    dossier.status = status


_TRACKED = [f.attname for f in Dossier._meta.concrete_fields if not f.primary_key and f.attname != "updated_at"]
# JSON values are compared by identity: a change assigns a new value (none is changed in place).
_JSON = {f.attname for f in Dossier._meta.concrete_fields if isinstance(f, models.JSONField)}


def remember(dossier: Dossier) -> None:
    """Keep the dossier's values as read (under its lock), so that ``save`` writes only what changed since."""
    deferred = dossier.get_deferred_fields()
    dossier.read_values = {name: getattr(dossier, name) for name in _TRACKED if name not in deferred}


def save(dossier: Dossier) -> None:
    """Write the fields changed since ``remember`` (all of them for a dossier not read so), and ``updated_at``
    with them; nothing when nothing changed (a step that leaves the dossier as it was: its row stays locked)."""
    read = getattr(dossier, "read_values", None)
    if read is None:
        dossier.save()
        return
    deferred = dossier.get_deferred_fields()
    changed = [name for name in _TRACKED if name not in deferred and (
        name not in read or (getattr(dossier, name) is not read[name] if name in _JSON
                             else getattr(dossier, name) != read[name]))]
    if changed:
        fields = [*changed, "updated_at"]
        if dossier.keep_original_appointment_date() and "original_appointment_date" not in fields:
            fields.append("original_appointment_date")
        updates.save_columns(dossier, fields)
        remember(dossier)
