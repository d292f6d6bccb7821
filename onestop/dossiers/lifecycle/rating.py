"""The applicant's rating of the service, once, after the result has been handed over."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict, InvalidInput

from .. import audit
from ..models import Action, Rating, Status, can_rate
from .locking import applicants_dossier

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def rate(user: User, code: str, *, score: int | str, comment: str = "") -> Rating:
    """The applicant rates the service once, after the result has been handed over."""
    dossier = applicants_dossier(user, code)
    if dossier.status != Status.RETURNED:
        raise Conflict(_("You can rate the service once the result has been returned to you."))
    if not can_rate(dossier, rated=Rating.objects.filter(dossier=dossier).exists()):
        raise Conflict(_("This dossier has already been rated."))
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise InvalidInput(_("Choose a score from 1 to 5."), errors={"score": [_("Choose a score from 1 to 5.")]})
    rating = Rating.objects.create(dossier=dossier, score=score, comment=(comment or "").strip()[:2000])
    audit.record(dossier, Action.RATED, actor=user, from_status=dossier.status, data={"score": score},
                 comment=comment)
    return rating
