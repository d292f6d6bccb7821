"""Exchanges routed through a data-sharing platform (the LGSP/NDXP stand-in) by configuration, with RFC 9421
signatures checked by the platform on our requests and by us on its answers, and the registries' own
signature end to end."""
import json

import pytest
import requests

from onestop.interop import httpsig
from onestop.interop.models import Exchange, Platform
from tests.conftest import BIRTH_FORM, Actor, load_demo, route_through_platform, submit, wait_for


def _lookup(code):
    return Exchange.objects.get(dossier__code=code, operator="population.lookup_citizen")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_exchange_goes_through_the_platform_signed_both_ways(celery_worker_process, peers, platform_service):
    load_demo(peers)
    platform_service.reset()
    route_through_platform(platform_service)
    code = submit(Actor("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    Actor("bennghe.receiver").act(code, "accept")

    exchange = wait_for(lambda: Exchange.objects.filter(dossier__code=code, operator="population.lookup_citizen",
                                                        state="succeeded").first())
    assert exchange.result["found"] is True and exchange.result["full_name"] == "Lê Thị Hoa"
    [hop] = [e for e in platform_service.log() if e["message_id"] == exchange.request_id]
    assert hop["verified"] and hop["key_id"] == "onestop-demo" and hop["status"] == 200
    assert (hop["consumer"], hop["provider"], hop["service"]) == ("000.00.00.H29", "population",
                                                                  "population.lookup_citizen")
    [arrived] = [e for e in peers.log() if e["request_id"] == exchange.request_id]
    assert arrived["verified"] and arrived["issue"] == code  # the registry checked our own signature too


def test_an_answer_the_platform_did_not_sign_is_not_trusted(as_user, platform_service):
    platform_service.reset()
    platform = route_through_platform(platform_service)
    Platform.objects.filter(pk=platform.pk).update(
        platform_keys={"lgsp-demo": httpsig.public_key_text(httpsig.demo_private_key("someone-else"))})
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    exchange = _lookup(code)
    assert exchange.state == "failed" and "not trustworthy" in exchange.error
    assert exchange.result is None


def test_without_a_platform_the_peer_is_called_directly(as_user, platform_service):
    platform_service.reset()
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    assert _lookup(code).state == "succeeded"
    assert platform_service.log() == []


def _signed_request(url, key, covered=True):
    headers = {"X-Consumer-Code": "000.00.00.H29", "X-Provider-Code": "population",
               "X-Service-Code": "population.lookup_citizen", "X-Message-Id": "m-1"}
    return httpsig.sign_request("GET", url, b"", key_id="onestop-demo", private_key=key, tag="lgsp", headers=headers,
                                covered_headers=tuple(h.lower() for h in headers) if covered else ())


def test_the_platform_refuses_forged_replayed_and_rerouted_requests(platform_service):
    platform_service.reset()
    url = platform_service.url + "/population/citizens/079090000001"
    headers = _signed_request(url, httpsig.demo_private_key("onestop"))
    first = requests.get(url, headers=headers, timeout=5)
    # Verified and forwarded; the registry refuses it (no X-Onestop signature): its 401 comes back signed.
    assert first.status_code == 401 and "Signature" in first.headers
    replayed = requests.get(url, headers=headers, timeout=5)
    assert replayed.status_code == 401 and "replayed" in replayed.json()["detail"]

    rerouted = dict(_signed_request(url, httpsig.demo_private_key("onestop")), **{"X-Provider-Code": "land_registry"})
    assert requests.get(url, headers=rerouted, timeout=5).status_code == 401
    forged = _signed_request(url, httpsig.demo_private_key("intruder"))
    assert requests.get(url, headers=forged, timeout=5).status_code == 401
    uncovered = _signed_request(url, httpsig.demo_private_key("onestop"), covered=False)
    answer = requests.get(url, headers=uncovered, timeout=5)
    assert answer.status_code == 401 and "not covered" in json.dumps(answer.json())
    assert [e["verified"] for e in platform_service.log()] == [True, False, False, False, False]
