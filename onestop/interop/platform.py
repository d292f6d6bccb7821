"""The connector for a data-sharing platform (a city's LGSP, the national NDXP): an exchange with a peer
that names a platform goes to the platform's one gateway instead of the peer's own address.

Two signatures, one inside the other:
- end to end, the peer's own (``signing``: HMAC over the ``X-Onestop-*`` headers with the key agreed with
  that agency): the platform relays those headers untouched, so the agency still knows who asks and the
  answer still proves it comes from the agency, whatever the platform does;
- hop by hop, RFC 9421 with our Ed25519 key (``httpsig``), covering the platform's routing headers (consumer,
  provider, service, message id: names from the ``Platform`` row): the platform knows the request is ours
  and unaltered, and signs its answer, bound to our request, with its own key, which we verify first.

Which peers go through which platform is data (``Peer.platform``, ``Peer.provider_code``), not code.
"""
import time
import uuid

import requests
from django.conf import settings

from . import httpsig, signing

TAG = "lgsp"


def _public_keys(platform):
    return {key_id: httpsig.load_public_key(text) for key_id, text in (platform.platform_keys or {}).items()}


class PlatformConnector:
    """One signed attempt of an operator's call through ``peer.platform``; every answer becomes an Outcome."""

    def __init__(self, peer):
        self.peer = peer
        self.platform = peer.platform

    def routing_headers(self, operator, request_id) -> dict:
        platform = self.platform
        return {platform.header("consumer"): platform.consumer_code,
                platform.header("provider"): self.peer.provider_code or self.peer.code,
                platform.header("service"): operator.name,
                platform.header("message_id"): request_id}

    def call(self, operator, params, exchange, body: bytes):
        from .connectors import Outcome, _error_text

        peer, platform = self.peer, self.platform
        path = operator.path(params)
        request_id = str(uuid.uuid4())
        secret = peer.get_secret()
        headers = signing.sign_request(
            operator.method, path, body, key_id=peer.key_id, secret=secret, client=settings.ONESTOP_CLIENT_ID,
            request_id=request_id, idempotency_key=str(exchange.idempotency_key),
            user=exchange.acting_user.get_username() if exchange.acting_user_id else "system",
            issue=exchange.dossier.code,
        )
        if body:
            headers["Content-Type"] = "application/json"
        routing = self.routing_headers(operator, request_id)
        headers.update(routing)
        url = platform.gateway_url.rstrip("/") + path
        key_id, private_key = settings.ONESTOP_SIGNING_KEY_ID, httpsig.load_private_key(settings.ONESTOP_SIGNING_KEY)
        headers = httpsig.sign_request(operator.method, url, body, key_id=key_id, private_key=private_key, tag=TAG,
                                       headers=headers, covered_headers=tuple(h.lower() for h in routing))
        outcome = Outcome(request_id=request_id, request_digest=signing.digest(body))
        where = f"{peer.name} ({platform.name})"
        started = time.monotonic()
        try:
            response = requests.request(operator.method, url, data=body or None, headers=headers,
                                        timeout=(peer.connect_timeout, peer.read_timeout), allow_redirects=False)
        except requests.Timeout:
            outcome.retry, outcome.error = True, f"{where}: no answer within the time limit"
        except requests.ConnectionError as exc:
            outcome.retry, outcome.error = True, f"{where}: connection failed ({type(exc).__name__})"
        outcome.duration_ms = int((time.monotonic() - started) * 1000)
        if outcome.error:
            return outcome, None
        outcome.http_status = response.status_code
        outcome.response_digest = signing.digest(response.content)
        outcome.response_body = response.content[:20000].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
        try:
            httpsig.verify_response(response.status_code, response.headers, response.content,
                                    request_method=operator.method, request_url=url, request_headers=headers,
                                    public_keys=_public_keys(platform), tag=TAG)
        except httpsig.SignatureError as exc:
            if response.status_code >= 500:
                outcome.retry, outcome.error = True, f"{where} answered {response.status_code}"
            elif response.status_code >= 400:
                outcome.error = (f"{platform.name} refused the request: HTTP {response.status_code} "
                                 f"{_error_text(response)} (unsigned answer)")
            else:
                outcome.error = f"{platform.name}: the answer is not trustworthy ({exc}); HTTP {response.status_code}"
            return outcome, None
        if response.status_code >= 500:
            outcome.retry, outcome.error = True, f"{where} answered {response.status_code}"
            return outcome, None
        try:
            signing.verify_response(response.status_code, response.headers, response.content, secret=secret,
                                    request_id=request_id)
        except signing.SignatureError as exc:
            if response.status_code >= 400:
                outcome.error = (f"{where} refused the request: HTTP {response.status_code} "
                                 f"{_error_text(response)} (not signed by {peer.name})")
            else:
                outcome.error = f"{where}: the answer is not trustworthy ({exc}); HTTP {response.status_code}"
            return outcome, None
        return outcome, response
