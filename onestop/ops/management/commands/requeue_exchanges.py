"""Send again the Celery jobs of exchanges still pending: after a restore from backup, or after a broker
lost its messages (Redis without persistence), no message is left to finish them.

Beat runs the same sweep on its own (``requeue-stale-exchanges``); this is for a person. Safe to run at
any time: the task does nothing twice (an exchange with an answer is not called again, a dossier is
resumed once). ``--older-than`` leaves alone exchanges attempted recently, which may simply be
waiting for their next retry.
"""
from datetime import timedelta

from django.core.management.base import BaseCommand

from onestop.interop import services


class Command(BaseCommand):
    help = "Enqueue again the exchanges that are still pending (after a restore or a lost broker)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, default=30, metavar="MINUTES",
                            help="only exchanges created or last attempted at least this long ago (default 30)")

    def handle(self, *args, older_than, **options):
        count = services.requeue_stale(timedelta(minutes=older_than))
        self.stdout.write(f"{count} exchange(s) enqueued again")
