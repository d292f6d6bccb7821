"""The frame every page shares: login, language, the menu by role, error pages, security headers."""
from django.test import Client


def test_pages_are_vietnamese_first_with_an_english_switch(db):
    client = Client()
    page = client.get("/login/").content.decode()
    assert 'lang="vi"' in page and "Đăng nhập" in page
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    page = client.get("/login/").content.decode()
    assert 'lang="en"' in page and "Log in" in page and "Tiếng Việt" in page


def test_login_with_a_wrong_password_says_so_and_a_right_one_logs_in(demo):
    client = Client()
    response = client.post("/login/", {"username": "citizen1", "password": "wrong"})
    assert response.status_code == 200
    assert "has-error" in response.content.decode() or "alert error" in response.content.decode()
    response = client.post("/login/", {"username": "citizen1", "password": "onestop-demo"})
    assert response.status_code == 302
    assert client.get("/login/").status_code == 302  # already logged in: sent on


def test_the_menu_follows_the_users_roles(demo, settings):
    from django.contrib.auth import get_user_model

    from onestop.web.context import roles_of

    users = get_user_model().objects
    assert roles_of(users.get(username="citizen1")) == {"citizen"}
    assert roles_of(users.get(username="bennghe.receiver")) == {"receiver"}
    assert "admin" in roles_of(users.get(username="admin"))


def test_unknown_pages_get_the_friendly_404_page(db, settings):
    settings.DEBUG = False
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode() or "Page not found" in response.content.decode()


def test_every_page_forbids_inline_scripts_and_framing_by_others(db):
    response = Client().get("/login/")
    policy = response["Content-Security-Policy"]
    script = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'self'" in script and "unsafe-inline" not in script and "unsafe-eval" not in script
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.content.decode()


def test_api_docs_come_from_our_own_files(db):
    page = Client().get("/api/docs/").content.decode()
    assert "cdn" not in page.lower() and "/static/drf_spectacular_sidecar/" in page


def test_the_pager_keeps_the_other_parameters_and_says_where_one_is():
    """Every paged list's pager: a link changes its own page parameter only (filters and another list's page
    stay), in Vietnamese by default; with htmx it swaps the list in place."""
    from django.core.paginator import Paginator
    from django.template import Context, Template
    from django.test import RequestFactory
    from django.utils import translation

    request = RequestFactory().get("/work/desk/", {"q": "Nguyễn", "page": "2", "rpage": "3"})
    page = Paginator(range(50), 20).get_page(2)
    with translation.override("vi"):
        html = Template("{% load pager %}{% pager page param=param %}").render(
            Context({"request": request, "page": page, "param": "rpage"}))
    assert "Trang 2 / 3" in html and "Trang trước" in html and "Trang sau" in html
    assert 'href="?q=Nguy%E1%BB%85n&amp;page=2&amp;rpage=1"' in html
    assert 'href="?q=Nguy%E1%BB%85n&amp;page=2&amp;rpage=3"' in html
    assert "hx-get" not in html
    with translation.override("en"):
        html = Template('{% load pager %}{% pager page hx_url="/work/queue/" hx_target="#results" %}').render(
            Context({"request": request, "page": Paginator(range(50), 20).get_page(1)}))
    assert "Page 1 of 3" in html and "Next" in html and "Previous" not in html
    assert 'hx-get="/work/queue/?q=Nguy%E1%BB%85n&amp;page=2&amp;rpage=3"' in html
    single = Template("{% load pager %}{% pager page %}").render(
        Context({"request": request, "page": Paginator(range(5), 20).get_page(1)}))
    assert "pager" not in single  # one page: no pager at all
