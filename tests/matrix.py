"""Machinery of the permission matrix (tests/test_permission_matrix.py): the roles, the URLs the project
routes, the objects their parameters name, and how an answer is classified.

Each matrix row is ``"answer answer ..."``, one answer per role in ``ROLES`` order:

- ``ok``     the request got past access control: 2xx, or a redirect that is not to a login page; for a
             write (POST, PUT, PATCH, DELETE) also 400, 409 and 415 (the body or the state was refused, not the
             person);
- ``login``  asked to log in: a redirect to the login page (or the admin's), or 401 from the API;
- ``403``, ``404``, ``405``  refused, hidden, or a method the URL does not take;
- ``400``    a read whose query the role may not ask (a filter naming an agency outside its scope).
"""
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = ("anonymous", "citizen_a", "citizen_b", "desk", "specialist", "leader", "official_y", "admin")
# Agency X is Bến Nghé ward (it receives and processes citizen A's dossiers); agency Y is Bến Thành ward.
USERS = {
    "citizen_a": "citizen1", "citizen_b": "citizen2",
    "desk": "bennghe.receiver", "specialist": "bennghe.specialist", "leader": "bennghe.leader",
    "official_y": "benthanh.leader", "admin": "admin",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
ANSWERS = {"ok", "login", "400", "403", "404", "405"}
LOGIN_PAGES = ("/login/", "/admin/login/")


@dataclass
class Entry:
    """What each role gets from one URL: ``methods`` maps a method to its row of answers."""

    methods: dict
    params: dict = field(default_factory=dict)  # URL parameter -> key of the world's objects (or a literal)
    query: str = ""
    data: dict = field(default_factory=dict)  # the body of writes

    def __post_init__(self):
        for method, row in self.methods.items():
            answers = row.split()
            assert len(answers) == len(ROLES) and set(answers) <= ANSWERS, f"bad row for {method}: {row!r}"
            self.methods[method] = dict(zip(ROLES, answers, strict=True))


def entry(params=None, query="", data=None, **methods):
    return Entry(methods=methods, params=params or {}, query=query, data=data or {})


# --- the URLs -------------------------------------------------------------------------------------------

@dataclass
class Route:
    key: str  # the URL's name (with its namespace), or its route when it has none
    route: str
    groups: tuple  # the parameters it takes


def _walk(patterns, prefix="", namespace=None, groups=()):
    for pattern in patterns:
        here = groups + tuple(pattern.pattern.regex.groupindex)
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, route, ns, here)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield Route(key=name or route, route=route, groups=here)


def routes():
    """Every URL pattern the project routes."""
    return list(_walk(get_resolver().url_patterns))


def admin_model_keys():
    """The URLs Django's admin makes for each registered model. Every one is wrapped in ``AdminSite.admin_view``
    (staff only), so they share one row; a custom admin URL (``get_urls``) needs its own entry."""
    keys = {}
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        for view in ("changelist", "add", "history", "delete", "change"):
            keys[f"{info}_{view}"] = model
        keys[base + "<path:object_id>/"] = model  # the old change URL, a redirect
    return keys


def url_for(route, params, world):
    values = {name: world.get(params.get(name, name), params.get(name, name)) for name in route.groups}
    if route.key != route.route:
        return reverse(route.key, kwargs=values or None)
    if route.route.endswith("(?P<url>.*)$"):  # the admin's catch-all
        return "/admin/no-such-page/"
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route.route)


def admin_object(model):
    obj = model._default_manager.order_by("pk").first()
    return quote(obj.pk) if obj is not None else "0"


# --- asking ---------------------------------------------------------------------------------------------

class Asker:
    """One browser per role (a session, as the pages and the API both take); every request is rolled back,
    so that a write allowed to one role does not change what the next role sees."""

    def __init__(self, people=None):
        """``people`` maps more names to demo usernames (by default the matrix's columns)."""
        self.clients = {}
        self.cookies = {}
        people = {**USERS, **(people or {})}
        users = get_user_model().objects.in_bulk(list(people.values()), field_name="username")
        for role in ("anonymous", *people):
            client = Client(raise_request_exception=False)
            if role != "anonymous":
                client.force_login(users[people[role]])
            self.clients[role] = client
            self.cookies[role] = {k: v.value for k, v in client.cookies.items()}
        self.count = 0
        self.seconds = 0.0

    def ask(self, role, method, url, data=None, language=None):
        """``language``: as the language switch chooses it (its cookie); by default the browser's (none)."""
        client = self.clients[role]
        client.cookies.clear()
        for name, value in self.cookies[role].items():  # a logout in an earlier request is undone
            client.cookies[name] = value
        if language:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        cache.clear()  # rate limits count per client address: every request here comes from one
        send = getattr(client, method.lower())
        started = time.perf_counter()
        with transaction.atomic():
            if method not in WRITES:
                response = send(url)
            elif url.startswith("/api/"):
                response = send(url, json.dumps(data or {}), content_type="application/json")
            elif method == "POST":
                response = send(url, data or {})
            else:
                response = send(url, urlencode(data or {}), content_type="application/x-www-form-urlencoded")
            if response.streaming:  # read to the end: the test client then closes the file, and not the
                b"".join(response.streaming_content)  # database connection (as response.close() would)
            transaction.set_rollback(True)
        self.seconds += time.perf_counter() - started
        self.count += 1
        return response


def answer(response, method):
    """The class of an answer, in the matrix's words (anything else: its status code)."""
    status = response.status_code
    if status == 401 or (status in (301, 302, 303) and response["Location"].split("?")[0].endswith(LOGIN_PAGES)):
        return "login"
    if 200 <= status < 400 or (method in WRITES and status in (400, 409, 415)):
        return "ok"
    return str(status)


# --- the objects the URLs name --------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def build_world():
    """Citizen A's dossiers at Bến Nghé in each state a URL needs, driven through the API and services as
    people would; returns ``{name: value}`` for the URL parameters. Needs the demo data and the peers."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from onestop.deadlines.working_days import add_working_days
    from onestop.dossiers.attachments import add_attachment
    from onestop.dossiers.models import Dossier
    from onestop.worklist.models import WorkItem
    from procedures.models import ProcedureVersion
    from tests.conftest import BIRTH_FORM, Actor, submit

    citizen, desk = Actor("citizen1"), Actor("bennghe.receiver")
    specialist, leader = Actor("bennghe.specialist"), Actor("bennghe.leader")

    def new():
        return submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]

    def item(code, kind):
        return WorkItem.objects.filter(dossier__code=code, kind=kind).order_by("-id").first().pk

    world = {"procedure": "1.001193", "action": "publish"}
    world["new"] = new()  # waiting at the desk
    world["dossier"] = code = new()  # in processing at the specialist, with a file, an extension and its letter
    desk.act(code, "accept")
    dossier = Dossier.objects.get(code=code)
    world["attachment"] = add_attachment(dossier, SimpleUploadedFile("giay-chung-sinh.pdf", PDF), user=citizen.user,
                                         document_index=1).key
    response = specialist.post(f"/api/v1/dossiers/{code}/extend/", {
        "reason": "Chờ xác minh", "new_date": add_working_days(dossier.appointment_date, 3).isoformat()})
    assert response.status_code == 200, response.content
    world["letter"] = response.json()["extension"]["letter"].rstrip("/").rsplit("/", 1)[1]

    world["supplement"] = code = new()
    desk.act(code, "supplement", {"missing_documents": ["Giấy chứng sinh (bản chính)"]}, comment="Thiếu giấy tờ")
    world["refused"] = code = new()
    desk.act(code, "refuse", comment="Không thuộc thẩm quyền")
    world["ready"] = code = new()  # the result waits at the desk
    desk.act(code, "accept")
    specialist.act(code, "approve", {"review_notes": "Đầy đủ"})
    leader.act(code, "sign")
    world["returned"] = code = new()  # handed over: the applicant may rate it
    desk.act(code, "accept")
    specialist.act(code, "approve", {"review_notes": "Đầy đủ"})
    leader.act(code, "sign")
    desk.act(code, "returned", {"collected_by": "Nguyễn Văn An"})

    world["task"] = item(world["dossier"], WorkItem.Kind.TASK)
    assert specialist.post(f"/api/v1/work-items/{world['task']}/claim/").status_code == 200  # held: unclaim works
    world["reception"] = item(world["new"], WorkItem.Kind.RECEPTION)
    world["return"] = item(world["ready"], WorkItem.Kind.RETURN)
    world["version"] = ProcedureVersion.objects.get(procedure__code="1.001193", state="published").number
    return world


def add_incident(world, peers):
    """A dossier whose population lookup failed: the peer system is down while the desk accepts it."""
    from onestop.dossiers.models import Incident
    from onestop.worklist.models import WorkItem
    from tests.conftest import BIRTH_FORM, Actor, stalled_at_lookup, submit

    world["incident_dossier"] = code = stalled_at_lookup(peers)
    world["incident"] = Incident.objects.get(dossier__code=code).pk
    world["incident_item"] = WorkItem.objects.get(dossier__code=code, kind=WorkItem.Kind.RECEPTION).pk
    # Another one, stopped by an admin: its notice (form 05) exists.
    from django.contrib.auth import get_user_model

    from onestop.dossiers import lifecycle

    world["stopped"] = code = submit(Actor("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    peers.control(down=True)
    try:
        Actor("bennghe.receiver").act(code, "accept")
    finally:
        peers.control(down=False)
    lifecycle.stop_dossier(Incident.objects.get(dossier__code=code).pk, get_user_model().objects.get(username="admin"),
                           reason="Không thể tiếp tục giải quyết")
