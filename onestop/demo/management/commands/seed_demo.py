from django.core.management.base import BaseCommand

from onestop.demo.seed import DEMO_PASSWORD, seed


class Command(BaseCommand):
    help = "Load demo agencies, officials, citizens and the sample procedures (safe to run twice)."

    def handle(self, *args, **options):
        logins = seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded. Logins (password: {DEMO_PASSWORD}):"))
        for username, what in logins:
            self.stdout.write(f"  {username:<22} {what}")
