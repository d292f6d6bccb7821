"""Extending a dossier's appointment date once, with an apology letter (form 04 of Circular 03/2025).

Rules (Decree 61/2018 art. 19, as amended): an official of one of the dossier's agencies asks, with a
reason and the new date, at the latest one working day before the current appointment date, at most
once per dossier. The letter is kept on the dossier as a PDF attachment the applicant can download.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict, InvalidInput, NotAllowed
from onestop.deadlines import working_days
from onestop.deadlines.models import Extension
from onestop.documents.forms_pdf import form_04
from onestop.organisation import access
from onestop.worklist.models import WorkItem

from .. import audit, selectors
from ..attachments import add_attachment
from ..models import Action, Attachment, can_extend
from .locking import lock_dossier

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from onestop.organisation.models import Agency

    from ..models import Dossier


def official_agency(dossier: Dossier, user: User) -> Agency | None:
    """The agency, among those that received or process the dossier, in which ``user`` is an official."""
    agencies = {dossier.receiving_agency_id, *dossier.work_items.exclude(agency__isnull=True)
                .values_list("agency_id", flat=True)}
    return access.first_agency_among(user, agencies)


def check_extender(user: User, code: str) -> Dossier:
    """The dossier ``code`` if ``user`` may extend it: ``NotFound`` when they may not see it, ``NotAllowed``
    when they are not an official of one of its agencies (checked before the request's body is)."""
    dossier = selectors.dossier_for(user, code)
    if official_agency(dossier, user) is None:
        raise NotAllowed(_("Only an official of an agency handling this dossier can extend its appointment date."))
    return dossier


@transaction.atomic
def extend(user: User, code: str, *, reason: str, new_date: date, today: date | None = None) -> Extension:
    """Move the appointment date of dossier ``code`` to ``new_date``; returns the ``Extension``."""
    dossier = lock_dossier(check_extender(user, code).pk)
    agency = official_agency(dossier, user)
    if not can_extend(dossier):
        raise Conflict(_("Only a dossier in processing can have its appointment date extended."))
    if Extension.objects.filter(dossier=dossier).exists():
        raise Conflict(_("This dossier's appointment date has already been extended once."))
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("Give the reason for the delay: the apology letter quotes it.")]
    today = today or timezone.localdate()
    previous = dossier.appointment_date
    if today > working_days.previous_working_day(previous):
        raise Conflict(_("An extension must be asked at least one working day before the appointment date "
                         "(%(date)s).") % {"date": previous.strftime("%d/%m/%Y")})
    if new_date <= previous:
        errors["new_date"] = [_("The new date must come after the current appointment date (%(date)s).")
                              % {"date": previous.strftime("%d/%m/%Y")}]
    elif not working_days.is_working_day(new_date):
        errors["new_date"] = [_("The new date must be a working day.")]
    if errors:
        raise InvalidInput(_("The extension cannot be recorded."), errors=errors)

    extension = Extension.objects.create(dossier=dossier, requested_by=user, agency=agency, reason=reason,
                                         previous_date=previous, new_date=new_date)
    dossier.appointment_date = new_date
    dossier.save(update_fields=["appointment_date", "updated_at"])
    # Steps due by the appointment date keep being due by it; steps with their own budget keep theirs.
    dossier.work_items.filter(state__in=WorkItem.ACTIVE_STATES, due_date=previous, due_at__isnull=True).update(
        due_date=new_date)
    letter = ContentFile(form_04(dossier, reason=reason, new_date=new_date, official=user, previous_date=previous,
                                 agency=agency), name=f"{dossier.code}-04.pdf")
    attachment = add_attachment(dossier, letter, user=user, kind=Attachment.Kind.OTHER, agency=agency)
    extension.letter = attachment
    extension.save(update_fields=["letter"])
    audit.record(dossier, Action.EXTENDED, actor=user, agency=agency, from_status=dossier.status, comment=reason,
                 data={"from": previous.isoformat(), "to": new_date.isoformat(), "extension": extension.pk,
                       "letter": str(attachment.key)})
    return extension
