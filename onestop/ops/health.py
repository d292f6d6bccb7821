"""Checks shared by /readyz, the metrics and the worker health command."""
from django.conf import settings
from django.db import connection

from onestop.celery import app as celery_app

BROKER_TIMEOUT = 3  # seconds: a probe must answer before Kubernetes gives up on it


def database_ok():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def broker_ok():
    if celery_app.conf.task_always_eager:
        return  # no broker in the demo: tasks run in the web process
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)


def queue_lengths():
    """{queue: messages waiting} for every queue of settings.ONESTOP_CELERY_QUEUES."""
    lengths = {}
    with celery_app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        for queue in settings.ONESTOP_CELERY_QUEUES:
            channel = conn.channel()
            try:
                lengths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
            except conn.channel_errors:
                lengths[queue] = 0  # not declared yet: no worker has started on it and nothing was sent
            finally:
                try:
                    channel.close()
                except Exception:  # noqa: BLE001 - a channel the broker already closed
                    pass
    return lengths
