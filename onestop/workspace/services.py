"""Use cases of the desk that span more than one dossier service, each in one transaction."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from onestop.core.exceptions import InvalidInput
from onestop.dossiers import lifecycle as dossiers
from onestop.organisation.models import Citizen
from onestop.worklist.models import WorkItem

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import UploadedFile

    from onestop.dossiers.models import Dossier


def _new_citizen(id_number, full_name, phone="", address=""):
    """A citizen who has no account yet: a user who cannot log in until they set a password."""
    full_name = (full_name or "").strip()
    if not full_name:
        raise InvalidInput(_("Enter the applicant's full name."), errors={"full_name": [_("This field is required.")]})
    users = get_user_model()
    username, n = f"cccd-{id_number}", 1
    while users.objects.filter(username=username).exists():
        n += 1
        username = f"cccd-{id_number}-{n}"
    user = users(username=username, first_name=full_name[:150])
    user.set_unusable_password()
    user.save()
    return Citizen.objects.create(user=user, id_number=id_number, full_name=full_name, phone=(phone or "").strip(),
                                  address=(address or "").strip())


@transaction.atomic
def take_in_paper_dossier(official: User, *, id_number: str, procedure_code: str, agency_code: str,
                          form_data: dict, scan: UploadedFile | None, full_name: str = "", phone: str = "",
                          address: str = "") -> Dossier:
    """A paper dossier at the desk: the applicant found by ID number (or registered), the dossier submitted on
    their behalf with the scan and received at once. Nothing is kept when any part is refused."""
    citizen = Citizen.objects.select_related("user").filter(id_number=id_number).first()
    if citizen is None:
        citizen = _new_citizen(id_number, full_name, phone, address)
    return dossiers.receive_at_desk(official, citizen.user, procedure_code=procedure_code, agency_code=agency_code,
                                    form_data=form_data, scans=[scan] if scan else [])


@transaction.atomic
def decide_reception(item: WorkItem, official: User, *, decision: str, missing_documents: Iterable[str] = (),
                     note: str = "") -> Dossier:
    """The desk's outcome on a dossier waiting for reception; the item is claimed first when it is free."""
    if item.state == WorkItem.State.OPEN:
        dossiers.claim_work_item(item, official)
    data = {"missing_documents": list(missing_documents)} if decision == "supplement" else {}
    return dossiers.complete_work_item(item, official, decision=decision, data=data, comment=note)
