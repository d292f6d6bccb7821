"""Background work on a real Celery worker process, on committed data (``make test``: Redis, PostgreSQL)."""
import time

import pytest
from django.db import transaction

from onestop.demo.seed import seed
from onestop.dossiers.models import Dossier, DossierEvent
from onestop.interop.models import Exchange, RegisterBook
from onestop.interop.tasks import run_exchange
from tests.conftest import BIRTH_FORM, Actor, submit, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_off(celery_worker_process):
    """A birth registration approved and ready for signing by the ward chairman."""
    seed()
    citizen = Actor("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    Actor("bennghe.receiver").act(code, "accept")
    Actor("bennghe.specialist").act(code, "approve")
    return citizen, code


def test_worker_does_the_service_task_and_resumes_the_process(signed_off):
    citizen, code = signed_off
    Actor("bennghe.leader").act(code, "sign")

    seen = wait_for(lambda: (d := citizen.dossier(code))["status"] == "result_ready" and d)
    [exchange] = seen["exchanges"]
    assert exchange["state"] == "succeeded"
    assert exchange["result"]["register_number"].startswith("1/")
    assert [s["kind"] for s in seen["open_steps"]] == ["return"]
    assert seen["timeline"][-1]["action"] == "exchange_completed"


def test_repeated_delivery_has_no_second_effect(signed_off):
    citizen, code = signed_off
    Actor("bennghe.leader").act(code, "sign")
    wait_for(lambda: Exchange.objects.filter(dossier__code=code, state="succeeded").exists())
    exchange = Exchange.objects.get(dossier__code=code)

    # The broker delivers the same job again (e.g. after a worker was killed before acknowledging).
    run_exchange.delay(exchange.pk)
    run_exchange.delay(exchange.pk)
    time.sleep(2)
    assert RegisterBook.objects.get().last == 1
    assert DossierEvent.objects.filter(dossier__code=code, action="exchange_completed").count() == 1
    assert Dossier.objects.get(code=code).status == "result_ready"


def test_exchange_of_a_rolled_back_request_is_never_sent(signed_off):
    citizen, code = signed_off
    leader = Actor("bennghe.leader")
    item = leader.item(code)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        # The raw client: the on-commit hooks wait for the outer block, which rolls back.
        response = leader.client.post(f"/api/v1/work-items/{item['id']}/complete/", {"decision": "sign"},
                                      format="json")
        assert response.status_code == 200
        assert Exchange.objects.filter(dossier__code=code).exists()  # recorded, not yet committed
        raise Abort

    time.sleep(2)
    assert not Exchange.objects.filter(dossier__code=code).exists()
    assert not RegisterBook.objects.exists()
    assert Dossier.objects.get(code=code).status == "processing"
    assert leader.item(code)["task_spec_id"] == "sign_certificate"
