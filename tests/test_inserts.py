"""Rows of several tables written in one statement (``onestop.core.inserts``) hold what ``save()`` writes."""
import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from onestop.core import inserts
from onestop.dossiers.models import Dossier, DossierEvent, Handover, Status
from onestop.organisation.models import Agency
from onestop.worklist.models import WorkItem
from procedures.models import Procedure
from tests.conftest import BIRTH_FORM

pytestmark = pytest.mark.django_db


def rows(demo_code):
    agency = Agency.objects.get(code="q1-bennghe")
    procedure = Procedure.objects.get(code="1.001193")
    citizen = get_user_model().objects.get(username="citizen1")
    dossier = Dossier(code=demo_code, procedure=procedure, version=procedure.versions.first(), applicant=citizen,
                      receiving_agency=agency, form_data=BIRTH_FORM, status=Status.SUBMITTED,
                      submitted_at=timezone.now())
    handover = Handover(dossier=dossier, to_agency=agency, given_by=citizen, result="handed")
    item = WorkItem(dossier=dossier, dossier_code=demo_code, procedure_code=procedure.code,
                    kind=WorkItem.Kind.RECEPTION, agency=agency, role="receiver", name="Reception", form=[{"id": "x"}])
    event = DossierEvent(dossier=dossier, action="submitted", actor=citizen, agency=agency, to_status=Status.SUBMITTED,
                         work_item=item, data={"k": "v"})
    return dossier, handover, item, event


def saved_fields(instance):
    instance = type(instance).objects.get(pk=instance.pk)
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
            if f.attname not in {"id", "dossier_id", "work_item_id", "code", "dossier_code", "at"}
            and not f.attname.endswith("_at")}


def test_rows_written_together_equal_rows_saved_one_by_one(demo):
    made = []
    post_save.connect(lambda sender, instance, created, **kw: made.append((sender, created)), weak=False,
                      dispatch_uid="test-inserts")
    try:
        together = rows("TEST-1")
        with transaction.atomic():
            inserts.insert_rows(*together)
        alone = rows("TEST-2")
        with transaction.atomic():
            for instance in alone:
                instance.save()
    finally:
        post_save.disconnect(dispatch_uid="test-inserts")
    dossier, handover, item, event = together
    assert handover.dossier_id == item.dossier_id == event.dossier_id == dossier.pk and event.work_item_id == item.pk
    assert event.dossier is dossier and event.work_item is item  # the objects given are kept, no query to get them
    assert item.created_at is not None and handover.handed_at is not None  # auto_now_add filled as save() does
    for one, other in zip(together, alone, strict=True):
        assert not one._state.adding
        assert saved_fields(one) == saved_fields(other)
    assert made[:4] == made[4:] == [(Dossier, True), (Handover, True), (WorkItem, True), (DossierEvent, True)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement on PostgreSQL only")
def test_one_statement_and_nothing_kept_when_it_fails(demo):
    from django.test.utils import CaptureQueriesContext

    first, again = rows("TEST-3"), rows("TEST-3")
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        inserts.insert_rows(*first)
    written = [q["sql"] for q in queries if "INSERT" in q["sql"]]
    assert len(written) == 1 and all(table in written[0] for table in (
        "dossiers_dossier", "dossiers_handover", "worklist_workitem", "dossiers_dossierevent")), written
    with pytest.raises(IntegrityError), transaction.atomic():  # the same code twice: the unique code refuses it
        inserts.insert_rows(*again)
    assert Dossier.objects.filter(code="TEST-3").count() == 1
    assert Handover.objects.filter(dossier__code="TEST-3").count() == 1


def test_values_the_orm_converts_are_written_as_save_writes_them(demo):
    """A value not of the column's own type (a translation not yet made, a date and time for a date, a number
    as text) is converted as ``save()`` converts it, not written as given."""
    from datetime import datetime

    from django.utils.translation import gettext_lazy

    def odd(code):
        made = rows(code)
        _dossier, handover, item, _event = made
        item.due_date = datetime(2026, 12, 7, 9, 30)  # a date column
        handover.result = gettext_lazy("Submitted online")  # a text column
        item.role = 7  # a number for a text column
        return made

    together, alone = odd("TEST-4"), odd("TEST-5")
    with transaction.atomic():
        inserts.insert_rows(*together)
    with transaction.atomic():
        for instance in alone:
            instance.save()
    for one, other in zip(together, alone, strict=True):
        assert saved_fields(one) == saved_fields(other)
    assert str(WorkItem.objects.get(dossier_code="TEST-4").due_date) == "2026-12-07"


def test_a_link_to_a_row_saved_after_it_was_set_is_written_and_an_unsaved_one_refused(demo):
    dossier, handover, item, event = rows("TEST-LINK")
    with transaction.atomic():
        inserts.insert_rows(dossier, handover)
        item.save()  # saved after the event was given it: the event's column is still empty
        inserts.insert_rows(event)
    assert DossierEvent.objects.get(pk=event.pk).work_item_id == item.pk
    orphan = DossierEvent(dossier=dossier, action="x", to_status=Status.SUBMITTED,
                          work_item=WorkItem(dossier=dossier, kind=WorkItem.Kind.TASK, name="never saved"))
    with pytest.raises(ValueError, match="not saved"), transaction.atomic():
        inserts.insert_rows(orphan)


def test_columns_saved_as_save_with_update_fields_saves_them(demo):
    from onestop.core import updates

    dossier, handover, item, event = rows("TEST-UPD")
    other = rows("TEST-UPD2")
    with transaction.atomic():
        inserts.insert_rows(dossier, handover, item, event)
        inserts.insert_rows(*other)
    official = get_user_model().objects.get(username="bennghe.receiver")
    seen = []
    post_save.connect(lambda sender, instance, created, update_fields, **kw: seen.append((created, update_fields)),
                      sender=WorkItem, weak=False, dispatch_uid="test-updates")
    try:
        for one in (item, other[2]):
            one.state, one.claimed_by, one.claimed_at, one.comment = (
                WorkItem.State.CLAIMED, official, timezone.now(), "ghi chú")
            one.name = "not written"  # not among the columns: stays as it was
        with transaction.atomic():
            updates.save_columns(item, ["state", "claimed_by", "claimed_at", "comment"])
            other[2].save(update_fields=["state", "claimed_by", "claimed_at", "comment"])
    finally:
        post_save.disconnect(sender=WorkItem, dispatch_uid="test-updates")
    assert saved_fields(item) == saved_fields(other[2])
    assert WorkItem.objects.get(pk=item.pk).name == "Reception"
    assert seen[0] == seen[1] == (False, frozenset({"state", "claimed_by", "claimed_at", "comment"}))
    gone = WorkItem.objects.get(pk=item.pk)
    gone.pk = WorkItem.objects.order_by("-pk").first().pk + 1000
    with pytest.raises(DatabaseError), transaction.atomic():  # no such row: nothing written, as save() says
        updates.save_columns(gone, ["comment"])
