"""Shared fixtures: the demo data, and API clients acting as the demo's users."""
import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from onestop.demo.seed import seed


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    seed()


class Actor:
    """A demo user talking to the API."""

    def __init__(self, username):
        self.user = get_user_model().objects.get(username=username)
        self.client = APIClient()
        self.client.force_authenticate(self.user)

    def get(self, url, **params):
        return self.client.get(url, params)

    def post(self, url, data=None):
        return self.client.post(url, data or {}, format="json")

    def queue(self, **params):
        response = self.get("/api/v1/work-items/", **params)
        assert response.status_code == 200, response.content
        return response.json()["results"]

    def item(self, code):
        """The one active step of dossier ``code`` in this user's queue."""
        items = [i for i in self.queue(page_size=200) if i["dossier"] == code]
        assert len(items) == 1, f"{self.user.username} sees {len(items)} steps of {code}: {items}"
        return items[0]

    def act(self, code, decision, data=None, comment=""):
        """Claim the dossier's step in this user's queue and complete it."""
        item = self.item(code)
        response = self.post(f"/api/v1/work-items/{item['id']}/claim/")
        assert response.status_code == 200, response.content
        response = self.post(
            f"/api/v1/work-items/{item['id']}/complete/",
            {"decision": decision, "data": data or {}, "comment": comment},
        )
        assert response.status_code == 200, response.content
        return item

    def dossier(self, code):
        response = self.get(f"/api/v1/dossiers/{code}/")
        assert response.status_code == 200, response.content
        return response.json()


@pytest.fixture
def as_user(demo):
    cache = {}

    def get(username):
        if username not in cache:
            cache[username] = Actor(username)
        return cache[username]

    return get


BIRTH_FORM = {
    "child_full_name": "Nguyễn Minh Khôi",
    "child_birth_date": "2026-11-20",
    "child_sex": "nam",
    "child_birth_place": "Bệnh viện Từ Dũ, Quận 1",
    "father_full_name": "Nguyễn Văn An",
    "father_id_number": "079090000001",
    "mother_full_name": "Lê Thị Hoa",
    "mother_id_number": "079190000003",
    "applicant_relationship": "cha",
}


def submit(actor, procedure, agency, form):
    response = actor.post("/api/v1/dossiers/", {"procedure": procedure, "agency": agency, "form_data": form})
    assert response.status_code == 201, response.content
    return response.json()
