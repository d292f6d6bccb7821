"""The permission matrix: every URL the project routes, with each method it takes, asked by every kind of
user, and each answer checked (docs/access-control.md says the rules in prose).

Columns, in this order: anonymous, citizen A (the applicant), citizen B, the desk (receiver), specialist and
leader of agency X (Bến Nghé ward, which receives and processes A's dossiers), a leader of agency Y (Bến
Thành ward), and the administrator. Answers: see tests/matrix.py. A URL added without a row fails
``test_every_url_has_a_row``.
"""
import uuid

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import RequestFactory
from django.test.utils import override_settings
from django.urls import path

from onestop import celery_app
from onestop import urls as project_urls
from onestop.dossiers.models import Dossier
from onestop.nationalportal.models import OutboxMessage
from tests import matrix
from tests.conftest import load_demo
from tests.matrix import ROLES, Asker, admin_model_keys, admin_object, answer, entry, routes, url_for

#               anonymous citizen_a citizen_b desk specialist leader official_y admin
PUBLIC = "ok    ok    ok    ok    ok    ok    ok    ok"
LOGGED_IN = "login ok    ok    ok    ok    ok    ok    ok"
ADMIN = "login login login login login login login ok"  # Django's admin and the catalogue's pages: staff
ADMIN_403 = "login login login login login login login 403"  # what the ModelAdmin allows nobody (read-only data)
API_ADMIN = "login 403   403   403   403   403   403   ok"
CITIZENS = "login ok    ok    403   403   403   403   403"  # applying needs a citizen profile
APPLICANT = "login ok    404   404   404   404   404   404"  # the applicant's own pages
DOSSIER = "login ok    404   ok    ok    ok    404   ok"  # whoever may see the dossier (decisions.md)
OFFICIALS = "login 403   403   ok    ok    ok    ok    403"
RECEIVERS = "login 403   403   ok    403   403   403   403"
LEADERS = "login 403   403   403   403   ok    ok    ok"  # figures: leaders (their agencies and below), admins
TASK_PAGE = "login 403   403   403   ok    ok    403   403"  # the specialist's step: its role, and X's leaders
TASK_ACT = "login 403   403   403   ok    403   403   403"  # working on it: its role only
TASK_API = "login 404   404   404   ok    404   404   404"  # the API is a queue: others' items are not found
INCIDENT = "login 404   404   ok    ok    ok    404   ok"  # officials of the dossier's agencies, admins

DOSSIER_CODE = {"code": "dossier"}
VERSION = {"code": "procedure", "number": "version"}
TASK = {"pk": "task"}
LATER = "2099-01-02"

MATRIX = {
    # --- the citizens' portal ---------------------------------------------------------------------------
    "portal:home": entry(GET=PUBLIC),  # officials are sent on to their queue
    "portal:signup": entry(GET=PUBLIC, POST=PUBLIC),
    "portal:catalogue": entry(GET=PUBLIC),
    "portal:procedure": entry({"code": "procedure"}, GET=PUBLIC),
    "portal:apply": entry({"code": "procedure"}, GET=CITIZENS, POST=CITIZENS),
    "portal:apply-review": entry({"code": "procedure"}, GET=CITIZENS, POST=CITIZENS),
    "portal:my-dossiers": entry(GET=LOGGED_IN),
    "portal:dossier": entry(DOSSIER_CODE, GET=APPLICANT),
    "portal:submitted": entry({"code": "new"}, GET=APPLICANT),
    "portal:supplement": entry({"code": "supplement"}, POST=APPLICANT, data={"comment": "Đã bổ sung"}),
    "portal:withdraw": entry(DOSSIER_CODE, GET=APPLICANT, POST=APPLICANT),
    "portal:rate": entry({"code": "returned"}, POST=APPLICANT, data={"score": 5}),
    "portal:lookup": entry(GET=PUBLIC, POST=PUBLIC),
    "login": entry(GET=PUBLIC, POST=PUBLIC),
    "logout": entry(POST=PUBLIC),
    "set_language": entry(GET=PUBLIC, POST=PUBLIC, data={"language": "en"}),
    # --- a dossier's shared pages and papers ----------------------------------------------------------------
    "dossier-attachment": entry({"key": "attachment"}, GET=DOSSIER),
    "dossier-diagram": entry(DOSSIER_CODE, GET=DOSSIER),
    "dossier-diagram-bpmn": entry(DOSSIER_CODE, GET=DOSSIER),
    "documents:form01": entry(DOSSIER_CODE, GET=DOSSIER),
    "documents:form02": entry({"code": "supplement"}, GET=DOSSIER),
    "documents:form03": entry({"code": "refused"}, GET=DOSSIER),
    "documents:form04": entry(DOSSIER_CODE, GET=DOSSIER),
    "documents:form05": entry({"code": "stopped"}, GET=DOSSIER),
    "deadlines:extend": entry(DOSSIER_CODE, data={"reason": "Chờ xác minh", "new_date": LATER},
                              GET="login 403   404   ok    ok    ok    404   403",
                              POST="login 403   404   ok    ok    ok    404   403"),
    # --- officials' workspace -----------------------------------------------------------------------------
    "workspace:home": entry(GET=PUBLIC),  # a redirect to the queue, which asks to log in
    "workspace:queue": entry(GET=OFFICIALS),
    "workspace:desk": entry(GET=RECEIVERS),
    "workspace:intake": entry(GET=RECEIVERS, POST=RECEIVERS),
    "workspace:item": entry(TASK, GET=TASK_PAGE),
    "workspace:claim": entry(TASK, POST=TASK_ACT),
    "workspace:unclaim": entry(TASK, POST=TASK_ACT),
    "workspace:complete": entry(TASK, POST=TASK_ACT),
    "workspace:receive": entry({"pk": "reception"}, POST=RECEIVERS, data={"decision": "accept"}),
    "workspace:return": entry({"pk": "return"}, POST=RECEIVERS),
    "workspace:comment": entry(TASK, POST=TASK_PAGE, data={"text": "Đã kiểm tra"}),
    "workspace:reassign": entry(TASK, POST="login 403   403   403   403   ok    403   403"),
    "workspace:retry-incident": entry({"pk": "incident_item", "incident": "incident"},
                                      POST="login 403   403   ok    403   ok    403   403"),
    "workspace:incidents": entry(GET="login 403   403   ok    ok    ok    ok    ok"),
    "workspace:incident-retry": entry({"incident": "incident"}, POST=INCIDENT),
    "workspace:incident-stop": entry({"incident": "incident"}, POST=INCIDENT,
                                     data={"reason": "Không thể tiếp tục xử lý"}),
    # --- reports ---------------------------------------------------------------------------------------
    "reports:dashboard": entry(GET=LEADERS),
    "reports:export-csv": entry(GET=LEADERS),
    "reports:export-xlsx": entry(GET=LEADERS),
    "reports:steps": entry(GET=LEADERS),
    "reports:interconnection": entry(GET=LEADERS),
    "reports:interconnection-procedure": entry({"code": "procedure"}, GET=LEADERS),
    "reports:register": entry(GET="login 403   403   ok    403   ok    ok    ok"),
    "reports:control-sheet": entry(DOSSIER_CODE, GET=DOSSIER),
    # --- the catalogue's admin pages (BPMN versions) ----------------------------------------------------------
    "catalogue-upload": entry(GET=ADMIN, POST=ADMIN),
    "catalogue-version": entry(VERSION, GET=ADMIN),
    "catalogue-version-action": entry({**VERSION, "action": "action"}, POST=ADMIN),
    "nationalportal:outbox": entry(GET=ADMIN),
    "nationalportal:retry": entry({"pk": "portal_message"}, POST=ADMIN),
    # --- the API ---------------------------------------------------------------------------------------
    "api-root": entry(GET=LOGGED_IN),
    "api-token": entry(POST=PUBLIC),
    "schema": entry(GET=PUBLIC),
    "api-docs": entry(GET=PUBLIC),
    "procedure-list": entry(GET=PUBLIC, POST=API_ADMIN),
    "procedure-detail": entry({"code": "procedure"}, GET=PUBLIC, PATCH=API_ADMIN),
    "agency-list": entry(GET=PUBLIC),
    "agency-detail": entry({"code": "q1-bennghe"}, GET=PUBLIC),
    "versions": entry({"code": "procedure"}, GET=API_ADMIN, POST=API_ADMIN),
    "version": entry(VERSION, GET=API_ADMIN, DELETE=API_ADMIN),
    "version-publish": entry(VERSION, POST=API_ADMIN),
    "version-retire": entry(VERSION, POST=API_ADMIN),
    "version-migrate": entry(VERSION, POST=API_ADMIN),
    "version-bpmn": entry(VERSION, GET=API_ADMIN),
    "dossier-list": entry(GET=LOGGED_IN, POST=LOGGED_IN),
    "dossier-detail": entry(DOSSIER_CODE, GET=DOSSIER),
    "dossier-extend": entry(DOSSIER_CODE, POST="login 403   404   ok    ok    ok    404   403"),
    "dossier-supplement": entry({"code": "supplement"}, POST=APPLICANT),
    "dossier-withdraw": entry(DOSSIER_CODE, POST=APPLICANT),
    "dossier-notifications": entry(DOSSIER_CODE, GET=DOSSIER),
    "work-item-list": entry(GET=LOGGED_IN),
    "work-item-detail": entry(TASK, GET=TASK_API),
    "work-item-claim": entry(TASK, POST=TASK_API),
    "work-item-unclaim": entry(TASK, POST=TASK_API),
    "work-item-complete": entry(TASK, POST=TASK_API),
    "incident-list": entry(GET=LOGGED_IN),
    "incident-detail": entry({"pk": "incident"}, GET=INCIDENT),
    "incident-retry": entry({"pk": "incident"}, POST=INCIDENT),
    "incident-enter-manually": entry({"pk": "incident"}, POST=INCIDENT),
    "incident-stop": entry({"pk": "incident"}, POST=INCIDENT),
    "data-tracker-list": entry(GET=LOGGED_IN),
    "national-portal-outbox-list": entry(GET=API_ADMIN),
    "national-portal-outbox-counts": entry(GET=API_ADMIN),
    "national-portal-outbox-detail": entry({"pk": "portal_message"}, GET=API_ADMIN),
    "national-portal-outbox-retry": entry({"pk": "portal_message"}, POST=API_ADMIN),
    "report-summary": entry(GET=LEADERS),
    "report-steps": entry(GET=LEADERS),
    "report-indicators": entry(GET=LEADERS),
    "report-extensions": entry(GET=LEADERS),
    "report-interconnection": entry(GET=LEADERS),
    "report-register": entry(query="agency=q1-bennghe", GET="login 403   403   ok    403   ok    400   ok"),
    "report-control-sheet": entry(DOSSIER_CODE, GET=DOSSIER),
    # --- Django's admin: the site's own URLs (each model's are made by ``admin_model_keys``) --------------------
    "admin:index": entry(GET=ADMIN),
    "admin:login": entry(GET=PUBLIC, POST=PUBLIC),
    "admin:logout": entry(POST=PUBLIC),
    "admin:password_change": entry(GET=ADMIN, POST=ADMIN),
    "admin:password_change_done": entry(GET=ADMIN),
    "admin:jsi18n": entry(GET=ADMIN),
    "admin:app_list": entry({"app_label": "dossiers"}, GET=ADMIN),
    "admin:autocomplete": entry(query="app_label=organisation&model_name=agency&field_name=parent&term=q", GET=ADMIN),
    "admin:auth_user_password_change": entry({"id": "citizen_a_id"}, GET=ADMIN, POST=ADMIN),
    "admin:deadlines_calendaryear_load": entry(GET=ADMIN, POST=ADMIN),  # a year's calendar from a file
    "admin:view_on_site": entry({"content_type_id": "dossier_type", "object_id": "dossier_pk"},
                                GET="login login login login login login login 404"),  # no model links out
    "admin/(?P<url>.*)$": entry(GET="login login login login login login login 404"),  # the admin's catch-all
}
ALL_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
# Views answering any method as Django makes them: the admin's, the language switch's redirect, the login page's
# redirect of who is logged in already; and the probes.
DJANGOS_OWN = ("admin", "set_language", "login", "/healthz", "/readyz", "/metrics")
# Served by onestop.ops.middleware before URL routing (probes and metrics).
PROBES = {
    "/healthz": entry(GET=PUBLIC),
    "/readyz": entry(GET=PUBLIC),
    "/metrics": entry(GET="404   404   404   404   404   404   404   404"),  # without a token outside DEBUG
}


def admin_entries():
    """The admin's row for each registered model's URLs; the administrator's answer follows the ModelAdmin
    (a read-only admin, such as the incidents', answers 403 to add)."""
    admin_user = get_user_model().objects.get(username="admin")
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    entries = {}
    for key, model in admin_model_keys().items():
        model_admin = admin.site._registry[model]
        view = key.rsplit("_", 1)[1] if key.startswith("admin:") else "redirect"
        may_view = model_admin.has_view_or_change_permission(request)
        reading = {"add": model_admin.has_add_permission(request),
                   "delete": model_admin.has_delete_permission(request)}.get(view, may_view)
        writing = {"change": model_admin.has_change_permission(request)}.get(view, reading)
        methods = {"GET": ADMIN if reading else ADMIN_403}
        if view in ("add", "change", "delete", "changelist"):
            methods["POST"] = ADMIN if writing else ADMIN_403
        entries[key] = entry({"object_id": f"admin:{model._meta.label}"}, **methods)
    return entries


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, peer_service, tmp_path_factory):
    """The demo and citizen A's dossiers, built once for the module and rolled back at its end."""
    settings = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                                 ATTACHMENTS_ROOT=tmp_path_factory.mktemp("attachments"))
    eager = celery_app.conf.task_always_eager
    with django_db_blocker.unblock(), settings:
        celery_app.conf.task_always_eager = True
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            peer_service.reset()
            load_demo(peer_service)
            objects = matrix.build_world()
            matrix.add_incident(objects, peer_service)
            dossier = Dossier.objects.get(code=objects["dossier"])
            objects["portal_message"] = OutboxMessage.objects.create(dossier=dossier, sequence=1, payload={},
                                                                     service="DongBoHoSoMC").pk
            objects.update(citizen_a_id=get_user_model().objects.get(username="citizen1").pk,
                           dossier_type=ContentType.objects.get_for_model(Dossier).pk, dossier_pk=dossier.pk)
            for model in admin.site._registry:
                objects[f"admin:{model._meta.label}"] = admin_object(model)
            yield objects
        finally:
            celery_app.conf.task_always_eager = eager
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def unmatched():
    """(URLs without a row, rows without a URL)."""
    routed = {r.key for r in routes()}
    rows = set(MATRIX) | set(admin_model_keys())
    return routed - rows, rows - routed


def test_every_url_has_a_row():
    """A new URL without a row in the matrix fails here; so does a row whose URL is gone."""
    no_row, no_url = unmatched()
    assert not no_row, f"URLs without a row in the permission matrix: {sorted(no_row)}"
    assert not no_url, f"rows for URLs that are not routed: {sorted(no_url)}"


def test_a_url_added_without_a_row_is_caught(settings):
    settings.ROOT_URLCONF = __name__  # the project's URLs and one more (``urlpatterns`` below)
    assert unmatched() == ({"new-page"}, set())


urlpatterns = [*project_urls.urlpatterns, path("new-page/", lambda request: None, name="new-page")]


def test_every_url_answers_each_role_as_the_matrix_says(world, db):
    asker = Asker()
    rows = {**MATRIX, **admin_entries()}
    wrong = []
    cases = [(r.key, url_for(r, rows[r.key].params, world), rows[r.key]) for r in routes()]
    cases += [(probe, probe, row) for probe, row in PROBES.items()]
    for key, url, row in cases:
        url = f"{url}?{row.query}" if row.query else url
        expectations = dict(row.methods)
        if not key.startswith(DJANGOS_OWN):
            # Any other method is refused (405) to someone who gets through on the URL's own methods (the method
            # is checked after the person, so one such person is enough).
            through = [role for role in ROLES if any(e[role] == "ok" for e in row.methods.values())][:1]
            for method in sorted(ALL_METHODS - set(row.methods)):
                expectations[method] = {role: "405" for role in through}
        for method, expected in expectations.items():
            for role, wanted in expected.items():
                response = asker.ask(role, method, url, row.data)
                got = answer(response, method)
                if got != wanted:
                    wrong.append(f"{key} {method} {url} as {role}: expected {wanted}, got {got} "
                                 f"({response.status_code} {response.get('Location', '')})")
    print(f"\npermission matrix: {asker.count} requests in {asker.seconds:.1f} s")
    assert not wrong, "\n".join(["answers that differ from the matrix:", *wrong])


def test_guessing_an_id_gets_404(world, db):
    """Attachment keys are random UUIDs; dossier codes follow a pattern (agency, date, daily number) by law, so
    they are protected by the object check alone: a guessed code, an existing one of someone else, and an
    unknown one answer the same 404."""
    asker = Asker()
    code = world["dossier"]
    prefix, number = code.rsplit("-", 1)
    guessed = f"{prefix}-{int(number) + 50:04d}"
    for role in ("citizen_b", "official_y"):
        for url in (f"/api/v1/dossiers/{code}/", f"/api/v1/dossiers/{guessed}/", f"/dossiers/{code}/diagram/",
                     f"/dossiers/{guessed}/diagram/", f"/documents/{code}/form-01.pdf",
                     f"/documents/{guessed}/form-01.pdf", f"/dossiers/files/{world['attachment']}/",
                     f"/dossiers/files/{uuid.uuid4()}/"):
            assert asker.ask(role, "GET", url).status_code == 404, (role, url)
    for role in ROLES[1:]:
        assert asker.ask(role, "GET", f"/dossiers/files/{uuid.uuid4()}/").status_code == 404
        assert asker.ask(role, "GET", f"/api/v1/dossiers/{guessed}/").status_code == 404
    assert asker.ask("citizen_a", "GET", f"/my/dossiers/{guessed}/").status_code == 404
    # The apology letter (form 04) is the applicant's to download, and nobody else's outside the dossier.
    letter = f"/dossiers/files/{world['letter']}/?download=1"
    assert asker.ask("citizen_a", "GET", letter).status_code == 200
    assert [asker.ask(role, "GET", letter).status_code for role in ("citizen_b", "official_y")] == [404, 404]
    assert asker.ask("specialist", "GET", "/api/v1/work-items/999999/").status_code == 404
    assert asker.ask("specialist", "GET", "/work/items/999999/").status_code == 404
    assert asker.ask("specialist", "GET", "/api/v1/incidents/999999/").status_code == 404


def _codes(asker, role, url):
    response = asker.ask(role, "GET", url)
    assert response.status_code == 200, (role, url, response.status_code)
    return {row.get("dossier", row.get("code")) for row in response.json()["results"]}


def test_lists_show_each_role_only_what_it_may_see(world, db):
    """The object checks hold in the lists too: dossiers, queues, incidents, the data tracker, messages."""
    asker = Asker()
    a_codes = {world[k] for k in ("new", "dossier", "supplement", "refused", "ready", "returned", "incident_dossier",
                                  "stopped")}
    assert _codes(asker, "citizen_a", "/api/v1/dossiers/?page_size=200") == a_codes
    assert _codes(asker, "desk", "/api/v1/dossiers/?page_size=200") == a_codes  # all received by its desk
    for role in ("citizen_b", "official_y"):
        assert not _codes(asker, role, "/api/v1/dossiers/?page_size=200") & a_codes, role
        assert not _codes(asker, role, "/api/v1/work-items/?page_size=200&state=open&state=claimed&state=completed")
        assert not _codes(asker, role, "/api/v1/incidents/"), role
        assert not _codes(asker, role, "/api/v1/data-tracker/") & a_codes, role
        page = asker.ask(role, "GET", "/my/dossiers/").content.decode()
        assert not [code for code in a_codes if code in page], role
    # A queue holds its own (agency, role) pairs: the specialist's step is not on the desk's list.
    assert world["dossier"] not in _codes(asker, "desk", "/api/v1/work-items/?page_size=200")
    assert world["dossier"] in _codes(asker, "specialist", "/api/v1/work-items/?page_size=200")
    queue = asker.ask("official_y", "GET", "/work/queue/?tab=all").content.decode()
    assert not [code for code in a_codes if code in queue]
    assert world["dossier"] in asker.ask("leader", "GET", "/work/queue/?tab=all").content.decode()
    # Incidents are for officials and admins; the applicant sees their dossier's lookups in the data tracker.
    assert _codes(asker, "desk", "/api/v1/incidents/") == {world["incident_dossier"], world["stopped"]}
    assert not _codes(asker, "citizen_a", "/api/v1/incidents/")
    assert world["dossier"] in _codes(asker, "citizen_a", "/api/v1/data-tracker/")
    # The applicant reads the messages sent to them, not reminders between officials.
    for row in asker.ask("citizen_a", "GET", f"/api/v1/dossiers/{world['dossier']}/notifications/").json()["results"]:
        assert row["recipient"] in ("Nguyễn Văn An", "citizen1"), row


def test_officials_of_other_agencies_get_403_on_item_pages_and_404_in_the_api(world, db):
    """Whatever their role: another ward's desk and specialist, and the district's leader (who oversees X's
    figures, not its steps)."""
    others = {"y_desk": "benthanh.receiver", "y_specialist": "benthanh.specialist", "district_leader": "q1.leader"}
    asker = Asker(others)
    for person in others:
        for item in (world["task"], world["reception"], world["return"]):
            assert asker.ask(person, "GET", f"/work/items/{item}/").status_code == 403, (person, item)
            assert asker.ask(person, "POST", f"/work/items/{item}/claim/").status_code == 403, (person, item)
            assert asker.ask(person, "GET", f"/api/v1/work-items/{item}/").status_code == 404, (person, item)
            assert asker.ask(person, "POST", f"/api/v1/work-items/{item}/complete/").status_code == 404
        assert asker.ask(person, "GET", f"/api/v1/incidents/{world['incident']}/").status_code == 404
    # The district's leader oversees the ward: form 06 of its dossiers, not the dossier itself.
    code = world["dossier"]
    assert asker.ask("district_leader", "GET", f"/reports/dossiers/{code}/control-sheet/").status_code == 200
    assert asker.ask("district_leader", "GET", f"/api/v1/dossiers/{code}/").status_code == 404
