"""Making and sending notifications.

Rows are made in the transaction of the change they report (so a rolled-back change tells nobody), and
handed to the Celery task when that transaction commits. Sending happens later, outside the workflow:
a failure is recorded on the row and retried, and never touches the dossier.
"""
from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import redis
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


def rows_for(dossier: Dossier, message: Message, *, event: DossierEvent | None = None) -> list[Notification]:
    """The unsaved rows of ``message``: one per recipient and channel. A recipient with no address gets a row
    that says so, failed from the start. Writes nothing, so a fault here leaves the transaction as it was."""
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
    return rows


def save(rows: list[Notification]) -> int:
    """Write ``rows`` in one insert and have them sent once the current transaction commits.

    ``ON CONFLICT DO NOTHING``: the unique constraint (event, recipient, channel, template) makes a handler
    run twice add nothing, and the insert cannot fail on it, so it needs no savepoint of its own. Returns how
    many rows wait to be sent.
    """
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    queued = sum(row.state == State.QUEUED for row in rows)
    if queued:
        send_after_commit()
    return queued


def notify(dossier: Dossier, message: Message, *, event: DossierEvent | None = None) -> int:
    """Make the rows of ``message`` and send them once the current transaction commits."""
    return save(rows_for(dossier, message, event=event))


# --- handing over to the worker ----------------------------------------------------------------------
#
# The worker sends every queued row it finds (``send_pending``), so one task serves every change committed
# before it reads the rows: a change does not publish a task of its own when one is sure to read after it.
# The task runs a moment after it is published (a countdown, ``SEND_DELAY_SECONDS``), so that the changes of
# that moment share it. Two ways to know a task will read after a change's commit:
# - in this process: it published a task that cannot run before ``_published_until`` (its countdown, less a
#   margin for the clocks of the web and worker machines); any broker, no round trip;
# - across processes, when the broker is Redis: a key set with SET NX by the change that publishes the task and
#   deleted by the task before it reads the rows, so a change that finds the key set committed its rows before
#   that read. The key expires, so a task lost with the broker or a dead worker holds nothing up for long.
# A worker that starts publishes a task whatever either says (it may replace one that died holding the
# pending task), and so does the beat's sweep (``send_queued``).

SEND_DELAY_SECONDS = 1.0
CLOCK_MARGIN_SECONDS = 0.25
PENDING_KEY = "onestop:notifications:send-pending"
PENDING_KEY_SECONDS = 5
_published_until = 0.0  # wall-clock time before which a task this process published will not have run


@functools.cache
def _redis(url):
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _eager():
    from onestop.celery import app

    return app.conf.task_always_eager


def _pending_flag():
    """The broker's Redis, where the key lives; None without one (RabbitMQ, or tasks run eagerly)."""
    from onestop.celery import app

    url = app.conf.broker_url or ""
    if app.conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
        return None
    return _redis(url)


def send_after_commit() -> None:
    """Have the worker send the queued rows once the current transaction commits."""
    transaction.on_commit(request_send, robust=True)


def request_send(force: bool = False) -> None:
    """Publish ``send_pending`` unless a task is sure to read the rows committed until now (``force``: publish
    whatever is pending). A broker that is down leaves the rows queued for the sweep."""
    global _published_until
    from .tasks import send_pending

    now, eager = time.time(), _eager()
    if not force and not eager and now < _published_until:
        return  # this process's task runs later than now: it reads these rows
    flag = _pending_flag()
    if flag is not None and not force:
        try:
            if not flag.set(PENDING_KEY, 1, nx=True, ex=PENDING_KEY_SECONDS):
                return  # a task is pending: it reads the rows after deleting the key, so it sees these
        except Exception:  # noqa: BLE001 - Redis unreachable: publishing below says whether the broker is down
            flag = None
    try:
        send_pending.apply_async(countdown=SEND_DELAY_SECONDS)
    except Exception:  # the broker is down: the sweep sends them later
        log.exception("Could not enqueue the sending of notifications")
        if flag is not None and not force:
            try:
                flag.delete(PENDING_KEY)  # so that the next change tries again
            except Exception:  # noqa: BLE001 - it expires
                pass
        return
    if not eager:  # an eager task has run already
        _published_until = now + SEND_DELAY_SECONDS - CLOCK_MARGIN_SECONDS


# --- sending -----------------------------------------------------------------------------------------

def _fail(notification, error):
    notification.state = State.FAILED
    notification.last_error = error
    notification.save(update_fields=["state", "last_error"])


SEND_BATCH = 20  # rows per transaction: what a worker that dies mid-batch may send twice


def send_pending(batch: int = SEND_BATCH) -> int:
    """First attempt at every queued row never tried, ``batch`` rows per transaction; returns how many.

    Each batch is read with ``FOR UPDATE SKIP LOCKED``, so two workers never send the same row, and written
    back with one update for the rows sent. A row whose send failed records its attempt and is retried on its
    own (``send_notification``, with backoff); rows with failed attempts are theirs, not this task's.
    """
    flag = _pending_flag()
    if flag is not None:
        try:
            flag.delete(PENDING_KEY)  # before reading: a row committed after this publishes a task of its own
        except Exception:  # noqa: BLE001 - it expires
            pass
    total = 0
    while True:
        done = _send_batch(batch)
        total += done
        if done < batch:
            return total


def _send_batch(batch):
    retry = []
    with transaction.atomic():
        rows = list(Notification.objects.select_for_update(skip_locked=True)
                    .filter(state=State.QUEUED, attempts=0).order_by("created_at", "id")
                    .only("pk", "channel", "address", "subject", "body")[:batch])
        if not rows:
            return 0
        sent, failed = [], []
        with backends.Sender() as sender:
            for row in rows:
                try:
                    sender.send(row.channel, row.address, row.subject, row.body)
                except Exception as exc:  # any backend error is a failed attempt, never an error of the workflow
                    failed.append((row.pk, f"{type(exc).__name__}: {exc}"[:2000]))
                else:
                    sent.append(row.pk)
        if sent:
            Notification.objects.filter(pk__in=sent).update(state=State.SENT, attempts=1, sent_at=timezone.now())
        give_up = settings.ONESTOP_NOTIFICATION_MAX_ATTEMPTS <= 1
        for pk, error in failed:
            Notification.objects.filter(pk=pk).update(attempts=1, last_error=error,
                                                      state=State.FAILED if give_up else State.QUEUED)
            log.warning("Notification %s not sent: %s", pk, error)
            if not give_up:
                retry.append(pk)
        if retry:
            transaction.on_commit(lambda: _retry_later(retry), robust=True)
    return len(rows)


def _retry_later(ids):
    from .tasks import send_notification

    for pk in ids:
        send_notification.apply_async((pk,), countdown=settings.ONESTOP_NOTIFICATION_RETRY_BACKOFF)


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
        send_after_commit()
    else:
        _fail(notification, _("The recipient has no email address or phone number."))
    return notification


# A row with a failed attempt still queued this long after it was made has lost its retry task (its worker died
# between recording the attempt and publishing the retry, or the broker lost it): its retries take minutes.
RETRY_LOST_AFTER = timedelta(hours=1)


def send_queued(older_than: timedelta = timedelta(minutes=10)) -> int:
    """The sweep: have rows never tried long after their commit sent (their task was lost, or the broker was
    down when they were made), and hand rows whose retry was lost to ``send_notification`` again; returns how
    many rows. Rows with failed attempts within their retries are left to them, so the backoff holds."""
    now = timezone.now()
    queued = Notification.objects.filter(state=State.QUEUED)
    count = queued.filter(attempts=0, created_at__lt=now - older_than).count()
    if count:
        request_send(force=True)
    lost = list(queued.filter(attempts__gt=0, created_at__lt=now - max(older_than, RETRY_LOST_AFTER))
                .values_list("pk", flat=True))
    if lost:
        _retry_later(lost)
    return count + len(lost)
