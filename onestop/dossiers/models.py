"""Dossiers (hồ sơ), their codes, their route between agencies and their audit trail."""
import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

from onestop.deadlines.models import Timeliness


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted, waiting for reception")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplementation requested")
    PROCESSING = "processing", _("In processing")
    RESULT_READY = "result_ready", _("Result ready")
    RETURNED = "returned", _("Result returned")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Ended by an official or admin because its process cannot go on (an incident resolved by stopping it).
    STOPPED = "stopped", _("Stopped")


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    DESK = "desk", _("At the one-stop desk")
    POST = "post", _("By post")


# The lifecycle of Decree 61/2018 (and Decree 118/2025): which status may follow which.
TRANSITIONS = {
    "": {Status.SUBMITTED},
    Status.SUBMITTED: {
        Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.REFUSED, Status.WITHDRAWN, Status.STOPPED,
    },
    # A BPMN timer on the applicant's step may end the process without an answer (refused, or a result).
    Status.SUPPLEMENT_REQUESTED: {
        Status.SUBMITTED, Status.PROCESSING, Status.WITHDRAWN, Status.REFUSED, Status.RESULT_READY, Status.STOPPED,
    },
    Status.PROCESSING: {
        Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.RESULT_READY, Status.REFUSED, Status.WITHDRAWN,
        Status.STOPPED,
    },
    Status.RESULT_READY: {Status.RETURNED, Status.STOPPED},
    Status.RETURNED: set(),
    Status.REFUSED: set(),
    Status.WITHDRAWN: set(),
    Status.STOPPED: set(),
}
FINAL_STATUSES = {Status.RETURNED, Status.REFUSED, Status.WITHDRAWN, Status.STOPPED}
# The applicant may withdraw until a result is ready; an official may extend while it is being processed.
WITHDRAWABLE = {Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED, Status.PROCESSING}
EXTENDABLE = {Status.PROCESSING, Status.SUPPLEMENT_REQUESTED}


# State guards: the services refuse what they forbid, and the pages offer only what they allow.
def can_withdraw(dossier) -> bool:
    """The applicant may still withdraw the dossier."""
    return dossier.status in WITHDRAWABLE


def can_supplement(dossier) -> bool:
    """Something is asked of the applicant now."""
    return dossier.status == Status.SUPPLEMENT_REQUESTED


def can_rate(dossier, *, rated: bool = False) -> bool:
    """The applicant may rate the service: once, after the result has been handed over."""
    return dossier.status == Status.RETURNED and not rated


def can_extend(dossier) -> bool:
    """The appointment date may be moved (once: ``Extension`` rows say whether it was)."""
    return dossier.status in EXTENDABLE and dossier.appointment_date is not None


class Action(models.TextChoices):
    """What a ``DossierEvent`` records. Writers and readers (notifications, pages, forms) name these members,
    never bare strings: a misspelt member fails at import, a misspelt string would silently match nothing."""

    SUBMITTED = "submitted"
    CLAIMED = "claimed"
    UNCLAIMED = "unclaimed"
    REASSIGNED = "reassigned"
    COMMENTED = "commented"
    RECEPTION_COMPLETED = "reception_completed"
    TASK_COMPLETED = "task_completed"
    RETURN_COMPLETED = "return_completed"
    APPLICANT_COMPLETED = "applicant_completed"
    SUPPLEMENTED = "supplemented"
    WITHDRAWN = "withdrawn"
    RATED = "rated"
    MIGRATED = "migrated"
    ATTACHMENT_ADDED = "attachment_added"
    EXCHANGE_COMPLETED = "exchange_completed"
    EXCHANGE_ENTERED_MANUALLY = "exchange_entered_manually"
    INCIDENT_RAISED = "incident_raised"
    INCIDENT_RETRIED = "incident_retried"
    TIMER_FIRED = "timer_fired"
    TIMER_FAILED = "timer_failed"
    CLOCK_STOPPED = "clock_stopped"
    CLOCK_RESTARTED = "clock_restarted"
    EXTENDED = "extended"
    STOPPED = "stopped"
    REMINDER_SENT = "reminder_sent"
    ESCALATED = "escalated"

    @classmethod
    def completed(cls, kind):
        """The action of completing a work item of ``kind`` (reception, task, return, applicant)."""
        return cls(f"{kind}_completed")


class Dossier(models.Model):
    # "<agency identifier>-YYMMDD-NNNN": issued once, never changed.
    code = models.CharField(_("dossier code"), max_length=60, unique=True, editable=False)
    procedure = models.ForeignKey("procedures.Procedure", verbose_name=_("procedure"), on_delete=models.PROTECT,
                                  related_name="dossiers")
    version = models.ForeignKey("procedures.ProcedureVersion", verbose_name=_("version"), on_delete=models.PROTECT,
                                related_name="dossiers")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("applicant"), on_delete=models.PROTECT,
                                  related_name="dossiers")
    receiving_agency = models.ForeignKey(
        "organisation.Agency", verbose_name=_("receiving agency"), on_delete=models.PROTECT,
        related_name="received_dossiers"
    )
    form_data = models.JSONField(_("form data"), default=dict)
    status = models.CharField(_("status"), max_length=30, choices=Status.choices, default=Status.SUBMITTED)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    missing_documents = models.JSONField(_("documents to supplement"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    appointment_date = models.DateField(_("appointment date"), null=True, blank=True)
    # The appointment date the law gives (set at reception, moved only by the clock stopped for a supplement):
    # an extension (form 04) moves appointment_date, never this. Timeliness is measured against it.
    original_appointment_date = models.DateField(_("original appointment date"), null=True, blank=True)
    result_at = models.DateTimeField(_("result at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Set when the result is ready (or the dossier is refused after reception): against the original date.
    timeliness = models.CharField(_("timeliness"), max_length=10, choices=Timeliness.choices, blank=True)
    process = models.OneToOneField(
        "engine.ProcessInstance", verbose_name=_("process"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="dossier"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            # Reports (onestop/reports): received, resolved and pending in a period. The received index
            # carries the grouping columns so that PostgreSQL counts from the index alone.
            models.Index(fields=["received_at"], include=["receiving_agency_id", "procedure_id", "channel"],
                         name="dossier_received_idx"),
            models.Index(fields=["result_at"], name="dossier_result_idx"),
            models.Index(fields=["closed_at"], name="dossier_closed_idx"),
            # Dossiers pending now (no result, not closed), with what the report groups and compares.
            models.Index(fields=["received_at"], condition=models.Q(closed_at__isnull=True, result_at__isnull=True),
                         include=["receiving_agency_id", "procedure_id", "channel", "appointment_date"],
                         name="dossier_open_idx"),
        ]

    def __str__(self):
        return self.code

    def save(self, *args, **kwargs):
        if self.keep_original_appointment_date() and kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "original_appointment_date"}
        super().save(*args, **kwargs)

    def keep_original_appointment_date(self) -> bool:
        """The first appointment date given (at reception) is the original one; later changes move only
        appointment_date (an extension) or both (the stopped clock, ``deadlines.services``). True when it was
        set now, so that a save of chosen columns writes it too."""
        if self.original_appointment_date is None and self.appointment_date is not None:
            self.original_appointment_date = self.appointment_date
            return True
        return False


class DailySequence(models.Model):
    """The last number an agency issued on a day; its row lock serialises concurrent submissions."""

    agency = models.ForeignKey("organisation.Agency", verbose_name=_("agency"), on_delete=models.CASCADE)
    day = models.DateField(_("day"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("daily sequence")
        verbose_name_plural = _("daily sequences")
        constraints = [models.UniqueConstraint(fields=["agency", "day"], name="uniq_daily_sequence")]

    def __str__(self):
        return f"{self.agency_id} {self.day}: {self.last}"


class Handover(models.Model):
    """One leg of the dossier's route (form 06's rows): who gave it to which agency, and the result."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="handovers")
    from_agency = models.ForeignKey(
        "organisation.Agency", verbose_name=_("from agency"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+"
    )
    to_agency = models.ForeignKey("organisation.Agency", verbose_name=_("to agency"), on_delete=models.PROTECT,
                                  related_name="+")
    handed_at = models.DateTimeField(_("handed over at"), auto_now_add=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("given by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+"
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["handed_at", "id"]

    def __str__(self):
        return f"{self.from_agency_id} -> {self.to_agency_id}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Dossier events are append-only.")

    def delete(self):
        raise TypeError("Dossier events are append-only.")


class DossierEvent(models.Model):
    """The audit trail: one row per change, never updated or deleted."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="events")
    # No index on ``at`` nor on ``work_item``: the trail is read a dossier at a time (its dossier index), and
    # every index here costs each event (bench/README.md, "Storage per completed 5-step dossier").
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, null=True,
                              blank=True)
    agency = models.ForeignKey("organisation.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, null=True,
                               blank=True)
    action = models.CharField(_("action"), max_length=40)
    from_status = models.CharField(_("from status"), max_length=30, blank=True)
    to_status = models.CharField(_("to status"), max_length=30, blank=True)
    work_item = models.ForeignKey(
        "worklist.WorkItem", verbose_name=_("step"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="events", db_index=False
    )
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.dossier_id} {self.action} {self.from_status}->{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Dossier events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Dossier events are append-only.")


class Incident(models.Model):
    """Something stopped a dossier's process (an exchange that failed for good, a failing step).

    Officials of the dossier's agencies and admins see it, and resolve it by retrying or by entering the
    missing data by hand; the process then carries on from where it stopped.
    """

    class Kind(models.TextChoices):
        EXCHANGE_FAILED = "exchange_failed", _("Exchange with another system failed")
        PROCESS_ERROR = "process_error", _("A step of the process failed")
        # The process could not advance (the engine or the routing failed): the run contract's incident.
        ADVANCE_FAILED = "advance_failed", _("The process could not advance")
        # Found by the sweep: not ended, and nothing open that would move it on.
        STUCK = "stuck", _("The dossier has no way forward")

    class Resolution(models.TextChoices):
        RETRIED = "retried", _("Retried")
        MANUAL = "manual", _("Entered manually")
        STOPPED = "stopped", _("Dossier stopped")

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="incidents")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    element_id = models.CharField(_("BPMN element"), max_length=200, blank=True)
    element_name = models.CharField(_("step"), max_length=300, blank=True)
    task_id = models.CharField(_("BPMN task instance"), max_length=36, blank=True)
    message = models.TextField(_("message"))
    exchange = models.ForeignKey("interop.Exchange", verbose_name=_("exchange"), on_delete=models.PROTECT, null=True,
                                 blank=True,
                                 related_name="incidents")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    resolution = models.CharField(_("resolution"), max_length=20, choices=Resolution.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # What the engine was asked when the advance failed ({"call": "complete_task", "task_id", "data"}):
    # retrying asks it again on the stored workflow.
    call = models.JSONField(_("call"), default=dict, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.dossier_id}: {self.element_name} ({self.get_kind_display()})"

    @property
    def is_open(self):
        return self.resolved_at is None


class AttachmentStorage(FileSystemStorage):
    """Files under ``settings.ATTACHMENTS_ROOT``, read at each use (so tests and deployments may move it)."""

    @property
    def base_location(self):
        return settings.ATTACHMENTS_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def attachments_storage():
    """Outside the web root: files are served only by a view that checks who asks."""
    return AttachmentStorage(base_url=None)


def _attachment_name(instance, filename):
    # Never the client's file name on disk (path traversal, odd characters): a random one.
    return f"{instance.dossier_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file of a dossier: a required document, a desk scan of a paper dossier, a supplement, a result."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Document submitted")
        SCAN = "scan", _("Scan of a paper dossier")
        SUPPLEMENT = "supplement", _("Supplementary document")
        RESULT = "result", _("Result")
        OTHER = "other", _("Other")

    # The public id (in URLs): not guessable, unlike the primary key.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DOCUMENT)
    # Index in the procedure's list of required documents, when the file is one of them.
    document_index = models.PositiveSmallIntegerField(_("required document"), null=True, blank=True)
    file = models.FileField(storage=attachments_storage, upload_to=_attachment_name, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    work_item = models.ForeignKey("worklist.WorkItem", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="attachments")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class Rating(models.Model):
    """The applicant's rating of the service, once the result is returned (Decision 766/QĐ-TTg)."""

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="rating")
    score = models.PositiveSmallIntegerField(_("score (1 to 5)"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_1_to_5")]

    def __str__(self):
        return f"{self.dossier_id}: {self.score}"
