"""manage.py configure_national_portal [--url URL] [--keys id=key,...]: the portal link, from settings or
arguments (idempotent). A city runs it once with the portal's address and public keys."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from onestop.interop import httpsig
from onestop.nationalportal.models import PortalLink


def parse_keys(text: str) -> dict:
    keys = {}
    for item in (part.strip() for part in text.split(",")):
        if item:
            key_id, sep, spec = item.partition("=")
            if not sep or not key_id or not spec:
                raise CommandError(f"bad key {item!r}: expected key_id=public key")
            keys[key_id] = httpsig.public_key_text(httpsig.load_public_key(spec))
    return keys


class Command(BaseCommand):
    help = "Create or update the link to the National Public Service Portal."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=settings.ONESTOP_NATIONAL_PORTAL_URL,
                            help="the portal's base URL (default: $ONESTOP_NATIONAL_PORTAL_URL)")
        parser.add_argument("--endpoint", default=None, help="the integration endpoint's path")
        parser.add_argument("--keys", default=settings.ONESTOP_NATIONAL_PORTAL_KEYS,
                            help="the portal's public keys: key_id=base64url,... ($ONESTOP_NATIONAL_PORTAL_KEYS)")
        parser.add_argument("--dstcode", default=None)
        parser.add_argument("--inactive", action="store_true", help="keep the link but send nothing")

    def handle(self, url, endpoint, keys, dstcode, inactive, **options):
        if not url:
            raise CommandError("give --url or set ONESTOP_NATIONAL_PORTAL_URL")
        values = {"name": "Cổng Dịch vụ công quốc gia", "base_url": url, "portal_keys": parse_keys(keys),
                  "is_active": not inactive}
        if endpoint is not None:
            values["endpoint"] = endpoint
        if dstcode is not None:
            values["dstcode"] = dstcode
        link, created = PortalLink.objects.update_or_create(code="dvcqg", defaults=values)
        self.stdout.write(f"{'created' if created else 'updated'} the portal link: {link.base_url}{link.endpoint}")
        self.stdout.write(f"our key id {settings.ONESTOP_SIGNING_KEY_ID}, public key "
                          f"{httpsig.public_key_text(httpsig.load_private_key(settings.ONESTOP_SIGNING_KEY))}")
