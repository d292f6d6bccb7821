"""The outbox of messages to the National Public Service Portal.

A message row is written by the audit trail's ``post_save`` (``handlers``), in the transaction of the
dossier's change, so that a change is reported if and only if it is committed. After the commit a Celery
task sends it (``deliver``): signed, retried with exponential backoff while the portal is unreachable, and
in order per dossier: a message waits while an earlier message of its dossier is not sent. Every attempt
carries the same message id, so a message sent twice (an answer lost on the way back) changes nothing on
the portal.
"""
import logging
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from onestop.core import refcache
from onestop.dossiers.models import Action, Dossier, DossierEvent, Handover

from . import protocol
from .models import OutboxMessage, PortalLink

log = logging.getLogger(__name__)
State = OutboxMessage.State
refcache.invalidate_on(PortalLink, "portal-link")

# Changes after which a step may have opened at another agency: a hand-over to report even when the
# dossier's status stays the same (in processing).
ADVANCING_ACTIONS = {
    Action.TASK_COMPLETED, Action.EXCHANGE_COMPLETED, Action.EXCHANGE_ENTERED_MANUALLY, Action.TIMER_FIRED,
    Action.INCIDENT_RETRIED, Action.APPLICANT_COMPLETED, Action.REASSIGNED,
}


def active_link() -> PortalLink | None:
    return PortalLink.objects.filter(is_active=True).order_by("pk").first()


def is_connected() -> bool:
    """There is an active portal link: read per process (``refcache``), since every change of every dossier
    asks; the sender reads the link itself afresh at each attempt."""
    return refcache.cache("portal-link").get(
        "active", lambda: PortalLink.objects.filter(is_active=True).values_list("pk", flat=True).first()) is not None


def may_report(event: DossierEvent) -> bool:
    """Decided from the event alone, so the many events the portal does not hear of cost no query."""
    return (event.to_status != event.from_status or event.action == Action.SUBMITTED
            or event.action in ADVANCING_ACTIONS)


def record_change(event: DossierEvent) -> OutboxMessage | None:
    """Write the portal message a dossier event calls for (inside the event's transaction), or nothing.

    The lifecycle holds the dossier's row lock, so the next sequence number of the dossier is ours alone.
    """
    if not may_report(event):
        return None
    if not is_connected():
        return None
    dossier = event.dossier
    # The next sequence number, the last message's leg and the route's last leg, in one query. The lifecycle
    # holds the dossier's row lock (``row_locked``); otherwise it is taken first, in a statement of its own, so
    # that what is read after it is current and two changes never draw the same sequence number.
    if not (getattr(dossier, "row_locked", False) and connection.in_atomic_block):
        Dossier.objects.select_for_update().filter(pk=dossier.pk).values_list("pk").first()
    messages = OutboxMessage.objects.filter(dossier_id=OuterRef("pk")).order_by("-sequence")
    last_sequence, last_handover_id, handover_id = Dossier.objects.filter(pk=dossier.pk).values_list(
        Subquery(messages.values("sequence")[:1]), Subquery(messages.values("handover_id")[:1]),
        Subquery(Handover.objects.filter(dossier_id=OuterRef("pk")).order_by("-id").values("id")[:1]),
    ).get()
    last = None if last_sequence is None else OutboxMessage(sequence=last_sequence, handover_id=last_handover_id)
    status_changed = event.to_status != event.from_status or event.action == Action.SUBMITTED
    handed_over = last is not None and handover_id != last.handover_id
    if not status_changed and not handed_over:
        return None
    code = protocol.status_code(event.action, event.to_status or dossier.status)
    if code is None:
        return None
    message = OutboxMessage(dossier=dossier, sequence=(last.sequence + 1) if last else 1, event=event,
                            service=protocol.service("sync_dossier"), status_code=code, handover_id=handover_id)
    agency_code = dossier.receiving_agency.identifier
    message.payload = protocol.envelope("sync_dossier", agency_code=agency_code, message_id=str(message.message_id),
                                        updating=last is not None, data=[protocol.dossier_record(dossier, code)])
    made = [message]
    if protocol.protocol().get("send_progress"):
        # The step that made the change, as the portal's progress record; sent after the dossier itself (the
        # sent message queues its follower).
        progress = OutboxMessage(dossier=dossier, sequence=message.sequence + 1, event=event, status_code=code,
                                 service=protocol.service("progress"), handover_id=handover_id)
        progress.payload = protocol.envelope("progress", agency_code=agency_code,
                                             message_id=str(progress.message_id),
                                             data=[protocol.progress_record(dossier, event, code)])
        made.append(progress)
    OutboxMessage.objects.bulk_create(made)  # one insert
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(message_pk, countdown=None):
    from . import tasks

    try:
        if countdown:
            tasks.send_message.apply_async((message_pk,), countdown=countdown)
        else:
            tasks.send_message.delay(message_pk)
    except Exception:  # the broker is down: the sweep sends it later
        log.exception("Portal message %s could not be queued; the sweep will send it", message_pk)


def _earlier_unsent(message: OutboxMessage) -> OutboxMessage | None:
    return (OutboxMessage.objects.filter(dossier_id=message.dossier_id, sequence__lt=message.sequence)
            .exclude(state=State.SENT).order_by("sequence").first())


def _backoff(link: PortalLink, attempts: int) -> float:
    return min(link.backoff_seconds * (2 ** max(attempts - 1, 0)), link.backoff_max_seconds)


def deliver(message_pk: int, *, schedule_retry: bool = True) -> OutboxMessage | None:
    """One attempt to send a message, if it is its turn. Returns the message, or None when it was not tried.

    The message's row lock is held during the call (never the dossier's): a second delivery of the same
    task waits, then finds the message sent. The next message of the dossier is queued once this one is.
    """
    with transaction.atomic():
        message = (OutboxMessage.objects.select_for_update(skip_locked=True)
                   .filter(pk=message_pk, state=State.PENDING).first())
        if message is None:  # sent, failed, or being sent by another worker right now
            return None
        earlier = _earlier_unsent(message)
        if earlier is not None:
            message.error = f"waiting for message #{earlier.sequence} of this dossier"
            message.save(update_fields=["error"])
            return None
        link = active_link()
        if link is None:
            message.error = "no active portal link is configured"
            message.save(update_fields=["error"])
            return None
        answer = protocol.post(link, message.payload)
        now = timezone.now()
        message.attempts += 1
        message.last_attempt_at = now
        message.http_status = answer.http_status
        message.answer = answer.text
        names = protocol.protocol()["envelope"]
        portal_error = None
        if answer.ok:
            code = str((answer.body or {}).get(names["error_code"], ""))
            if code != "0":
                portal_error = f"the portal refused the message: {names['error_code']}={code} " \
                               f"{(answer.body or {}).get(names['message'], '')}".strip()
        if answer.ok and portal_error is None:
            message.state, message.sent_at, message.error, message.next_attempt_at = State.SENT, now, "", None
        elif answer.retry and message.attempts < link.max_attempts:
            message.error = answer.error
            message.next_attempt_at = now + timedelta(seconds=_backoff(link, message.attempts))
        else:
            message.state = State.FAILED
            message.error = portal_error or answer.error
            message.next_attempt_at = None
        message.save()
    if message.state == State.SENT:
        follower = (OutboxMessage.objects.filter(dossier_id=message.dossier_id, sequence__gt=message.sequence,
                                                 state=State.PENDING).order_by("sequence").first())
        if follower is not None:
            _enqueue(follower.pk)
    elif message.state == State.PENDING and schedule_retry:
        _enqueue(message.pk, countdown=max((message.next_attempt_at - timezone.now()).total_seconds(), 0.01))
    if message.state == State.FAILED:
        log.warning("Portal message %s of dossier %s failed: %s", message.message_id, message.dossier_id,
                    message.error)
    return message


def retry(message: OutboxMessage) -> OutboxMessage:
    """An admin sends a failed (or waiting) message again: its attempts start over, its id stays."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if message.state != State.SENT:
            message.state, message.attempts, message.next_attempt_at = State.PENDING, 0, None
            message.save(update_fields=["state", "attempts", "next_attempt_at"])
            transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def send_due(limit: int = 500) -> int:
    """Periodic sweep: queue each dossier's first unsent message when its retry time has come (tasks lost with
    a broker restart, or never queued); the messages behind it follow it. Returns how many were queued."""
    now = timezone.now()
    earlier_unsent = (OutboxMessage.objects.filter(dossier_id=OuterRef("dossier_id"), sequence__lt=OuterRef("sequence"))
                      .exclude(state=State.SENT))
    due = (OutboxMessage.objects.filter(state=State.PENDING)
           .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
           .exclude(Exists(earlier_unsent)).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    queued = 0
    for pk in due:
        _enqueue(pk)
        queued += 1
    return queued


def resync(dossier: Dossier) -> OutboxMessage | None:
    """Report a dossier's present state once more (after a city connects, or to repair the portal's copy)."""
    event = dossier.events.order_by("-at", "-id").first()
    link = active_link()
    if link is None or event is None:
        return None
    with transaction.atomic():
        Dossier.objects.select_for_update().get(pk=dossier.pk)
        last = dossier.portal_messages.order_by("-sequence").first()
        code = protocol.status_code(event.action, dossier.status) or protocol.status_code("", dossier.status)
        message = OutboxMessage(dossier=dossier, sequence=(last.sequence + 1) if last else 1, event=event,
                                service=protocol.service("sync_dossier"), status_code=code or "",
                                handover_id=dossier.handovers.order_by("-id").values_list("id", flat=True).first())
        message.payload = protocol.envelope("sync_dossier", agency_code=dossier.receiving_agency.identifier,
                                            message_id=str(message.message_id), updating=last is not None,
                                            data=[protocol.dossier_record(dossier, code or "")])
        message.save()
        transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def lookup_on_portal(code: str) -> dict | None:
    """The portal's copy of a dossier (``TraCuuHoSo``): what citizens and the scoreboard see there."""
    link = active_link()
    if link is None:
        return None
    names = protocol.protocol()["envelope"]
    answer = protocol.post(link, protocol.envelope("lookup_dossier", agency_code="",
                                                        **{names["lookup_code"]: code}))
    if not answer.ok:
        raise PortalUnavailable(answer.error)
    found = (answer.body or {}).get(names["result"]) or []
    return found[0] if found else None


class PortalUnavailable(Exception):
    """The portal did not answer, or not in a way we can trust."""
