"""Dossiers submitted on the National Public Service Portal for one of our agencies: pulled by a beat task,
taken into the receiving agency's desk queue through the lifecycle's submission (a code of ours, a reception
step, the audit trail, a message back to the portal), then acknowledged to the portal.

The applicant is matched by citizen ID number (CCCD), which the portal verifies through VNeID: an existing
profile with that number is used as it is; otherwise an account is created (username ``dvcqg-<ID number>``,
no password: the citizen follows the dossier on the portal, or sets a password by the site's reset) with the
name, phone, email and address the portal sent.
"""
import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from onestop.core.exceptions import InvalidInput, NotAllowed
from onestop.dossiers.lifecycle import submit
from onestop.organisation.models import Agency, Citizen

from . import protocol
from .models import PortalSubmission
from .services import active_link

log = logging.getLogger(__name__)


def _field(record: dict, name: str, default=""):
    return record.get(protocol.protocol()["submission_fields"][name], default)


def applicant_for(record: dict):
    """The user of the citizen with the record's ID number; a new account when there is none. (user, created)"""
    id_number = str(_field(record, "applicant_id")).strip()
    citizen = Citizen.objects.select_related("user").filter(id_number=id_number).first()
    if citizen is not None:
        return citizen.user, False
    user = get_user_model().objects.create_user(username=f"dvcqg-{id_number}", password=None,
                                                email=str(_field(record, "email"))[:254])
    Citizen.objects.create(user=user, id_number=id_number, full_name=str(_field(record, "applicant_name"))[:200],
                           phone=str(_field(record, "phone"))[:20], address=str(_field(record, "address"))[:300])
    return user, True


def take_in(record: dict) -> PortalSubmission:
    """One portal submission into our desk's queue, once per portal code (a second pull changes nothing)."""
    portal_code = str(_field(record, "portal_code")).strip()
    existing = PortalSubmission.objects.filter(portal_code=portal_code).first()
    if existing is not None:
        return existing
    id_number = str(_field(record, "applicant_id")).strip()
    agency = Agency.objects.filter(national_id=str(_field(record, "agency_code")), is_active=True).first()
    error = ""
    if not portal_code:
        raise ValueError("a portal record without its code")
    if len(id_number) != 12 or not id_number.isdigit():
        error = _("The applicant's ID number must be 12 digits.")
    elif agency is None:
        error = _("No agency of ours has this national code.")
    form = _field(record, "form", {})
    with transaction.atomic():
        dossier, created = None, False
        if not error:
            try:
                with transaction.atomic():
                    user, created = applicant_for(record)
                    dossier = submit(user, procedure_code=str(_field(record, "procedure_code")),
                                     agency_code=agency.code, form_data=form if isinstance(form, dict) else {})
            except (InvalidInput, NotAllowed) as exc:
                error = f"{exc.message} {exc.errors}" if exc.errors else str(exc.message)
                dossier, created = None, False
        return PortalSubmission.objects.create(portal_code=portal_code, dossier=dossier, citizen_created=created,
                                               payload=record, error=error)


def _acknowledge(link, submissions: list[PortalSubmission]) -> None:
    names = protocol.protocol()["ack_fields"]
    data = [{names["portal_code"]: s.portal_code, names["code"]: s.dossier.code if s.dossier else "",
             names["accepted"]: "True" if s.dossier else "False", names["reason"]: s.error} for s in submissions]
    answer = protocol.post(link, protocol.envelope("acknowledge_submission", agency_code="", data=data))
    if answer.ok:
        PortalSubmission.objects.filter(pk__in=[s.pk for s in submissions]).update(acknowledged=True)
    else:
        log.warning("The portal did not take the acknowledgement of %d dossiers: %s", len(data), answer.error)


def pull() -> int:
    """Ask the portal for dossiers submitted to our agencies and take them in. Returns how many are new."""
    link = active_link()
    if link is None or not link.pull_submissions:
        return 0
    codes = list(Agency.objects.filter(is_active=True, national_id__isnull=False)
                 .values_list("national_id", flat=True))
    names = protocol.protocol()["envelope"]
    answer = protocol.post(link, protocol.envelope("list_submissions", agency_code="",
                                                        **{names["agencies"]: codes}))
    if not answer.ok:
        log.warning("Pulling the portal's submissions failed: %s", answer.error)
        return 0
    records = (answer.body or {}).get(names["result"]) or []
    new, taken = 0, []
    for record in records:
        if not isinstance(record, dict):
            continue
        try:
            before = PortalSubmission.objects.filter(portal_code=str(_field(record, "portal_code"))).exists()
            submission = take_in(record)
        except Exception:
            log.exception("A dossier from the portal could not be taken in")
            continue
        new += not before
        if not submission.acknowledged:
            taken.append(submission)
    if taken:
        _acknowledge(link, taken)
    return new
