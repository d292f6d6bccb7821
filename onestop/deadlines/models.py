"""The working-day calendar: the official schedule of each year (days off and make-up working days) as
data, each year confirmed or provisional; the ``holidays`` package only for years without data; office
hours; and what the deadlines of steps and dossiers record (timers, clock stops, extensions, alerts)."""
from datetime import time
from functools import partial

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Timeliness(models.TextChoices):
    """How a step or a dossier ended against its deadline (the national scoring counts these)."""

    EARLY = "early", _("Early")
    ON_TIME = "on_time", _("On time")
    LATE = "late", _("Late")


class CalendarYear(models.Model):
    """A year whose official schedule is loaded (its days are the ``CalendarDay`` rows of that year).

    A year with a row counts exactly its declared days off and make-up working days on top of the
    weekends; a year without one falls back on the ``holidays`` package and counts as provisional.
    Provisional years are flagged to admins, on the leaders' dashboard and on appointment dates.
    """

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        PROVISIONAL = "provisional", _("Provisional")

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PROVISIONAL)
    source = models.CharField(_("source"), max_length=500, blank=True,
                              help_text=_("the government's notices the schedule comes from"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self):
        return f"{self.year} ({self.get_status_display()})"


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Day off")
        WORKING_DAY = "working_day", _("Working day (compensation)")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("reason"), max_length=200, help_text=_("e.g. the decision that moves the day"))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.get_kind_display()}"


class OfficeHours(models.Model):
    """When an agency's one-stop desk is open; an agency without a row keeps the default hours.

    The defaults are callables: Django's checks warn (fields.W161) about a fixed time default whenever they
    run within seconds of that time of day, which failed ``check --deploy`` at those moments."""

    agency = models.OneToOneField("organisation.Agency", verbose_name=_("agency"), on_delete=models.CASCADE,
                                  related_name="office_hours")
    morning_start = models.TimeField(_("morning starts"), default=partial(time, 7, 0))
    morning_end = models.TimeField(_("morning ends"), default=partial(time, 11, 30))
    afternoon_start = models.TimeField(_("afternoon starts"), default=partial(time, 13, 30))
    afternoon_end = models.TimeField(_("afternoon ends"), default=partial(time, 17, 0))
    # After this time a dossier of a same-day procedure whose law sets a cut-off (``SameDayCutoff``)
    # counts from the next working day.
    same_day_cutoff = models.TimeField(_("same-day result cut-off"), default=partial(time, 15, 0))

    class Meta:
        verbose_name = _("office hours")
        verbose_name_plural = _("office hours")

    def __str__(self):
        return f"{self.agency}: {self.morning_start:%H:%M}-{self.afternoon_end:%H:%M}"


class SameDayCutoff(models.Model):
    """A same-day procedure whose law says that a dossier received after the afternoon cut-off (the
    office's ``same_day_cutoff``, 15:00 by default) is handled the next working day. Procedures without
    one have no cut-off: received during office hours, due that same day."""

    procedure = models.OneToOneField("procedures.Procedure", verbose_name=_("procedure"), on_delete=models.CASCADE,
                                     related_name="+")
    legal_basis = models.CharField(_("legal basis"), max_length=300,
                                   help_text=_("the article that sets the cut-off"))

    class Meta:
        verbose_name = _("same-day cut-off")
        verbose_name_plural = _("same-day cut-offs")

    def __str__(self):
        return f"{self.procedure}: {self.legal_basis}"


class Timer(models.Model):
    """A BPMN timer event a dossier's process waits on, with the moment it is due.

    The beat task (``deadlines.tasks.fire_due_timers``) fires the due ones. A timer is marked fired in
    the transaction that advances the process, so a restart of beat or of a worker neither loses nor
    repeats it.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        FIRED = "fired", _("Fired")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), on_delete=models.CASCADE,
                                related_name="timers")
    task_id = models.CharField(_("BPMN task instance"), max_length=36)
    spec_id = models.CharField(_("BPMN element id"), max_length=200)
    name = models.CharField(_("name"), max_length=300, blank=True)
    # For a boundary timer: the human task it is attached to; empty for an intermediate catch event.
    attached_to = models.CharField(_("attached to (BPMN task instance)"), max_length=36, blank=True)
    interrupting = models.BooleanField(_("interrupting"), default=False)
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    fired_at = models.DateTimeField(_("fired at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("timer")
        verbose_name_plural = _("timers")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["state", "due_at"])]
        constraints = [models.UniqueConstraint(fields=["dossier", "task_id"], name="uniq_timer_task")]

    def __str__(self):
        return f"{self.dossier_id} {self.name or self.spec_id} @ {self.due_at:%d/%m/%Y %H:%M}"


class ClockStop(models.Model):
    """A span during which the dossier's clock stood still: the applicant was asked to supplement it."""

    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), on_delete=models.CASCADE,
                                related_name="clock_stops")
    work_item = models.ForeignKey("worklist.WorkItem", verbose_name=_("step"), on_delete=models.SET_NULL, null=True,
                                  blank=True,
                                  related_name="+")
    started_at = models.DateTimeField(_("stopped at"))
    ended_at = models.DateTimeField(_("restarted at"), null=True, blank=True)
    # Working days the appointment date moved by when the clock restarted.
    days = models.PositiveIntegerField(_("working days added"), default=0)

    class Meta:
        verbose_name = _("clock stop")
        verbose_name_plural = _("clock stops")
        ordering = ["started_at", "id"]

    def __str__(self):
        return f"{self.dossier_id} {self.started_at:%d/%m/%Y}: +{self.days}"


class Extension(models.Model):
    """The one extension of a dossier's appointment date (form 04 of Circular 03/2025: apology letter)."""

    dossier = models.OneToOneField("dossiers.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT,
                                   related_name="extension")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                     on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("organisation.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, null=True,
                               blank=True,
                               related_name="+")
    reason = models.TextField(_("reason"))
    previous_date = models.DateField(_("previous appointment date"))
    new_date = models.DateField(_("new appointment date"))
    # The apology letter (form 04) as issued, kept on the dossier for the applicant to download.
    letter = models.ForeignKey("dossiers.Attachment", verbose_name=_("letter (form 04)"), on_delete=models.PROTECT,
                               null=True, blank=True,
                               related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")

    def __str__(self):
        return f"{self.dossier_id}: {self.previous_date:%d/%m/%Y} -> {self.new_date:%d/%m/%Y}"


class Alert(models.Model):
    """A reminder (step due soon) or an escalation (step overdue) sent once for a work item."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        ESCALATION = "escalation", _("Escalation")

    work_item = models.ForeignKey("worklist.WorkItem", verbose_name=_("step"), on_delete=models.CASCADE,
                                  related_name="alerts")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    recipients = models.JSONField(_("recipients"), default=list)
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [models.UniqueConstraint(fields=["work_item", "kind"], name="uniq_alert_kind")]

    def __str__(self):
        return f"{self.work_item_id} {self.kind}"
