"""The officials' page to extend a dossier's appointment date (form 04): Vietnamese by default, errors next
to the fields, 403 for the applicant, 404 for another agency, and the letter offered once it is done."""
import pytest
from django.test import Client

from onestop.deadlines import working_days
from onestop.deadlines.models import Extension
from onestop.dossiers.models import Dossier
from tests.conftest import BIRTH_FORM, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def code(as_user):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    return code


def browser_of(as_user, username):
    client = Client()
    client.force_login(as_user(username).user)
    return client


def test_page_extends_once_and_offers_the_letter(as_user, code):
    page = browser_of(as_user, "bennghe.leader")
    url = f"/deadlines/{code}/extend/"
    response = page.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Gia hạn ngày hẹn trả kết quả" in html and 'name="csrfmiddlewaretoken"' in html
    assert "← Hàng đợi công việc" in html  # a way back
    item = Dossier.objects.get(code=code).work_items.get(kind="task")
    back = page.get(url, {"item": item.pk}).content.decode()
    assert f'href="/work/items/{item.pk}/">← Quay lại hồ sơ {code}' in back
    assert page.get(url, {"item": "x"}).status_code == 200  # a bad value: the queue link
    assert 'style="' not in html and "<script>" not in html

    before = Dossier.objects.get(code=code).appointment_date
    new_date = working_days.add_working_days(before, 2)
    response = page.post(url, {"new_date": "", "reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('class="error"') == 2  # next to both fields

    response = page.post(url, {"new_date": new_date.strftime("%d/%m/%Y"), "reason": "Chờ kết quả xác minh"})
    assert response.status_code == 302
    html = page.get(url).content.decode()
    assert "Đã gia hạn ngày hẹn trả kết quả" in html  # the success message
    assert new_date.strftime("%d/%m/%Y") in html and "Chờ kết quả xác minh" in html
    extension = Extension.objects.get(dossier__code=code)
    assert f"/dossiers/files/{extension.letter.key}/" in html
    assert 'name="reason"' not in html  # no second extension offered

    # A second try (an old tab) is refused with a message, and nothing changes.
    response = page.post(url, {"new_date": working_days.add_working_days(new_date, 1).strftime("%d/%m/%Y"),
                               "reason": "Lần hai"}, follow=True)
    assert "đã được gia hạn một lần" in response.content.decode()
    assert Dossier.objects.get(code=code).appointment_date == new_date


def test_page_is_for_officials_of_the_dossier(as_user, code):
    assert browser_of(as_user, "citizen1").get(f"/deadlines/{code}/extend/").status_code == 403
    assert browser_of(as_user, "benthanh.leader").get(f"/deadlines/{code}/extend/").status_code == 404
    assert Client().get(f"/deadlines/{code}/extend/").status_code == 302  # to the login page
