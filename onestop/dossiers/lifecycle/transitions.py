"""Moving a dossier to a new status, as ``TRANSITIONS`` (``dossiers.models``) allows."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict

from ..models import TRANSITIONS, Status

if TYPE_CHECKING:
    from ..models import Dossier


def move(dossier: Dossier, status: str) -> None:
    """Set the dossier's status, or refuse with a Conflict when the lifecycle does not lead there."""
    if status != dossier.status and status not in TRANSITIONS[dossier.status]:
        raise Conflict(
            _("A dossier that is “%(current)s” cannot become “%(new)s”.")
            % {"current": dossier.get_status_display(), "new": Status(status).label}
        )
    dossier.status = status
