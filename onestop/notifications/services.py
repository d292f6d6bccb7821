"""Making and sending notifications.

Rows are made in the transaction of the change they report (so a rolled-back change tells nobody), and
handed to the Celery task when that transaction commits. Sending happens later, outside the workflow:
a failure is recorded on the row and retried, and never touches the dossier.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import backends
from .models import Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from onestop.dossiers.models import Dossier, DossierEvent

log = logging.getLogger(__name__)

Channel = Notification.Channel
State = Notification.State

# Email carries Vietnamese first, then English (users have no language preference yet); an SMS is
# Vietnamese only, to stay short.
EMAIL_LANGUAGES = ("vi", "en")
SMS_LANGUAGE = "vi"
SEPARATOR = "\n\n——— English ———\n\n"


class DeliveryFailed(Exception):
    """A send failed and will be tried again (the task retries on it, with backoff)."""


@dataclass
class Message:
    """What to tell whom: a template key, the users, and the facts the template needs."""

    template: str
    recipients: list
    facts: dict = field(default_factory=dict)
    # Citizens are also told by SMS when they have a phone number; officials by email only.
    sms: bool = False


# --- composing ---------------------------------------------------------------------------------------

def _name_in(obj, language):
    if obj is None:
        return ""
    return (language == "en" and getattr(obj, "name_en", "")) or obj.name


def _person(user):
    if user is None:
        return ""
    citizen = getattr(user, "citizen", None)
    return (citizen.full_name if citizen is not None else "") or user.get_full_name() or user.get_username()


def link(url_name: str, *args: object) -> str:
    """An absolute link to a page, when that page exists (``ONESTOP_SITE_URL`` + its path)."""
    try:
        path = reverse(url_name, args=args)
    except NoReverseMatch:
        return ""
    return settings.ONESTOP_SITE_URL.rstrip("/") + path


def _context(dossier, user, facts, language):
    agency = facts.get("agency") or dossier.receiving_agency
    return {
        **facts,
        "name": _person(user),
        "code": dossier.code,
        "procedure": _name_in(dossier.procedure, language),
        "agency": _name_in(agency, language),
        "appointment_date": facts.get("appointment_date", dossier.appointment_date),
        "received_at": dossier.received_at,
    }


def _render(template, part, context, language):
    with translation.override(language):
        return render_to_string(f"notifications/{template}/{part}.txt", context).strip()


def compose(message: Message, dossier: Dossier, user: User, channel: str) -> tuple[str, str]:
    """The subject and text of ``message`` for ``user`` on ``channel``."""
    if channel == Channel.SMS:
        context = _context(dossier, user, message.facts, SMS_LANGUAGE)
        return "", _render(message.template, "sms", context, SMS_LANGUAGE)
    subjects, bodies = [], []
    for language in EMAIL_LANGUAGES:
        context = _context(dossier, user, message.facts, language)
        subject, body = (_render(message.template, part, context, language) for part in ("subject", "body"))
        if subject not in subjects:
            subjects.append(subject)
        if body not in bodies:
            bodies.append(body)
    return " / ".join(subjects)[:300], SEPARATOR.join(bodies)


# --- making ------------------------------------------------------------------------------------------

def address_of(user: User, channel: str) -> str:
    if channel == Channel.SMS:
        return getattr(getattr(user, "citizen", None), "phone", "") or ""
    return user.email or ""


def _addresses(user, sms):
    """(channel, address) pairs for ``user``; an empty address records that the user could not be told."""
    channels = [Channel.EMAIL, Channel.SMS] if sms else [Channel.EMAIL]
    pairs = [(channel, address) for channel in channels if (address := address_of(user, channel))]
    return pairs or [(Channel.EMAIL, "")]


def notify(dossier: Dossier, message: Message, *, event: DossierEvent | None = None) -> list[int]:
    """Make the rows of ``message`` and send them once the current transaction commits.

    ``event`` was created in this transaction (post_save), so none of its rows exist yet: one insert of them
    all (the unique constraint still refuses a second row for the same event, recipient, channel and
    template). A recipient with no address gets a row that says so, failed from the start.
    """
    rows = []
    for user in message.recipients:
        for channel, address in _addresses(user, message.sms):
            subject, body = compose(message, dossier, user, channel)
            rows.append(Notification(
                event=event, recipient=user, channel=channel, template=message.template,
                dossier=dossier, address=address, subject=subject, body=body,
                **({} if address else {"state": State.FAILED,
                                       "last_error": _("The recipient has no email address or phone number.")}),
            ))
    made = [row.pk for row in Notification.objects.bulk_create(rows) if row.state == State.QUEUED]
    if made:
        transaction.on_commit(lambda: enqueue(made), robust=True)
    return made


def enqueue(ids: Iterable[int]) -> None:
    """Hand rows to the worker, in one task. A broker that is down leaves them queued for ``send_queued``."""
    from .tasks import send_notifications

    ids = list(ids)
    if not ids:
        return
    try:
        send_notifications.delay(ids)
    except Exception:  # the broker is down: the sweep sends them later
        log.exception("Could not enqueue notifications %s", ids)


# --- sending -----------------------------------------------------------------------------------------

def _fail(notification, error):
    notification.state = State.FAILED
    notification.last_error = error
    notification.save(update_fields=["state", "last_error"])


def deliver(notification_id: int) -> Notification | None:
    """One attempt to send a queued notification; a second delivery of the task finds it sent.

    The row lock is held while sending, so two workers given the same task send it once. Raises
    ``DeliveryFailed`` after recording a failed attempt that may be retried; after the last attempt the row
    is marked failed and nothing is raised.
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.state != State.QUEUED:
            return notification
        notification.attempts += 1
        try:
            backends.send(notification.channel, notification.address, notification.subject, notification.body)
        except Exception as exc:  # any backend error is a failed attempt, never an error of the workflow
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if notification.attempts >= settings.ONESTOP_NOTIFICATION_MAX_ATTEMPTS:
                notification.state = State.FAILED
                log.warning("Notification %s failed for good: %s", notification.pk, notification.last_error)
            notification.save(update_fields=["attempts", "last_error", "state"])
            retry = notification.state == State.QUEUED
        else:
            notification.state = State.SENT
            notification.sent_at = timezone.now()
            notification.save(update_fields=["attempts", "state", "sent_at"])
            retry = False
    if retry:
        raise DeliveryFailed(notification.last_error)
    return notification


@transaction.atomic
def resend(notification: Notification) -> Notification:
    """Send a failed notification again (an admin fixed the address or the mail server)."""
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.state != State.FAILED:
        return notification
    notification.state = State.QUEUED
    notification.attempts = 0
    if not notification.address and notification.recipient_id:
        notification.address = address_of(notification.recipient, notification.channel)
    notification.save(update_fields=["state", "attempts", "address"])
    if notification.address:
        transaction.on_commit(lambda: enqueue([notification.pk]), robust=True)
    else:
        _fail(notification, _("The recipient has no email address or phone number."))
    return notification


def send_queued(older_than: timedelta = timedelta(minutes=10)) -> int:
    """Enqueue rows never tried long after their commit (the broker was down when they were made).

    Rows with failed attempts are left to the task's own retries, so the backoff holds.
    """
    cutoff = timezone.now() - older_than
    ids = list(Notification.objects.filter(state=State.QUEUED, attempts=0, created_at__lt=cutoff)
               .values_list("pk", flat=True))
    enqueue(ids)
    return len(ids)
