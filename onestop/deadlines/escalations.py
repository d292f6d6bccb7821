"""Reminders before a step is due and escalations once it is overdue (the beat task
``deadlines.tasks.check_deadlines``). Each is sent once per work item (an ``Alert`` row) and recorded as
an audit event ("reminder_sent", "escalated") that the notifications app turns into messages.
"""
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from onestop.dossiers import audit
from onestop.dossiers.models import Action
from onestop.organisation import access
from onestop.organisation.models import OfficialRole
from onestop.worklist.models import WorkItem

from . import working_days
from .models import Alert
from .services import due_moment


def reminder_hours():
    return getattr(settings, "ONESTOP_REMINDER_WORKING_HOURS", 4)


def _officials(agency_id, role):
    return access.official_ids_holding(agency_id, role)


def _candidates(now, kind):
    """Active official steps with a due date, not yet alerted of ``kind``; coarse by date in SQL (an agency's
    own office hours may end a little later than the default ones: one day of margin)."""
    if kind == Alert.Kind.REMINDER:
        ahead = working_days.add_working_minutes(now, reminder_hours() * 60)
        horizon = timezone.localdate(ahead) + timedelta(days=1)
    else:
        horizon = timezone.localdate(now)
    return (WorkItem.objects.filter(state__in=WorkItem.ACTIVE_STATES, due_date__lte=horizon, agency__isnull=False)
            .exclude(alerts__kind=kind).select_related("dossier", "agency").order_by("due_date", "id"))


def send_reminders(now=None):
    """Steps due within the next N working hours: remind the official holding each, or, unclaimed, the
    agency's officials of its role. Returns the alerts sent."""
    now = now or timezone.now()
    sent, horizons = [], {}
    for item in _candidates(now, Alert.Kind.REMINDER):
        due = due_moment(item)
        if item.agency_id not in horizons:
            horizons[item.agency_id] = working_days.add_working_minutes(now, reminder_hours() * 60, item.agency)
        if due is None or due <= now or due > horizons[item.agency_id]:
            continue
        recipients = [item.claimed_by_id] if item.claimed_by_id else _officials(item.agency_id, item.role)
        alert = _send(item, Alert.Kind.REMINDER, Action.REMINDER_SENT, recipients, now, due)
        if alert:
            sent.append(alert)
    return sent


def escalate_overdue(now=None):
    """Steps past their due moment: tell the leaders of the step's agency. Returns the alerts sent."""
    now = now or timezone.now()
    sent = []
    for item in _candidates(now, Alert.Kind.ESCALATION):
        due = due_moment(item)
        if due is None or due >= now:
            continue
        recipients = _officials(item.agency_id, OfficialRole.LEADER)
        alert = _send(item, Alert.Kind.ESCALATION, Action.ESCALATED, recipients, now, due)
        if alert:
            sent.append(alert)
    return sent


def _send(item, kind, action, recipients, now, due):
    """Record the alert and its audit event together; a concurrent run that got there first wins."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(work_item=item, kind=kind, recipients=recipients, sent_at=now)
            audit.record(item.dossier, action, agency=item.agency, from_status=item.dossier.status, work_item=item,
                         data={"recipients": recipients, "work_item": item.pk,
                               "due_at": timezone.localtime(due).isoformat()})
    except IntegrityError:
        return None
    return alert
