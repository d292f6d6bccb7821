"""Bad input and other people's things: a clear 4xx, and the dossier unchanged."""
from rest_framework.test import APIClient

from onestop.dossiers.models import Dossier, DossierEvent
from tests.conftest import BIRTH_FORM, submit


def _snapshot(code):
    dossier = Dossier.objects.get(code=code)
    return dossier.status, dossier.form_data, DossierEvent.objects.filter(dossier=dossier).count()


def test_catalogue_is_public_and_dossiers_are_not(demo):
    anonymous = APIClient()
    response = anonymous.get("/api/v1/procedures/")
    assert response.status_code == 200
    codes = [p["code"] for p in response.json()["results"]]
    assert codes == ["1.001193", "1.009794", "2.000720", "TN.DD.01"]  # the demo catalogue, published
    assert anonymous.get("/api/v1/procedures/1.001193/").json()["processing_days"] == 1
    assert anonymous.get("/api/v1/dossiers/").status_code in (401, 403)
    response = anonymous.post("/api/v1/dossiers/", {"procedure": "1.001193"}, format="json")
    assert response.status_code in (401, 403)


def test_unknown_procedure_and_agency(as_user):
    citizen = as_user("citizen1")
    response = citizen.post("/api/v1/dossiers/", {"procedure": "9.999999", "agency": "q1-bennghe",
                                                  "form_data": BIRTH_FORM})
    assert response.status_code == 400
    assert "procedure" in response.json()["errors"]
    response = citizen.post("/api/v1/dossiers/", {"procedure": "1.001193", "agency": "nowhere",
                                                  "form_data": BIRTH_FORM})
    assert response.status_code == 400 and "agency" in response.json()["errors"]
    # A ward-level procedure cannot be submitted to a district.
    response = citizen.post("/api/v1/dossiers/", {"procedure": "1.001193", "agency": "q1", "form_data": BIRTH_FORM})
    assert response.status_code == 400 and "agency" in response.json()["errors"]
    assert Dossier.objects.count() == 0


def test_form_errors_are_given_per_field(as_user):
    citizen = as_user("citizen1")
    form = {**BIRTH_FORM, "child_birth_date": "20/11/2026", "mother_id_number": "123", "shoe_size": 42}
    del form["child_full_name"]
    response = citizen.post("/api/v1/dossiers/", {"procedure": "1.001193", "agency": "q1-bennghe",
                                                  "form_data": form})
    assert response.status_code == 400
    errors = response.json()["errors"]["form_data"]
    assert set(errors) == {"child_full_name", "child_birth_date", "mother_id_number", "shoe_size"}
    assert all(isinstance(m, str) and m for msgs in errors.values() for m in msgs)
    assert Dossier.objects.count() == 0


def test_messages_are_vietnamese_first_and_english_on_request(as_user):
    citizen = as_user("citizen1")
    body = {"procedure": "1.001193", "agency": "q1-bennghe", "form_data": {}}
    vi = citizen.client.post("/api/v1/dossiers/", body, format="json").json()
    en = citizen.client.post("/api/v1/dossiers/", body, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert en["errors"]["form_data"]["child_full_name"] == ["This field is required."]
    assert vi["errors"]["form_data"]["child_full_name"] != en["errors"]["form_data"]["child_full_name"]


def test_malformed_json(as_user):
    citizen = as_user("citizen1")
    response = citizen.client.post("/api/v1/dossiers/", data='{"procedure": "1.001193", ',
                                   content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    response = citizen.post("/api/v1/dossiers/", {"procedure": "1.001193", "agency": "q1-bennghe",
                                                  "form_data": ["not", "an", "object"]})
    assert response.status_code == 400


def test_another_citizens_dossier_is_not_found(as_user):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    intruder = as_user("citizen2")
    before = _snapshot(code)
    assert intruder.get(f"/api/v1/dossiers/{code}/").status_code == 404
    assert code not in [d["code"] for d in intruder.get("/api/v1/dossiers/").json()["results"]]
    assert intruder.post(f"/api/v1/dossiers/{code}/withdraw/").status_code == 404
    assert intruder.post(f"/api/v1/dossiers/{code}/supplement/", {"comment": "x"}).status_code == 404
    assert _snapshot(code) == before


def test_officials_act_only_on_their_own_queue(as_user):
    citizen = as_user("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk, colleague = as_user("bennghe.receiver"), as_user("bennghe.specialist")
    stranger = as_user("benthanh.receiver")
    item = desk.item(code)
    before = _snapshot(code)

    # Another agency's desk and another role in the same agency do not see the item.
    assert stranger.post(f"/api/v1/work-items/{item['id']}/complete/", {"decision": "accept"}).status_code == 404
    assert colleague.post(f"/api/v1/work-items/{item['id']}/claim/").status_code == 404
    # Citizens have no queue.
    assert citizen.queue() == []
    assert _snapshot(code) == before


def test_claimed_completed_and_invalid_decisions(as_user, django_user_model):
    from onestop.organisation.models import Agency, Membership

    citizen = as_user("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk = as_user("bennghe.receiver")
    second = django_user_model.objects.create_user("bennghe.receiver2", password="x")
    Membership.objects.create(user=second, agency=Agency.objects.get(code="q1-bennghe"), role="receiver")
    second_desk = as_user("bennghe.receiver2")
    item = desk.item(code)
    url = f"/api/v1/work-items/{item['id']}"

    assert desk.post(f"{url}/claim/").status_code == 200
    before = _snapshot(code)
    response = second_desk.post(f"{url}/complete/", {"decision": "accept"})
    assert response.status_code == 403
    assert desk.user.get_full_name() in response.json()["detail"]  # says who holds it
    assert second_desk.post(f"{url}/claim/").status_code == 403
    assert second_desk.post(f"{url}/unclaim/").status_code == 403

    response = desk.post(f"{url}/complete/", {"decision": "approve"})  # not a reception decision
    assert response.status_code == 400 and "decision" in response.json()["errors"]
    response = desk.post(f"{url}/complete/", {"decision": "accept", "data": {"hidden_field": "x"}})
    assert response.status_code == 400 and "hidden_field" in response.json()["errors"]
    assert _snapshot(code) == before

    assert desk.post(f"{url}/complete/", {"decision": "accept"}).status_code == 200
    after = _snapshot(code)
    assert desk.post(f"{url}/complete/", {"decision": "accept"}).status_code == 409
    assert desk.post(f"{url}/claim/").status_code == 409
    assert _snapshot(code) == after


def test_wrong_transitions_are_conflicts(as_user):
    citizen = as_user("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    # Nothing is asked of the citizen yet.
    response = citizen.post(f"/api/v1/dossiers/{code}/supplement/", {"comment": "x"})
    assert response.status_code == 409 and response.json()["detail"]
    as_user("bennghe.receiver").act(code, "accept")
    as_user("bennghe.specialist").act(code, "approve")
    as_user("bennghe.leader").act(code, "sign")
    before = _snapshot(code)
    assert citizen.post(f"/api/v1/dossiers/{code}/withdraw/").status_code == 409
    assert _snapshot(code) == before


def test_token_login(demo):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "citizen1", "password": "onestop-demo"})
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/dossiers/").status_code == 200
    assert APIClient().post("/api/v1/auth/token/", {"username": "citizen1", "password": "wrong"}).status_code == 400


def test_audit_trail_is_append_only(as_user):
    import pytest

    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    event = DossierEvent.objects.filter(dossier__code=code).first()
    event.comment = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        DossierEvent.objects.filter(pk=event.pk).update(comment="rewritten")
    with pytest.raises(TypeError):
        DossierEvent.objects.filter(pk=event.pk).delete()


def test_database_refuses_to_rewrite_the_audit_trail(as_user):
    import pytest
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    event = DossierEvent.objects.filter(dossier__code=code).first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE dossiers_dossierevent SET comment = 'x' WHERE id = %s", [event.pk])


def test_login_is_rate_limited(demo):
    from django.core.cache import cache

    cache.clear()
    client = APIClient()
    # A new username each time: one username's lockout (tests/test_web_security.py) is not what is counted here.
    statuses = [client.post("/api/v1/auth/token/", {"username": f"citizen{i}", "password": "guess"}).status_code
                for i in range(12)]
    assert statuses[:10] == [400] * 10 and statuses[10:] == [429, 429]
    cache.clear()
