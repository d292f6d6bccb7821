"""The incidents page: officials of the dossier's agencies and admins see stopped processes and resolve them
there, by trying again or by stopping the dossier with a reason; nobody else sees them."""
import pytest
from django.contrib.auth import get_user_model

from onestop.dossiers.models import Action, Dossier, Incident, Status
from onestop.worklist.models import WorkItem
from tests.conftest import stalled_at_lookup

User = get_user_model()
pytestmark = pytest.mark.django_db


@pytest.fixture
def stalled(demo, peers):
    return Incident.objects.get(dossier__code=stalled_at_lookup(peers))


def as_user(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def test_the_agency_sees_the_incident_and_tries_again_when_the_registry_is_back(
        stalled, client, django_capture_on_commit_callbacks):
    page = as_user(client, "bennghe.specialist").get("/work/incidents/")
    assert page.status_code == 200
    text = page.content.decode()
    assert stalled.dossier.code in text and "Sự cố" in text and "Dừng xử lý hồ sơ" in text
    assert 'href="/work/incidents/"' in text  # in the menu

    with django_capture_on_commit_callbacks(execute=True):  # the exchange is sent again after commit
        answer = client.post(f"/work/incidents/{stalled.pk}/retry/")
    assert answer.status_code == 302
    answer = client.get(answer.url)
    assert answer.status_code == 200
    stalled.refresh_from_db()
    assert stalled.resolution == Incident.Resolution.RETRIED
    # The process went on: the review step is open, and the list is empty.
    assert WorkItem.objects.filter(dossier=stalled.dossier, task_spec_id="review",
                                   state__in=WorkItem.ACTIVE_STATES).exists()
    assert "Không có hồ sơ nào bị dừng." in answer.content.decode()
    assert stalled.dossier.code in client.get("/work/incidents/?show=resolved").content.decode()


def test_stopping_needs_a_reason_then_ends_the_dossier_for_its_applicant(stalled, client):
    as_user(client, "bennghe.leader")
    refused = client.post(f"/work/incidents/{stalled.pk}/stop/", {"reason": "  "})
    assert refused.status_code == 400
    assert "Có lỗi cần sửa" in refused.content.decode()
    assert Dossier.objects.get(pk=stalled.dossier_id).status != Status.STOPPED

    reason = "Cơ sở dữ liệu dân cư không có thông tin người mẹ; đề nghị nộp lại hồ sơ giấy."
    client.post(f"/work/incidents/{stalled.pk}/stop/", {"reason": reason})
    dossier = Dossier.objects.get(pk=stalled.dossier_id)
    assert dossier.status == Status.STOPPED
    event = dossier.events.get(action=Action.STOPPED)
    assert event.actor.username == "bennghe.leader" and event.comment == reason
    assert not dossier.work_items.filter(state__in=WorkItem.ACTIVE_STATES).exists()
    applicant_page = as_user(client, "citizen1").get(f"/my/dossiers/{dossier.code}/").content.decode()
    assert reason in applicant_page


def test_others_neither_see_nor_resolve_it(stalled, client):
    other_ward = as_user(client, "benthanh.leader")
    assert stalled.dossier.code not in other_ward.get("/work/incidents/").content.decode()
    assert other_ward.post(f"/work/incidents/{stalled.pk}/retry/").status_code == 404
    assert other_ward.post(f"/work/incidents/{stalled.pk}/stop/", {"reason": "x"}).status_code == 404
    citizen = as_user(client, "citizen1")
    assert citizen.get("/work/incidents/").status_code == 403
    assert citizen.post(f"/work/incidents/{stalled.pk}/stop/", {"reason": "x"}).status_code == 404
    stalled.refresh_from_db()
    assert stalled.is_open
    assert as_user(client, "admin").get("/work/incidents/").status_code == 200
