"""The call to the National Public Service Portal: one signed JSON POST to its integration endpoint.

Signed with our system's Ed25519 key (``ONESTOP_SIGNING_KEY_ID``, ``ONESTOP_SIGNING_KEY``) as RFC 9421
HTTP Message Signatures (``httpsig``); the answer must be signed by one of the portal's keys and bound to
this request. Never raises for the portal's sake: every result is a ``PortalAnswer``.
"""
import json
import time
from dataclasses import dataclass

import requests
from django.conf import settings

from . import httpsig


@dataclass
class PortalAnswer:
    ok: bool = False
    retry: bool = False  # a failure worth another attempt later (no answer, 5xx, 429)
    error: str = ""
    http_status: int | None = None
    body: dict | None = None
    text: str = ""
    duration_ms: int = 0


def our_key():
    return settings.ONESTOP_SIGNING_KEY_ID, httpsig.load_private_key(settings.ONESTOP_SIGNING_KEY)


def _public_keys(link):
    return {key_id: httpsig.load_public_key(text) for key_id, text in (link.portal_keys or {}).items()}


def post(link, payload: dict, *, tag: str = "dvcqg") -> PortalAnswer:
    """POST ``payload`` to ``link``'s integration endpoint and check the signed answer."""
    url = link.base_url.rstrip("/") + "/" + link.endpoint.lstrip("/")
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    key_id, private_key = our_key()
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
    if link.dstcode:
        headers["dstcode"] = link.dstcode
    headers = httpsig.sign_request("POST", url, body, key_id=key_id, private_key=private_key, tag=tag,
                                   headers=headers)
    answer = PortalAnswer()
    started = time.monotonic()
    try:
        response = requests.post(url, data=body, headers=headers, allow_redirects=False,
                                 timeout=(link.connect_timeout, link.read_timeout))
    except requests.Timeout:
        answer.retry, answer.error = True, "the portal did not answer within the time limit"
    except requests.ConnectionError as exc:
        answer.retry, answer.error = True, f"connection to the portal failed ({type(exc).__name__})"
    answer.duration_ms = int((time.monotonic() - started) * 1000)
    if answer.error:
        return answer
    answer.http_status = response.status_code
    answer.text = response.content[:4000].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    if response.status_code >= 500 or response.status_code == 429:
        answer.retry, answer.error = True, f"the portal answered HTTP {response.status_code}"
        return answer
    try:
        httpsig.verify_response(response.status_code, response.headers, response.content, request_method="POST",
                                request_url=url, request_headers=headers, public_keys=_public_keys(link), tag=tag)
    except httpsig.SignatureError as exc:
        answer.error = f"the portal's answer is not trustworthy ({exc}); HTTP {response.status_code}"
        if response.status_code >= 400:
            answer.error = f"the portal refused the message: HTTP {response.status_code} {answer.text[:300]}"
        return answer
    try:
        answer.body = response.json()
    except ValueError:
        answer.error = "the portal answered something that is not JSON"
        return answer
    if response.status_code >= 400:
        answer.error = f"the portal refused the message: HTTP {response.status_code} {answer.text[:300]}"
        return answer
    answer.ok = True
    return answer
