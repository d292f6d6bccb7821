"""The peer service (``onestop.peers``): other agencies' systems over a real socket, signed both ways.

No database: the server runs as a subprocess and is spoken to with ``urllib``.
"""
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from onestop.interop import signing

ROOT = Path(__file__).resolve().parent.parent
KEYS = {
    "population": "population-demo-secret",
    "business_registry": "business-demo-secret",
    "land_registry": "land-demo-secret",
}
# No proxy from the environment: the peer is on loopback.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def start_peer(tmp_path):
    stderr = open(tmp_path / "peers.err", "w+b")  # closed by stop_peer
    process = subprocess.Popen(
        [sys.executable, "-m", "onestop.peers.server", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True,
    )
    line = process.stdout.readline()
    match = re.fullmatch(r"onestop-peers listening on (http://127\.0\.0\.1:\d+)\n", line)
    if not match:
        process.kill()
        process.wait()
        stderr.seek(0)
        pytest.fail(f"the peer service did not start: {line!r} {stderr.read().decode(errors='replace')}")
    return process, stderr, match.group(1)


def stop_peer(process, stderr):
    process.terminate()
    try:
        return process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        stderr.close()


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    process, stderr, url = start_peer(tmp_path_factory.mktemp("peers"))
    yield url
    stop_peer(process, stderr)


@pytest.fixture(autouse=True)
def _reset(peer):
    control(peer, "/_control/reset")


def control(base, path, payload=None):
    data = json.dumps(payload).encode() if payload is not None else (b"" if path.endswith("reset") else None)
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    with OPENER.open(request, timeout=10) as response:
        return json.loads(response.read())


def signed_headers(path, key_id="population", secret=None, request_id=None, timestamp=None):
    return signing.sign_request(
        "GET", path, b"", key_id=key_id, secret=secret if secret is not None else KEYS[key_id],
        client="onestop-test", request_id=request_id or str(uuid.uuid4()), idempotency_key=str(uuid.uuid4()),
        user="bennghe.specialist", issue="000.00.01.H29-261125-0001", timestamp=timestamp,
    )


def send(base, path, headers):
    """(status, headers, body bytes) of a GET, whatever the status."""
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def get(base, path, key_id="population", **kwargs):
    headers = signed_headers(path, key_id, **kwargs)
    status, answer_headers, body = send(base, path, headers)
    return status, answer_headers, body, headers


def assert_signed(status, answer_headers, body, request_headers, key_id):
    signing.verify_response(status, answer_headers, body, secret=KEYS[key_id],
                            request_id=request_headers["X-Onestop-Request-Id"])


def test_population_lookup_is_signed_both_ways(peer):
    status, headers, body, sent = get(peer, "/population/citizens/079090000001")
    assert status == 200
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert_signed(status, headers, body, sent, "population")
    citizen = json.loads(body.decode("utf-8"))
    assert citizen["full_name"] == "Nguyễn Văn An"
    assert citizen["birth_date"] == "1990-03-15"
    assert citizen["sex"] == "nam"
    assert citizen["permanent_address"] == "12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"
    assert citizen["household_head"] == "Nguyễn Văn An"

    status, headers, body, sent = get(peer, "/population/citizens/079190000003")
    hoa = json.loads(body)
    assert (hoa["full_name"], hoa["sex"]) == ("Lê Thị Hoa", "nữ")
    assert hoa["household_id"] == citizen["household_id"]


def test_business_registry_lookup(peer):
    path = "/business-registry/households?owner_id_number=079090000005"
    status, headers, body, sent = get(peer, path, "business_registry")
    assert status == 200
    assert_signed(status, headers, body, sent, "business_registry")
    answer = json.loads(body)
    assert answer["owner_id_number"] == "079090000005"
    assert [h["status"] for h in answer["households"]] == ["active"]
    assert set(answer["households"][0]) == {"registration_no", "name", "business_line", "address", "status",
                                           "registered_on"}

    status, headers, body, sent = get(peer, "/business-registry/households?owner_id_number=079190000002",
                                      "business_registry")
    assert (status, json.loads(body)["households"]) == (200, [])

    for bad in ("/business-registry/households", "/business-registry/households?owner_id_number=12345"):
        status, headers, body, sent = get(peer, bad, "business_registry")
        assert status == 400
        assert_signed(status, headers, body, sent, "business_registry")


def test_land_registry_lookup(peer):
    status, headers, body, sent = get(peer, "/land-registry/parcels/12/125", "land_registry")
    assert status == 200
    assert_signed(status, headers, body, sent, "land_registry")
    parcel = json.loads(body)
    assert parcel["address"] == "12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"
    assert (parcel["owner_full_name"], parcel["owner_id_number"]) == ("Nguyễn Văn An", "079090000001")
    assert (parcel["certificate_no"], parcel["area_m2"], parcel["land_use_type"]) == ("CS 01234", 120.5, "ODT")
    assert parcel["encumbrances"] == []


def test_not_found_is_signed(peer):
    status, headers, body, sent = get(peer, "/population/citizens/079999999999")
    assert status == 404
    assert json.loads(body)["error"] == "not found"
    assert_signed(status, headers, body, sent, "population")

    status, headers, body, sent = get(peer, "/land-registry/parcels/99/1", "land_registry")
    assert status == 404
    assert_signed(status, headers, body, sent, "land_registry")

    status, headers, body, sent = get(peer, "/population/unknown")
    assert status == 404
    assert_signed(status, headers, body, sent, "population")


def test_wrong_secret_is_refused_unsigned(peer):
    status, headers, body, sent = get(peer, "/population/citizens/079090000001", secret="not-the-secret")
    assert status == 401
    assert json.loads(body) == {"error": "bad signature", "detail": "bad signature"}
    assert "X-Onestop-Response-Signature" not in headers

    status, headers, body = send(peer, "/population/citizens/079090000001", {})
    assert status == 401


def test_key_is_valid_only_under_its_prefix(peer):
    status, headers, body, sent = get(peer, "/land-registry/parcels/12/125", "population")
    assert status == 401
    assert "not valid" in json.loads(body)["detail"]
    assert "X-Onestop-Response-Signature" not in headers


def test_replayed_request_is_refused(peer):
    path = "/population/citizens/079090000001"
    headers = signed_headers(path)
    first = send(peer, path, headers)
    assert first[0] == 200
    status, answer_headers, body = send(peer, path, headers)
    assert status == 409
    assert json.loads(body) == {"error": "replayed request"}
    assert_signed(status, answer_headers, body, headers, "population")


def test_old_timestamp_is_refused(peer):
    status, headers, body, sent = get(peer, "/population/citizens/079090000001", timestamp=time.time() - 600)
    assert status == 401
    assert "timestamp" in json.loads(body)["detail"]


def test_injected_failures_are_signed_then_service_resumes(peer):
    assert control(peer, "/_control", {"fail": [500, 500]})["fail"] == [500, 500]
    statuses = []
    for _ in range(3):
        status, headers, body, sent = get(peer, "/population/citizens/079090000001")
        assert_signed(status, headers, body, sent, "population")
        statuses.append(status)
    assert statuses == [500, 500, 200]


def test_delay_slows_answers(peer):
    control(peer, "/_control", {"delay": 0.3})
    started = time.monotonic()
    status, *_ = get(peer, "/population/citizens/079090000001")
    assert status == 200
    assert time.monotonic() - started >= 0.3


def test_down_peer_drops_the_connection(peer):
    control(peer, "/_control", {"down": True})
    with pytest.raises((urllib.error.URLError, ConnectionError)) as caught:
        get(peer, "/population/citizens/079090000001")
    assert not isinstance(caught.value, urllib.error.HTTPError)
    control(peer, "/_control", {"down": False})
    assert get(peer, "/population/citizens/079090000001")[0] == 200


def test_bad_control_input_is_refused(peer):
    with pytest.raises(urllib.error.HTTPError) as caught:
        control(peer, "/_control", {"fail": [200]})
    assert caught.value.code == 400
    caught.value.close()
    assert control(peer, "/_control", {"delay": 0.1}) == {"delay": 0.1, "fail": [], "down": False, "garbage": False}


def test_log_lists_the_requests(peer):
    ok = get(peer, "/population/citizens/079090000001")[3]
    get(peer, "/population/citizens/079090000001", secret="wrong")
    get(peer, "/land-registry/parcels/12/125", "land_registry")
    requests = control(peer, "/_control/log")["requests"]
    assert [(r["path"], r["key_id"], r["verified"], r["status"]) for r in requests] == [
        ("/population/citizens/079090000001", "population", True, 200),
        ("/population/citizens/079090000001", "population", False, 401),
        ("/land-registry/parcels/12/125", "land_registry", True, 200),
    ]
    first = requests[0]
    assert first["request_id"] == ok["X-Onestop-Request-Id"]
    assert first["idempotency_key"] == ok["X-Onestop-Idempotency-Key"]
    assert (first["user"], first["client"], first["issue"]) == (
        "bennghe.specialist", "onestop-test", "000.00.01.H29-261125-0001")
    control(peer, "/_control/reset")
    assert control(peer, "/_control/log") == {"requests": []}


def test_sigterm_stops_the_server_cleanly(tmp_path):
    process, stderr, url = start_peer(tmp_path)
    try:
        assert get(url, "/population/citizens/079090000001")[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert stop_peer(process, stderr) == 0
