"""Exit 0 when this host's Celery worker answers a ping through the broker, 1 otherwise.

For a container's HEALTHCHECK or a Kubernetes liveness probe on a worker: a worker that lost its
broker connection or hangs stops answering and gets restarted; its unacknowledged tasks go back to
the queue (acks late).
"""
import socket

from django.core.management.base import BaseCommand, CommandError

from onestop.celery import app as celery_app


class Command(BaseCommand):
    help = "Ping this host's Celery worker; exit 1 if it does not answer."

    def add_arguments(self, parser):
        parser.add_argument("--node", default=f"celery@{socket.gethostname()}",
                            help="the worker's node name (celery -n), default celery@<hostname>")
        parser.add_argument("--timeout", type=float, default=5.0)

    def handle(self, *args, node, timeout, **options):
        try:
            replies = celery_app.control.ping(destination=[node], timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - no broker is as bad as no worker
            raise CommandError(f"broker unavailable: {exc}") from exc
        if not any(node in reply for reply in replies):
            raise CommandError(f"worker {node} did not answer within {timeout:g} s")
        self.stdout.write(f"{node}: ok")
