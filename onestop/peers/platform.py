"""A stand-in data-sharing platform (a city's LGSP, the national NDXP), over HTTP on loopback.

    python -m onestop.peers.platform --host 127.0.0.1 --port 8300 --providers population=http://127.0.0.1:8100,...

One gateway: a request names its consumer, provider, service and message id in headers (``X-Consumer-Code``,
``X-Provider-Code``, ``X-Service-Code``, ``X-Message-Id``). The platform verifies the consumer's RFC 9421
signature (``--consumer-keys``; the routing headers must be covered; a replayed nonce or a stale signature is
refused with 401), forwards the request to the provider's system (``--providers``: code=URL) with the
provider's own headers untouched (the registries' ``X-Onestop-*`` signature is end to end), and relays the
answer signed with the platform's key (``--key-id``, ``--key``), bound to the request. ``/_control``
(unsigned, loopback only): ``GET /_control/log``, ``POST /_control/reset``, ``POST /_control {"down_for": s}``.
Standard library and ``onestop.interop.httpsig`` only; no Django.
"""
import threading
import time
import urllib.error
import urllib.request
from collections import deque

from onestop.interop import httpsig

from . import stdhttp

TAG = "lgsp"
HEADERS = {"consumer": "X-Consumer-Code", "provider": "X-Provider-Code", "service": "X-Service-Code",
           "message_id": "X-Message-Id"}
DEFAULT_PROVIDERS = ("population=http://127.0.0.1:8100,business_registry=http://127.0.0.1:8100,"
                     "land_registry=http://127.0.0.1:8100")
RELAYED_ANSWER_HEADERS = ("X-Onestop-Request-Id", "X-Onestop-Response-Signature", "Content-Type", "Allow")
HOP_BY_HOP = {"host", "content-length", "connection", "signature", "signature-input", "content-digest",
              "transfer-encoding", "keep-alive"}


class PlatformState:
    def __init__(self, consumer_keys, key_id, private_key, providers):
        self.consumer_keys, self.key_id, self.private_key = consumer_keys, key_id, private_key
        self.providers = providers
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.nonces = httpsig.NonceCache()
        self.down_until = 0.0
        self.log = deque(maxlen=2000)


def parse_providers(text):
    providers = {}
    for item in (part.strip() for part in text.split(",")):
        if item:
            code, sep, url = item.partition("=")
            if not sep or not url.startswith("http"):
                raise ValueError(f"bad provider {item!r}: expected code=http://...")
            providers[code] = url.rstrip("/")
    return providers


class PlatformHandler(stdhttp.JsonHandler):
    server_version = "lgsp-standin/1.0"

    @property
    def state(self) -> PlatformState:
        return self.server.state

    def dispatch(self):
        body = self.read_body()
        if body is None:
            return
        path = self.path.partition("?")[0].rstrip("/")
        if path == "/_control" or path.startswith("/_control/"):
            if self.control_allowed():
                self.control(path, body)
            return
        entry = {name: self.headers.get(header, "") for name, header in HEADERS.items()}
        entry.update(method=self.command, path=self.path, verified=False, status=0, error="")
        try:
            entry["status"] = self.gateway(body, entry)
        finally:
            with self.state.lock:
                self.state.log.append(entry)

    def gateway(self, body, entry):
        state = self.state
        if time.monotonic() < state.down_until:
            self.close_connection = True
            return self.answer(503, {"error": "platform unavailable"})
        try:
            verified = httpsig.verify_request(self.command, self.url(), self.headers, body,
                                              public_keys=state.consumer_keys, nonces=state.nonces, tag=TAG,
                                              covered_headers=tuple(h.lower() for h in HEADERS.values()))
        except httpsig.SignatureError as exc:
            entry["error"] = str(exc)
            return self.answer(401, {"error": "bad signature", "detail": str(exc)})
        entry["verified"], entry["key_id"] = True, verified.key_id
        signed = {"sign_with": (state.key_id, state.private_key), "tag": TAG}
        upstream = state.providers.get(entry["provider"])
        if upstream is None:
            return self.answer(404, {"error": "unknown provider", "detail": entry["provider"]}, **signed)
        forwarded = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        request = urllib.request.Request(upstream + self.path, data=body or None, method=self.command,
                                         headers=forwarded)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, content, headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as exc:
            status, content, headers = exc.code, exc.read(), exc.headers
        except (urllib.error.URLError, OSError) as exc:
            entry["error"] = f"provider unreachable: {exc}"
            return self.answer(502, {"error": "bad gateway", "detail": "the provider's system did not answer"},
                               **signed)
        return self.relay(status, content, headers)

    def relay(self, status, content, upstream_headers):
        state = self.state
        headers = {name: upstream_headers[name] for name in RELAYED_ANSWER_HEADERS if upstream_headers.get(name)}
        headers = httpsig.sign_response(status, content, request_method=self.command, request_url=self.url(),
                                        request_headers=self.headers, key_id=state.key_id,
                                        private_key=state.private_key, tag=TAG, headers=headers)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
        return status

    def control(self, path, body):
        state = self.state
        if (self.command, path) == ("GET", "/_control/log"):
            with state.lock:
                return self.answer(200, {"requests": list(state.log)})
        if (self.command, path) == ("POST", "/_control/reset"):
            state.reset()
            return self.answer(200, {"ok": True})
        if (self.command, path) == ("POST", "/_control"):
            changes = self.json_body(body)
            if changes is None:
                return None
            try:
                state.down_until = time.monotonic() + max(0.0, min(float(changes.get("down_for", 0)), 3600.0))
            except (TypeError, ValueError):
                return self.answer(400, {"error": "bad request", "detail": "down_for: seconds"})
            return self.answer(200, {"down_for": changes.get("down_for", 0)})
        return self.answer(404, {"error": "not found", "detail": f"no such control endpoint: {self.command} {path}"})


def main(argv=None):
    parser = stdhttp.base_parser("python -m onestop.peers.platform", __doc__.split("\n\n")[0], 8300)
    parser.add_argument("--consumer-keys", default="onestop-demo=demo:onestop",
                        help="key_id=public key,... of the consumers (default: the demo's onestop key)")
    parser.add_argument("--key-id", default="lgsp-demo", help="the key id the platform signs its answers with")
    parser.add_argument("--key", default="demo:lgsp", help="the platform's private key (demo:NAME, PEM, file:PATH)")
    parser.add_argument("--providers", default=DEFAULT_PROVIDERS, help="provider code=base URL,...")
    args = parser.parse_args(argv)
    try:
        state = PlatformState(stdhttp.parse_public_keys(args.consumer_keys), args.key_id,
                              httpsig.load_private_key(args.key), parse_providers(args.providers))
    except (OSError, ValueError) as exc:
        parser.error(str(exc))
    return stdhttp.serve(parser, args, PlatformHandler, state, "onestop-platform")


if __name__ == "__main__":
    stdhttp.run(main)
