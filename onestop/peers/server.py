"""The peer service: other agencies' systems as the X-interconnection sees them, over HTTP on loopback.

    python -m onestop.peers.server --host 127.0.0.1 --port 8100 [--keys ...] [--data data.json]

Population database (``/population``), business registry (``/business-registry``) and land registry
(``/land-registry``), read from ``data.json``. Every request must be signed (``onestop.interop.signing``)
with a key valid for its path; a replayed request is refused; every answer to a verified request is
signed. ``/_control`` (unsigned, loopback only) slows the peer down, makes it fail or drops it, and
shows what it received. Standard library only; no Django.
"""
import argparse
import http
import ipaddress
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import traceback
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote

from onestop.interop import signing

DEFAULT_KEYS = (
    "population:population-demo-secret:/population,"
    "business_registry:business-demo-secret:/business-registry,"
    "land_registry:land-demo-secret:/land-registry"
)
DEFAULT_DATA = Path(__file__).resolve().parent / "data.json"
REPLAY_WINDOW = 2 * signing.MAX_CLOCK_SKEW  # a timestamp may be MAX_CLOCK_SKEW off either way
LOG_LIMIT = 1000
MAX_BODY = 1024 * 1024
MAX_DELAY = 600.0
ID_NUMBER = re.compile(r"[0-9]{12}")
LOGGED_HEADERS = {
    "request_id": "X-Onestop-Request-Id",
    "idempotency_key": "X-Onestop-Idempotency-Key",
    "issue": "X-Onestop-Issue",
    "user": "X-Onestop-User",
    "client": "X-Onestop-Client",
    "key_id": "X-Onestop-Key-Id",
}


# Configuration --------------------------------------------------------------------------------------

def parse_keys(text):
    """``key_id:secret:path_prefix,...`` -> ``{key_id: (secret, path_prefix)}``."""
    keys = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, sep, rest = item.partition(":")
        secret, sep2, prefix = rest.rpartition(":")
        if not (sep and sep2 and key_id and secret and prefix.startswith("/")):
            raise ValueError(f"bad key {item.split(':', 1)[0]!r}: expected key_id:secret:/path_prefix")
        if key_id in keys:
            raise ValueError(f"key id {key_id!r} given twice")
        keys[key_id] = (secret, prefix.rstrip("/") or "/")
    if not keys:
        raise ValueError("no keys given")
    return keys


def load_data(path):
    """Read the seeded records and index them for lookups."""
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    citizens, parcels, households = {}, {}, {}
    for citizen in raw.get("citizens", []):
        number = citizen["id_number"]
        if not ID_NUMBER.fullmatch(number) or number in citizens:
            raise ValueError(f"{path}: bad or duplicate citizen id_number {number!r}")
        citizens[number] = citizen
    for household in raw.get("business_households", []):
        owner = household["owner_id_number"]
        if not ID_NUMBER.fullmatch(owner):
            raise ValueError(f"{path}: bad owner_id_number {owner!r}")
        households.setdefault(owner, []).append({k: v for k, v in household.items() if k != "owner_id_number"})
    for parcel in raw.get("land_parcels", []):
        key = (str(parcel["map_sheet"]), str(parcel["parcel_number"]))
        if key in parcels:
            raise ValueError(f"{path}: duplicate parcel {key}")
        parcels[key] = parcel
    return {"citizens": citizens, "households": households, "parcels": parcels}


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# State ----------------------------------------------------------------------------------------------

class PeerState:
    """What ``/_control`` sets, what the peer received, and the request ids already seen."""

    def __init__(self, keys, data):
        self.keys = keys
        self.secrets = {key_id: secret for key_id, (secret, _prefix) in keys.items()}
        self.data = data
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.delay = 0.0
            self.fail = deque()
            self.down = False
            self.garbage = False
            self.log = deque(maxlen=LOG_LIMIT)
            self.seen = {}

    def control(self):
        return {"delay": self.delay, "fail": list(self.fail), "down": self.down, "garbage": self.garbage}

    def update(self, changes):
        """Merge validated control fields into the state; raise ValueError on bad input."""
        if not isinstance(changes, dict):
            raise ValueError("expected a JSON object")
        unknown = set(changes) - {"delay", "fail", "down", "garbage"}
        if unknown:
            raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
        if "delay" in changes:
            delay = changes["delay"]
            if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= MAX_DELAY:
                raise ValueError(f"delay must be a number of seconds between 0 and {MAX_DELAY:g}")
        if "fail" in changes:
            fail = changes["fail"]
            if not isinstance(fail, list) or any(
                isinstance(s, bool) or not isinstance(s, int) or not 400 <= s <= 599 for s in fail
            ):
                raise ValueError("fail must be a list of HTTP error statuses (400-599)")
        if "down" in changes and not isinstance(changes["down"], bool):
            raise ValueError("down must be true or false")
        if "garbage" in changes and not isinstance(changes["garbage"], bool):
            raise ValueError("garbage must be true or false")
        with self.lock:
            if "delay" in changes:
                self.delay = float(changes["delay"])
            if "fail" in changes:
                self.fail = deque(changes["fail"])
            if "down" in changes:
                self.down = changes["down"]
            if "garbage" in changes:
                self.garbage = changes["garbage"]
            return self.control()

    def first_time(self, key_id, request_id):
        """Remember (key id, request id); False when it was seen within the replay window."""
        now = time.monotonic()
        with self.lock:
            while self.seen:  # insertion order is time order: forget the ids older than the window
                oldest = next(iter(self.seen))
                if now - self.seen[oldest] <= REPLAY_WINDOW:
                    break
                del self.seen[oldest]
            if (key_id, request_id) in self.seen:
                return False
            self.seen[(key_id, request_id)] = now
            return True

    def next_failure(self):
        with self.lock:
            return self.fail.popleft() if self.fail else None


# The registries -------------------------------------------------------------------------------------

def not_found(detail):
    return 404, {"error": "not found", "detail": detail}


def citizen(data, query, id_number):
    record = data["citizens"].get(id_number)
    if record is None:
        return not_found(f"no citizen with id number {id_number}")
    return 200, record


def business_households(data, query):
    owner = query.get("owner_id_number", [])
    if len(owner) != 1 or not ID_NUMBER.fullmatch(owner[0]):
        return 400, {"error": "bad request", "detail": "owner_id_number must be given once, as 12 digits"}
    return 200, {"owner_id_number": owner[0], "households": data["households"].get(owner[0], [])}


def land_parcel(data, query, map_sheet, parcel_number):
    record = data["parcels"].get((map_sheet, parcel_number))
    if record is None:
        return not_found(f"no parcel {parcel_number} on map sheet {map_sheet}")
    return 200, record


ROUTES = [
    (("population", "citizens", None), citizen),
    (("business-registry", "households"), business_households),
    (("land-registry", "parcels", None, None), land_parcel),
]


def route(segments):
    """The view and its path arguments for these (decoded) path segments, or (None, None)."""
    for pattern, view in ROUTES:
        if len(pattern) == len(segments) and all(p is None or p == s for p, s in zip(pattern, segments, strict=True)):
            args = [s for p, s in zip(pattern, segments, strict=True) if p is None]
            if all(args):
                return view, args
    return None, None


def under_prefix(path, prefix):
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


# HTTP -----------------------------------------------------------------------------------------------

class PeerHandler(BaseHTTPRequestHandler):
    server_version = "onestop-peers/1.0"
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds an idle keep-alive connection is kept

    @property
    def state(self) -> PeerState:
        return self.server.state

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def dispatch(self):
        body = self.read_body()
        if body is None:
            return
        path = self.path.partition("?")[0]
        if path == "/_control" or path.startswith("/_control/"):
            self.control(path, body)
        else:
            self.exchange(body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self.answer(411, {"error": "length required", "detail": "send a Content-Length, not chunks"})
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self.answer(400, {"error": "bad request", "detail": "bad or too large Content-Length"})
            return None
        return self.rfile.read(length) if length else b""

    def answer(self, status, payload, *, secret=None, request_id=None, extra_headers=None):
        """Send a JSON answer; signed (bound to ``request_id``) when ``secret`` is given."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if secret is not None:
            for name, value in signing.sign_response(status, body, secret=secret, request_id=request_id).items():
                self.send_header(name, value)
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self._log_entry(status)  # before the answer leaves: a client's next request is logged after this one
        self.end_headers()
        self.wfile.write(body)
        return status

    def _log_entry(self, status):
        entry, self.pending_entry = getattr(self, "pending_entry", None), None
        if entry is not None:
            entry["status"] = status
            with self.state.lock:
                self.state.log.append(entry)

    # The agencies' systems

    def exchange(self, body):
        entry = {"method": self.command, "path": self.path}
        entry.update({field: self.headers.get(header, "") for field, header in LOGGED_HEADERS.items()})
        entry.update(verified=False, status=0)
        self.pending_entry = entry
        try:
            self.exchange_answer(body, entry)
        finally:
            self._log_entry(0)  # no answer was sent (the peer plays dead, or failed)

    def exchange_answer(self, body, entry):
        state = self.state
        delay = state.delay
        if delay:
            time.sleep(delay)
        if state.down:
            self.log_message("down: connection closed without an answer")
            self.close_connection = True
            return 0
        if state.garbage:  # a broken proxy or a half-deployed system: 200, unsigned, not JSON
            body = b"<html><body>Service Unavailable\x00\xff</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self._log_entry(200)
            self.end_headers()
            self.wfile.write(body)
            return 200
        try:
            key_id = signing.verify_request(self.command, self.path, self.headers, body, state.secrets)
        except signing.SignatureError as exc:
            return self.answer(401, {"error": "bad signature", "detail": str(exc)})
        secret, prefix = state.keys[key_id]
        path, _sep, query = self.path.partition("?")
        if not under_prefix(path, prefix):
            return self.answer(401, {"error": "bad signature", "detail": f"key {key_id!r} is not valid for {path}"})
        request_id = self.headers.get("X-Onestop-Request-Id", "")
        if not request_id:
            return self.answer(401, {"error": "bad signature", "detail": "missing X-Onestop-Request-Id"})
        entry["verified"] = True
        signed = {"secret": secret, "request_id": request_id}
        if not state.first_time(key_id, request_id):
            return self.answer(409, {"error": "replayed request"}, **signed)
        failure = state.next_failure()
        if failure is not None:
            try:
                phrase = http.HTTPStatus(failure).phrase
            except ValueError:
                phrase = "Error"
            return self.answer(failure, {"error": phrase.lower(), "detail": "failure injected through /_control"},
                               **signed)
        try:
            view, args = route([unquote(s) for s in path.split("/")[1:]])
            if view is None:
                return self.answer(404, {"error": "not found", "detail": f"no such resource: {path}"}, **signed)
            if self.command != "GET":
                return self.answer(405, {"error": "method not allowed", "detail": "only GET is served"},
                                   extra_headers={"Allow": "GET"}, **signed)
            status, payload = view(state.data, parse_qs(query, keep_blank_values=True), *args)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return self.answer(500, {"error": "internal server error"}, **signed)
        return self.answer(status, payload, **signed)

    # Control (unsigned; loopback only)

    def control(self, path, body):
        if self.headers.get("Origin"):  # a web page trying its luck on a developer's machine
            self.answer(403, {"error": "forbidden", "detail": "no cross-origin control"})
            return
        endpoints = {
            ("GET", "/_control"): lambda: self.answer(200, self.state.control()),
            ("POST", "/_control"): lambda: self.control_update(body),
            ("POST", "/_control/reset"): self.control_reset,
            ("GET", "/_control/log"): self.control_log,
        }
        handler = endpoints.get((self.command, path.rstrip("/")))
        if handler is not None:
            handler()
        elif any(p == path.rstrip("/") for _m, p in endpoints):
            allowed = ", ".join(sorted(m for m, p in endpoints if p == path.rstrip("/")))
            self.answer(405, {"error": "method not allowed"}, extra_headers={"Allow": allowed})
        else:
            self.answer(404, {"error": "not found", "detail": f"no such control endpoint: {path}"})

    def control_update(self, body):
        try:
            changes = json.loads(body.decode("utf-8")) if body.strip() else {}
            self.answer(200, self.state.update(changes))
        except (ValueError, UnicodeDecodeError) as exc:
            self.answer(400, {"error": "bad request", "detail": str(exc)})

    def control_reset(self):
        self.state.reset()
        self.answer(200, self.state.control())

    def control_log(self):
        with self.state.lock:
            requests = [dict(entry) for entry in self.state.log]
        self.answer(200, {"requests": requests})


class PeerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, state):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        super().__init__(address, PeerHandler)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m onestop.peers.server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8100, help="0 picks a free port (default 8100)")
    parser.add_argument("--keys", default=os.environ.get("PEER_KEYS") or DEFAULT_KEYS,
                        help="key_id:secret:path_prefix,... (default: $PEER_KEYS, else the demo keys)")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="the seeded records (default: data.json here)")
    args = parser.parse_args(argv)
    if not is_loopback(args.host):
        parser.error(f"--host {args.host}: the peer service only listens on loopback (its control is unsigned)")
    try:
        keys = parse_keys(args.keys)
    except ValueError as exc:
        parser.error(f"--keys: {exc}")
    try:
        data = load_data(args.data)
    except (OSError, ValueError, KeyError) as exc:
        parser.error(f"--data {args.data}: {exc}")
    try:
        server = PeerServer((args.host, args.port), PeerState(keys, data))
    except OSError as exc:
        parser.exit(1, f"onestop-peers: cannot listen on {args.host}:{args.port}: {exc}\n")
    return serve_until_stopped(server, "onestop-peers")


def serve_until_stopped(server, name):
    """Say where ``server`` listens, serve until SIGTERM or SIGINT, then close it (every stand-in's loop)."""

    def stop(signum, frame):
        # shutdown() waits for serve_forever() to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"{name} listening on http://{shown}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
