"""The whole API fuzzed from its own checked-in schema (docs/openapi.yaml) with schemathesis.

Every operation gets generated requests (valid and invalid bodies, query strings and path parameters),
each sent as four people: a citizen, the Bến Nghé desk official, the Bến Nghé leader and the admin,
in-process through the WSGI application. No answer may be a 5xx, and every answer must match what the
schema says of its status code, content type and body. The demo and a few dossiers in different states
are loaded once per module; each operation's writes are rolled back after it.

Reproducible (derandomized) and bounded: ``FUZZ_EXAMPLES`` examples per operation (default 12), so the
whole run takes about two minutes on two cores. Run more with ``FUZZ_EXAMPLES=200``.
"""
import os
import zlib
from contextlib import contextmanager
from pathlib import Path

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from onestop.dossiers.models import Incident
from onestop.worklist.models import WorkItem
from tests.conftest import BIRTH_FORM, Actor, load_demo, submit

ROOT = Path(__file__).resolve().parent.parent
ROLES = ["citizen1", "bennghe.receiver", "bennghe.leader", "admin"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, peer_service):
    """The demo, tokens for each role and some dossiers; rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo(peer_service)
        tokens = {name: Token.objects.get_or_create(user=Actor(name).user)[0].key for name in ROLES}
        citizen, desk = Actor("citizen1"), Actor("bennghe.receiver")
        codes = [submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"] for _ in range(3)]
        desk.act(codes[1], "accept")  # one in processing, one still at the desk, one supplementing
        desk.act(codes[2], "supplement", {"missing_documents": ["Giấy chứng sinh"]}, comment="Thiếu giấy chứng sinh")
        yield {
            "tokens": tokens,
            "code": codes,
            "id": [*WorkItem.objects.values_list("pk", flat=True), *Incident.objects.values_list("pk", flat=True)],
        }
        transaction.set_rollback(True)


@contextmanager
def _keeping_the_connection():
    """The WSGI handler closes a connection that is inside a transaction after each request (the test's
    is); Django's own test client turns this off the same way, for the length of a request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _point_at_real_objects(case, world):
    """Half of the generated path parameters are swapped for ones that exist, so handlers run deep."""
    params = case.path_parameters or {}
    for name, value in params.items():
        if zlib.crc32(repr(value).encode()) % 2:
            continue
        if name == "code" and case.path.startswith(("/api/v1/dossiers/", "/api/v1/reports/")):
            params[name] = world["code"][zlib.crc32(repr(value).encode()) % len(world["code"])]
        elif name == "code" and case.path.startswith("/api/v1/procedures/"):
            params[name] = "1.001193"
        elif name == "number":
            params[name] = 1
        elif name == "id" and world["id"]:
            params[name] = world["id"][zlib.crc32(repr(value).encode()) % len(world["id"])]


APP = get_wsgi_application()


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_api_answers_every_role_without_5xx_and_as_documented(case, world, db):
    _point_at_real_objects(case, world)
    for role in ROLES:
        cache.clear()  # login and anonymous throttles are not what this test is about
        with _keeping_the_connection():
            case.call_and_validate(app=APP, headers={"Authorization": f"Token {world['tokens'][role]}",
                                                     "Accept-Language": "en"}, checks=CHECKS)


# --- what the fuzzing found, kept as plain regression tests -------------------------------------------


def test_an_api_path_matching_no_route_answers_json_404(db):
    """Found: /api/v1/work-items/0.5/claim/ (no route: the id is not an integer) answered the HTML page."""
    client = APIClient()
    for path in ["/api/v1/work-items/0.5/claim/", "/api/v1/procedures/0/versions/null%2Cnull/", "/api/v1/nothing/"]:
        response = client.post(path, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_province_has_a_null_parent_and_the_schema_allows_it(demo):
    """Found: GET /api/v1/agencies/ gave ``"parent": null`` for the province where the schema said string."""
    rows = APIClient().get("/api/v1/agencies/", {"page_size": 200}).json()["results"]
    assert {"code": "hcm", "parent": None}.items() <= next(r for r in rows if r["code"] == "hcm").items()
    agency = schema.raw_schema["components"]["schemas"]["Agency"]
    assert agency["properties"]["parent"]["nullable"] is True


def test_every_operation_documents_its_error_answers():
    """Found: every 4xx was an undocumented status code; the errors' shape is now in the schema."""
    for path, operations in schema.raw_schema["paths"].items():
        for method, operation in operations.items():
            assert {"400", "401", "403", "404"} <= set(operation["responses"]), (method, path)


def test_a_nul_character_in_form_or_step_data_is_a_400_not_a_500(as_user):
    """Found by the property tests: PostgreSQL cannot store NUL in jsonb, so it passed the checks and failed
    in the INSERT (a 500 on PostgreSQL). Refused with the field named, on every database."""
    citizen = as_user("citizen1")
    response = citizen.post("/api/v1/dossiers/", {"procedure": "1.001193", "agency": "q1-bennghe",
                                                  "form_data": {**BIRTH_FORM, "child_birth_place": "Từ Dũ\x00"}})
    assert response.status_code == 400
    assert list(response.json()["errors"]["form_data"]) == ["child_birth_place"]
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk = as_user("bennghe.receiver")
    item = desk.item(code)
    assert desk.post(f"/api/v1/work-items/{item['id']}/claim/").status_code == 200
    response = desk.post(f"/api/v1/work-items/{item['id']}/complete/", {
        "decision": "supplement", "comment": "Thiếu giấy tờ", "data": {"missing_documents": ["Giấy\x00 chứng sinh"]}})
    assert response.status_code == 400 and "missing_documents" in response.json()["errors"]


def test_a_token_login_with_a_300_character_username_is_a_400(demo):
    """Found on PostgreSQL: django-axes recorded the failed login in its 255-character username column (a 500)."""
    response = APIClient().post("/api/v1/auth/token/", {"username": "u" * 300, "password": "x"}, format="json")
    assert response.status_code == 400 and "username" in response.json()


@pytest.mark.parametrize("url", ["/api/v1/dossiers/a%00b/", "/api/v1/dossiers/?q=%00", "/api/v1/procedures/a%00/",
                                 "/my/dossiers/a%00b/", "/procedures/?q=x%00"])
def test_a_nul_character_in_the_url_is_a_400(as_user, url):
    """Found on PostgreSQL: a NUL reached the database in a lookup by code or a search (a 500)."""
    client = as_user("citizen1").client
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.json() == {"detail": "Not in the expected format."}


def test_data_entered_by_hand_with_a_nul_is_refused(demo):
    from onestop.core.exceptions import InvalidInput
    from onestop.dossiers import lifecycle as services

    admin = get_user_model().objects.get(username="admin")
    with pytest.raises(InvalidInput) as refused:
        services.enter_exchange_manually(0, admin, data={"full_name": "Lê\x00"}, reason="Cơ sở dữ liệu lỗi")
    assert list(refused.value.errors) == ["data"]


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/dossiers/"])
def test_json_nested_too_deeply_is_a_400_in_the_callers_language(as_user, url):
    """Python's ``json`` gives up at about a thousand levels with ``RecursionError``: a body of ``[[[[...``
    a hundred thousand deep is a client's error, answered 400 with a message, on the open login too."""
    client = as_user("citizen1").client if url == "/api/v1/dossiers/" else APIClient()
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Nội dung JSON lồng nhau quá sâu."}
    response = client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {"detail": "The JSON body is nested too deeply."}


def test_the_api_answers_its_framework_errors_in_vietnamese_by_default(demo):
    """REST framework's and Django's own messages come in English: onestop carries their Vietnamese."""
    anonymous = APIClient()
    assert anonymous.get("/api/v1/dossiers/").json() == {
        "detail": "Chưa cung cấp thông tin xác thực (hãy đăng nhập)."}
    assert anonymous.get("/api/v1/dossiers/", HTTP_AUTHORIZATION="Token nope").json() == {
        "detail": "Token không hợp lệ."}
    assert anonymous.get("/api/v1/dossiers/", HTTP_ACCEPT_LANGUAGE="en").json() == {
        "detail": "Authentication credentials were not provided."}
    assert anonymous.get("/api/v1/procedures/no-such-code/").json() == {"detail": "Không tìm thấy."}
