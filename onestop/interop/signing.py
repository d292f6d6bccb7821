"""Signed exchanges between agency systems, after Estonia's X-Road: every request and every answer is
signed, the answer is bound to its request, and a replayed request is refused.

HMAC-SHA256 with a key shared per peer (``key_id`` names it). No Django here: the peer service in
``onestop.peers`` uses this module too.

Request headers: ``X-Onestop-Client`` (the calling system), ``X-Onestop-Request-Id`` (new for every
attempt), ``X-Onestop-Idempotency-Key`` (the same for every attempt of one exchange),
``X-Onestop-User`` (the acting official or "system"), ``X-Onestop-Issue`` (the dossier code),
``X-Onestop-Timestamp`` (Unix seconds), ``X-Onestop-Key-Id`` and ``X-Onestop-Signature``.
Answer headers: ``X-Onestop-Request-Id`` (echoed) and ``X-Onestop-Response-Signature``.
"""
import hashlib
import hmac
import time

MAX_CLOCK_SKEW = 300  # seconds a request's timestamp may differ from the receiver's clock
SIGNED_HEADERS = ("Client", "Request-Id", "Idempotency-Key", "User", "Issue", "Timestamp", "Key-Id")


class SignatureError(Exception):
    """A message whose signature, timestamp or binding does not verify."""


def digest(body: bytes) -> str:
    return hashlib.sha256(body or b"").hexdigest()


def _mac(secret: str, parts) -> str:
    message = "\n".join(str(p) for p in parts).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _request_parts(method, path, headers, body):
    return [method.upper(), path] + [headers.get(f"X-Onestop-{h}", "") for h in SIGNED_HEADERS] + [digest(body)]


def sign_request(method, path, body, *, key_id, secret, client, request_id, idempotency_key, user, issue,
                 timestamp=None):
    """The headers that sign a request (``path`` includes the query string)."""
    headers = {
        "X-Onestop-Client": client,
        "X-Onestop-Request-Id": request_id,
        "X-Onestop-Idempotency-Key": idempotency_key,
        "X-Onestop-User": user,
        "X-Onestop-Issue": issue,
        "X-Onestop-Timestamp": str(int(timestamp if timestamp is not None else time.time())),
        "X-Onestop-Key-Id": key_id,
    }
    headers["X-Onestop-Signature"] = _mac(secret, _request_parts(method, path, headers, body))
    return headers


def verify_request(method, path, headers, body, keys, now=None):
    """Check a request's signature and freshness; return its key id. ``keys`` maps key id to secret."""
    key_id = headers.get("X-Onestop-Key-Id", "")
    secret = keys.get(key_id)
    if secret is None:
        raise SignatureError(f"unknown key id {key_id!r}")
    try:
        timestamp = int(headers.get("X-Onestop-Timestamp", ""))
    except ValueError:
        raise SignatureError("missing or malformed timestamp") from None
    if abs((now if now is not None else time.time()) - timestamp) > MAX_CLOCK_SKEW:
        raise SignatureError("timestamp outside the allowed window")
    expected = _mac(secret, _request_parts(method, path, headers, body))
    if not hmac.compare_digest(expected, headers.get("X-Onestop-Signature", "")):
        raise SignatureError("bad signature")
    return key_id


def sign_response(status, body, *, secret, request_id):
    return {
        "X-Onestop-Request-Id": request_id,
        "X-Onestop-Response-Signature": _mac(secret, [request_id, int(status), digest(body)]),
    }


def verify_response(status, headers, body, *, secret, request_id):
    """Check that an answer is signed by the peer and answers this very request."""
    if headers.get("X-Onestop-Request-Id") != request_id:
        raise SignatureError("the answer is for another request")
    expected = _mac(secret, [request_id, int(status), digest(body)])
    if not hmac.compare_digest(expected, headers.get("X-Onestop-Response-Signature", "")):
        raise SignatureError("bad answer signature")
