"""The fault stack's mail and SMS backends: every message handed to them is one JSON line appended to the
file ``FAULTS_OUTBOX``, written before the backend returns, as a mail server accepts a message before the
worker records it. The checks count what left from this file, not from the rows' state.

One ``write`` on a file opened with ``O_APPEND``: the worker's processes append whole lines, and a worker
killed after the write has still sent the message (a kill before it has not).
"""
import json
import os
import time

from django.core.mail.backends.base import BaseEmailBackend

from onestop.notifications.backends import SmsBackend


def append(channel, to, subject, body):
    # The round trip to a mail relay or an SMS gateway (``FAULTS_SEND_SECONDS``): a batch takes a while to send.
    time.sleep(float(os.environ.get("FAULTS_SEND_SECONDS", "0")))
    line = json.dumps({"channel": channel, "to": to, "subject": subject, "body": body, "pid": os.getpid()},
                      ensure_ascii=False) + "\n"
    fd = os.open(os.environ["FAULTS_OUTBOX"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


class EmailBackend(BaseEmailBackend):
    """Django's mail backend interface; the message is built in full (headers checked) before it is written."""

    def send_messages(self, email_messages):
        for message in email_messages:
            message.message()
            for to in message.recipients():
                append("email", to, message.subject, message.body)
        return len(email_messages)


class FileSmsBackend(SmsBackend):
    def send(self, to, text):
        append("sms", to, "", text)


def read(path):
    """The outbox's lines as dicts (none when nothing was sent)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line]
