"""Reads of dossiers shared by the API and the pages: who may see which, and what they see."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Exists, JSONField, OuterRef, Q, QuerySet, Subquery, Value

from onestop.core.exceptions import NotFound
from onestop.organisation import access
from onestop.worklist.models import WorkItem

from .models import Dossier, Incident, Status

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from onestop.interop.models import Exchange
    from onestop.organisation.models import Agency

    from .models import DossierEvent, Handover


def dossiers_for(user: User) -> QuerySet[Dossier]:
    """A citizen sees their own dossiers; an official those received by or routed to their agencies."""
    qs = Dossier.objects.select_related("procedure", "receiving_agency")
    if user.is_superuser:
        return qs
    agencies = access.agency_ids_of(user)
    routed = WorkItem.objects.filter(dossier=OuterRef("pk"), agency_id__in=agencies)
    return qs.filter(Q(applicant=user) | Q(receiving_agency_id__in=agencies) | Exists(routed))


def dossier_for(user: User, code: str) -> Dossier:
    dossier = dossiers_for(user).filter(code=code).first()
    if dossier is None:
        raise NotFound("No such dossier.")
    return dossier


def open_steps(dossier: Dossier) -> QuerySet[WorkItem]:
    return dossier.work_items.filter(state__in=WorkItem.ACTIVE_STATES).select_related("agency", "claimed_by")


def current_agencies(steps: Iterable[WorkItem]) -> list[Agency]:
    """The agencies whose queues hold the dossier now, from its ``open_steps``."""
    seen, agencies = set(), []
    for item in steps:
        if item.agency_id and item.agency_id not in seen:
            seen.add(item.agency_id)
            agencies.append(item.agency)
    return agencies


def timeline(dossier: Dossier) -> QuerySet[DossierEvent]:
    return dossier.events.select_related("actor", "agency", "work_item").order_by("at", "id")


def sees_as_applicant(user: User | None, dossier: Dossier) -> bool:
    """Whether ``user`` reads ``dossier`` as its applicant: the case file's public fields only, and of the
    exchanges what concerns the applicant (``interop.privacy``). Officials of the agencies that hold or held
    it, and admins, read everything. Anyone unknown (no request) reads as the applicant: the safe side."""
    if user is None or not user.is_authenticated:
        return True
    return dossier.applicant_id == user.pk and not user.is_superuser


def refusal(dossier: Dossier) -> DossierEvent | None:
    """The audit event that refused the dossier (the desk's or a step's decision, or a timer), or None.

    Its comment is the reason: a decision that can refuse needs one (``worklist.forms.needs_reason``)."""
    if dossier.status != Status.REFUSED:
        return None
    return (dossier.events.filter(to_status=Status.REFUSED).select_related("agency", "work_item")
            .order_by("at", "id").first())


def stopping(dossier: Dossier) -> DossierEvent | None:
    """The audit event that stopped the dossier (an incident no one could resolve otherwise), or None.
    Its comment is the reason the applicant reads; stopping requires one."""
    if dossier.status != Status.STOPPED:
        return None
    return (dossier.events.filter(to_status=Status.STOPPED).select_related("agency", "actor")
            .order_by("at", "id").first())


def route(dossier: Dossier) -> QuerySet[Handover]:
    return dossier.handovers.select_related("from_agency", "to_agency", "given_by", "received_by")


def decision_names(dossier: Dossier) -> dict[str, str]:
    """``{option id: name}`` over the forms of the dossier's completed steps: a hand-over's ``result`` is the
    decision that sent the dossier on (``forward``), shown by the name its step's form gives it."""
    forms = dossier.work_items.filter(state=WorkItem.State.COMPLETED).values_list("form", flat=True)
    return {option["id"]: option["name"] for form in forms for field in form or []
            if isinstance(field, dict) and field.get("type") == "enum" for option in field.get("options") or []
            if isinstance(option, dict) and "id" in option and "name" in option}


def incidents_for(user: User) -> QuerySet[Incident]:
    """Admins see every incident; officials those of dossiers of their agencies; citizens none."""
    qs = Incident.objects.select_related("dossier", "exchange", "resolved_by")
    if user.is_superuser or user.is_staff:
        return qs
    if not access.is_official(user):
        return qs.none()
    return qs.filter(dossier__in=dossiers_for(user))


def data_lookups_for(user: User) -> QuerySet[Exchange]:
    """Estonia's data tracker: the exchanges that read this citizen's data (the personal-data read log says
    whose, ``interop.privacy``), or served their dossiers. ``fields_about_me``: the fields of the citizen's own
    record an exchange read (null when it read none)."""
    from onestop.interop.models import Exchange, PersonalDataRead

    citizen = getattr(user, "citizen", None)
    q = Q(dossier__applicant=user)
    qs = Exchange.objects.all()
    if citizen is not None:
        mine = PersonalDataRead.objects.filter(exchange=OuterRef("pk"), subject_id_number=citizen.id_number)
        q |= Q(Exists(mine))
        qs = qs.annotate(fields_about_me=Subquery(mine.order_by("-read_at", "-id").values("fields")[:1]))
    else:
        qs = qs.annotate(fields_about_me=Value(None, output_field=JSONField()))
    return (qs.filter(q).exclude(peer__isnull=True)
            .select_related("dossier", "peer", "acting_user").order_by("-created_at"))
