"""Send again the Celery jobs of exchanges still pending: after a restore from backup, or after a broker
lost its messages (Redis without persistence), no message is left to finish them.

Safe to run at any time: the task does nothing twice (an exchange with an answer is not called again, a
dossier is resumed once). ``--older-than`` leaves alone exchanges attempted recently, which may simply be
waiting for their next retry.
"""
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from onestop.interop.models import Exchange
from onestop.interop.tasks import run_exchange


class Command(BaseCommand):
    help = "Enqueue again the exchanges that are still pending (after a restore or a lost broker)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, default=30, metavar="MINUTES",
                            help="only exchanges created or last attempted at least this long ago (default 30)")

    def handle(self, *args, older_than, **options):
        before = timezone.now() - timedelta(minutes=older_than)
        pending = (Exchange.objects.filter(state=Exchange.State.PENDING)
                   .filter(Q(last_attempt_at__lte=before) | Q(last_attempt_at__isnull=True, created_at__lte=before))
                   .order_by("created_at").values_list("pk", flat=True))
        count = 0
        for pk in pending.iterator():
            run_exchange.delay(pk)
            count += 1
        self.stdout.write(f"{count} exchange(s) enqueued again")
