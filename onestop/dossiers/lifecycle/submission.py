"""Submission: a citizen's dossier gets its code and waits at the desk of the agency chosen."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core import inserts, refcache
from onestop.core.exceptions import InvalidInput, NotAllowed
from onestop.deadlines.working_days import received_at
from onestop.organisation.models import Agency, Citizen, same_tier
from procedures.models import Procedure, ProcedureVersion
from procedures.selectors import published_version
from procedures.services import ensure_routable

from .. import audit
from ..codes import issue_code
from ..forms import form_errors
from ..models import Action, Channel, Dossier, Handover, Status
from .reception import open_reception

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# What every submission reads before it writes (the procedure with its published version, the agency, whether
# the user is a citizen) is kept per process (``core.refcache``): emptied here when one of these rows is saved,
# elsewhere within ONESTOP_REFCACHE_SECONDS. Codes that find nothing are not kept.
REFS, CITIZENS = "submission-refs", "citizens"
for _model in (Procedure, ProcedureVersion, Agency):
    refcache.invalidate_on(_model, REFS)
refcache.invalidate_on(Citizen, CITIZENS)


def _procedure(code: str) -> tuple[Procedure, ProcedureVersion | None] | None:
    """The active procedure ``code`` and the version new dossiers start on (``None`` if none is published)."""
    def load():
        procedure = Procedure.objects.filter(code=code, is_active=True).first()
        return procedure and (refcache.row(procedure), refcache.row(published_version(procedure)))

    kept = refcache.cache(REFS).get(("procedure", code), load, keep_none=False)
    return kept and (refcache.rebuild(kept[0]), refcache.rebuild(kept[1]))


def _agency(code: str) -> Agency | None:
    kept = refcache.cache(REFS).get(
        ("agency", code), lambda: refcache.row(Agency.objects.filter(code=code, is_active=True).first()),
        keep_none=False)
    return refcache.rebuild(kept)


def _is_citizen(user: User) -> bool:
    return refcache.cache(CITIZENS).get(user.pk, lambda: Citizen.objects.filter(user_id=user.pk).exists())


@transaction.atomic
def submit(user: User, *, procedure_code: str, agency_code: str, form_data: dict,
           official: User | None = None) -> Dossier:
    """A citizen submits a dossier online: it gets its code and waits at the desk of ``agency_code``.

    With ``official``, a desk official takes in a paper dossier on behalf of ``user`` (channel DESK):
    the audit trail names the official as the actor. One transaction, its checks' reads included.
    """
    if not _is_citizen(user):
        raise NotAllowed(_("Only citizens with a profile can submit dossiers."))
    found = _procedure(procedure_code)
    if found is None:
        raise InvalidInput(_("Unknown procedure."), errors={"procedure": [_("No procedure has this code.")]})
    procedure, version = found
    if version is None:
        raise InvalidInput(_("This procedure is not open for submissions."),
                           errors={"procedure": [_("The procedure has no published version.")]})
    agency = _agency(agency_code)
    if agency is None:
        raise InvalidInput(_("Unknown agency."), errors={"agency": [_("No agency has this code.")]})
    if not same_tier(agency.level, procedure.receiving_level):
        raise InvalidInput(
            _("This procedure is not received by this agency."),
            errors={"agency": [_("Submit it to an agency of level “%(level)s”.")
                               % {"level": procedure.get_receiving_level_display()}]},
        )
    ensure_routable(version, agency)  # every lane resolves from this agency, or a 400 names the missing level
    errors = form_errors(procedure.form_schema, form_data)
    if errors:
        raise InvalidInput(_("The form has errors."), errors={"form_data": errors})

    now = timezone.now()
    today = timezone.localdate(now)
    # The code carries the day of receipt (Circular 01/2018/TT-VPCP art. 19, kept by Circular 03/2025): an
    # online dossier sent outside office hours (a Sunday, an evening) is received at the next opening.
    receipt_day = today if official is not None else timezone.localdate(received_at(now, agency))
    dossier = Dossier(
        procedure=procedure, version=version, applicant=user,
        receiving_agency=agency, form_data=form_data, status=Status.SUBMITTED, submitted_at=now,
        channel=Channel.ONLINE if official is None else Channel.DESK,
    )
    handover = Handover(dossier=dossier, to_agency=agency, given_by=official or user,
                        result=_("Submitted online") if official is None else _("Submitted at the desk"))
    # The code last: its daily number's row stays locked until the commit, so the time between is kept short.
    dossier.code = issue_code(agency, receipt_day)
    item = open_reception(dossier, today, save=False)
    event = audit.event(dossier, Action.SUBMITTED, actor=official or user, agency=agency, work_item=item,
                       data={"on_behalf_of": user.get_username(), "channel": Channel.DESK} if official else None)
    # The four rows in one statement (``core.inserts``): the dossier's id and the item's are taken inside it.
    inserts.insert_rows(dossier, handover, item, event)
    return dossier
