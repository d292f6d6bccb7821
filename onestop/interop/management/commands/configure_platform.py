"""manage.py configure_platform --url URL --consumer CODE [--keys id=key,...] [--peers all|code,...]:
a data-sharing platform (LGSP, NDXP) and the peers reached through it. Configuration, not code: run it
again with --peers none to call the peers directly."""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from onestop.interop import httpsig
from onestop.interop.models import Peer, Platform


class Command(BaseCommand):
    help = "Create or update a data-sharing platform and route peers through it."

    def add_arguments(self, parser):
        parser.add_argument("--code", default="lgsp")
        parser.add_argument("--name", default="Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)")
        parser.add_argument("--url", required=True, help="the platform's gateway URL")
        parser.add_argument("--consumer", required=True, help="our consumer code on the platform")
        parser.add_argument("--keys", default="lgsp-demo=demo:lgsp", help="the platform's public keys: id=key,...")
        parser.add_argument("--peers", default="all", help="all, none, or peer codes (comma-separated)")

    @transaction.atomic
    def handle(self, code, name, url, consumer, keys, peers, **options):
        public = {}
        for item in (part.strip() for part in keys.split(",") if part.strip()):
            key_id, sep, spec = item.partition("=")
            if not sep:
                raise CommandError(f"bad key {item!r}: expected key_id=public key")
            public[key_id] = httpsig.public_key_text(httpsig.load_public_key(spec))
        platform, _created = Platform.objects.update_or_create(code=code, defaults={
            "name": name, "gateway_url": url, "consumer_code": consumer, "platform_keys": public, "is_active": True})
        routed = Peer.objects.none() if peers == "none" else (
            Peer.objects.all() if peers == "all" else Peer.objects.filter(code__in=peers.split(",")))
        Peer.objects.filter(platform=platform).exclude(pk__in=routed.values("pk")).update(platform=None)
        for peer in routed:
            peer.platform, peer.provider_code = platform, peer.provider_code or peer.code
            peer.save(update_fields=["platform", "provider_code"])
        names = ", ".join(routed.values_list("code", flat=True)) or "none"
        self.stdout.write(f"platform {platform.code} at {platform.gateway_url}; peers through it: {names}")
