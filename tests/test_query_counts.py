"""No N+1 queries: each list endpoint costs the same number of queries for 2 rows as for 12."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import BIRTH_FORM, submit


def count(actor, url):
    with CaptureQueriesContext(connection) as queries:
        response = actor.get(url, page_size=50)
    assert response.status_code == 200
    return len(queries)


def test_list_endpoints_do_not_grow_with_rows(as_user):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    urls = [(citizen, "/api/v1/dossiers/"), (desk, "/api/v1/dossiers/"), (desk, "/api/v1/work-items/"),
            (citizen, "/api/v1/data-tracker/"), (citizen, "/api/v1/procedures/"), (as_user("admin"),
                                                                                    "/api/v1/incidents/")]

    def make(n):
        for _ in range(n):
            code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
            desk.act(code, "accept")  # a lookup exchange each, for the data tracker

    make(2)
    few = [count(actor, url) for actor, url in urls]
    make(10)
    many = [count(actor, url) for actor, url in urls]
    assert many == few, list(zip([u for _a, u in urls], few, many, strict=True))
