"""The reporting figures: received, resolved (early / on time / late), pending (within time / overdue),
on-time rate, average processing days and citizen rating, per agency, procedure, channel and month.

Every figure is an SQL aggregate (GROUP BY) or, for ended months, read from the monthly cache that the
same aggregates fill (models.py); Python only sums grouped rows. The definitions are in docs/reports.md;
in short:

- a dossier belongs to its *receiving* agency; it counts as *received* on ``received_at`` (the desk
  accepted it), *resolved* when its result is ready (``result_at``) or when it was refused after
  reception (``closed_at``);
- timeliness is the stored ``timeliness`` or, where blank, ``deadlines.timeliness`` on the resolved moment,
  always against the *original* appointment date (an extension, form 04, does not turn late into on time);
  *extended* counts the resolved dossiers whose date was extended;
- *pending* is counted as of a date: received by then and neither resolved nor withdrawn by then;
  overdue when its original appointment date is before that date;
- processing days are calendar days (with fractions) from reception to the result.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import NotAllowed
from onestop.core.text import bilingual, stored_text
from onestop.deadlines import timeliness, working_days
from onestop.deadlines.models import Timeliness
from onestop.dossiers.models import Action, Attachment, Channel, Dossier, Handover, Rating, Status
from onestop.dossiers.selectors import route
from onestop.organisation import access
from onestop.organisation.models import Agency, OfficialRole
from onestop.organisation.selectors import dossier_search
from onestop.worklist.models import WorkItem
from procedures.models import Procedure

from .models import MonthlyFigures
from .services import SATISFIED

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DIMENSIONS = ("agency", "procedure", "channel", "month")


# --- who sees what ------------------------------------------------------------------------------------

def visible_agencies(user: User) -> set[int] | None:
    """The ids of the agencies whose figures ``user`` may see: ``None`` means all (admins).

    A leader sees the agencies they lead and every agency below them; anyone else is refused.
    """
    if not user.is_authenticated:
        raise NotAllowed(_("Log in to see reports."))
    if user.is_superuser or user.is_staff:
        return None
    led = access.led_agency_ids(user)
    if not led:
        raise NotAllowed(_("Only leaders and administrators see reports."))
    return subtree(led)


def register_agencies(user: User) -> set[int] | None:
    """Whose dossier register (form 07) ``user`` may read: a leader's (as above), and the desk's own
    register for its receivers. ``None`` means all (admins)."""
    if not user.is_authenticated:
        raise NotAllowed(_("Log in to see reports."))
    if user.is_superuser or user.is_staff:
        return None
    pairs = access.role_pairs(user, [OfficialRole.LEADER, OfficialRole.RECEIVER])
    led = {agency_id for agency_id, role in pairs if role == OfficialRole.LEADER}
    desks = {agency_id for agency_id, role in pairs if role == OfficialRole.RECEIVER}
    if not led and not desks:
        raise NotAllowed(_("Only the one-stop desk, leaders and administrators see the dossier register."))
    return subtree(led) | desks


def subtree(agency_ids: Iterable[int]) -> set[int]:
    """``agency_ids`` and every agency below them (the agency table is small: read it once)."""
    children = {}
    for pk, parent in Agency.objects.values_list("id", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, todo = set(), list(agency_ids)
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, ()))
    return found


# --- filters ------------------------------------------------------------------------------------------

@dataclass
class Filters:
    """What a report covers. Dates are local (Asia/Ho_Chi_Minh) and inclusive."""

    date_from: date
    date_to: date
    agencies: set | None = None  # agency ids (None: all)
    procedure_id: int | None = None
    channel: str = ""
    as_of: date | None = None  # pending is counted at the end of this day (default: date_to, or today)
    group_by: tuple = ("agency",)

    @property
    def start(self) -> datetime:
        return _moment(self.date_from)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return _moment(self.date_to + timedelta(days=1))

    @property
    def pending_date(self) -> date:
        return self.as_of or min(self.date_to, timezone.localdate())


def _moment(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def default_period(today: date | None = None) -> tuple[date, date]:
    """This year so far: the period of the national scoreboard."""
    today = today or timezone.localdate()
    return date(today.year, 1, 1), today


def _scoped(qs, filters, agency_field="receiving_agency_id", prefix=""):
    """Narrow ``qs`` to the filters; ``prefix`` reaches the dossier from another model (``dossier__``)."""
    if filters.agencies is not None:
        qs = qs.filter(**{f"{agency_field}__in": filters.agencies})
    if filters.procedure_id:
        qs = qs.filter(**{f"{prefix}procedure_id": filters.procedure_id})
    if filters.channel:
        qs = qs.filter(**{f"{prefix}channel": filters.channel})
    return qs


# --- the figures --------------------------------------------------------------------------------------
#
# Three GROUP BY queries over all four dimensions at once (the "cells": at most agencies × procedures ×
# channels × months rows), then every grouping the page needs is a sum of cells, in Python. The filters
# use the plain columns, so that PostgreSQL estimates them well and uses the indexes of
# dossiers/0007_reports_indexes.

def _resolved_in(start, end, prefix=""):
    """Resolved in [start, end): the result is ready, or the dossier was refused after reception.
    (A refused dossier has no result_at; so for the rows this selects, resolved_at = COALESCE(result_at,
    closed_at).) ``prefix`` reaches the dossier from another model."""
    p = prefix
    return Q(**{f"{p}result_at__gte": start, f"{p}result_at__lt": end}) | Q(**{
        f"{p}result_at__isnull": True, f"{p}status": Status.REFUSED, f"{p}received_at__isnull": False,
        f"{p}closed_at__gte": start, f"{p}closed_at__lt": end})


RESOLVED_AT = Coalesce("result_at", "closed_at")


# The date a dossier is measured against: the original appointment date (an extension does not move it).
DUE = Coalesce("original_appointment_date", "appointment_date")


def _timeliness():
    """The stored timeliness, else the rule of ``deadlines.timeliness`` on the resolved moment against the
    original appointment date (``due``, annotated by the caller), until it is filled."""
    return Case(When(~Q(timeliness=""), then=F("timeliness")),
                default=timeliness.expression("resolved_at", "due"), output_field=CharField())


KEYS = ("receiving_agency_id", "procedure_id", "channel")


def _month(field):
    return TruncMonth(field, tzinfo=timezone.get_current_timezone(), output_field=DateField())


# A dossier is digitised when its documents are files (submitted online, or scanned at the desk), a result
# when the result itself is a file on the dossier (Decision 766/QĐ-TTg, "số hoá hồ sơ, kết quả").
DOSSIER_FILES = (Attachment.Kind.DOCUMENT, Attachment.Kind.SCAN)


def _files(kinds):
    return Exists(Attachment.objects.filter(dossier=OuterRef("pk"), kind__in=kinds))


def _received(filters):
    qs = _scoped(Dossier.objects.filter(received_at__gte=filters.start, received_at__lt=filters.end), filters)
    return qs.annotate(month=_month("received_at"), digitised=_files(DOSSIER_FILES)).values(*KEYS, "month").annotate(
        received=Count("id"), received_digitised=Count("id", filter=Q(digitised=True))).order_by()


def _resolved(filters):
    qs = _scoped(Dossier.objects.filter(_resolved_in(filters.start, filters.end)), filters).annotate(
        resolved_at=RESOLVED_AT, due=DUE)
    qs = qs.annotate(effective=_timeliness(), month=_month("resolved_at"),
                     result_file=_files((Attachment.Kind.RESULT,)))
    duration = ExpressionWrapper(F("resolved_at") - F("received_at"), output_field=DurationField())
    return qs.values(*KEYS, "month").annotate(
        resolved=Count("id"),
        early=Count("id", filter=Q(effective=Timeliness.EARLY)),
        on_time=Count("id", filter=Q(effective=Timeliness.ON_TIME)),
        late=Count("id", filter=Q(effective=Timeliness.LATE)),
        extended=Count("id", filter=Q(extension__isnull=False)),
        results=Count("id", filter=Q(result_at__isnull=False)),
        results_digitised=Count("id", filter=Q(result_at__isnull=False, result_file=True)),
        duration=Sum(duration),
    ).order_by()


def _ratings(filters):
    """Ratings of the dossiers resolved in the period, counted where those dossiers are."""
    # Filtered on the joined dossier's columns, so that its indexes find the period's dossiers.
    qs = _scoped(Rating.objects.filter(_resolved_in(filters.start, filters.end, "dossier__")), filters,
                 "dossier__receiving_agency_id", "dossier__")
    month = _month(Coalesce("dossier__result_at", "dossier__closed_at"))
    return qs.annotate(month=month).values(*(f"dossier__{k}" for k in KEYS), "month").annotate(
        rating_sum=Sum("score"), rating_count=Count("id"), rating_satisfied=Count("id", filter=Q(score__gte=SATISFIED))
    ).order_by()


def _working_days(filters):
    """Working days from reception to resolution of each dossier resolved in the period (the day of
    receipt not counted, as for an appointment date), summed per cell. Counted in Python with the
    calendar: one row a resolved dossier, read only for the months not cached."""
    qs = _scoped(Dossier.objects.filter(_resolved_in(filters.start, filters.end)), filters).annotate(
        resolved_at=RESOLVED_AT, month=_month("resolved_at"))
    rows = list(qs.values_list(*KEYS, "month", "received_at", "resolved_at").order_by())
    if not rows:
        return {}
    local = [(key, timezone.localdate(received), timezone.localdate(resolved)) for *key, received, resolved in rows]
    counter = working_days.counter(min(r[1] for r in local), max(r[2] for r in local))
    found = {}
    for key, received, resolved in local:
        found[tuple(key)] = found.get(tuple(key), 0) + counter(received, resolved)
    return found


def _pending(filters):
    """Pending at the end of ``filters.pending_date``: received by then, not resolved nor closed by then.

    Resolved or closed dossiers all have ``closed_at`` or ``result_at`` (a refused or withdrawn one
    ``closed_at``; one with a result ``result_at``, then ``closed_at`` when returned)."""
    day = filters.pending_date
    end = _moment(day + timedelta(days=1))
    if day >= timezone.localdate():
        # Nothing is closed or resolved in the future: the dossiers open now (a partial index has them).
        qs = Dossier.objects.filter(received_at__lt=end, closed_at__isnull=True, result_at__isnull=True)
    else:
        qs = Dossier.objects.filter(received_at__lt=end).filter(
            Q(closed_at__isnull=True) | Q(closed_at__gte=end)).filter(Q(result_at__isnull=True) | Q(result_at__gte=end))
    qs = _scoped(qs, filters).annotate(due=DUE)
    return qs.values(*KEYS).annotate(
        pending=Count("id"), pending_overdue=Count("id", filter=Q(due__lt=day))).order_by()


CACHED = ("received", "received_digitised", "resolved", "early", "on_time", "late", "extended", "results",
          "results_digitised", "duration", "working_days", "rating_sum", "rating_count", "rating_satisfied")
SUMMED = (*CACHED, "pending", "pending_overdue")
_FIELD = {"agency": 0, "procedure": 1, "channel": 2, "month": 3}


def plan(filters: Filters, today: date | None = None) -> tuple[dict[date, date], list[tuple[date, date]]]:
    """Split the period into what the monthly cache answers and what is read live.

    Returns ``(cached, live)``: ``cached`` maps a month's first day to the last day its cached figures
    must cover (the month's end; for the current month, yesterday); ``live`` lists the (start, end)
    ranges left: partial months at the edges of the period, and today.
    """
    from .services import month_end

    today = today or timezone.localdate()
    cached, live = {}, []
    month = filters.date_from.replace(day=1)
    while month <= filters.date_to:
        start, end = max(month, filters.date_from), min(month_end(month), filters.date_to)
        if start == month and end == month_end(month) and end < today:
            cached[month] = end  # an ended month, whole
        elif start == month and end >= today - timedelta(days=1) and today.replace(day=1) == month and today > month:
            cached[month] = today - timedelta(days=1)  # this month up to yesterday, then today live
            if end >= today:
                live.append((today, end))
        else:
            live.append((start, end))
        month = month_end(month) + timedelta(days=1)
    return cached, live


def cells(filters: Filters) -> dict[tuple, dict[str, int]]:
    """The figures per (agency id, procedure id, channel, month); pending ones under month ``None``.

    Whole ended months, and the current month up to yesterday, come from the monthly cache (filled when
    missing or stale); partial months at the edges of the period, today and the pending dossiers are read
    from the dossiers.
    """
    from .services import ensure_months

    cached, live = plan(filters)
    found = {}
    for start, end in live:
        live_cells(replace(filters, date_from=start, date_to=end), found)
    if cached:
        ensure_months(cached)
        rows = _scoped(MonthlyFigures.objects.filter(month__in=list(cached)), filters, "agency_id")
        for v in rows.values("agency_id", "procedure_id", "channel", "month", *CACHED):
            c = found.setdefault((v["agency_id"], v["procedure_id"], v["channel"], v["month"]),
                                 dict.fromkeys(SUMMED, 0))
            for name in CACHED:
                c[name] += v[name]
    for v in _pending(filters):
        c = found.setdefault((v["receiving_agency_id"], v["procedure_id"], v["channel"], None),
                             dict.fromkeys(SUMMED, 0))
        c["pending"], c["pending_overdue"] = v["pending"], v["pending_overdue"]
    return found


def live_cells(filters: Filters, found: dict[tuple, dict[str, int]] | None = None) -> dict[tuple, dict[str, int]]:
    """Received, resolved and ratings per (agency id, procedure id, channel, month), from the dossiers."""
    found = {} if found is None else found

    def cell(key):
        return found.setdefault(key, dict.fromkeys(SUMMED, 0))

    for v in _received(filters):
        c = cell((v["receiving_agency_id"], v["procedure_id"], v["channel"], v["month"]))
        c["received"] += v["received"]
        c["received_digitised"] += v["received_digitised"]
    for v in _resolved(filters):
        c = cell((v["receiving_agency_id"], v["procedure_id"], v["channel"], v["month"]))
        for name in ("resolved", "early", "on_time", "late", "extended", "results", "results_digitised"):
            c[name] += v[name]
        c["duration"] += v["duration"].total_seconds() if v["duration"] is not None else 0
    for v in _ratings(filters):
        c = cell((v["dossier__receiving_agency_id"], v["dossier__procedure_id"], v["dossier__channel"], v["month"]))
        c["rating_sum"] += v["rating_sum"]
        c["rating_count"] += v["rating_count"]
        c["rating_satisfied"] += v["rating_satisfied"]
    for key, days in _working_days(filters).items():
        cell(key)["working_days"] += days
    return found


def summary(filters: Filters, found: dict[tuple, dict[str, int]] | None = None) -> dict:
    """The figures grouped by ``filters.group_by`` (a subset of DIMENSIONS), with their totals.

    Pending dossiers have no month (they are counted as of one date): grouped by month, they appear in
    the totals only. ``found``: the cells, when the caller rolls them up more than once.
    """
    by = tuple(d for d in DIMENSIONS if d in filters.group_by)
    found = cells(filters) if found is None else found
    rows, totals = {}, {**dict.fromkeys(SUMMED, 0), "received_online": 0}
    for key, c in found.items():
        online = c["received"] if key[2] == Channel.ONLINE else 0
        for name in SUMMED:
            totals[name] += c[name]
        totals["received_online"] += online
        if "month" in by and key[3] is None:
            continue
        group = tuple(key[_FIELD[d]] for d in by)
        row = rows.setdefault(group, {**dict.fromkeys(SUMMED, 0), "received_online": 0,
                                      **dict(zip(by, group, strict=True))})
        for name in SUMMED:
            row[name] += c[name]
        row["received_online"] += online
    offered = _offered(filters.agencies, [r["agency"] for r in rows.values()] if by == ("agency",) else [])
    for group, row in rows.items():
        row["procedures"], row["procedures_full_online"] = offered.get(group[0] if by == ("agency",) else -1,
                                                                       (None, None))
    totals["procedures"], totals["procedures_full_online"] = offered["all"]
    result = [_finish(r) for r in rows.values()]
    if "month" in by:
        for r in result:  # counted at one date, not per month: "–" rather than a misleading 0
            r["pending"] = r["pending_within"] = r["pending_overdue"] = None
    _label(result, by)
    result.sort(key=lambda r: tuple(_sort_key(r, d) for d in by))
    return {"rows": result, "totals": _finish(totals), "group_by": by, "as_of": filters.pending_date}


def _offered(agencies, agency_ids):
    """Procedures offered, and of them fully online, by each of ``agency_ids`` and by the agencies in scope
    (``"all"``; ``agencies`` None: every agency): the active procedures with a published version whose
    receiving level is the agency's tier, unless its lanes cannot be routed from the agency (a province's
    department serves that province only). The catalogue as it stands, not as it stood in the period."""
    from procedures.selectors import published_procedures, receiving_tier, unroutable_agency_ids

    catalogue = [(p.receiving_level, p.online_level, unroutable_agency_ids(p)) for p in published_procedures()]
    scope = Agency.objects.filter(is_active=True)
    if agencies is not None:
        scope = scope.filter(pk__in=agencies)
    levels = dict(scope.values_list("id", "level"))
    by_level = {}
    for pk, level in levels.items():
        by_level.setdefault(level, set()).add(pk)

    def count(agency_levels):
        offered = [online for level, online, unroutable in catalogue
                   if any(level in receiving_tier(own) and len(pks & unroutable) < len(pks)
                          for own, pks in agency_levels.items())]
        return len(offered), sum(1 for online in offered if online == Procedure.OnlineLevel.FULL)

    found = {pk: count({levels[pk]: {pk}}) for pk in agency_ids if pk in levels}
    found["all"] = count(by_level)
    return found


def _rate(part, whole, digits=1):
    return round(100 * part / whole, digits) if whole else None


def _finish(r):
    """Derived figures: pending within time, the rates (%) and averages of Decision 766/QĐ-TTg, rounded for
    people. The formulas are in docs/reports.md."""
    r = dict(r)
    r["pending_within"] = r["pending"] - r["pending_overdue"]
    timed = r["early"] + r["on_time"] + r["late"]
    r["on_time_rate"] = _rate(r["early"] + r["on_time"], timed)
    seconds = r.pop("duration")
    r["avg_days"] = round(seconds / r["resolved"] / 86400, 1) if r["resolved"] else None
    r["avg_working_days"] = round(r["working_days"] / r["resolved"], 1) if r["resolved"] else None
    score = r.pop("rating_sum")
    r["rating_avg"] = round(score / r["rating_count"], 2) if r["rating_count"] else None
    r["online_rate"] = _rate(r["received_online"], r["received"])
    r["digitised_rate"] = _rate(r["received_digitised"], r["received"])
    r["results_digitised_rate"] = _rate(r["results_digitised"], r["results"])
    r["satisfaction_rate"] = _rate(r["rating_satisfied"], r["rating_count"])
    r["full_online_rate"] = _rate(r["procedures_full_online"] or 0, r["procedures"])
    r["online_payment_rate"] = None  # onestop records no payment (docs/reports.md)
    return r


def _label(rows, by):
    """Codes and names for the ids of the grouped rows (one query per dimension)."""
    if "agency" in by:
        agencies = {a.pk: a for a in Agency.objects.filter(pk__in={r["agency"] for r in rows})}
        for r in rows:
            a = agencies.get(r["agency"])
            r["agency"] = {"code": a.code, "name": a.name} if a else None
    if "procedure" in by:
        procedures = {p.pk: p for p in Procedure.objects.filter(pk__in={r["procedure"] for r in rows})}
        for r in rows:
            p = procedures.get(r["procedure"])
            r["procedure"] = {"code": p.code, "name": p.name} if p else None
    if "channel" in by:
        labels = dict(Channel.choices)
        for r in rows:
            r["channel"] = {"code": r["channel"], "name": str(labels.get(r["channel"], r["channel"]))}


def _sort_key(r, dimension):
    value = r[dimension]
    if isinstance(value, dict):
        return value["code"] if dimension != "agency" else value["name"]
    return value or date.min


def extensions(filters: Filters) -> dict:
    """The extensions of the appointment date (form 04) asked in the period: how many, and each with its
    dossier, agency, dates, reason and how the dossier ended (measured against its original date)."""
    from onestop.deadlines.models import Extension

    qs = _scoped(Extension.objects.filter(created_at__gte=filters.start, created_at__lt=filters.end), filters,
                 "dossier__receiving_agency_id", "dossier__")
    rows = [{
        "code": e.dossier.code, "procedure": {"code": e.dossier.procedure.code, "name": e.dossier.procedure.name},
        "agency": {"code": e.dossier.receiving_agency.code, "name": e.dossier.receiving_agency.name},
        "asked_at": e.created_at, "previous_date": e.previous_date, "new_date": e.new_date, "reason": e.reason,
        "original_appointment_date": e.dossier.original_appointment_date or e.previous_date,
        "timeliness": e.dossier.timeliness,
    } for e in qs.select_related("dossier__procedure", "dossier__receiving_agency").order_by("created_at", "id")]
    return {"count": len(rows), "rows": rows}


def steps(filters: Filters) -> list[dict]:
    """The processing view per agency: the steps (work items) its officials completed in the period, by
    timeliness, and the steps open at the end of ``pending_date`` (overdue when their due date had passed).

    Here a dossier belongs to every agency that handled one of its steps, not only the receiving one.
    """
    base = _scoped(WorkItem.objects.exclude(agency__isnull=True), filters, "agency_id", "dossier__")
    done = base.filter(state=WorkItem.State.COMPLETED, completed_at__gte=filters.start,
                       completed_at__lt=filters.end).values("agency_id").annotate(
        completed=Count("id"),
        early=Count("id", filter=Q(timeliness=Timeliness.EARLY)),
        on_time=Count("id", filter=Q(timeliness=Timeliness.ON_TIME)),
        late=Count("id", filter=Q(timeliness=Timeliness.LATE)),
    ).order_by()
    day = filters.pending_date
    end = _moment(day + timedelta(days=1))
    open_ = base.filter(created_at__lt=end).filter(
        Q(state__in=WorkItem.ACTIVE_STATES) | Q(state=WorkItem.State.COMPLETED, completed_at__gte=end)
    ).values("agency_id").annotate(
        open=Count("id"), open_overdue=Count("id", filter=timeliness.overdue(day, min(end, timezone.now())))
    ).order_by()
    rows = {}
    blank = {"completed": 0, "early": 0, "on_time": 0, "late": 0, "open": 0, "open_overdue": 0}
    for values in list(done) + list(open_):
        rows.setdefault(values["agency_id"], dict(blank)).update(
            {k: v for k, v in values.items() if k != "agency_id"})
    agencies = {a.pk: a for a in Agency.objects.filter(pk__in=rows)}
    result = []
    for pk, r in rows.items():
        timed = r["early"] + r["on_time"] + r["late"]
        r["on_time_rate"] = round(100 * (r["early"] + r["on_time"]) / timed, 1) if timed else None
        r["agency"] = {"code": agencies[pk].code, "name": agencies[pk].name}
        result.append(r)
    return sorted(result, key=lambda r: r["agency"]["name"])


# --- form 07 (the dossier register) and form 06 (the processing control sheet) -------------------------

def register(agency: Agency, date_from: date, date_to: date, q: str = "") -> QuerySet[Dossier]:
    """Form 07: the dossiers ``agency``'s desk received in the period, oldest first, with the first
    hand-over to processing (the first leg given by an agency) and the dates of result and return; with ``q``,
    those whose code holds it or whose applicant is so named (marks and case ignored)."""
    first_handover = Handover.objects.filter(dossier=OuterRef("pk"), from_agency__isnull=False).order_by(
        "handed_at", "id").values("handed_at")[:1]
    dossiers = Dossier.objects.filter(receiving_agency=agency, received_at__gte=_moment(date_from),
                                      received_at__lt=_moment(date_to + timedelta(days=1)))
    if q.strip():
        dossiers = dossiers.filter(dossier_search(q))
    return (dossiers
            .select_related("procedure", "applicant", "applicant__citizen")
            .annotate(handed_over_at=Subquery(first_handover))
            .order_by("received_at", "id"))


def applicant_name(dossier: Dossier) -> str:
    citizen = getattr(dossier.applicant, "citizen", None)
    if citizen is not None:
        return citizen.full_name
    return dossier.applicant.get_full_name() or dossier.applicant.get_username()


def applicant_contact(dossier: Dossier) -> str:
    citizen = getattr(dossier.applicant, "citizen", None)
    if citizen is None:
        return ""
    return ", ".join(part for part in (citizen.address, citizen.phone) if part)


def returned_at(dossier: Dossier) -> datetime | None:
    return dossier.closed_at if dossier.status == Status.RETURNED else None


def overseen_dossier(user: User, code: str) -> Dossier | None:
    """The dossier ``code`` when ``user`` leads its receiving agency or an agency above it, else None."""
    try:
        scope = visible_agencies(user)
    except NotAllowed:
        return None
    qs = Dossier.objects.select_related("procedure", "receiving_agency", "applicant")
    if scope is not None:
        qs = qs.filter(receiving_agency_id__in=scope)
    return qs.filter(code=code).first()


SEVERITY = {Timeliness.EARLY: 0, Timeliness.ON_TIME: 1, Timeliness.LATE: 2}


def control_sheet(dossier: Dossier) -> list[Handover]:
    """Form 06: every leg of the dossier's route (hand-over time, giver, receiver, result), each with
    ``result_label`` and ``timeliness``: how the receiving agency's steps during that leg ended against
    their due dates (the worst of them; blank while none has ended)."""
    legs = list(route(dossier))
    done = list(dossier.work_items.filter(state=WorkItem.State.COMPLETED, completed_at__isnull=False)
                .order_by("completed_at")
                .values("agency_id", "completed_at", "due_date", "due_at", "timeliness", "form"))
    # A leg's result is the decision that sent the dossier on: shown by its label in the step's form.
    labels = {option["id"]: option["name"] for item in done for f in item["form"] or []
              if isinstance(f, dict) and f.get("type") == "enum" for option in f.get("options") or []
              if isinstance(option, dict) and "id" in option and "name" in option}
    for n, leg in enumerate(legs):
        leg.result_label = bilingual(labels.get(leg.result)) or stored_text(leg.result)
        until = legs[n + 1].handed_at if n + 1 < len(legs) else None
        worst = ""
        for item in done:
            if item["agency_id"] != leg.to_agency_id or item["completed_at"] < leg.handed_at:
                continue
            if until is not None and item["completed_at"] >= until:
                continue
            found = item["timeliness"] or timeliness.classify(item["completed_at"], item["due_date"], item["due_at"])
            if found and (not worst or SEVERITY[found] > SEVERITY[worst]):
                worst = found
        leg.timeliness = worst
    return legs


@dataclass
class HandoverRow:
    """One hand-over of a dossier (form 06): who gave it, who received it, when, and how the giver's step
    ended (its decision's wording, early / on time / late against its due date)."""
    giver_agency: str
    giver: str
    receiver_agency: str
    receiver: str
    handed_at: datetime | None
    received_at: datetime | None
    result: str = ""
    timeliness: str = ""
    note: str = ""


def _who(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _decision_label(item) -> str:
    for f in item.form or []:
        if isinstance(f, dict) and f.get("type") == "enum":
            for option in f.get("options") or []:
                if isinstance(option, dict) and option.get("id") == item.decision and option.get("name"):
                    return bilingual(option["name"])
    return item.decision or ""


def handovers(dossier: Dossier) -> list[HandoverRow]:
    """Form 06: every hand-over of the dossier, in order: from the applicant to the desk, then from each
    completed step's official to whoever holds the step it opened (another official of the same agency,
    another agency, or the applicant asked to supplement), and the result (or refusal notice) to the applicant.

    A step's successor is the first step opened when it ended; the receiver is whoever claimed it (blank
    while nobody has), received at the claim."""
    applicant = applicant_name(dossier)
    rows = []
    first = dossier.handovers.filter(from_agency__isnull=True).select_related("to_agency", "given_by",
                                                                               "received_by").first()
    if first is not None:
        rows.append(HandoverRow(_("The applicant"), _who(first.given_by) or applicant, first.to_agency.name,
                                _who(first.received_by), first.handed_at, first.received_at, stored_text(first.result)))
    items = list(dossier.work_items.select_related("agency", "claimed_by", "completed_by").order_by("created_at", "id"))
    collected = (dossier.events.filter(action=Action.RETURN_COMPLETED).values_list("data__collected_by", flat=True)
                 .first())
    for n, item in enumerate(items):
        if item.completed_at is None:
            continue
        giver_agency = item.agency.name if item.agency else _("The applicant")
        giver = _who(item.completed_by) if item.agency else applicant
        after = [other for other in items[n + 1:] if other.created_at >= item.completed_at - timedelta(seconds=1)]
        label = _decision_label(item)
        timing = str(dict(Timeliness.choices).get(item.timeliness, "")) if item.timeliness else ""
        if after:
            nxt = after[0]
            if nxt.kind == WorkItem.Kind.APPLICANT:
                receiver_agency, receiver = _("The applicant"), applicant
            else:
                receiver_agency = nxt.agency.name if nxt.agency else ""
                receiver = _who(nxt.claimed_by or nxt.completed_by)
            rows.append(HandoverRow(giver_agency, giver, receiver_agency, receiver, item.completed_at,
                                    nxt.claimed_at, label, timing))
        elif dossier.status in (Status.RETURNED, Status.REFUSED):
            note = _("Refusal notice") if dossier.status == Status.REFUSED else _("Result handed over")
            rows.append(HandoverRow(giver_agency, giver, _("The applicant"), collected or applicant,
                                    item.completed_at, item.completed_at, label, timing, note))
    return rows
