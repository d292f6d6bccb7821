"""HTTP Message Signatures (RFC 9421) with Ed25519 keys, for systems that are not onestop.

The national portal, a data-sharing platform (LGSP, NDXP) and any agency's system can verify what we send
with nothing but our public key and a library of the standard; we verify their answers the same way. The
signing itself is done by ``http-message-signatures`` (a maintained implementation of the RFC); this module
only fixes the profile every party here uses:

- requests cover ``@method``, ``@authority``, ``@request-target`` and ``content-digest`` (RFC 9530, SHA-256
  of the body), with the parameters ``created``, ``keyid``, ``nonce`` (new per request), ``alg`` and ``tag``;
- answers cover ``@status`` and ``content-digest`` plus the request's own signature
  (``"signature";req;key="sig1"``), so an answer cannot be moved to another request;
- the receiver refuses a signature older than ``MAX_AGE`` seconds (or from the future) and a nonce it has
  seen within that window (``NonceCache``): a replayed request is refused even when its signature is good.

Keys are named by key id (``keyid``); each system signs with its own private key and publishes its public
key. No Django here: the stand-ins in ``onestop.peers`` use this module too.
"""
import base64
import datetime
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from types import SimpleNamespace

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from requests.structures import CaseInsensitiveDict

LABEL = "sig1"
MAX_AGE = 300  # seconds a signature stays acceptable; nonces are remembered as long
REQUEST_COMPONENTS = ("@method", "@authority", "@request-target", "content-digest")
RESPONSE_COMPONENTS = ("@status", "content-digest", f'"signature";req;key="{LABEL}"')


class SignatureError(Exception):
    """A message whose signature, age, nonce or binding does not verify."""


# --- keys ----------------------------------------------------------------------------------------------

def demo_private_key(name: str) -> Ed25519PrivateKey:
    """A key derived from a public name: for the demo and the tests only, never for a real deployment."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"onestop-demo-key:{name}".encode()).digest())


def load_private_key(spec: str) -> Ed25519PrivateKey:
    """``demo:NAME`` (a demo key), a PEM text, or ``file:PATH`` of a PEM file (PKCS#8)."""
    if spec.startswith("demo:"):
        return demo_private_key(spec[5:])
    data = open(spec[5:], "rb").read() if spec.startswith("file:") else spec.encode()
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("an Ed25519 private key is expected")
    return key


def load_public_key(spec: str) -> Ed25519PublicKey:
    """``demo:NAME``, a PEM text, ``file:PATH``, or the raw 32-byte key in base64 (as JWKS ``x`` carries it)."""
    if spec.startswith("demo:"):
        return demo_private_key(spec[5:]).public_key()
    if spec.startswith("file:") or spec.lstrip().startswith("-----BEGIN"):
        data = open(spec[5:], "rb").read() if spec.startswith("file:") else spec.encode()
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("an Ed25519 public key is expected")
        return key
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(spec + "=" * (-len(spec) % 4)))


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as base64url of its 32 bytes, what a partner system is given to verify us."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class _Keys(HTTPSignatureKeyResolver):
    def __init__(self, private=None, public=None):
        self.private, self.public = private or {}, public or {}

    def resolve_private_key(self, key_id):
        return self.private[key_id]

    def resolve_public_key(self, key_id):
        return self.public.get(key_id)


# --- replay ----------------------------------------------------------------------------------------------

class NonceCache:
    """Nonces seen within the signature window; thread-safe, in memory (one per receiving process)."""

    def __init__(self, window: float = MAX_AGE * 2):
        self.window = window
        self.seen: dict[tuple[str, str], float] = {}
        self.lock = threading.Lock()

    def first_time(self, key_id: str, nonce: str) -> bool:
        now = time.monotonic()
        with self.lock:
            if len(self.seen) > 10000:
                self.seen = {k: t for k, t in self.seen.items() if now - t < self.window}
            seen = self.seen.get((key_id, nonce))
            if seen is not None and now - seen < self.window:
                return False
            self.seen[(key_id, nonce)] = now
            return True


# --- messages --------------------------------------------------------------------------------------------

@dataclass
class Verified:
    key_id: str
    nonce: str
    created: int
    tag: str


def _request(method, url, headers):
    return SimpleNamespace(method=method.upper(), url=url, headers=CaseInsensitiveDict(headers))


def sign_request(method: str, url: str, body: bytes, *, key_id: str, private_key: Ed25519PrivateKey,
                 tag: str = "onestop", headers: dict | None = None, covered_headers: tuple = ()) -> dict:
    """The request's headers with ``Content-Digest``, ``Signature-Input`` and ``Signature`` added.

    ``covered_headers`` (lower-case names) are signed too: a platform's routing headers, for instance."""
    message = _request(method, url, headers or {})
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_Keys({key_id: private_key}))
    signer.sign(message, key_id=key_id, label=LABEL, tag=tag, nonce=secrets.token_urlsafe(16),
                covered_component_ids=REQUEST_COMPONENTS + tuple(covered_headers), body=body or b"")
    return dict(message.headers)


def verify_request(method: str, url: str, headers, body: bytes, *, public_keys: dict, nonces: NonceCache | None,
                   tag: str = "onestop", max_age: float = MAX_AGE, covered_headers: tuple = ()) -> Verified:
    """Check a request's signature, digest, age and nonce; ``public_keys`` maps key id to public key.
    ``covered_headers`` must be among the signed components."""
    message = _request(method, url, dict(headers.items()))
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=_Keys(public=public_keys))
    verifier.max_clock_skew = datetime.timedelta(seconds=30)
    try:
        result = verifier.verify(message, max_age=datetime.timedelta(seconds=max_age), expect_label=LABEL,
                                 expect_tag=tag, require_components=REQUEST_COMPONENTS + tuple(covered_headers),
                                 body=body or b"")[0]
    except (InvalidSignature, HTTPMessageSignaturesException, KeyError, ValueError) as exc:
        raise SignatureError(str(exc) or type(exc).__name__) from None
    params = result.parameters
    nonce = str(params.get("nonce") or "")
    if not nonce:
        raise SignatureError("the signature has no nonce")
    if nonces is not None and not nonces.first_time(str(params["keyid"]), nonce):
        raise SignatureError("replayed request (nonce already seen)")
    return Verified(key_id=str(params["keyid"]), nonce=nonce, created=int(params.get("created", 0)),
                    tag=str(params.get("tag") or ""))


def sign_response(status: int, body: bytes, *, request_method: str, request_url: str, request_headers,
                  key_id: str, private_key: Ed25519PrivateKey, tag: str = "onestop",
                  headers: dict | None = None) -> dict:
    """The answer's headers, signed and bound to the request (its ``Signature`` is covered)."""
    answer = SimpleNamespace(status_code=int(status), headers=CaseInsensitiveDict(headers or {}),
                             request=_request(request_method, request_url, dict(request_headers.items())))
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_Keys({key_id: private_key}))
    signer.sign(answer, key_id=key_id, label=LABEL, tag=tag, covered_component_ids=RESPONSE_COMPONENTS,
                body=body or b"")
    return dict(answer.headers)


def verify_response(status: int, headers, body: bytes, *, request_method: str, request_url: str,
                    request_headers: dict, public_keys: dict, tag: str = "onestop") -> Verified:
    """Check that an answer is signed by a known key and answers this very request."""
    answer = SimpleNamespace(status_code=int(status), headers=CaseInsensitiveDict(dict(headers.items())),
                             request=_request(request_method, request_url, request_headers))
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=_Keys(public=public_keys))
    verifier.max_clock_skew = datetime.timedelta(seconds=30)
    try:
        result = verifier.verify(answer, max_age=datetime.timedelta(seconds=MAX_AGE), expect_label=LABEL,
                                 expect_tag=tag, require_components=RESPONSE_COMPONENTS, body=body or b"")[0]
    except (InvalidSignature, HTTPMessageSignaturesException, KeyError, ValueError) as exc:
        raise SignatureError(str(exc) or type(exc).__name__) from None
    params = result.parameters
    return Verified(key_id=str(params["keyid"]), nonce="", created=int(params.get("created", 0)),
                    tag=str(params.get("tag") or ""))
