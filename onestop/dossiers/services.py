"""The dossier lifecycle (Decree 61/2018, Decree 118/2025): submit, receive, process, return.

Every function that changes a dossier takes its row lock first (``_lock``), applies the change,
and records it in the audit trail, in one transaction: a dossier is never half-written.
"""
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict, InvalidInput, NotAllowed, NotFound
from onestop.deadlines import services as deadlines
from onestop.deadlines.working_days import add_working_days, appointment_date
from onestop.engine import runtime
from onestop.engine.models import ProcessInstance
from onestop.interop import services as interop
from onestop.interop.models import Exchange
from onestop.organisation import routing
from onestop.organisation.models import Agency, Membership, OfficialRole, same_tier
from onestop.worklist import services as worklist
from onestop.worklist.forms import clean_submission
from onestop.worklist.models import WorkItem
from procedures.models import Procedure, ProcedureVersion
from procedures.selectors import published_version

from . import audit
from .attachments import add_attachment, check_upload
from .codes import issue_code
from .forms import form_errors, has_nul
from .models import FINAL_STATUSES, TRANSITIONS, Attachment, Channel, Dossier, Handover, Incident, Rating, Status

RECEPTION_FORM = [
    {
        "id": "decision", "type": "enum", "label": "Kết quả kiểm tra hồ sơ / Completeness check",
        "options": [
            {"id": "accept", "name": "Tiếp nhận / Accept"},
            {"id": "supplement", "name": "Yêu cầu bổ sung / Request supplementation"},
            {"id": "refuse", "name": "Từ chối tiếp nhận / Refuse"},
        ],
    },
    {"id": "missing_documents", "type": "list", "label": "Giấy tờ cần bổ sung / Documents to add",
     "options": []},
]
RETURN_FORM = [
    {"id": "decision", "type": "enum", "label": "Trả kết quả / Hand over the result",
     "options": [{"id": "returned", "name": "Đã trả kết quả / Result handed over"}]},
    {"id": "collected_by", "type": "string", "label": "Người nhận kết quả / Collected by", "options": []},
]
RECEPTION_NAME = "Tiếp nhận hồ sơ / Receive the dossier"
RETURN_NAME = "Trả kết quả / Return the result"
WITHDRAWABLE = {Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED, Status.PROCESSING}


def _lock(dossier_id, *, with_process=False):
    """The dossier, row-locked, with what every change reads: its procedure and its receiving agency up to
    the city (routing walks that line: ``Agency.lineage``); neither changes while dossiers run.

    ``with_process`` then reads its workflow state and version, in a query of its own *after* the lock:
    PostgreSQL re-reads only the locked row when a lock wait ends, so a joined process would be the one
    from before the wait (two exchanges resuming one dossier would lose one). The BPMN text is read only
    if the engine has not parsed that version yet.
    """
    locked = Dossier.objects.select_for_update(of=("self",))
    locked = locked.select_related("procedure", "receiving_agency__parent__parent")
    # The procedure's documents and form schema (JSON, often kilobytes) are read only where used.
    dossier = locked.defer("procedure__documents", "procedure__form_schema").get(pk=dossier_id)
    if with_process:
        versions = ProcedureVersion.objects.defer("bpmn_xml", "report")
        if dossier.process_id:
            dossier.process = (ProcessInstance.objects.select_related("version")
                               .defer("version__bpmn_xml", "version__report").get(pk=dossier.process_id))
        else:
            dossier.version = versions.get(pk=dossier.version_id)
    return dossier


def _move(dossier, status):
    if status != dossier.status and status not in TRANSITIONS[dossier.status]:
        raise Conflict(
            _("A dossier that is “%(current)s” cannot become “%(new)s”.")
            % {"current": dossier.get_status_display(), "new": Status(status).label}
        )
    dossier.status = status


def _open_reception(dossier, today):
    return worklist.open_item(
        dossier, kind=WorkItem.Kind.RECEPTION, agency=dossier.receiving_agency, role=OfficialRole.RECEIVER,
        name=RECEPTION_NAME, due_date=add_working_days(today, 1), form=RECEPTION_FORM,
    )


# --- submission --------------------------------------------------------------------------------------

def submit(user, *, procedure_code, agency_code, form_data, official=None):
    """A citizen submits a dossier online: it gets its code and waits at the desk of ``agency_code``.

    With ``official``, a desk official takes in a paper dossier on behalf of ``user`` (channel DESK):
    the audit trail names the official as the actor.
    """
    if not hasattr(user, "citizen"):
        raise NotAllowed(_("Only citizens with a profile can submit dossiers."))
    procedure = Procedure.objects.filter(code=procedure_code, is_active=True).first()
    if procedure is None:
        raise InvalidInput(_("Unknown procedure."), errors={"procedure": [_("No procedure has this code.")]})
    version = published_version(procedure)
    if version is None:
        raise InvalidInput(_("This procedure is not open for submissions."),
                           errors={"procedure": [_("The procedure has no published version.")]})
    agency = Agency.objects.filter(code=agency_code, is_active=True).first()
    if agency is None:
        raise InvalidInput(_("Unknown agency."), errors={"agency": [_("No agency has this code.")]})
    if not same_tier(agency.level, procedure.receiving_level):
        raise InvalidInput(
            _("This procedure is not received by this agency."),
            errors={"agency": [_("Submit it to an agency of level “%(level)s”.")
                               % {"level": procedure.get_receiving_level_display()}]},
        )
    errors = form_errors(procedure.form_schema, form_data)
    if errors:
        raise InvalidInput(_("The form has errors."), errors={"form_data": errors})

    with transaction.atomic():
        now = timezone.now()
        today = timezone.localdate(now)
        dossier = Dossier.objects.create(
            code=issue_code(agency, today), procedure=procedure, version=version, applicant=user,
            receiving_agency=agency, form_data=form_data, status=Status.SUBMITTED, submitted_at=now,
            channel=Channel.ONLINE if official is None else Channel.DESK,
        )
        Handover.objects.create(dossier=dossier, to_agency=agency, given_by=official or user,
                                result=_("Submitted online") if official is None else _("Submitted at the desk"))
        item = _open_reception(dossier, today)
        audit.record(dossier, "submitted", actor=official or user, agency=agency, work_item=item,
                     data={"on_behalf_of": user.get_username(), "channel": Channel.DESK} if official else None)
    return dossier


# --- work items --------------------------------------------------------------------------------------

def _note_received(dossier, item, user):
    """Fill in who received the dossier at this agency, on the open leg of its route."""
    if item.agency_id is None:
        return
    leg = dossier.handovers.filter(to_agency_id=item.agency_id, received_by__isnull=True).last()
    if leg is not None:
        leg.received_by = user
        leg.received_at = timezone.now()
        leg.save(update_fields=["received_by", "received_at"])


def _locked_item(item, *, with_process=False):
    dossier = _lock(item.dossier_id, with_process=with_process)
    locked = WorkItem.objects.select_for_update(of=("self",))
    item = locked.select_related("claimed_by", "agency").get(pk=item.pk)
    item.dossier = dossier  # the answer names the dossier and its procedure: no query to find them again
    return dossier, item


@transaction.atomic
def claim_work_item(item, user):
    dossier, item = _locked_item(item)
    if worklist.claim(item, user):
        _note_received(dossier, item, user)
        audit.record(dossier, "claimed", actor=user, agency=item.agency, from_status=dossier.status,
                     work_item=item)
    return item


@transaction.atomic
def unclaim_work_item(item, user):
    dossier, item = _locked_item(item)
    worklist.unclaim(item, user)
    audit.record(dossier, "unclaimed", actor=user, agency=item.agency, from_status=dossier.status, work_item=item)
    return item


@transaction.atomic
def complete_work_item(item, user, *, decision, data=None, comment=""):
    """An official completes a step: the desk's reception or return, or a step of the process."""
    dossier, item = _locked_item(item, with_process=item.kind in (WorkItem.Kind.TASK, WorkItem.Kind.RECEPTION))
    worklist.check_can_act(item, user)
    clean = clean_submission(item.form, decision, data or {}, comment)
    from_status = dossier.status
    if item.kind == WorkItem.Kind.RECEPTION:
        _receive(dossier, item, user, decision, clean, comment)
    elif item.kind == WorkItem.Kind.RETURN:
        _move(dossier, Status.RETURNED)
        dossier.closed_at = timezone.now()
        dossier.save()
    elif item.kind == WorkItem.Kind.TASK:
        snapshot = runtime.complete_task(dossier.process, item.task_id, clean)
        _after_advance(dossier, snapshot, user, from_agency=item.agency, result=decision)
    else:
        raise Conflict(_("This step is done by the applicant."))
    _note_received(dossier, item, user)
    worklist.close(item, user, decision=decision, comment=comment)
    audit.record(dossier, f"{item.kind}_completed", actor=user, agency=item.agency, from_status=from_status,
                 work_item=item, comment=comment, data={"step": item.name, "decision": decision, **clean})
    return dossier


def _receive(dossier, item, user, decision, clean, comment):
    now = timezone.now()
    if decision == "accept":
        _move(dossier, Status.PROCESSING)
        dossier.received_at = now
        dossier.missing_documents = []
        # Counted from the receipt of the complete dossier: an online submission made outside office
        # hours counts from the next opening; a same-day procedure after the cut-off, from the next day.
        dossier.appointment_date = appointment_date(now, dossier.procedure.processing_days, dossier.receiving_agency)
        instance, snapshot = runtime.start(
            dossier.version, data={"form": dossier.form_data, "dossier_code": dossier.code}
        )
        dossier.process = instance
        dossier.save()
        _after_advance(dossier, snapshot, user, from_agency=item.agency, result=decision)
    elif decision == "supplement":
        missing = clean.get("missing_documents") or []
        if not missing:
            raise InvalidInput(_("List the documents to add."),
                               errors={"missing_documents": [_("List every document to add, at once.")]})
        _move(dossier, Status.SUPPLEMENT_REQUESTED)
        dossier.missing_documents = missing
        dossier.save()
    else:  # refuse: clean_submission made sure a reason is given
        _move(dossier, Status.REFUSED)
        dossier.closed_at = now
        dossier.save()


def _after_advance(dossier, snapshot, user, *, from_agency, result):
    """Turn the process's new waits into work items, record the hand-overs, update the status."""
    from_status = dossier.status
    new_items = worklist.sync_with_process(dossier, snapshot, due_date=dossier.appointment_date)
    interop.open_exchanges(dossier, snapshot, actor=user)
    _raise_process_incidents(dossier, snapshot)
    if snapshot.completed:
        if snapshot.outcome == "refused":
            _move(dossier, Status.REFUSED)
            dossier.closed_at = timezone.now()
        else:
            _move(dossier, Status.RESULT_READY)
            dossier.result_at = timezone.now()
            new_items.append(worklist.open_item(
                dossier, kind=WorkItem.Kind.RETURN, agency=dossier.receiving_agency, role=OfficialRole.RECEIVER,
                name=RETURN_NAME, due_date=dossier.appointment_date, form=RETURN_FORM,
            ))
    elif worklist.asks_applicant(snapshot):
        _move(dossier, Status.SUPPLEMENT_REQUESTED)
    else:
        _move(dossier, Status.PROCESSING)
    dossier.save()
    deadlines.after_advance(dossier, snapshot, from_status)  # timers, the stopped clock, timeliness
    _record_handovers(dossier, new_items, user, from_agency, result)


def _raise_process_incidents(dossier, snapshot):
    """A failed step (a script, a condition) stops the process there: admins see an incident."""
    for error in snapshot.errors:
        if dossier.incidents.filter(task_id=error.task_id, resolved_at__isnull=True).exists():
            continue
        incident = Incident.objects.create(
            dossier=dossier, kind=Incident.Kind.PROCESS_ERROR, element_id=error.spec_id, element_name=error.name,
            task_id=error.task_id, message=error.message or _("The step failed."),
        )
        audit.record(dossier, "incident_raised", from_status=dossier.status, comment=incident.message,
                     data={"step": error.name, "incident": incident.pk})


def _record_handovers(dossier, new_items, user, from_agency, result):
    """A new step in an agency that does not hold the dossier yet is a hand-over (a row of form 06).

    Without a giving agency (after a background exchange), the dossier comes from where its route last led.
    """
    holders = set(
        dossier.work_items.filter(state__in=WorkItem.ACTIVE_STATES)
        .exclude(pk__in=[i.pk for i in new_items]).values_list("agency_id", flat=True)
    )
    if from_agency is None:
        last_leg = dossier.handovers.select_related("to_agency").last()
        from_agency = last_leg.to_agency if last_leg else None
    if result is None:
        last_done = dossier.work_items.filter(state=WorkItem.State.COMPLETED).order_by("completed_at", "id").last()
        result = last_done.decision if last_done else ""
    for item in new_items:
        agency_id = item.agency_id
        if agency_id is None or agency_id == getattr(from_agency, "pk", None) or agency_id in holders:
            continue
        holders.add(agency_id)
        Handover.objects.create(dossier=dossier, from_agency=from_agency, to_agency=item.agency,
                                given_by=user, result=result)


# --- background exchanges (service tasks) --------------------------------------------------------------

def _exchange_agency(dossier, exchange):
    return routing.resolve_agency(routing.role_code_of_lane(exchange.lane), dossier.receiving_agency)


def _resume(dossier, exchange, user, action, comment=""):
    """Hand the exchange's result to its service task (under the key of the task's id) and advance."""
    from_status = dossier.status
    agency = _exchange_agency(dossier, exchange)
    snapshot = runtime.complete_service_task(dossier.process, exchange.task_id,
                                             {exchange.result_key or exchange.task_spec_id: exchange.result})
    _after_advance(dossier, snapshot, user, from_agency=None, result=None)
    audit.record(dossier, action, actor=user, agency=agency, from_status=from_status, comment=comment,
                 data={"step": exchange.task_name, "operator": exchange.operator, "exchange": exchange.pk})


@transaction.atomic
def resume_after_exchange(exchange_id):
    """Complete the service task of an answered exchange and advance the process, under the row lock.

    A second delivery of the same exchange finds it no longer pending and changes nothing.
    """
    dossier = _lock(Exchange.objects.values_list("dossier_id", flat=True).get(pk=exchange_id), with_process=True)
    exchange = Exchange.objects.select_for_update().get(pk=exchange_id)
    if exchange.state != Exchange.State.PENDING:
        return dossier
    interop.mark_succeeded(exchange)
    if dossier.status in FINAL_STATUSES:  # withdrawn meanwhile: keep the answer, go no further
        return dossier
    _resume(dossier, exchange, exchange.acting_user, "exchange_completed")
    return dossier


def fire_timer_step(dossier, task_id):
    """A due BPMN timer fires (``deadlines.timers``, under the dossier's row lock): advance the process and
    sync the work items (an interrupting timer cancels its step)."""
    snapshot = runtime.fire_timer(dossier.process, task_id)
    _after_advance(dossier, snapshot, None, from_agency=None, result=None)
    return snapshot


@transaction.atomic
def raise_exchange_incident(exchange_id):
    """The exchange failed for good: the dossier gets an incident that officials and admins see."""
    dossier = _lock(Exchange.objects.values_list("dossier_id", flat=True).get(pk=exchange_id))
    exchange = Exchange.objects.select_for_update().get(pk=exchange_id)
    if exchange.incidents.filter(resolved_at__isnull=True).exists():
        return exchange.incidents.get(resolved_at__isnull=True)
    incident = Incident.objects.create(
        dossier=dossier, kind=Incident.Kind.EXCHANGE_FAILED, element_id=exchange.task_spec_id,
        element_name=exchange.task_name, message=exchange.error, exchange=exchange,
    )
    audit.record(dossier, "incident_raised", from_status=dossier.status, comment=exchange.error,
                 data={"step": exchange.task_name, "operator": exchange.operator, "incident": incident.pk})
    return incident


def _open_incident(incident_id):
    incident = Incident.objects.select_related("exchange").get(pk=incident_id)
    dossier = _lock(incident.dossier_id)
    incident = Incident.objects.select_for_update(of=("self",)).select_related("exchange").get(pk=incident_id)
    if not incident.is_open:
        raise Conflict(_("This incident is already resolved."))
    if dossier.status in FINAL_STATUSES:
        raise Conflict(_("The dossier is closed."))
    return dossier, incident


def _resolve(incident, user, resolution, comment=""):
    incident.resolved_at = timezone.now()
    incident.resolved_by = user
    incident.resolution = resolution
    incident.comment = comment
    incident.save()


@transaction.atomic
def retry_incident(incident_id, user):
    """Try again: the failed exchange from its first attempt, or the failed step of the process."""
    dossier, incident = _open_incident(incident_id)
    _resolve(incident, user, Incident.Resolution.RETRIED)
    if incident.exchange_id:
        interop.retry(incident.exchange)
    else:
        snapshot = runtime.retry_failed(dossier.process, incident.task_id)
        _after_advance(dossier, snapshot, user, from_agency=None, result=None)
    audit.record(dossier, "incident_retried", actor=user, from_status=dossier.status,
                 data={"step": incident.element_name, "incident": incident.pk})
    return incident


@transaction.atomic
def enter_exchange_manually(incident_id, user, *, data, reason):
    """An official supplies the document or data by hand, with a reason, and the process goes on."""
    if not (reason or "").strip():
        raise InvalidInput(_("Give the reason for entering the data by hand."),
                           errors={"reason": [_("This field is required.")]})
    if not isinstance(data, dict) or not data:
        raise InvalidInput(_("Enter the data the step needs."), errors={"data": [_("Expected an object.")]})
    if has_nul(data):  # PostgreSQL cannot store it: a message, not a 500
        raise InvalidInput(_("Enter the data the step needs."), errors={"data": [_("Not in the expected format.")]})
    dossier, incident = _open_incident(incident_id)
    exchange = incident.exchange
    if exchange is None:
        raise Conflict(_("Data can be entered by hand only for a failed exchange."))
    interop.enter_manually(exchange, data)
    _resolve(incident, user, Incident.Resolution.MANUAL, reason)
    _resume(dossier, exchange, user, "exchange_entered_manually", comment=reason)
    return incident


# --- the applicant -----------------------------------------------------------------------------------

def _applicants_dossier(user, code):
    dossier = Dossier.objects.filter(code=code, applicant=user).values_list("pk", flat=True).first()
    if dossier is None:
        raise NotFound(_("No such dossier."))
    return _lock(dossier)


@transaction.atomic
def supplement(user, code, *, form_data=None, comment=""):
    """The applicant answers a supplementation request on the same dossier code."""
    dossier = _applicants_dossier(user, code)
    if dossier.status != Status.SUPPLEMENT_REQUESTED:
        raise Conflict(_("Nothing is asked of you on this dossier now."))
    from_status = dossier.status
    if form_data is not None:
        merged = {**dossier.form_data, **form_data} if isinstance(form_data, dict) else form_data
        errors = form_errors(dossier.procedure.form_schema, merged)
        if errors:
            raise InvalidInput(_("The form has errors."), errors={"form_data": errors})
        dossier.form_data = merged
    item = dossier.work_items.filter(kind=WorkItem.Kind.APPLICANT, state__in=WorkItem.ACTIVE_STATES).first()
    if item is not None:  # asked by a processing step of the BPMN
        deadlines.restart_clock(dossier, user)
        fields = {f["id"] for f in item.form}
        data = {"form": dossier.form_data}
        if "supplement_note" in fields:
            data["supplement_note"] = comment or ""
        snapshot = runtime.complete_task(dossier.process, item.task_id, data)
        worklist.close(item, user, comment=comment)
        asked_by = (dossier.work_items.filter(kind=WorkItem.Kind.TASK, state=WorkItem.State.COMPLETED)
                    .order_by("completed_at", "id").select_related("agency").last())
        _after_advance(dossier, snapshot, user, from_agency=asked_by.agency if asked_by else None,
                       result=_("Supplemented"))
    else:  # asked by the desk at reception
        _move(dossier, Status.SUBMITTED)
        dossier.missing_documents = []
        dossier.save()
        item = _open_reception(dossier, timezone.localdate())
    audit.record(dossier, "supplemented", actor=user, from_status=from_status, work_item=item, comment=comment)
    return dossier


@transaction.atomic
def withdraw(user, code, *, reason=""):
    dossier = _applicants_dossier(user, code)
    if dossier.status not in WITHDRAWABLE:
        raise Conflict(_("A dossier that is “%(status)s” can no longer be withdrawn.")
                       % {"status": dossier.get_status_display()})
    from_status = dossier.status
    _move(dossier, Status.WITHDRAWN)
    dossier.closed_at = timezone.now()
    dossier.save()
    worklist.cancel_open_items(dossier)
    audit.record(dossier, "withdrawn", actor=user, from_status=from_status, comment=reason)
    return dossier


# --- moving running dossiers to a new version of their procedure --------------------------------------

def _running_on(version):
    return Dossier.objects.filter(version=version).exclude(status__in=FINAL_STATUSES)


@transaction.atomic
def migrate_dossiers(from_version, to_version, user):
    """Move every running dossier of ``from_version`` onto ``to_version``, all or none.

    Refused with the list of blocking dossiers and steps when any of them waits in a step the new
    version does not have.
    """
    if from_version.procedure_id != to_version.procedure_id:
        raise InvalidInput(_("Both versions must belong to the same procedure."))
    ids = list(_running_on(from_version).values_list("pk", flat=True))
    dossiers = [_lock(pk) for pk in ids]
    blockers = [{"dossier": d.code, "steps": steps} for d in dossiers if d.process_id
                and (steps := runtime.migration_blockers(d.process, to_version))]
    if blockers:
        raise Conflict(_("Some running dossiers wait in steps the new version does not have."),
                       errors={"blockers": blockers})
    for dossier in dossiers:
        from_status = dossier.status
        dossier.version = to_version
        if dossier.process_id:
            snapshot = runtime.migrate(dossier.process, to_version)
            _after_advance(dossier, snapshot, user, from_agency=None, result=None)
        dossier.save()
        audit.record(dossier, "migrated", actor=user, from_status=from_status,
                     data={"from_version": from_version.number, "to_version": to_version.number})
    return [d.code for d in dossiers]


@transaction.atomic
def rate(user, code, *, score, comment=""):
    """The applicant rates the service once, after the result has been handed over."""
    dossier = _applicants_dossier(user, code)
    if dossier.status != Status.RETURNED:
        raise Conflict(_("You can rate the service once the result has been returned to you."))
    if Rating.objects.filter(dossier=dossier).exists():
        raise Conflict(_("This dossier has already been rated."))
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise InvalidInput(_("Choose a score from 1 to 5."), errors={"score": [_("Choose a score from 1 to 5.")]})
    rating = Rating.objects.create(dossier=dossier, score=score, comment=(comment or "").strip()[:2000])
    audit.record(dossier, "rated", actor=user, from_status=dossier.status, data={"score": score}, comment=comment)
    return rating


# --- the one-stop desk and the officials' workspace ------------------------------------------------------

def _check_receiver(official, agency_code):
    if not Membership.objects.filter(user=official, agency__code=agency_code, role=OfficialRole.RECEIVER).exists():
        raise NotAllowed(_("Only a receiver of this agency's one-stop desk can take in dossiers here."))


@transaction.atomic
def receive_at_desk(official, applicant, *, procedure_code, agency_code, form_data, scans=()):
    """A paper dossier handed in at the desk: submitted on the applicant's behalf and accepted at once.

    The scans (``Attachment.Kind.SCAN``) are stored under the dossier's lock; all or nothing.
    """
    _check_receiver(official, agency_code)
    for scan in scans:
        check_upload(scan)
    dossier = submit(applicant, procedure_code=procedure_code, agency_code=agency_code, form_data=form_data,
                     official=official)
    dossier = _lock(dossier.pk)
    for scan in scans:
        add_attachment(dossier, scan, user=official, kind=Attachment.Kind.SCAN, agency=dossier.receiving_agency)
    item = dossier.work_items.get(kind=WorkItem.Kind.RECEPTION, state=WorkItem.State.OPEN)
    claim_work_item(item, official)
    return complete_work_item(item, official, decision="accept")


@transaction.atomic
def hand_over_result(item, official, *, collector_name, collector_id_number, result_file=None):
    """The desk hands the result over: the result file (optional) is kept, and who collected it."""
    collector_name, collector_id_number = (collector_name or "").strip(), (collector_id_number or "").strip()
    errors = {}
    if not collector_name:
        errors["collector_name"] = [_("This field is required.")]
    if not collector_id_number.isdigit() or len(collector_id_number) not in (9, 12):
        errors["collector_id_number"] = [_("Enter the 12-digit citizen ID number (or a 9-digit old ID card).")]
    if errors:
        raise InvalidInput(_("Say who collected the result."), errors=errors)
    dossier, item = _locked_item(item)
    if item.kind != WorkItem.Kind.RETURN:
        raise Conflict(_("This step is not the return of a result."))
    worklist.check_can_act(item, official)
    if result_file is not None:
        add_attachment(dossier, result_file, user=official, kind=Attachment.Kind.RESULT, work_item=item,
                       agency=item.agency)
    collected_by = f"{collector_name} ({collector_id_number})"
    return complete_work_item(item, official, decision="returned", data={"collected_by": collected_by})


@transaction.atomic
def comment_on(item, user, text):
    """An official writes a note on the dossier at this step; it stays in the audit trail."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write the comment first."), errors={"comment": [_("This field is required.")]})
    dossier, item = _locked_item(item)
    audit.record(dossier, "commented", actor=user, agency=item.agency, from_status=dossier.status,
                 work_item=item, comment=text[:4000], data={"step": item.name})
    return dossier


@transaction.atomic
def reassign_work_item(item, leader, official):
    """A leader gives an open or claimed step to another official of the same agency and role."""
    dossier, item = _locked_item(item)
    previous = item.claimed_by
    worklist.reassign(item, leader, official)
    audit.record(dossier, "reassigned", actor=leader, agency=item.agency, from_status=dossier.status,
                 work_item=item, data={"step": item.name, "from": previous.get_username() if previous else "",
                                       "to": official.get_username()})
    return item
