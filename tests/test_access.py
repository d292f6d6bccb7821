"""The access rules of ``onestop.organisation.access``: who holds which role where, and what that lets them do.

Two wards under one district; Lan is the desk of ward A and a specialist there, Minh leads ward A, Hoa is a
specialist of ward B, Tú is a citizen. The permission matrix checks the same rules through every URL.
"""
from types import SimpleNamespace

import pytest

from onestop.organisation import access
from onestop.organisation.models import Agency, Level, Membership, OfficialRole

RECEIVER, SPECIALIST, LEADER = OfficialRole.RECEIVER, OfficialRole.SPECIALIST, OfficialRole.LEADER


@pytest.fixture
def town(db, django_user_model):
    district = Agency.objects.create(code="d1", name="District 1", level=Level.DISTRICT)
    ward_a = Agency.objects.create(code="ward-a", name="Ward A", level=Level.WARD, parent=district)
    ward_b = Agency.objects.create(code="ward-b", name="Ward B", level=Level.WARD, parent=district)
    users = {name: django_user_model.objects.create_user(name) for name in ("lan", "minh", "hoa", "tu")}
    for name, agency, role in [("lan", ward_a, RECEIVER), ("lan", ward_a, SPECIALIST), ("minh", ward_a, LEADER),
                               ("hoa", ward_b, SPECIALIST)]:
        Membership.objects.create(user=users[name], agency=agency, role=role)
    return SimpleNamespace(district=district, a=ward_a, b=ward_b, **users)


def step(agency, role):
    return SimpleNamespace(agency_id=agency.pk if agency else None, role=role)


def test_what_a_user_is(town):
    assert access.is_official(town.lan) and access.is_official(town.hoa)
    assert not access.is_official(town.tu)
    assert access.is_receiver(town.lan) and not access.is_receiver(town.minh)
    assert access.is_receiver(town.lan, town.a.pk) and not access.is_receiver(town.lan, town.b.pk)
    assert access.is_receiver_at(town.lan, "ward-a") and not access.is_receiver_at(town.lan, "ward-b")
    assert access.is_leader_of(town.minh, town.a.pk)
    assert not access.is_leader_of(town.minh, town.b.pk) and not access.is_leader_of(town.lan, town.a.pk)


def test_roles(town):
    assert access.roles_of(town.lan) == {RECEIVER, SPECIALIST}
    assert access.roles_of(town.tu) == set()
    assert access.roles_in(town.lan, town.a.pk) == {RECEIVER, SPECIALIST}
    assert access.roles_in(town.lan, town.b.pk) == set()
    assert access.holds_role(town.hoa, town.b.pk, SPECIALIST) and not access.holds_role(town.hoa, town.a.pk, SPECIALIST)
    assert sorted(access.role_pairs(town.lan)) == sorted([(town.a.pk, RECEIVER), (town.a.pk, SPECIALIST)])
    assert access.role_pairs(town.lan, [LEADER, RECEIVER]) == [(town.a.pk, RECEIVER)]


def test_agencies(town):
    assert list(access.agencies_of(town.lan)) == [town.a]
    assert list(access.agencies_of(town.hoa, RECEIVER)) == []
    assert access.led_agency_ids(town.minh) == {town.a.pk}
    assert access.led_agency_ids(town.hoa) == set()
    assert access.first_agency_among(town.hoa, [town.a.pk, town.b.pk, None]) == town.b
    assert access.first_agency_among(town.tu, [town.a.pk]) is None


def test_steps(town):
    specialist_a, receiver_a, unrouted = step(town.a, SPECIALIST), step(town.a, RECEIVER), step(None, SPECIALIST)
    assert access.may_act_on(specialist_a, town.lan)
    assert not access.may_act_on(specialist_a, town.minh)  # a leader oversees the step but does not do it
    assert not access.may_act_on(specialist_a, town.hoa)  # same role, other ward
    assert access.may_see_item(specialist_a, town.minh) and access.may_see_item(receiver_a, town.minh)
    assert not access.may_see_item(specialist_a, town.hoa) and not access.may_see_item(specialist_a, town.tu)
    assert not access.may_see_item(unrouted, town.lan)
    assert list(access.officials_holding(town.a.pk, SPECIALIST)) == [town.lan]
    assert access.official_ids_holding(town.a.pk, LEADER) == [town.minh.pk]


def test_queues(town):
    """The queue holds the steps of one's (agency, role) pairs; a leader's workspace every step of their ward."""
    from django.utils import timezone

    from onestop.dossiers.models import Dossier
    from onestop.worklist.models import WorkItem
    from procedures.models import Procedure, ProcedureVersion

    procedure = Procedure.objects.create(code="p1", name="P", competent_level=Level.WARD, receiving_level=Level.WARD,
                                         processing_days=3, online_level="full")
    version = ProcedureVersion.objects.create(procedure=procedure, number=1, bpmn_xml="<x/>", checksum="0" * 64,
                                              process_id="p", dialect="camunda")
    dossier = Dossier.objects.create(code="D-1", procedure=procedure, version=version, applicant=town.tu,
                                     receiving_agency=town.a, submitted_at=timezone.now())
    for agency, role in [(town.a, SPECIALIST), (town.a, RECEIVER), (town.b, SPECIALIST)]:
        WorkItem.objects.create(dossier=dossier, kind=WorkItem.Kind.TASK, agency=agency, role=role,
                                name=f"{agency.code} {role}")

    def names(q):
        return {item.name for item in WorkItem.objects.filter(q)}

    assert names(access.queue_filter(town.lan)) == {"ward-a specialist", "ward-a receiver"}
    assert names(access.queue_filter(town.hoa)) == {"ward-b specialist"}
    assert names(access.queue_filter(town.minh)) == set()
    assert names(access.workspace_filter(town.minh)) == {"ward-a specialist", "ward-a receiver"}
    assert names(access.queue_filter(town.tu)) == names(access.workspace_filter(town.tu)) == set()
