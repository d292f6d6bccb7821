"""The register (form 07) and the admin search as the queues do: marks and case ignored, codes by any fragment."""
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from tests.test_reports import PERIOD, at, known  # noqa: F401  (known: the fixture of dated dossiers)

User = get_user_model()
pytestmark = pytest.mark.django_db


def register_codes(client, **query):
    response = client.get("/reports/register/", {"agency": "q1-bennghe", **PERIOD, **query})
    assert response.status_code == 200
    return [row[1] for row in response.context["rows"]]


def test_the_register_finds_a_code_fragment_and_a_name_without_marks(known, client):  # noqa: F811
    known.applicant = User.objects.get(username="citizen2")  # Trần Thị Bình
    bình = known.make("q1-bennghe", at(date(2026, 2, 20)), date(2026, 2, 25))
    client.force_login(User.objects.get(username="bennghe.receiver"))
    everything = register_codes(client)
    assert bình.code in everything and len(everything) == 11

    assert register_codes(client, q="0001") == ["T-0001"]  # a fragment of the code
    assert register_codes(client, q="tran thi binh") == [bình.code]  # no marks, any case
    assert register_codes(client, q="BÌNH") == [bình.code]
    an = register_codes(client, q="nguyen van an")
    assert bình.code not in an and len(an) == 10
    page = client.get("/reports/register/", {"agency": "q1-bennghe", **PERIOD, "q": "binh"}).content.decode()
    assert "khớp với “binh”" in page
    # The printed register and its file stay whole: a search narrows the page only.
    assert "q=binh" not in page.split("format=pdf")[0].rsplit('href="', 1)[1]


def test_the_admin_finds_agencies_procedures_and_dossiers_without_marks(known, admin_client):  # noqa: F811
    agencies = admin_client.get("/admin/organisation/agency/", {"q": "ben nghe"})
    assert "Phường Bến Nghé" in agencies.content.decode()
    assert "Võ Thị Sáu" not in agencies.content.decode()

    procedures = admin_client.get("/admin/procedures/procedure/", {"q": "dang ky khai sinh"})
    assert [p.code for p in procedures.context["cl"].result_list] == ["1.001193"]

    by_name = admin_client.get("/admin/dossiers/dossier/", {"q": "nguyen van an"}).context["cl"].result_list
    assert len(by_name) == 14
    by_fragment = admin_client.get("/admin/dossiers/dossier/", {"q": "0012"}).context["cl"].result_list
    assert [d.code for d in by_fragment] == ["T-0012"]
    assert not admin_client.get("/admin/dossiers/dossier/", {"q": "tran thi"}).context["cl"].result_list
