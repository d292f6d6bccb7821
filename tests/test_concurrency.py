"""Races on PostgreSQL: concurrent completions and submissions, committed for real (transactional)."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from onestop.dossiers.models import Dossier, DossierEvent
from onestop.worklist.models import WorkItem
from tests.conftest import BIRTH_FORM, Actor, load_demo, submit
from tests.test_construction_permit import FORM as PERMIT_FORM

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _at_once(calls):
    """Run the callables in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def actors(peers):
    load_demo(peers)
    return Actor


def test_same_item_completed_twice_at_once(actors):
    citizen = actors("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    actors("bennghe.receiver").act(code, "accept")
    item = actors("bennghe.specialist").item(code)
    url = f"/api/v1/work-items/{item['id']}/complete/"

    # Two officials of the same queue, each with their own client and connection.
    from django.contrib.auth import get_user_model

    from onestop.organisation.models import Agency, Membership

    second = get_user_model().objects.create_user("bennghe.specialist2", password="x")
    Membership.objects.create(user=second, agency=Agency.objects.get(code="q1-bennghe"), role="specialist")
    first, other = actors("bennghe.specialist"), actors("bennghe.specialist2")

    statuses = _at_once([
        lambda: first.post(url, {"decision": "approve"}).status_code,
        lambda: other.post(url, {"decision": "refuse", "comment": "Thiếu giấy tờ"}).status_code,
    ])
    assert sorted(statuses) == [200, 409]
    dossier = Dossier.objects.get(code=code)
    assert WorkItem.objects.get(pk=item["id"]).state == "completed"
    assert DossierEvent.objects.filter(dossier=dossier, action="task_completed").count() == 1
    # Exactly one outcome took effect: either the leader signs next, or the dossier was refused.
    winner = WorkItem.objects.get(pk=item["id"]).decision
    assert dossier.status == ("processing" if winner == "approve" else "refused")


def test_parallel_branches_completed_at_once_lose_nothing(actors):
    citizen = actors("citizen1")
    code = submit(citizen, "1.009794", "q1", PERMIT_FORM)["code"]
    actors("q1.receiver").act(code, "accept")
    appraiser, department = actors("q1.specialist"), actors("sxd.specialist")
    appraise, consult = appraiser.item(code), department.item(code)

    statuses = _at_once([
        lambda: appraiser.post(f"/api/v1/work-items/{appraise['id']}/complete/",
                               {"decision": "approve", "data": {"appraisal_notes": "Đạt"}}).status_code,
        lambda: department.post(f"/api/v1/work-items/{consult['id']}/complete/",
                                {"decision": "agree", "data": {"opinion_notes": "Phù hợp"}}).status_code,
    ])
    assert statuses == [200, 200]
    # Both decisions reached the process: the join fired and the leader signs.
    sign = actors("q1.leader").item(code)
    assert sign["task_spec_id"] == "sign_permit"
    from onestop.engine import runtime

    dossier = Dossier.objects.get(code=code)
    data = runtime.task_data(dossier.process, WorkItem.objects.get(pk=sign["id"]).task_id)
    assert data["appraisal_decision"] == "approve" and data["opinion_decision"] == "agree"
    assert data["appraisal_notes"] == "Đạt" and data["opinion_notes"] == "Phù hợp"
    assert DossierEvent.objects.filter(dossier=dossier, action="task_completed").count() == 2


def test_hundred_concurrent_submissions_get_distinct_codes(actors, settings):
    settings.ONESTOP_SUBMIT_RATE = "1000/hour"  # one citizen submits them all (20 an hour by default)
    barrier = threading.Barrier(16)

    def one(i):
        citizen = actors("citizen1")  # a client per request: test clients are not thread-safe
        if i < 16:
            barrier.wait()
        try:
            response = citizen.post("/api/v1/dossiers/", {"procedure": "1.001193", "agency": "q1-bennghe",
                                                          "form_data": BIRTH_FORM})
            assert response.status_code == 201, response.content
            return response.json()["code"]
        finally:
            connection.close()

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(one, range(100)))
    assert len(set(codes)) == 100
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert numbers == list(range(1, 101))  # the daily sequence has no gaps and no duplicates
    assert Dossier.objects.count() == 100
