"""How a message leaves the system, per channel.

Email goes through Django's mail backends (``EMAIL_BACKEND``: SMTP in production, console in the demo,
locmem in tests). SMS goes through the class named by ``ONESTOP_SMS_BACKEND``; a provider's gateway is one
small class with a ``send`` method. A backend raises any exception to say the message did not leave;
the caller records the error and tries again later.
"""
import sys
import threading

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string


class SmsBackend:
    """The interface of an SMS gateway."""

    def send(self, to, text):  # pragma: no cover - the interface
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Writes the SMS to standard output: the default, for the demo and development."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, to, text):
        self.stream.write(f"SMS to {to}:\n{text}\n{'-' * 40}\n")
        self.stream.flush()


_lock = threading.Lock()
outbox = []  # messages "sent" by LocmemSmsBackend, like django.core.mail.outbox


class LocmemSmsBackend(SmsBackend):
    """Keeps the SMS in ``backends.outbox`` as (number, text): for tests."""

    def send(self, to, text):
        with _lock:
            outbox.append((to, text))


def sms_backend():
    return import_string(settings.ONESTOP_SMS_BACKEND)()


def send_email(to, subject, body, connection=None):
    # One line subjects: a line break in a header is refused by Django (header injection).
    subject = " ".join(subject.split())
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], connection=connection).send(fail_silently=False)


def send_sms(to, text, gateway=None):
    (gateway or sms_backend()).send(to, text)


def send(channel, to, subject, body):
    """Send one message on ``channel`` ("email" or "sms"); raise if it did not leave."""
    with Sender() as sender:
        sender.send(channel, to, subject, body)


class Sender:
    """Sends a batch of messages over one mail connection (one SMTP session, not one per message) and one
    SMS gateway object. A failed email closes the connection, so the next message opens a fresh one."""

    def __init__(self):
        self._mail = self._gateway = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._close_mail()

    def send(self, channel, to, subject, body):
        """Send one message on ``channel`` ("email" or "sms"); raise if it did not leave."""
        if channel == "email":
            try:
                if self._mail is None:
                    self._mail = get_connection(fail_silently=False)
                    self._mail.open()
                send_email(to, subject, body, connection=self._mail)
            except Exception:
                self._close_mail()
                raise
        elif channel == "sms":
            if self._gateway is None:
                self._gateway = sms_backend()
            send_sms(to, body, gateway=self._gateway)
        else:
            raise ValueError(f"Unknown channel {channel!r}")

    def _close_mail(self):
        mail, self._mail = self._mail, None
        if mail is not None:
            try:
                mail.close()
            except Exception:  # noqa: BLE001 - a connection that broke is closed already as far as we care
                pass
