from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext as _

from onestop.demo.seed import DEMO_PASSWORD, seed
from onestop.organisation.models import OfficialRole


def describe(what: str) -> str:
    """A login's description from ``seed()`` ("admin", "citizen", "<role> @ <agency code>") in the active
    language."""
    if what == "admin":
        return _("administrator")
    if what == "citizen":
        return _("citizen")
    role, _at, agency = what.partition(" @ ")
    label = OfficialRole(role).label if role in OfficialRole.values else role
    return f"{label} @ {agency}" if agency else str(label)


class Command(BaseCommand):
    help = "Load demo agencies, officials, citizens and the sample procedures (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--lang", default="vi", choices=["vi", "en"], help="Language of the messages")

    def handle(self, *args, lang, **options):
        logins = seed()
        with translation.override(lang):
            self.stdout.write(self.style.SUCCESS(
                _("Demo data loaded. Logins (password: %(password)s):") % {"password": DEMO_PASSWORD}))
            for username, what in logins:
                self.stdout.write(f"  {username:<22} {describe(what)}")
