"""Reads for the officials' pages: the queue with its tabs, filters and sorting, the desk, one item's page.

Every list reads ``WorkItem`` rows joined to their dossier in one query (no workflow is loaded); the
indexes each filter and sort needs are listed in docs/workspace.md.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from onestop.core import refcache
from onestop.core.text import bilingual, stored_text
from onestop.deadlines import timeliness
from onestop.deadlines.working_days import add_working_days
from onestop.dossiers.models import Action, Attachment
from onestop.interop import connectors
from onestop.organisation import access
from onestop.organisation.selectors import dossier_search
from onestop.web.schema_forms import describe
from onestop.worklist.forms import decision_field
from onestop.worklist.models import WorkItem
from procedures import content
from procedures.models import Procedure

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from onestop.dossiers.models import Dossier, DossierEvent, Incident
    from onestop.interop.models import Exchange

TABS = [
    ("open", _("To claim")),
    ("mine", _("Mine")),
    ("due_soon", _("Due soon")),
    ("overdue", _("Overdue")),
    ("all", _("All")),
]
# sort key in the URL -> column
SORTS = {
    "code": ("dossier_code",),
    "procedure": ("procedure_code", "due_date"),  # within a procedure, by due date
    "due": ("due_date",),
    "received": ("created_at",),
}
ACTIVE = Q(state__in=WorkItem.ACTIVE_STATES)
PROCEDURES = "workspace-procedures"
refcache.invalidate_on(Procedure, PROCEDURES)
PAGE_SIZE = 20
# What a row of the queue shows, read as plain values (no model instances, no JSON columns decoded).
QUEUE_ROW = ("id", "dossier_code", "dossier__procedure__name", "dossier__procedure__name_en",
             "dossier__applicant__citizen__full_name",
             "dossier__applicant__first_name", "dossier__applicant__last_name", "name", "agency__name",
             "created_at", "due_date", "due_at", "state", "claimed_by__first_name", "claimed_by__last_name",
             "claimed_by__username")


def _tab_filters(user, today, now=None):
    soon = add_working_days(today, 1)
    return {
        "open": ACTIVE & Q(state=WorkItem.State.OPEN),
        "mine": Q(state=WorkItem.State.CLAIMED, claimed_by=user),
        "due_soon": ACTIVE & Q(due_date__gte=today, due_date__lte=soon),
        "overdue": ACTIVE & timeliness.overdue(today, now or timezone.now()),
        "all": Q(),
    }


def _count_tabs(active: QuerySet, user, today, now) -> dict[str, int]:
    """The four active tabs' counts over the active steps ``active`` selects, in one statement.

    The conditions are ``_tab_filters``' written in SQL (the tests compare each tab's count with its rows):
    Django's ``aggregate`` of four filtered counts cost more CPU than the rest of the queue's reads together."""
    inner, params = active.order_by().values("state", "claimed_by_id", "due_date", "due_at").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE state = %s),"
            " count(*) FILTER (WHERE state = %s AND claimed_by_id = %s),"
            " count(*) FILTER (WHERE due_date >= %s AND due_date <= %s),"
            " count(*) FILTER (WHERE due_date < %s OR (due_at IS NOT NULL AND due_at < %s))"
            f" FROM ({inner}) active",
            [WorkItem.State.OPEN.value, WorkItem.State.CLAIMED.value, user.pk, today, add_working_days(today, 1),
             today, now, *params])
        return dict(zip(("open", "mine", "due_soon", "overdue"), cursor.fetchone(), strict=True))


def _base(user):
    # Steps asked of the applicant have no agency (WorkItem.agency), so no (agency, role) pair matches them:
    # no condition on the kind, which the history's indexes do not hold.
    return WorkItem.objects.filter(access.workspace_filter(user, access.held_pairs(user)))


def queue(user: User, *, tab: str = "open", procedure: str = "", state: str = "", kind: str = "",
          due_from: date | None = None, due_to: date | None = None, q: str = "",
          sort: str = "due") -> tuple[QuerySet, dict[str, int | None]]:
    """The items of the user's queue for one tab, filtered, searched and sorted, as ``QUEUE_ROW`` dicts;
    plus the tabs' counts.

    During a search the "all" tab is not counted (its count is None): the page is read on its own and tells
    whether more follow (``views.queue``)."""
    today, now = timezone.localdate(), timezone.now()
    tabs = _tab_filters(user, today, now)
    tab = tab if tab in tabs else "open"
    filters = Q()
    if procedure:
        filters &= Q(procedure_code=procedure)
    if state:
        filters &= Q(state=state)
    if kind:
        filters &= Q(kind=kind)
    if due_from:
        filters &= Q(due_date__gte=due_from)
    if due_to:
        filters &= Q(due_date__lte=due_to)
    q = (q or "").strip()
    if q:  # a fragment of a code, or the applicant's name (applicants are citizens: ``submit`` needs a profile)
        filters &= dossier_search(q, prefix="dossier__")
    base = _base(user).filter(filters)
    # The active tabs count the active steps (a few hundred) from the partial workitem_queue index alone.
    counts = _count_tabs(base.filter(ACTIVE), user, today, now)
    if q:
        # A search joins each step to its dossier and applicant. Counting the agency's whole history that way
        # cost 60-700 ms at 1,000,000 dossiers, and a count capped at 100-1,000 matches still 4-1,000 ms,
        # depending on the name (bench/README.md, "The queue: its indexes and its search"): "all" is not counted.
        counts["all"] = None
    else:
        counts["all"] = base.count()  # from workitem_queue_due alone (or _procedure, with that filter)
    columns = SORTS.get(sort.lstrip("-"), SORTS["due"])
    # Descending is the exact reverse of ascending (steps without a due date last, then first), so one
    # index (workitem_queue_*) read forwards or backwards serves both.
    if sort.startswith("-"):
        order = [F(c).desc(nulls_first=True) for c in columns] + ["-id"]
    else:
        order = [F(c).asc(nulls_last=True) for c in columns] + ["id"]
    items = base.filter(tabs[tab]).order_by(*order).values(*QUEUE_ROW)
    return items, counts


def active_procedures() -> list[tuple[str, str]]:
    """(code, name in the page's language) of the active procedures, for the queue's filter: kept per process
    (``core.refcache``) in both languages."""
    procedures = refcache.cache(PROCEDURES).get("active", lambda: list(
        Procedure.objects.filter(is_active=True).order_by("code").values_list("code", "name", "name_en")))
    english = (get_language() or "vi").startswith("en")
    return [(code, name_en if english and name_en else name) for code, name, name_en in procedures]


def desk(user: User, kind: str) -> QuerySet[WorkItem]:
    """The desk's active reception or return items, oldest deadline first."""
    return (_base(user).filter(ACTIVE, kind=kind)
            .select_related("dossier__procedure", "dossier__applicant__citizen", "agency", "claimed_by")
            .order_by(F("due_date").asc(nulls_last=True), "created_at", "id"))


def item(pk: int) -> WorkItem | None:
    return (WorkItem.objects.select_related("dossier__procedure", "dossier__receiving_agency", "dossier__version",
                                            "dossier__applicant__citizen", "agency", "claimed_by", "completed_by")
            .filter(pk=pk).first())


def applicant_name(dossier: Dossier) -> str:
    citizen = getattr(dossier.applicant, "citizen", None)
    return citizen.full_name if citizen else (dossier.applicant.get_full_name() or dossier.applicant.get_username())


def form_rows(dossier: Dossier) -> list[tuple[str, str]]:
    """The applicant's form as (label, text) rows, labelled by the procedure's JSON Schema in the language its
    content is shown in (``procedures.content``: English only where the procedure has it all)."""
    procedure = dossier.procedure
    return describe(content.schema(procedure.form_schema, content.content_language(procedure)),
                    dossier.form_data or {})


def attachments(dossier: Dossier) -> list[Attachment]:
    """The dossier's files, each with its preview kind (image, pdf) and its document's name."""
    documents = dossier.procedure.documents or []
    files = list(dossier.attachments.all())
    for file in files:
        file.preview = "image" if file.content_type.startswith("image/") else "pdf"
        index = file.document_index
        file.document_name = documents[index]["name"] if index is not None and index < len(documents) else ""
    return files


def checklist(dossier: Dossier, files: list[Attachment]) -> tuple[list[dict], list[Attachment]]:
    """Procedure.documents, each with the files submitted for it (a desk scan covers the whole dossier)."""
    rows = []
    procedure = dossier.procedure
    for index, document in enumerate(content.documents(procedure, content.content_language(procedure))):
        given = [f for f in files if f.document_index == index]
        rows.append({"index": index, "document": document, "files": given})
    scans = [f for f in files if f.kind == Attachment.Kind.SCAN]
    return rows, scans


def open_incidents(dossier: Dossier) -> list[Incident]:
    """What stopped the dossier's process (a failed exchange or step), not resolved yet."""
    return list(dossier.incidents.filter(resolved_at__isnull=True).order_by("created_at", "id"))


def exchanges(dossier: Dossier, language: str = "vi") -> list[Exchange]:
    """Documents fetched from other agencies for this dossier, each with its operator's title and a short
    summary of its answer in words ("Tìm thấy: Có; Họ và tên: ..."), not the wire's keys."""
    rows = list(dossier.exchanges.select_related("peer").order_by("created_at", "id"))
    for row in rows:
        result = row.result if isinstance(row.result, dict) else {}
        summary = "; ".join(connectors.answer_lines(row.operator, result, language))
        row.summary = summary if len(summary) <= 240 else summary[:239] + "…"
        row.title = connectors.operator_title(row.operator, language)
    return rows


def document_url(name: str, code: str) -> str | None:
    """The URL of a printed form (form 01, 02, 03) when the documents app offers it, else None."""
    try:
        return reverse(name, kwargs={"code": code})
    except NoReverseMatch:
        return None


ACTION_LABELS = {
    Action.SUBMITTED: _("Dossier submitted"),
    Action.CLAIMED: _("Claimed the step"),
    Action.UNCLAIMED: _("Released to the queue"),
    Action.RECEPTION_COMPLETED: _("Reception decided"),
    Action.TASK_COMPLETED: _("Step completed"),
    Action.RETURN_COMPLETED: _("Result handed over"),
    Action.SUPPLEMENTED: _("Supplemented by the applicant"),
    Action.WITHDRAWN: _("Withdrawn"),
    Action.RATED: _("Rated"),
    Action.ATTACHMENT_ADDED: _("File added"),
    Action.COMMENTED: _("Comment"),
    Action.REASSIGNED: _("Reassigned"),
    Action.EXCHANGE_COMPLETED: _("Data received from another agency"),
    Action.EXCHANGE_ENTERED_MANUALLY: _("Data entered by hand"),
    Action.INCIDENT_RAISED: _("Incident"),
    Action.INCIDENT_RETRIED: _("Incident retried"),
    Action.MIGRATED: _("Moved to a new version of the procedure"),
    Action.APPLICANT_COMPLETED: _("Done by the applicant"),
    Action.TIMER_FIRED: _("Deadline reached"),
    Action.TIMER_FAILED: _("Deadline could not be handled"),
    Action.CLOCK_STOPPED: _("Processing time paused"),
    Action.CLOCK_RESTARTED: _("Processing time resumed"),
    Action.EXTENDED: _("Appointment date extended"),
    Action.STOPPED: _("Processing stopped"),
    Action.REMINDER_SENT: _("Reminder sent"),
    Action.ESCALATED: _("Overdue: the leaders were told"),
}


def timeline(dossier: Dossier) -> list[DossierEvent]:
    """The audit trail with a readable name for each action."""
    from onestop.dossiers.selectors import timeline as events

    rows = list(events(dossier).select_related("actor__citizen"))
    for row in rows:
        row.label = ACTION_LABELS.get(row.action, row.action.replace("_", " "))
        decision = (row.data or {}).get("decision")
        row.decision = decision_label(row.work_item.form if row.work_item else [], decision) if decision else ""
    return rows


def route(dossier: Dossier) -> list:
    """The dossier's hand-overs, each with ``result_label``: its result as the deciding step's form names it
    (in the active language), not the option's id."""
    from onestop.dossiers import selectors as dossier_selectors

    names = dossier_selectors.decision_names(dossier)
    legs = list(dossier_selectors.route(dossier))
    for leg in legs:
        leg.result_label = bilingual(names.get(leg.result)) or stored_text(leg.result)
    return legs


def decision_label(form: list[dict] | None, decision: str) -> str:
    """The name the BPMN (or the desk's form) gives a decision option in the active language, e.g. "Đồng ý"
    for "Đồng ý / Approve"."""
    field = decision_field(form or [])
    for option in field["options"] if field else []:
        if option["id"] == decision:
            return bilingual(option["name"])
    return decision
