"""Which audit events tell whom what.

The citizen hears of changes of their dossier's status (accepted at the desk, documents to add, refused,
result ready) and of an extension; officials hear of a step assigned to them, a reminder before its due
date and, for leaders, an escalation when it is late. Every other event tells nobody.
"""
import datetime
import logging

from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from onestop.dossiers.models import Action, Status
from onestop.worklist.models import WorkItem

from .services import Message, link, rows_for, save

log = logging.getLogger(__name__)

# Status the dossier moved to -> the citizen's message.
CITIZEN_ON_STATUS = {
    Status.SUPPLEMENT_REQUESTED: "supplement_requested",
    Status.REFUSED: "refused",
    Status.RESULT_READY: "result_ready",
}
# Event -> the officials' message, and the key of the event's data naming them (user ids or usernames).
OFFICIALS_ON_ACTION = {
    Action.REASSIGNED: ("assigned", "to"),
    Action.REMINDER_SENT: ("reminder", "recipients"),
    Action.ESCALATED: ("escalated", "recipients"),
}


def on_dossier_event(sender, instance, created, raw=False, **kwargs):
    """post_save of DossierEvent, inside the transaction of the change: make the messages it calls for.

    A fault in composing them must not undo the change of the dossier: they are composed before anything is
    written, and a fault is logged. Their rows are then one insert that cannot conflict (``services.save``), so
    no savepoint is needed; a database error is not swallowed, as the transaction could not commit anyway.
    """
    if not created or raw or not _may_notify(instance):
        return
    try:
        rows = [row for message in messages_for(instance)
                for row in rows_for(instance.dossier, message, event=instance)]
    except DatabaseError:
        raise
    except Exception:
        log.exception("Notifications for event %s of dossier %s were not made", instance.pk, instance.dossier_id)
        return
    save(rows)


def _may_notify(event):
    """``messages_for`` would make a message: decided from the event alone, so that the many events that tell
    nobody (submitted, claimed, a step done within processing) cost no query."""
    if event.action in OFFICIALS_ON_ACTION or event.action == Action.EXTENDED:
        return True
    if event.to_status == event.from_status:
        return False
    return event.to_status in CITIZEN_ON_STATUS or (
        event.action == Action.RECEPTION_COMPLETED and event.to_status == Status.PROCESSING)


def _applicant(dossier):
    """The dossier's applicant with their citizen record (the SMS number): one query, or none when read."""
    field = type(dossier)._meta.get_field("applicant")
    if not field.is_cached(dossier):
        dossier.applicant = get_user_model().objects.select_related("citizen").get(pk=dossier.applicant_id)
    return dossier.applicant


def messages_for(event):
    """The messages an audit event calls for (cheap for the events that call for none)."""
    dossier = event.dossier
    data = event.data or {}
    if event.action in OFFICIALS_ON_ACTION:
        template, key = OFFICIALS_ON_ACTION[event.action]
        return [_to_officials(event, template, data.get(key))]
    citizen_link = link("portal:dossier", dossier.code)
    if event.action == Action.EXTENDED:
        # lifecycle.extensions records {"from": date, "to": date, "letter": attachment key}.
        new_date = _date(data.get("new_date") or data.get("to")) or dossier.appointment_date
        letter = link("dossier-attachment", data["letter"]) if data.get("letter") else ""
        return [Message("extended", [_applicant(dossier)], sms=True, facts={
            "new_date": new_date, "appointment_date": new_date, "reason": data.get("reason") or event.comment,
            "link": citizen_link, "letter": letter,
        })]
    if event.to_status == event.from_status:
        return []
    if event.action == Action.RECEPTION_COMPLETED and event.to_status == Status.PROCESSING:
        return [Message("received", [_applicant(dossier)], sms=True, facts={"link": citizen_link})]
    template = CITIZEN_ON_STATUS.get(event.to_status)
    if template is None:
        return []
    facts = {"documents": data.get("missing_documents") or dossier.missing_documents or [],
             "reason": event.comment, "link": citizen_link}
    if template != "result_ready" and event.agency_id:
        facts["agency"] = event.agency  # who asks or refuses; the result is collected at the receiving desk
    return [Message(template, [_applicant(dossier)], sms=True, facts=facts)]


def _to_officials(event, template, who):
    """``who``: the user ids (or usernames) the event names, e.g. data {"recipients": [3, 7]} or {"to": "an"}."""
    who = who if isinstance(who, list) else [who] if who else []
    ids = [w for w in who if isinstance(w, int)]
    names = [w for w in who if isinstance(w, str) and w]
    users = list(get_user_model().objects.filter(Q(pk__in=ids) | Q(username__in=names), is_active=True)
                 .select_related("citizen").order_by("pk"))
    data = event.data or {}
    item = event.work_item
    if item is None and isinstance(data.get("work_item"), int):
        item = WorkItem.objects.select_related("agency", "claimed_by").filter(pk=data["work_item"]).first()
    facts = {"actor": _actor_name(event), "reason": event.comment, "step": data.get("step", ""), "holder": ""}
    if item is not None:
        facts.update(step=item.name, agency=item.agency, link=link("workspace:item", item.pk),
                     holder=_actor_name(item.claimed_by) if item.claimed_by_id else "")
    facts["due"] = _due(data.get("due_at"), item.due_date if item is not None else None)
    return Message(template, users, facts=facts)


def _due(due_at, due_date):
    """The due moment as people read it: dd/mm/yyyy, with the time when the step has an hour budget."""
    if due_at:
        try:
            return timezone.localtime(datetime.datetime.fromisoformat(due_at)).strftime("%d/%m/%Y %H:%M")
        except (TypeError, ValueError):
            pass
    return due_date.strftime("%d/%m/%Y") if due_date else ""


def _actor_name(event_or_user):
    user = getattr(event_or_user, "actor", event_or_user)
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _date(value):
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
