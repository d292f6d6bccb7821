"""Withdrawal: the applicant takes the dossier back before a result is ready; its open steps are cancelled."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict
from onestop.worklist import services as worklist

from .. import audit
from ..models import Action, Status, can_withdraw
from .locking import applicants_dossier
from .transitions import move

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from ..models import Dossier


@transaction.atomic
def withdraw(user: User, code: str, *, reason: str = "") -> Dossier:
    """The applicant withdraws dossier ``code`` (with an optional reason); cannot be undone."""
    dossier = applicants_dossier(user, code)
    if not can_withdraw(dossier):
        raise Conflict(_("A dossier that is “%(status)s” can no longer be withdrawn.")
                       % {"status": dossier.get_status_display()})
    from_status = dossier.status
    move(dossier, Status.WITHDRAWN)
    dossier.closed_at = timezone.now()
    dossier.save()
    worklist.cancel_open_items(dossier)
    audit.record(dossier, Action.WITHDRAWN, actor=user, from_status=from_status, comment=reason)
    return dossier
