"""The one rule that says whether a step or a dossier ended early, on time or late, in Python and in SQL.

- early: ended before its due date;
- on time: ended on its due date (any hour), and, for a step with an hour budget, not after ``due_at``;
- late: ended after its due date, or after ``due_at`` when there is one.

A dossier is measured against its *original* appointment date (the one set at reception, moved only by the
clock stopped while the applicant supplements): an extension (form 04) does not turn late into on time.
The classification (``classify``), the reports' SQL (``expression``) and the officials' "overdue" tab
(``overdue``) all come from here, so that the pages, the reports and the exports agree.
"""
from datetime import date, datetime

from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Timeliness


def classify(done_at: datetime, due_date: date | None, due_at: datetime | None = None) -> str:
    """Early: before the due date; on time: on the due date (and, for an hour budget, by ``due_at``);
    late: after it. Blank without a due date."""
    if due_date is None:
        return ""
    if due_at is not None and done_at > due_at:
        return Timeliness.LATE
    day = timezone.localdate(done_at)
    if day < due_date:
        return Timeliness.EARLY
    if day == due_date:
        return Timeliness.ON_TIME
    return Timeliness.LATE


def expression(done_at: str, due_date: str, due_at: str | None = None) -> Case:
    """``classify`` as an SQL expression over the fields named (the same rule, for the reports' GROUP BY)."""
    day = TruncDate(done_at, tzinfo=timezone.get_current_timezone())
    whens = [When(**{f"{due_date}__isnull": True}, then=Value(""))]
    if due_at is not None:
        whens.append(When(**{f"{due_at}__isnull": False, f"{due_at}__lt": F(done_at)}, then=Value(Timeliness.LATE)))
    return Case(
        *whens,
        When(Q(**{f"{due_date}__gt": day}), then=Value(Timeliness.EARLY)),
        When(Q(**{due_date: day}), then=Value(Timeliness.ON_TIME)),
        default=Value(Timeliness.LATE), output_field=CharField(),
    )


def overdue(day: date, now: datetime | None = None) -> Q:
    """Steps overdue on ``day``: their due date has passed, or, with an hour budget, their due moment
    (``due_at``) came before ``now`` (the end of ``day`` when not given)."""
    if now is None:
        now = timezone.make_aware(datetime.combine(day, datetime.max.time()))
    return Q(due_date__lt=day) | Q(due_at__isnull=False, due_at__lt=now)
