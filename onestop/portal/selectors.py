"""Reads for the citizen portal: the catalogue, the applicant's dossiers and what is asked of them, lookup."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from onestop.core.text import bilingual, fold
from onestop.dossiers.models import Action, Attachment, Dossier, Rating, Status, can_rate, can_supplement
from onestop.interop.connectors import records_in_register
from onestop.organisation.models import COMMUNE_TIER, Agency
from onestop.worklist.models import WorkItem
from procedures.selectors import published_procedures, unroutable_agency_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from procedures.models import Procedure


def tier(level: str) -> list[str]:
    """The levels that receive what ``level`` receives (a ward and a commune are one tier)."""
    return sorted(COMMUNE_TIER) if level in COMMUNE_TIER else [level]


def catalogue(q: str = "", field: str = "", agency: Agency | None = None) -> QuerySet[Procedure]:
    """Published procedures matching a text (code or name, Vietnamese or English), a field and an agency.

    ``agency``: an ``Agency``; only procedures whose dossiers its desk receives are kept.
    """
    qs = published_procedures().order_by("name", "code")
    if q:
        # People often type Vietnamese without its marks ("dang ky khai sinh"): compare folded texts. The
        # published catalogue of a province is a few thousand short rows, read as three columns.
        words = fold(q).split()
        ids = [pk for pk, *texts in qs.values_list("pk", "code", "name", "name_en")
               if all(word in fold(" ".join(texts)) for word in words)]
        qs = qs.filter(pk__in=ids)
    if field:
        qs = qs.filter(field=field)
    if agency is not None:
        qs = qs.filter(receiving_level__in=tier(agency.level))
    return qs


def catalogue_fields(language: str = "vi") -> list[tuple[str, str]]:
    """``[(field, name)]`` of the published procedures' fields: the value the filter takes (Vietnamese) and its
    name in ``language`` (the English one a procedure gives, else the Vietnamese)."""
    names: dict[str, str] = {}
    for field, field_en in published_procedures().exclude(field="").order_by("field").values_list("field", "field_en"):
        if not names.get(field):
            names[field] = field_en if language == "en" and field_en else ("" if language == "en" else field)
    return [(field, name or field) for field, name in names.items()]


def desks() -> QuerySet[Agency]:
    """Agencies that receive dossiers, with their parent for a readable name ("Phường Bến Nghé, Quận 1")."""
    return Agency.objects.filter(is_active=True).select_related("parent").order_by("level", "name")


def receiving_agencies(procedure: Procedure) -> QuerySet[Agency]:
    """The desks that receive ``procedure``, without those its lanes cannot be routed from."""
    return desks().filter(level__in=tier(procedure.receiving_level)).exclude(pk__in=unroutable_agency_ids(procedure))


def procedure(code: str) -> Procedure | None:
    return published_procedures().filter(code=code).first()


def my_dossiers(user: User) -> QuerySet[Dossier]:
    return (Dossier.objects.filter(applicant=user).select_related("procedure", "receiving_agency")
            .annotate(rated=Exists(Rating.objects.filter(dossier=OuterRef("pk"))))
            .order_by("-submitted_at", "-id"))


def my_dossier(user: User, code: str) -> Dossier | None:
    """The applicant's own dossier, or None (anyone else gets the 404 page)."""
    return my_dossiers(user).filter(code=code).first()


def asked_of_me(dossier: Dossier) -> list[tuple[str, str]]:
    """What the applicant should do now: ``[(kind, text)]``; kinds: supplement, collect, rate."""
    rated = getattr(dossier, "rated", None)
    if rated is None:
        rated = Rating.objects.filter(dossier=dossier).exists()
    if can_supplement(dossier):
        return [("supplement", _("Add the documents asked for"))]
    if dossier.status == Status.RESULT_READY:
        return [("collect", _("Your result is ready: collect it at %(desk)s")
                 % {"desk": dossier.receiving_agency.name})]
    if can_rate(dossier, rated=rated):
        return [("rate", _("Rate the service"))]
    return []


def supplementation_request(dossier: Dossier) -> dict:
    """What was asked: the desk's list of missing documents, and the reason the asking step gave."""
    documents = list(dossier.missing_documents or [])
    reason = ""
    if dossier.status == Status.SUPPLEMENT_REQUESTED:
        asked = (dossier.work_items.filter(state=WorkItem.State.COMPLETED, decision="supplement")
                 .order_by("-completed_at", "-id").first())
        reason = asked.comment if asked else ""
    return {"documents": documents, "reason": reason}


def refusal(dossier: Dossier, language: str) -> dict | None:
    """Why the dossier was refused, for the box at the top of its page: reason, agency, step, when, and the desk
    where the written refusal waits to be collected (while it does); or None."""
    from onestop.dossiers.selectors import refusal as refusing_event

    event = refusing_event(dossier)
    if event is None:
        return None
    step = bilingual(event.work_item.name, language) if event.work_item_id else ""
    waiting = dossier.work_items.filter(kind=WorkItem.Kind.RETURN, state__in=WorkItem.ACTIVE_STATES).exists()
    return {"reason": event.comment, "agency": event.agency, "step": step, "at": event.at,
            "collect_at": dossier.receiving_agency if waiting else None}


def stop_notice(dossier: Dossier) -> dict | None:
    """Why the agency stopped processing the dossier, for the box at the top of its page; or None."""
    from onestop.dossiers.selectors import stopping

    event = stopping(dossier)
    return {"reason": event.comment, "at": event.at} if event else None


def recorded_for_me(dossier: Dossier, language: str) -> list[dict]:
    """What officials entered at the dossier's steps in fields the procedure marks public, step by step."""
    from onestop.worklist.selectors import case_file

    entries = case_file(dossier, public_only=True)
    for entry in entries:
        entry["step"] = bilingual(entry["step"], language)
        for field in entry["fields"]:
            field["label"] = bilingual(field["label"], language)
            field["text"] = bilingual(field["text"], language)
    return entries


def lookups(dossier: Dossier, language: str) -> list[dict]:
    """The other agencies' systems asked for this dossier: which, when, by whom, for what; and, when the person
    looked up is the applicant, what was read about them. Nothing of anyone else's record (``interop.privacy``)."""
    from onestop.interop import connectors
    from onestop.interop.selectors import exchanges_seen

    rows = []
    for exchange in exchanges_seen(dossier, as_applicant=True):
        if exchange.peer_id is None:  # our own register, not another agency's system
            continue
        result = exchange.shown_result if exchange.about_applicant and isinstance(exchange.shown_result, dict) else {}
        rows.append({"system": exchange.peer.name, "purpose": bilingual(exchange.task_name, language),
                     "at": exchange.created_at, "state": exchange.get_state_display(),
                     "by": (exchange.acting_user.get_full_name() or exchange.acting_user.get_username())
                     if exchange.acting_user_id else "onestop",
                     "about_me": connectors.answer_lines(
                         exchange.operator, {k: v for k, v in result.items() if k != "found"}, language)})
    return rows


def attachments(dossier: Dossier) -> QuerySet[Attachment]:
    return dossier.attachments.order_by("uploaded_at", "id")


def results(dossier: Dossier) -> QuerySet[Attachment]:
    return dossier.attachments.filter(kind=Attachment.Kind.RESULT).order_by("uploaded_at", "id")


def lookup(code: str, id_digits: str) -> Dossier | None:
    """The dossier whose code is ``code`` and whose applicant's ID number ends with ``id_digits``, or None."""
    code, id_digits = (code or "").strip().upper(), (id_digits or "").strip()  # codes are issued in capitals
    if not code or len(id_digits) != 4 or not id_digits.isdigit():
        return None
    return (Dossier.objects.select_related("procedure")
            .filter(code=code, applicant__citizen__id_number__endswith=id_digits).first())


# What the applicant reads in their dossier's timeline; steps inside agencies (claims, incidents,
# migrations) are the officials' business and are left out.
RECEPTION_LABELS = {
    "accept": _("Received by the one-stop desk"),
    "supplement": _("The one-stop desk asked for more documents"),
    "refuse": _("Refused by the one-stop desk"),
}
ACTION_LABELS = {
    Action.SUBMITTED: _("Submitted online"),
    Action.TASK_COMPLETED: _("Step done: %(step)s"),
    Action.RETURN_COMPLETED: _("Result handed over"),
    Action.SUPPLEMENTED: _("You supplemented the dossier"),
    Action.WITHDRAWN: _("You withdrew the dossier"),
    Action.RATED: _("You rated the service"),
    Action.ATTACHMENT_ADDED: _("File added: %(name)s"),
    Action.EXCHANGE_COMPLETED: _("Papers fetched from another agency's system: %(step)s"),
    Action.EXCHANGE_ENTERED_MANUALLY: _("Papers from another agency entered by an official: %(step)s"),
}


def citizen_timeline(dossier: Dossier, language: str) -> list[dict]:
    from onestop.dossiers.selectors import timeline

    entries = []
    for event in timeline(dossier):
        data = event.data or {}
        if event.action == Action.RECEPTION_COMPLETED:
            label = RECEPTION_LABELS.get(data.get("decision"), _("Checked by the one-stop desk"))
        elif event.action == Action.EXCHANGE_COMPLETED and records_in_register(data.get("operator", "")):
            # Writing into the agency's own register is not fetching papers from another agency's system.
            label = _("Entered in the register: %(step)s") % {"step": bilingual(data.get("step", ""), language)}
        elif event.action in ACTION_LABELS:
            label = ACTION_LABELS[event.action] % {"step": bilingual(data.get("step", ""), language),
                                                   "name": data.get("name", "")}
        else:
            continue
        entries.append({"at": event.at, "label": label, "agency": event.agency, "comment": event.comment,
                        "status": event.to_status})
    return entries
