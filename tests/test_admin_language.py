"""The admin speaks one language: Vietnamese by default, its models and branding included."""
import re

from django.contrib.auth import get_user_model
from django.test import Client

ENGLISH = ("Access attempts", "Catalogue events", "Site administration", "Django administration",
           "One-stop shop", "published)")


def _visible(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def _admin(language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


def test_the_admin_index_names_models_and_branding_in_vietnamese(demo):
    response = _admin("vi").get("/admin/")
    assert response.status_code == 200
    shown = _visible(response.content.decode())
    assert "onestop — Một cửa" in shown and "Lượt đăng nhập bị theo dõi" in shown
    assert "Sự kiện danh mục thủ tục" in shown
    assert not [word for word in ENGLISH if word in shown]


def test_the_catalogue_upload_page_keeps_the_admin_user_menu(demo):
    for language, header, log_out in (("vi", "onestop — Một cửa", "Đăng xuất"),
                                      ("en", "onestop — One-stop shop", "Log out")):
        response = _admin(language).get("/catalogue/upload/")
        assert response.status_code == 200
        page = response.content.decode()
        assert header in page and 'id="user-tools"' in page and log_out in page
