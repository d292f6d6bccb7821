"""A stand-in for the National Public Service Portal's integration endpoint, over HTTP on loopback.

    python -m onestop.peers.national_portal --host 127.0.0.1 --port 8200

One POST endpoint (``--endpoint``, default ``/dvcqg/integration``) takes the JSON requests one-stop systems
send (``{"service": "DongBoHoSoMC", "madonvi": ..., "data": [...]}``), with the service and field names of
``onestop/nationalportal/data/dvcqg.json``. Each request must carry an RFC 9421 signature by a known client
key (``--client-keys``), fresh (300 s) and with a nonce not seen before: a forged or replayed request gets
401. Answers are signed with the portal's key (``--key-id``, ``--key``) and bound to the request.

Services: the dossier sync and its progress records (stored by message id: a repeated message changes
nothing), the dossier lookup
(``TraCuuHoSo``), the list of dossiers submitted on the portal for given agencies and their acknowledgement,
and the procedure catalogue (``LayThuTuc``, from ``--catalogue``). ``/_control`` (unsigned, loopback only)
takes the portal down for a while (503), adds submissions and shows what was received. Standard library
and ``onestop.interop.httpsig`` only; no Django.
"""
import json
import threading
import time
import uuid
from collections import deque
from pathlib import Path

from onestop.interop import httpsig

from . import stdhttp

ROOT = Path(__file__).resolve().parent
DEFAULT_PROTOCOL = ROOT.parent / "nationalportal" / "data" / "dvcqg.json"
DEFAULT_CATALOGUE = ROOT / "national_catalogue.json"
DEFAULT_SUBMISSIONS = ROOT / "national_submissions.json"
LOG_LIMIT = 2000


class PortalState:
    def __init__(self, protocol, client_keys, key_id, private_key, catalogue, submissions):
        self.protocol, self.client_keys = protocol, client_keys
        self.key_id, self.private_key = key_id, private_key
        self.catalogue, self.seed_submissions = catalogue, submissions
        self.tag = protocol.get("signature_tag", "dvcqg")
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.nonces = httpsig.NonceCache()
            self.down_until = 0.0
            self.messages = {}  # message id -> the stored message
            self.dossiers = {}  # dossier code -> {"record": latest item, "history": [{message_id, status}]}
            self.log = deque(maxlen=LOG_LIMIT)
            self.submissions = {s[self.field("submission_fields", "portal_code")]: dict(s)
                                for s in self.seed_submissions}
            self.taken = {}  # portal code -> our code

    def field(self, table, name):
        return self.protocol[table][name]

    def is_down(self):
        return time.monotonic() < self.down_until

    def control(self):
        return {"down": self.is_down(), "down_for": max(0.0, round(self.down_until - time.monotonic(), 3)),
                "messages": len(self.messages), "dossiers": len(self.dossiers),
                "submissions": len(self.submissions), "taken": len(self.taken)}


class PortalHandler(stdhttp.JsonHandler):
    server_version = "dvcqg-standin/1.0"

    @property
    def state(self) -> PortalState:
        return self.server.state

    def dispatch(self):
        body = self.read_body()
        if body is None:
            return
        path = self.path.partition("?")[0].rstrip("/")
        if path == "/_control" or path.startswith("/_control/"):
            if self.control_allowed():
                self.control(path, body)
        elif path == self.state.endpoint.rstrip("/") and self.command == "POST":
            self.integration(body)
        else:
            self.answer(404, {"error_code": 404, "message": f"no such endpoint: {self.command} {path}"})

    # The integration endpoint

    def integration(self, body):
        state = self.state
        entry = {"at": time.time(), "service": "", "message_id": "", "codes": [], "status": 0, "verified": False,
                 "duplicate": False, "error": ""}
        try:
            entry["status"] = self._integration(body, entry)
        finally:
            with state.lock:
                state.log.append(entry)

    def _integration(self, body, entry):
        state = self.state
        if state.is_down():
            self.close_connection = True
            entry["error"] = "down"
            return self.answer(503, {"error_code": 503, "message": "Hệ thống đang bảo trì / down for maintenance"},
                               extra_headers={"Retry-After": "1"})
        try:
            verified = httpsig.verify_request(self.command, self.url(), self.headers, body,
                                              public_keys=state.client_keys, nonces=state.nonces, tag=state.tag)
        except httpsig.SignatureError as exc:
            entry["error"] = str(exc)
            return self.answer(401, {"error_code": 401, "message": "bad signature", "detail": str(exc)})
        entry["verified"], entry["key_id"] = True, verified.key_id
        signed = {"sign_with": (state.key_id, state.private_key), "tag": state.tag}
        request = self.json_body(body)
        if request is None:
            return 400
        names = state.protocol["envelope"]
        services = {value: key for key, value in state.protocol["services"].items()}
        service = services.get(request.get(names["service"]))
        entry["service"] = request.get(names["service"], "")
        handler = {"sync_dossier": self.sync_dossier, "progress": self.progress, "lookup_dossier": self.lookup_dossier,
                   "list_submissions": self.list_submissions, "acknowledge_submission": self.acknowledge,
                   "procedure": self.procedure}.get(service)
        if handler is None:
            return self.answer(400, {names["error_code"]: 1, names["message"]: "unknown service"}, **signed)
        status, payload = handler(request, entry)
        return self.answer(status, payload, **signed)

    def ok(self, message, **extra):
        names = self.state.protocol["envelope"]
        return 200, {names["error_code"]: 0, names["message"]: message, **extra}

    def refuse(self, message):
        names = self.state.protocol["envelope"]
        return 400, {names["error_code"]: 1, names["message"]: message}

    def sync_dossier(self, request, entry):
        state, names = self.state, self.state.protocol["envelope"]
        code_field = state.field("dossier_fields", "code")
        status_field = state.field("dossier_fields", "status")
        message_id = str(request.get(names["message_id"], ""))
        items = request.get(names["data"])
        if not message_id or not isinstance(items, list) or not all(isinstance(i, dict) and i.get(code_field)
                                                                    for i in items):
            return self.refuse(f"{names['message_id']} and {names['data']} (dossiers with {code_field}) are required")
        entry["message_id"], entry["codes"] = message_id, [i[code_field] for i in items]
        with state.lock:
            if message_id in state.messages:  # a repeat: the answer of the first time, nothing changes
                entry["duplicate"] = True
                return self.ok("Đã nhận trước đó / already received", duplicate=True)
            state.messages[message_id] = {"items": items, "agency": request.get(names["agency"], "")}
            for item in items:
                dossier = state.dossiers.setdefault(item[code_field], {"record": {}, "history": []})
                dossier["record"] = item
                dossier["history"].append({"message_id": message_id, "status": item.get(status_field, "")})
        return self.ok("Đồng bộ thành công / synchronised", duplicate=False)

    def progress(self, request, entry):
        state, names = self.state, self.state.protocol["envelope"]
        code_field = state.field("progress_fields", "code")
        message_id = str(request.get(names["message_id"], ""))
        items = request.get(names["data"])
        if not message_id or not isinstance(items, list) or not all(isinstance(i, dict) and i.get(code_field)
                                                                    for i in items):
            return self.refuse(f"{names['message_id']} and {names['data']} (steps with {code_field}) are required")
        entry["message_id"], entry["codes"] = message_id, [i[code_field] for i in items]
        with state.lock:
            if message_id in state.messages:
                entry["duplicate"] = True
                return self.ok("Đã nhận trước đó / already received", duplicate=True)
            state.messages[message_id] = {"items": items, "agency": request.get(names["agency"], "")}
            for item in items:
                dossier = state.dossiers.setdefault(item[code_field], {"record": {}, "history": []})
                dossier.setdefault("progress", []).append(dict(item, message_id=message_id))
        return self.ok("Cập nhật tiến độ thành công / progress recorded", duplicate=False)

    def lookup_dossier(self, request, entry):
        state, names = self.state, self.state.protocol["envelope"]
        code = str(request.get(names["lookup_code"], ""))
        with state.lock:
            found = state.dossiers.get(code)
            return self.ok("", **{names["result"]: [found["record"]] if found else []})

    def list_submissions(self, request, entry):
        state, names = self.state, self.state.protocol["envelope"]
        agencies = set(request.get(names["agencies"]) or [])
        agency_field = state.field("submission_fields", "agency_code")
        with state.lock:
            waiting = [s for code, s in state.submissions.items()
                       if code not in state.taken and s.get(agency_field) in agencies]
        return self.ok("", **{names["result"]: waiting})

    def acknowledge(self, request, entry):
        state, names = self.state, self.state.protocol["envelope"]
        fields = state.protocol["ack_fields"]
        with state.lock:
            for item in request.get(names["data"]) or []:
                if isinstance(item, dict) and item.get(fields["portal_code"]) in state.submissions:
                    state.taken[item[fields["portal_code"]]] = {"code": item.get(fields["code"], ""),
                                                               "accepted": item.get(fields["accepted"], ""),
                                                               "reason": item.get(fields["reason"], "")}
        return self.ok("Đã xác nhận / acknowledged")

    def procedure(self, request, entry):
        state, names = self.state, self.state.protocol["envelope"]
        code_field = state.field("catalogue_fields", "code")
        wanted = str(request.get("maTTHC", ""))
        found = [p for p in state.catalogue if not wanted or p.get(code_field) == wanted]
        return self.ok("", **{names["result"]: found})

    # Control (unsigned; loopback only)

    def control(self, path, body):
        state = self.state
        if (self.command, path) == ("GET", "/_control"):
            return self.answer(200, state.control())
        if (self.command, path) == ("POST", "/_control"):
            changes = self.json_body(body)
            if changes is None:
                return None
            try:
                if "down_for" in changes:
                    state.down_until = time.monotonic() + max(0.0, min(float(changes["down_for"]), 3600.0))
                if "down" in changes:
                    state.down_until = time.monotonic() + 3600.0 if changes["down"] else 0.0
            except (TypeError, ValueError):
                return self.answer(400, {"error": "bad request", "detail": "down_for: seconds"})
            return self.answer(200, state.control())
        if (self.command, path) == ("POST", "/_control/reset"):
            state.reset()
            return self.answer(200, state.control())
        if (self.command, path) == ("GET", "/_control/log"):
            with state.lock:
                return self.answer(200, {"requests": list(state.log)})
        if (self.command, path) == ("GET", "/_control/dossiers"):
            with state.lock:
                return self.answer(200, {"dossiers": state.dossiers, "taken": state.taken})
        if (self.command, path) == ("POST", "/_control/submissions"):
            record = self.json_body(body)
            if record is None:
                return None
            code_field = state.field("submission_fields", "portal_code")
            record.setdefault(code_field, "G22." + uuid.uuid4().hex[:12].upper())
            with state.lock:
                state.submissions[record[code_field]] = record
            return self.answer(201, {code_field: record[code_field]})
        return self.answer(404, {"error": "not found", "detail": f"no such control endpoint: {self.command} {path}"})


def _load(path, default):
    path = Path(path)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else default


def main(argv=None):
    parser = stdhttp.base_parser("python -m onestop.peers.national_portal", __doc__.split("\n\n")[0], 8200)
    parser.add_argument("--endpoint", default="/dvcqg/integration")
    parser.add_argument("--client-keys", default="onestop-demo=demo:onestop",
                        help="key_id=public key,... of the one-stop systems allowed to call (default: the demo's)")
    parser.add_argument("--key-id", default="dvcqg-demo", help="the key id the portal signs its answers with")
    parser.add_argument("--key", default="demo:dvcqg", help="the portal's private key (demo:NAME, PEM, file:PATH)")
    parser.add_argument("--protocol", default=str(DEFAULT_PROTOCOL))
    parser.add_argument("--catalogue", default=str(DEFAULT_CATALOGUE), help="LayThuTuc records served")
    parser.add_argument("--submissions", default=str(DEFAULT_SUBMISSIONS),
                        help="dossiers submitted on the portal, waiting for our agencies")
    args = parser.parse_args(argv)
    try:
        state = PortalState(json.loads(Path(args.protocol).read_text(encoding="utf-8")),
                            stdhttp.parse_public_keys(args.client_keys), args.key_id,
                            httpsig.load_private_key(args.key), _load(args.catalogue, {}).get("result", []),
                            _load(args.submissions, {}).get("submissions", []))
    except (OSError, ValueError, KeyError) as exc:
        parser.error(str(exc))
    state.endpoint = args.endpoint
    return stdhttp.serve(parser, args, PortalHandler, state, "onestop-national-portal")


if __name__ == "__main__":
    stdhttp.run(main)
