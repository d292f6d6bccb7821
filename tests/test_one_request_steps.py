"""A step in one request: ``complete/`` on a step still open in the official's queue claims it as it completes it,
and the audit trail says who took it; a step someone else holds, or another queue's step, is refused."""
from onestop.dossiers.models import DossierEvent
from onestop.worklist.models import WorkItem
from tests.conftest import BIRTH_FORM, COLLECTOR, submit


def complete(actor, code, decision, data=None, comment=""):
    item = actor.item(code)
    assert item["state"] == "open"
    return actor.post(f"/api/v1/work-items/{item['id']}/complete/",
                      {"decision": decision, "data": data or {}, "comment": comment})


def test_each_step_is_one_request_and_the_trail_names_who_took_it(as_user):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    for who, decision, data in [("bennghe.receiver", "accept", {}), ("bennghe.specialist", "approve", {}),
                                ("bennghe.leader", "sign", {}), ("bennghe.receiver", "returned", COLLECTOR)]:
        actor = as_user(who)
        response = complete(actor, code, decision, data)
        assert response.status_code == 200, response.content
        done = response.json()
        assert (done["state"], done["decision"], done["claimed_by"]) == ("completed", decision,
                                                                         actor.user.get_full_name())
        item = WorkItem.objects.get(pk=done["id"])
        assert item.claimed_by == item.completed_by == actor.user and item.claimed_at <= item.completed_at
        trail = list(DossierEvent.objects.filter(work_item=item).exclude(action="submitted").order_by("at", "id")
                     .values_list("action", "actor"))
        assert trail[:2] == [("claimed", actor.user.pk), (f"{item.kind}_completed", actor.user.pk)], trail
    assert as_user("citizen1").get(f"/api/v1/dossiers/{code}/").json()["status"] == "returned"


def test_a_step_held_by_a_colleague_or_in_another_queue_is_refused(as_user):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    receiver = as_user("bennghe.receiver")
    item = receiver.item(code)
    assert as_user("bennghe.specialist").post(f"/api/v1/work-items/{item['id']}/complete/",
                                              {"decision": "accept"}).status_code == 404
    assert receiver.post(f"/api/v1/work-items/{item['id']}/claim/").status_code == 200
    # Another receiver of the same desk: the step is held, 403 with the holder's name; nothing changes.
    from django.contrib.auth import get_user_model

    from onestop.organisation.models import Agency, Membership

    colleague = get_user_model().objects.create_user("bennghe.receiver2", first_name="Thu", last_name="Hà")
    Membership.objects.create(user=colleague, agency=Agency.objects.get(code="q1-bennghe"), role="receiver")
    other = as_user("bennghe.receiver2")
    response = other.post(f"/api/v1/work-items/{item['id']}/complete/", {"decision": "accept"})
    assert response.status_code == 403, response.content
    assert WorkItem.objects.get(pk=item["id"]).state == "claimed"
    assert not DossierEvent.objects.filter(work_item_id=item["id"], action="reception_completed").exists()
    # The holder completes it (the two-request path): one claimed event, the one of the claim.
    assert receiver.post(f"/api/v1/work-items/{item['id']}/complete/", {"decision": "accept"}).status_code == 200
    assert DossierEvent.objects.filter(work_item_id=item["id"], action="claimed").count() == 1


def test_the_completion_comes_before_the_clock_it_stopped_in_the_timeline(as_user):
    citizen = as_user("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    assert complete(as_user("bennghe.receiver"), code, "accept").status_code == 200
    assert complete(as_user("bennghe.specialist"), code, "supplement",
                    comment="Thiếu giấy chứng sinh bản chính").status_code == 200
    timeline = as_user("bennghe.specialist").get(f"/api/v1/dossiers/{code}/").json()["timeline"]
    actions = [event["action"] for event in timeline]
    done = actions.index("task_completed")
    assert actions[done - 1] == "claimed" and actions[done + 1] == "clock_stopped", actions
    # The completion carries the status it led to.
    assert (timeline[done]["from_status"], timeline[done]["to_status"]) == ("processing", "supplement_requested")
    assert citizen.get(f"/api/v1/dossiers/{code}/").json()["status"] == "supplement_requested"


def test_the_step_is_found_and_locked_dossier_first(as_user):
    """Every change locks the dossier, then its items: one statement that locked the item first could deadlock
    with a change holding the dossier and about to lock the item."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from onestop.dossiers.lifecycle import queued_item

    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    receiver = as_user("bennghe.receiver")
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        dossier, item = queued_item(receiver.item(code)["id"], receiver.user)
    assert (dossier.code, item.kind) == (code, "reception")
    locks = [query["sql"] for query in captured if "FOR UPDATE" in query["sql"]]
    assert len(locks) == 1 and 'FOR UPDATE OF "dossiers_dossier", "worklist_workitem"' in locks[0]
