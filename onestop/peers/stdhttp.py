"""What the loopback stand-ins built on RFC 9421 share: a JSON handler, the loopback check, keys, serving."""
import argparse
import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from onestop.interop import httpsig

from .server import is_loopback, serve_until_stopped

MAX_BODY = 4 * 1024 * 1024


def parse_public_keys(text):
    """``key_id=spec,...`` (spec: ``demo:NAME``, base64url raw key) -> {key id: public key}."""
    keys = {}
    for item in (part.strip() for part in text.split(",")):
        if item:
            key_id, sep, spec = item.partition("=")
            if not sep or not key_id or not spec:
                raise ValueError(f"bad key {item!r}: expected key_id=spec")
            keys[key_id] = httpsig.load_public_key(spec)
    return keys


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_GET

    def read_body(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if self.headers.get("Transfer-Encoding") or not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self.answer(400, {"error": "bad request", "detail": "send a Content-Length of at most 4 MB"})
            return None
        return self.rfile.read(length) if length else b""

    def url(self):
        return f"http://{self.headers.get('Host', '')}{self.path}"

    def answer(self, status, payload, *, sign_with=None, tag="onestop", request_body=None, extra_headers=None):
        """A JSON answer; with ``sign_with`` (key id, private key) signed and bound to the request."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if sign_with is not None:
            headers = httpsig.sign_response(status, body, request_method=self.command, request_url=self.url(),
                                            request_headers=self.headers, key_id=sign_with[0],
                                            private_key=sign_with[1], tag=tag, headers=headers)
        self.send_response(status)
        for name, value in {**headers, **(extra_headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        return status

    def control_allowed(self):
        if self.headers.get("Origin"):  # a web page trying its luck on a developer's machine
            self.answer(403, {"error": "forbidden", "detail": "no cross-origin control"})
            return False
        return True

    def json_body(self, body):
        try:
            value = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            self.answer(400, {"error": "bad request", "detail": f"not JSON: {exc}"})
            return None
        if not isinstance(value, dict):
            self.answer(400, {"error": "bad request", "detail": "a JSON object is expected"})
            return None
        return value


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, state):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        super().__init__(address, handler)


def base_parser(prog, description, port):
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=port, help=f"0 picks a free port (default {port})")
    return parser


def serve(parser, args, handler, state, name):
    if not is_loopback(args.host):
        parser.error(f"--host {args.host}: the stand-in only listens on loopback (its control is unsigned)")
    try:
        server = Server((args.host, args.port), handler, state)
    except OSError as exc:
        parser.exit(1, f"{name}: cannot listen on {args.host}:{args.port}: {exc}\n")
    return serve_until_stopped(server, name)


def run(main):
    sys.exit(main())
