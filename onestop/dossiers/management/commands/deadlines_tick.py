"""Fire the due timers and send the reminders and escalations now: what beat asks of the workers, for a
demo without a broker, a cron job, or an admin checking by hand. ``--every N`` repeats it every N seconds."""
import time

from django.core.management.base import BaseCommand

from onestop.deadlines import escalations
from onestop.dossiers.lifecycle import timers


class Command(BaseCommand):
    help = "Fire due BPMN timers, then send reminders and escalations (once, or every N seconds)."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="repeat every N seconds until interrupted")

    def handle(self, *args, every=0, **options):
        while True:
            fired = timers.fire_due_timers()
            reminders, escalated = len(escalations.send_reminders()), len(escalations.escalate_overdue())
            self.stdout.write(f"timers fired: {fired}, reminders: {reminders}, escalations: {escalated}")
            if not every:
                return
            time.sleep(every)
