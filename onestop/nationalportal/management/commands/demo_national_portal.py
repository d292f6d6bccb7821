"""manage.py demo_national_portal: after seed_demo, with the stand-in portal running, a few dossiers moved
along (each change synchronised to the portal) and the dossiers submitted on the portal taken in."""
from django.core.management.base import BaseCommand

from onestop.nationalportal import demo


class Command(BaseCommand):
    help = "Synchronise a few demo dossiers with the (stand-in) national portal and take in its submissions."

    def handle(self, **options):
        for line in demo.run():
            self.stdout.write(line)
