"""BPMN timers fired by the beat task with a controlled clock ("now" given to the service, never slept for):
boundary timers (interrupting or not) and an intermediate catch event, each fired once, and a crash or a
beat restart in between neither loses nor doubles a firing."""
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from onestop.deadlines import working_days
from onestop.deadlines.models import Timer
from onestop.dossiers.lifecycle import timers
from onestop.dossiers.models import Dossier, DossierEvent
from onestop.worklist.models import WorkItem
from procedures import services as procedure_services
from tests.conftest import BIRTH_FORM, submit

# Check the dossier within two working days, or the leader takes over (interrupting); after four working
# hours the leader is told (non-interrupting). Then a day's wait (intermediate catch) before the signature,
# which has a budget of four working hours of its own.
TIMERS_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="timers" name="Timers" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="Ủy ban nhân dân phường [ward]">
        <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>check</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>late</bpmn:flowNodeRef><bpmn:flowNodeRef>slow</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>take_over</bpmn:flowNodeRef><bpmn:flowNodeRef>follow_up</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>cooling</bpmn:flowNodeRef><bpmn:flowNodeRef>sign</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>e</bpmn:flowNodeRef><bpmn:flowNodeRef>e2</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>e3</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="check" name="Kiểm tra / Check" camunda:candidateGroups="specialist"/>
    <bpmn:boundaryEvent id="late" name="Quá 2 ngày / Two days" attachedToRef="check" cancelActivity="true">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P2D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="slow" name="Sau 4 giờ / Four hours" attachedToRef="check" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT4H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="take_over" name="Lãnh đạo xử lý / Leader takes over" camunda:candidateGroups="leader"/>
    <bpmn:userTask id="follow_up" name="Đôn đốc / Follow up" camunda:candidateGroups="leader"/>
    <bpmn:intermediateCatchEvent id="cooling" name="Chờ 1 ngày / Wait a day">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="sign" name="Ký / Sign" camunda:candidateGroups="leader">
      <bpmn:extensionElements>
        <camunda:properties><camunda:property name="onestop:budget" value="PT4H"/></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/><bpmn:endEvent id="e2"/><bpmn:endEvent id="e3"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="cooling"/>
    <bpmn:sequenceFlow id="f3" sourceRef="cooling" targetRef="sign"/>
    <bpmn:sequenceFlow id="f4" sourceRef="sign" targetRef="e"/>
    <bpmn:sequenceFlow id="f5" sourceRef="late" targetRef="take_over"/>
    <bpmn:sequenceFlow id="f6" sourceRef="take_over" targetRef="e2"/>
    <bpmn:sequenceFlow id="f7" sourceRef="slow" targetRef="follow_up"/>
    <bpmn:sequenceFlow id="f8" sourceRef="follow_up" targetRef="e3"/>
  </bpmn:process>
</bpmn:definitions>
"""


def start_timed_dossier(as_user):
    """A birth registration on the timers version, accepted at the desk: its check step is open."""
    procedure_services.import_bpmn(TIMERS_BPMN.encode(), "1.001193", publish=True)
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    return Dossier.objects.get(code=code)


def active(dossier):
    return {i.task_spec_id: i for i in dossier.work_items.filter(state__in=WorkItem.ACTIVE_STATES)}


def test_timers_are_recorded_in_working_time(as_user):
    dossier = start_timed_dossier(as_user)
    check = active(dossier)["check"]
    late, slow = dossier.timers.get(spec_id="late"), dossier.timers.get(spec_id="slow")
    assert (late.state, late.interrupting, late.attached_to) == ("pending", True, check.task_id)
    assert (slow.state, slow.interrupting) == ("pending", False)
    # The step's budget is its interrupting timer's: two working days, the timer at the office's close.
    opened = check.created_at
    assert check.due_date == working_days.appointment_date(opened, 2, check.agency)
    assert late.due_at == working_days.close_of_day(check.due_date, check.agency)
    assert abs(slow.due_at - working_days.add_working_minutes(opened, 240, check.agency)) < timedelta(seconds=5)
    assert timers.fire_due_timers() == 0  # nothing is due yet by the wall clock


def test_non_interrupting_timer_fires_once_and_leaves_the_step_open(as_user):
    dossier = start_timed_dossier(as_user)
    slow = dossier.timers.get(spec_id="slow")
    now = slow.due_at + timedelta(seconds=1)

    assert timers.fire_due_timers(now=now) == 1
    assert timers.fire_due_timers(now=now) == 0  # beat runs again: nothing fires twice
    items = active(dossier)
    assert set(items) == {"check", "follow_up"}
    assert items["follow_up"].role == "leader" and items["follow_up"].agency.code == "q1-bennghe"
    slow.refresh_from_db()
    assert (slow.state, slow.fired_at) == ("fired", now)
    assert DossierEvent.objects.filter(dossier=dossier, action="timer_fired").count() == 1
    # Its due time reads in Vietnam's time in the audit trail's data, as every other time does.
    due = DossierEvent.objects.get(dossier=dossier, action="timer_fired").data["due_at"]
    assert due.endswith("+07:00") and due == timezone.localtime(slow.due_at).isoformat()
    assert dossier.timers.get(spec_id="late").state == "pending"
    # The leader sees the follow-up step in their queue.
    assert as_user("bennghe.leader").item(dossier.code)["task_spec_id"] == "follow_up"


def test_interrupting_timer_cancels_the_step_and_its_work_item(as_user):
    dossier = start_timed_dossier(as_user)
    check = active(dossier)["check"]
    late = dossier.timers.get(spec_id="late")

    assert timers.fire_due_timers(now=late.due_at + timedelta(minutes=1)) == 2  # the 4-hour one was due too
    check.refresh_from_db()
    assert check.state == WorkItem.State.CANCELLED
    assert set(active(dossier)) == {"take_over", "follow_up"}
    assert set(dossier.timers.values_list("state", flat=True)) == {"fired"}
    # The specialist can no longer complete the cancelled step.
    response = as_user("bennghe.specialist").post(f"/api/v1/work-items/{check.pk}/complete/", {})
    assert response.status_code == 409


def test_completing_the_step_cancels_its_timers_and_the_catch_event_waits(as_user):
    dossier = start_timed_dossier(as_user)
    as_user("bennghe.specialist").act(dossier.code, "")
    states = dict(dossier.timers.values_list("spec_id", "state"))
    assert states == {"late": "cancelled", "slow": "cancelled", "cooling": "pending"}
    cooling = dossier.timers.get(spec_id="cooling")
    assert timers.fire_due_timers(now=cooling.due_at - timedelta(seconds=1)) == 0
    assert not active(dossier)

    assert timers.fire_due_timers(now=cooling.due_at) == 1
    sign = active(dossier)["sign"]
    # The signature's own budget: four working hours from when it opened.
    assert sign.due_at is not None
    assert abs(sign.due_at - working_days.add_working_minutes(sign.created_at, 240, sign.agency)) \
        < timedelta(seconds=5)
    assert sign.due_date == timezone.localdate(sign.due_at)


def test_a_crash_while_firing_loses_nothing_and_a_restart_fires_once(as_user):
    dossier = start_timed_dossier(as_user)
    slow = dossier.timers.get(spec_id="slow")
    now = slow.due_at + timedelta(seconds=1)

    # The worker dies half-way (after the engine advanced, before the commit): all of it is rolled back.
    real = timers.fire_timer_step

    def dies(*args):
        real(*args)
        raise SystemExit("worker killed")

    with mock.patch.object(timers, "fire_timer_step", dies), pytest.raises(SystemExit):
        from django.db import transaction

        with transaction.atomic():
            timers.fire_due_timers(now=now)
    slow.refresh_from_db()
    assert slow.state == "pending"
    assert set(active(dossier)) == {"check"}

    # Beat restarts and runs twice: the timer fires exactly once.
    assert timers.fire_due_timers(now=now) + timers.fire_due_timers(now=now) == 1
    assert set(active(dossier)) == {"check", "follow_up"}
    assert DossierEvent.objects.filter(dossier=dossier, action="timer_fired").count() == 1


def test_timer_of_a_withdrawn_dossier_is_cancelled_not_fired(as_user):
    dossier = start_timed_dossier(as_user)
    response = as_user("citizen1").post(f"/api/v1/dossiers/{dossier.code}/withdraw/", {"reason": "Nộp nhầm"})
    assert response.status_code == 200
    far = timezone.now() + timedelta(days=30)
    assert timers.fire_due_timers(now=far) == 0
    assert set(dossier.timers.values_list("state", flat=True)) == {"cancelled"}
    assert not DossierEvent.objects.filter(dossier=dossier, action="timer_fired").exists()


def test_the_engine_is_told_the_working_time_due(as_user):
    """SpiffWorkflow would fire a P2D timer after 48 calendar hours; it is given the working-time moment,
    so an advance on the dossier later never fires it early on the wall clock."""
    from onestop.engine import runtime

    dossier = start_timed_dossier(as_user)
    engine_due = {t.spec_id: t.due_at for t in runtime.snapshot(dossier.process).timers}
    late = dossier.timers.get(spec_id="late")
    assert late.due_at - dossier.received_at != timedelta(days=2)  # not calendar time
    for timer in dossier.timers.all():
        assert engine_due[timer.spec_id] == timer.due_at


pytestmark = pytest.mark.django_db


def test_a_broken_timer_is_set_aside_and_the_others_still_fire(as_user):
    dossier = start_timed_dossier(as_user)
    slow = dossier.timers.get(spec_id="slow")
    # A timer the process no longer waits on (e.g. rows restored from an old backup), due first.
    ghost = Timer.objects.create(dossier=dossier, task_id="00000000-0000-0000-0000-000000000000", spec_id="ghost",
                                 due_at=slow.due_at - timedelta(hours=1))
    assert timers.fire_due_timers(now=slow.due_at + timedelta(seconds=1)) == 1
    ghost.refresh_from_db()
    assert ghost.state == "failed" and ghost.error
    assert DossierEvent.objects.filter(dossier=dossier, action="timer_failed").count() == 1
    assert set(active(dossier)) == {"check", "follow_up"}
    assert timers.fire_due_timers(now=slow.due_at + timedelta(hours=1)) == 0  # not retried forever


# The applicant has five working days to supplement; after that the dossier is refused.
ANSWER_OR_REFUSE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="answer_or_refuse" name="Answer or refuse" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="Ủy ban nhân dân phường [ward]">
        <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>check</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>e</bpmn:flowNodeRef><bpmn:flowNodeRef>refused</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="l2" name="Người nộp hồ sơ [applicant]">
        <bpmn:flowNodeRef>answer</bpmn:flowNodeRef><bpmn:flowNodeRef>no_answer</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="check" name="Kiểm tra / Check" camunda:candidateGroups="specialist"/>
    <bpmn:userTask id="answer" name="Bổ sung hồ sơ / Supplement the dossier">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="supplement_note" label="Nội dung bổ sung" type="string"/>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="no_answer" name="Quá 5 ngày / Five days" attachedToRef="answer" cancelActivity="true">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P5D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="e"/>
    <bpmn:endEvent id="refused">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="outcome" value="refused"/>
      </camunda:properties></bpmn:extensionElements>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="answer"/>
    <bpmn:sequenceFlow id="f3" sourceRef="answer" targetRef="e"/>
    <bpmn:sequenceFlow id="f4" sourceRef="no_answer" targetRef="refused"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_no_answer_in_time_refuses_the_dossier_and_closes_the_stopped_clock(as_user):
    from onestop.deadlines.models import ClockStop

    procedure_services.import_bpmn(ANSWER_OR_REFUSE_BPMN.encode(), "1.001193", publish=True)
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    as_user("bennghe.specialist").act(code, "")
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == "supplement_requested"
    stop = ClockStop.objects.get(dossier=dossier, ended_at__isnull=True)
    timer = dossier.timers.get(spec_id="no_answer")
    answer = active(dossier)["answer"]
    assert timer.attached_to == answer.task_id and answer.kind == WorkItem.Kind.APPLICANT

    assert timers.fire_due_timers(now=timer.due_at + timedelta(seconds=1)) == 1
    dossier.refresh_from_db()
    answer.refresh_from_db()
    assert (dossier.status, answer.state, answer.timeliness) == ("refused", "cancelled", "")
    assert dossier.timeliness  # refused after reception: classified
    stop.refresh_from_db()
    assert stop.ended_at is not None
    assert DossierEvent.objects.filter(dossier=dossier, action="clock_restarted").exists()
    # The citizen can no longer answer.
    response = as_user("citizen1").post(f"/api/v1/dossiers/{code}/supplement/", {"comment": "Muộn"})
    assert response.status_code == 409


def test_repeating_timers_are_refused_at_upload():
    from onestop.engine.parsing import BpmnError, parse_bpmn

    cycle = TIMERS_BPMN.replace("<bpmn:timeDuration>PT4H</bpmn:timeDuration>",
                                "<bpmn:timeCycle>R3/PT4H</bpmn:timeCycle>")
    with pytest.raises(BpmnError) as caught:
        parse_bpmn(cycle.encode())
    assert "timeCycle" in str(caught.value)


def test_the_management_command_fires_due_timers(as_user):
    from io import StringIO

    from django.core.management import call_command

    dossier = start_timed_dossier(as_user)
    Timer.objects.filter(dossier=dossier, spec_id="slow").update(due_at=timezone.now() - timedelta(seconds=1))
    out = StringIO()
    call_command("deadlines_tick", stdout=out)
    assert "timers fired: 1" in out.getvalue()
    assert set(active(dossier)) == {"check", "follow_up"}
