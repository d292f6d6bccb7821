"""Web security and data protection: logins, rate limits, CSRF, headers, CSP,
`check --deploy`, personal data in logs, attachments out of the web root, the audit trail. docs/security.md.
"""
import io
import json
import logging
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test import Client, override_settings
from django.urls import get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from onestop.ops.logging import PersonalDataFilter, mask
from tests.conftest import BIRTH_FORM, ROOT, Actor, load_demo, submit, wait_for

PASSWORD = "onestop-demo"


def login_page(client, username, password, address="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def token(client, username, password, address="10.0.0.1"):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=address)


# --- login lockout ---------------------------------------------------------------------------------------------------

def test_login_page_locks_a_username_for_one_address_after_five_failures(demo):
    for name in ("citizen1", "citizen2"):
        user = get_user_model().objects.get(username=name)
        user.set_password(PASSWORD)
        user.save()
    client = Client()
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        response = login_page(client, "citizen1", "guess")
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = login_page(client, "citizen1", "guess")  # the fifth: locked from now on
    assert response.status_code == 429
    response = login_page(client, "citizen1", PASSWORD)  # even the right password waits
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Đăng nhập sai quá nhiều lần" in page and "15 phút" in page  # Vietnamese by default, with the wait
    assert 'name="username"' in page and 'value="citizen1"' in page  # the login page itself, filled in
    assert response["Retry-After"] == "900"

    # Another address, or another username from this address, is not affected.
    assert login_page(Client(), "citizen1", PASSWORD, address="10.0.0.2").status_code == 302
    assert login_page(Client(), "citizen2", PASSWORD).status_code == 302


def test_login_page_limits_one_address_trying_many_usernames(demo, settings):
    """Password spraying: one common password tried on many accounts never locks a username, so the page also
    counts one address's wrong passwords across usernames."""
    settings.ONESTOP_LOGIN_ADDRESS_FAILURES = 4
    user = get_user_model().objects.get(username="citizen1")
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    for name in ("citizen2", "bennghe.receiver", "bennghe.specialist", "bennghe.leader"):
        assert login_page(client, name, "123456").status_code == 200
    response = login_page(client, "citizen1", PASSWORD)  # even a right password waits, from this address
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    assert "Đăng nhập sai quá nhiều lần từ mạng của bạn" in response.content.decode()
    assert response["Retry-After"] == "900"
    assert login_page(Client(), "citizen1", PASSWORD, address="10.0.0.9").status_code == 302  # another address


def test_an_admin_unlocks_in_the_admin(demo):
    user = get_user_model().objects.get(username="citizen1")
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        login_page(client, "citizen1", "guess")
    assert login_page(client, "citizen1", PASSWORD).status_code == 429
    attempt = AccessAttempt.objects.get(username="citizen1")
    assert attempt.failures_since_start > django_settings.AXES_FAILURE_LIMIT  # a try while locked counts too

    admin = Client()
    admin.force_login(get_user_model().objects.get(username="admin"))
    changelist = admin.get("/admin/axes/accessattempt/")
    assert changelist.status_code == 200 and "citizen1" in changelist.content.decode()
    response = admin.post("/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": [attempt.pk],
                                                         "post": "yes"})
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    assert login_page(client, "citizen1", PASSWORD).status_code == 302


def test_the_admin_login_is_locked_too(demo):
    client = Client()
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "admin", "password": "guess"}, REMOTE_ADDR="10.0.0.7")
    response = client.post("/admin/login/", {"username": "admin", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_a_success_clears_the_count(demo):
    user = get_user_model().objects.get(username="citizen1")
    user.set_password(PASSWORD)
    user.save()
    for _ in range(3):
        for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
            login_page(Client(), "citizen1", "guess")
        assert login_page(Client(), "citizen1", PASSWORD).status_code == 302


def test_api_token_locks_with_a_429_and_a_reason(demo):
    user = get_user_model().objects.get(username="citizen2")
    user.set_password(PASSWORD)
    user.save()
    client = APIClient()
    statuses = [token(client, "citizen2", "guess").status_code for _ in range(django_settings.AXES_FAILURE_LIMIT)]
    assert statuses[:-1] == [400] * (django_settings.AXES_FAILURE_LIMIT - 1)
    response = token(client, "citizen2", PASSWORD)
    assert response.status_code == 429 and "token" not in response.json()
    assert "Đăng nhập sai quá nhiều lần" in response.json()["detail"] and response["Retry-After"] == "900"
    assert token(client, "citizen2", PASSWORD, address="10.9.9.9").status_code == 200


def test_test_client_logins_still_work(demo):
    """The test client's login() calls authenticate() without a request; the lockout backend steps aside."""
    user = get_user_model().objects.get(username="citizen1")
    user.set_password(PASSWORD)
    user.save()
    assert Client().login(username="citizen1", password=PASSWORD)
    assert not Client().login(username="citizen1", password="guess")


def test_behind_a_proxy_each_citizen_has_their_own_address(demo, settings):
    from onestop.web.security import client_address

    settings.ONESTOP_PROXY_COUNT = 1
    request = type("R", (), {"META": {"REMOTE_ADDR": "172.18.0.5", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}})
    assert client_address(request) == "203.0.113.9"  # what nginx saw; the forged left entry is ignored
    request.META["HTTP_X_FORWARDED_FOR"] = "<script>"
    assert client_address(request) == "172.18.0.5"  # garbage is not an address
    settings.ONESTOP_PROXY_COUNT = 0
    request.META["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    assert client_address(request) == "172.18.0.5"  # no proxy trusted: the header is ignored
    assert client_address(type("R", (), {"META": {}})) is None  # force_login's request has no address


# --- rate limits -----------------------------------------------------------------------------------------------------

def test_submissions_are_limited_per_account_through_the_api(as_user, settings):
    settings.ONESTOP_SUBMIT_RATE = "3/hour"
    citizen = as_user("citizen1")
    # Refused submissions (a form with errors, an unknown agency) are not dossiers: they do not count.
    for mistake in ({"form_data": {**BIRTH_FORM, "child_sex": "?"}}, {"agency": "no-such-ward"}):
        response = citizen.post("/api/v1/dossiers/", {"procedure": "1.001193", "agency": "q1-bennghe",
                                                      "form_data": BIRTH_FORM, **mistake})
        assert response.status_code == 400
    for _ in range(3):
        submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)
    response = citizen.post("/api/v1/dossiers/", {"procedure": "1.001193", "agency": "q1-bennghe",
                                                  "form_data": BIRTH_FORM})
    assert response.status_code == 429
    assert "Bạn đã nộp nhiều hồ sơ" in response.json()["detail"] and "60 phút" in response.json()["detail"]
    assert int(response["Retry-After"]) > 3500
    assert citizen.get("/api/v1/dossiers/").json()["count"] == 3  # reading is not limited
    submit(as_user("citizen2"), "1.001193", "q1-bennghe", BIRTH_FORM)  # another account is not affected


def test_the_portal_and_the_api_share_the_allowance(as_user, settings, tmp_path):
    settings.ONESTOP_SUBMIT_RATE = "1/hour"
    settings.ATTACHMENTS_ROOT = tmp_path
    submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)
    client = Client()
    client.force_login(as_user("citizen1").user)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response = client.post("/procedures/1.001193/apply/", {
        "agency": "q1-bennghe", **BIRTH_FORM, "doc_0": SimpleUploadedFile("to-khai.pdf", pdf),
        "doc_1": SimpleUploadedFile("giay-chung-sinh.pdf", pdf)})
    assert response.status_code == 302
    response = client.post("/procedures/1.001193/apply/review/", follow=True)
    assert response.redirect_chain[-1][0] == "/procedures/1.001193/apply/review/"
    assert "Bạn đã nộp nhiều hồ sơ" in response.content.decode()
    assert as_user("citizen1").get("/api/v1/dossiers/").json()["count"] == 1
    assert "giay-chung-sinh.pdf" in response.content.decode()  # the draft and its files are kept for later


def test_public_lookup_is_limited_per_address(demo):
    client = Client()
    limit = getattr(django_settings, "ONESTOP_LOOKUPS_PER_MINUTE", 10)
    statuses = [client.post("/lookup/", {"code": "X", "id_digits": "0000"}).status_code for _ in range(limit + 1)]
    assert statuses[:-1] == [200] * (len(statuses) - 1) and statuses[-1] == 429
    assert Client().post("/lookup/", {"code": "X", "id_digits": "0000"}, REMOTE_ADDR="10.1.1.1").status_code == 200


# --- personal data never in logs -------------------------------------------------------------------------------------

@pytest.fixture
def log_output(settings):
    """Everything the configured console handler writes, at DEBUG, SQL with its parameters included."""
    settings.DEBUG = False
    root = logging.getLogger()
    [handler] = [h for h in root.handlers if any(isinstance(f, PersonalDataFilter) for f in h.filters)]
    stream = io.StringIO()
    previous_stream, previous_level = handler.setStream(stream), root.level
    loggers = {name: logging.getLogger(name).level for name in ("django.db.backends", "urllib3", "celery", "axes")}
    root.setLevel(logging.DEBUG)
    for name in loggers:
        logging.getLogger(name).setLevel(logging.DEBUG)
    connection.force_debug_cursor = True  # every SQL statement logged with its parameters
    yield stream
    connection.force_debug_cursor = False
    handler.setStream(previous_stream)
    root.setLevel(previous_level)
    for name, level in loggers.items():
        logging.getLogger(name).setLevel(level)


def test_no_id_number_phone_or_name_in_the_logs_of_a_whole_dossier(as_user, log_output):
    citizen = as_user("citizen1")
    profile = citizen.user.citizen
    form = {**BIRTH_FORM, "mother_id_number": "079190000003"}
    code = submit(citizen, "1.001193", "q1-bennghe", form)["code"]
    as_user("bennghe.receiver").act(code, "accept")  # the population lookup: an exchange with a peer
    assert as_user("citizen1").dossier(code)["exchanges"][0]["state"] == "succeeded"
    token(APIClient(), profile.id_number, "guess")  # someone logs in with an ID number as the username
    try:
        raise ValueError(f"cannot read {form}")  # an error whose text quotes the form
    except ValueError:
        logging.getLogger("onestop.test").exception("submission of %s failed, call %s", code, profile.phone)

    output = log_output.getvalue()
    assert "POST /api/v1/dossiers/ 201" in output and "INSERT INTO" in output and "Traceback" in output
    assert code in output and "***" in output  # dossier codes stay: they are how a dossier's logs are found
    for secret in (profile.id_number, form["mother_id_number"], profile.phone, form["mother_full_name"],
                   form["child_full_name"], profile.full_name, profile.address):
        assert secret not in output, secret
        assert json.dumps(secret)[1:-1] not in output, secret  # nor \u-escaped in JSON


def test_masking_keeps_what_operators_need():
    line = mask("GET /api/v1/dossiers/H29.01.01-261125-0001/ 200 in 12.5 ms, exchange 4711, request 9f3c2a")
    assert line == "GET /api/v1/dossiers/H29.01.01-261125-0001/ 200 in 12.5 ms, exchange 4711, request 9f3c2a"
    assert mask("call 0901 234 567 or +84901234567, mail an@example.vn") == "call *** or ***, mail ***"
    assert mask("""{'full_name': 'Lê Thị Hoa', "address": "12 Lê Lợi", 'status': 'submitted'}""") == (
        """{'full_name': '***', "address": "***", 'status': 'submitted'}""")


# --- every page: CSRF on each form, no inline script, no framing ---------------------------------------------------

class PageParser(HTMLParser):
    """Links, POST forms, inline scripts and inline event handlers of one page."""

    def __init__(self):
        super().__init__()
        self.links, self.forms, self.problems = set(), set(), []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"inline handler {name}= on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL on <{tag}>")
        if tag == "script" and not attrs.get("src") and attrs.get("type") not in {"application/json"}:
            self._in_inline_script = True
        if tag == "a" and attrs.get("href"):
            self.links.add(attrs["href"])
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.forms.add(attrs.get("action") or "")

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.problems.append(f"inline script: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


SKIP = ("/logout/", "/i18n/", "/static/", "/api/", "/admin/", "/metrics", "/readyz", "/healthz")


def crawl(client, start, limit=60):
    """Follow the site's own links from ``start`` (GET only): ``{url: parser}`` of every HTML page reached."""
    seen, queue, pages = set(start), list(start), {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = PageParser()
        parser.feed(response.content.decode())
        pages[url] = (parser, response)
        for link in parser.links:
            target = urljoin(url, link.split("#")[0])
            if (target.startswith("/") and not target.startswith(SKIP) and "download" not in target
                    and ".pdf" not in target and "export" not in target and target not in seen):
                seen.add(target)
                queue.append(target)
    return pages


@pytest.fixture
def story(as_user, settings, tmp_path):
    """A few dossiers at different stages, so that the pages show their forms."""
    settings.ATTACHMENTS_ROOT = tmp_path
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    waiting = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    accepted = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(accepted, "accept")
    supplement = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(supplement, "supplement", {"missing_documents": ["Giấy chứng sinh bản chính"]}, comment="Thiếu giấy")
    return {"waiting": waiting, "accepted": accepted, "supplement": supplement}


PEOPLE = {
    None: ["/", "/login/", "/signup/", "/lookup/", "/procedures/"],
    "citizen1": ["/", "/procedures/1.001193/apply/", "/my/dossiers/"],
    "bennghe.receiver": ["/work/desk/", "/work/desk/intake/", "/work/queue/"],
    "bennghe.specialist": ["/work/queue/"],
    "bennghe.leader": ["/work/queue/", "/reports/"],
    "admin": ["/catalogue/upload/"],
}


def test_every_page_has_csrf_on_its_forms_and_no_inline_script(story):
    checked_forms, checked_pages, problems = set(), 0, []
    for username, start in PEOPLE.items():
        client = Client()
        if username:
            client.force_login(get_user_model().objects.get(username=username))
        start = [*start, *(f"/my/dossiers/{code}/" for code in story.values() if username == "citizen1")]
        for url, (parser, response) in crawl(client, start).items():
            checked_pages += 1
            problems += [f"{url}: {p}" for p in parser.problems]
            policy = response["Content-Security-Policy"]
            assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
            assert response["X-Frame-Options"] == "DENY", url
            for action in parser.forms:
                target = urljoin(url, action or url)
                if (username, target) in checked_forms:
                    continue
                checked_forms.add((username, target))
                # The same session and the same form, without the token: refused before the view runs.
                no_token = Client(enforce_csrf_checks=True)
                no_token.cookies = client.cookies
                answer = no_token.post(target, {"username": "x", "password": "y"})
                assert answer.status_code == 403, f"{target} (on {url}) accepted a POST without a CSRF token"
                assert answer.context is None or "reason" in answer.context, target  # Django's CSRF refusal
    assert not problems, "\n".join(problems)
    assert checked_pages >= 25 and len(checked_forms) >= 12, (checked_pages, sorted(checked_forms, key=str))


def test_api_writes_with_a_session_need_the_csrf_token_and_token_calls_do_not(demo):
    """The browser's session calls to the API keep CSRF's check; token calls need no CSRF token, set no cookie
    and keep the security headers."""
    citizen = get_user_model().objects.get(username="citizen1")
    body = json.dumps({"procedure": "1.001193", "agency": "q1-bennghe", "form_data": BIRTH_FORM})
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(citizen)
    assert browser.post("/api/v1/dossiers/", body, content_type="application/json").status_code == 403
    assert not citizen.dossiers.exists()
    browser.cookies["csrftoken"] = secret = "a" * 32
    answer = browser.post("/api/v1/dossiers/", body, content_type="application/json", HTTP_X_CSRFTOKEN=secret)
    assert answer.status_code == 201, answer.content

    key = Token.objects.get_or_create(user=citizen)[0].key
    answer = Client(enforce_csrf_checks=True).post("/api/v1/dossiers/", body, content_type="application/json",
                                                    HTTP_AUTHORIZATION=f"Token {key}")
    assert answer.status_code == 201 and not answer.cookies
    assert "frame-ancestors 'none'" in answer["Content-Security-Policy"] and answer["X-Frame-Options"] == "DENY"
    assert citizen.dossiers.count() == 2
    refused = Client().get("/api/v1/dossiers/", HTTP_AUTHORIZATION="Token not-a-key")
    assert refused.status_code == 401 and "frame-ancestors 'none'" in refused["Content-Security-Policy"]


# --- production settings ---------------------------------------------------------------------------------------------

def production_environment():
    """The Kubernetes ConfigMap and Secret of deploy/k8s, as a pod gets them (a real secret key in place)."""
    import yaml

    config = next(d for d in yaml.safe_load_all((ROOT / "deploy/k8s/config.yaml").read_text())
                  if d["kind"] == "ConfigMap")["data"]
    secret = yaml.safe_load((ROOT / "deploy/k8s/secret.example.yaml").read_text())["stringData"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "DATABASE_URL", "CELERY"))}
    return {**env, **config, **secret, "SECRET_KEY": secrets.token_urlsafe(50), "ONESTOP_REQUIRE_SECRET_KEY": "1",
            "DATABASE_URL": "sqlite:///:memory:", "CELERY_BROKER_URL": "memory://", "LOG_LEVEL": "WARNING",
            "DEBUG": "0"}


def test_check_deploy_prints_no_warning_with_production_settings():
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env=production_environment(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "WARNING" not in done.stderr + done.stdout, done.stderr + done.stdout
    assert "no issues" in done.stdout


def test_production_cookies_and_headers(settings):
    """What the production environment turns on, seen on a response."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = Client().get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookie = response.cookies["csrftoken"]
    assert cookie["secure"] and cookie["samesite"] == "Lax"
    assert response["X-Content-Type-Options"] == "nosniff" and response["Referrer-Policy"] == "same-origin"


def test_passwords_are_hashed_with_argon2():
    from onestop import settings as project  # the tests themselves use a fast hasher

    assert project.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=project.PASSWORD_HASHERS):
        assert make_password("onestop-demo").startswith("argon2$")


# --- attachments outside the web root; an audit trail nobody edits --------------------------------------------------

def test_attachments_are_reachable_only_through_the_checked_view(as_user, settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    from onestop.dossiers import lifecycle as services
    from onestop.dossiers.attachments import add_attachment
    from onestop.dossiers.models import Dossier

    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    with transaction.atomic():
        dossier = services.lock_dossier(Dossier.objects.get(code=code).pk)
        item = add_attachment(dossier, SimpleUploadedFile("giay-chung-sinh.pdf", pdf), user=as_user("citizen1").user)
    stored = Path(item.file.path)
    assert stored.read_bytes() == pdf and stored.is_relative_to(settings.ATTACHMENTS_ROOT)
    for web_root in [django_settings.STATIC_ROOT, *django_settings.STATICFILES_DIRS]:
        assert not stored.is_relative_to(web_root)
    assert not getattr(django_settings, "MEDIA_ROOT", "")  # nothing is served as "media"

    owner, other = Client(), Client()
    owner.force_login(as_user("citizen1").user)
    other.force_login(as_user("citizen2").user)
    name = item.file.name
    for url in [f"/static/{name}", f"/media/{name}", f"/attachments/{name}", f"/static/../var/attachments/{name}",
                f"/static/%2e%2e/%2e%2e/{name}", f"/{name}"]:
        assert owner.get(url).status_code == 404, url
    view = f"/dossiers/files/{item.key}/"
    assert owner.get(view).status_code == 200 and b"".join(owner.get(view).streaming_content) == pdf
    assert other.get(view).status_code == 404  # another citizen: as if it did not exist
    assert Client().get(view).status_code == 302  # anonymous: to the login page


def test_the_audit_trail_cannot_be_edited_in_the_admin_or_the_api(as_user):
    from onestop.dossiers.models import Dossier, DossierEvent

    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    dossier = Dossier.objects.get(code=code)
    events = list(DossierEvent.objects.filter(dossier=dossier).values())
    admin = Client()
    admin.force_login(get_user_model().objects.get(username="admin"))

    assert admin.get("/admin/dossiers/dossierevent/").status_code == 404  # no page of its own
    page = admin.get(f"/admin/dossiers/dossier/{dossier.pk}/change/").content.decode()
    assert "events-0-comment" not in page and "events-0-DELETE" not in page  # shown, not editable
    admin.post(f"/admin/dossiers/dossier/{dossier.pk}/delete/", {"post": "yes"})
    admin.post("/admin/dossiers/dossier/", {"action": "delete_selected", "_selected_action": [dossier.pk],
                                            "post": "yes"})
    assert list(DossierEvent.objects.filter(dossier=dossier).values()) == events
    assert Dossier.objects.filter(pk=dossier.pk).exists()

    api = as_user("admin").client
    for method in ("put", "patch", "delete"):
        assert getattr(api, method)(f"/api/v1/dossiers/{code}/", {}, format="json").status_code == 405
    paths = list(routes(get_resolver().url_patterns))
    assert not [r for r in paths if "dossierevent" in r or r.startswith("api/") and "event" in r]


def routes(patterns, prefix=""):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's")
def test_the_database_refuses_to_change_or_delete_an_audit_event(as_user):
    from onestop.dossiers.models import DossierEvent

    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    event = DossierEvent.objects.filter(dossier__code=code).first()
    # The models refuse too (TypeError); here the SQL goes around them, as a script or a console would.
    for sql, params in [("UPDATE dossiers_dossierevent SET comment = %s WHERE id = %s", ["sửa", event.pk]),
                        ("DELETE FROM dossiers_dossierevent WHERE id = %s", [event.pk]),
                        ("DELETE FROM dossiers_dossierevent", [])]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    assert DossierEvent.objects.get(pk=event.pk).comment == event.comment


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_celery_workers_log_holds_no_personal_data(celery_worker_process, peers):
    """The real worker process (its own LOGGING, JSON lines): a dossier's exchanges leave no ID number or phone."""
    from onestop.interop.models import Exchange

    log = Path(os.readlink(f"/proc/{celery_worker_process.pid}/fd/1"))
    start = log.stat().st_size
    load_demo(peers)
    citizen = Actor("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    Actor("bennghe.receiver").act(code, "accept")
    wait_for(lambda: Exchange.objects.filter(dossier__code=code, state=Exchange.State.SUCCEEDED).exists())
    wait_for(lambda: code in log.read_bytes()[start:].decode())  # the task's line names the dossier
    output = log.read_bytes()[start:].decode()
    profile = citizen.user.citizen
    for secret in (profile.id_number, BIRTH_FORM["mother_id_number"], profile.phone, profile.full_name):
        assert secret not in output, secret
