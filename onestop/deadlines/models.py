"""The working-day calendar an admin keeps on top of the public holidays of the ``holidays`` package:
days the government gives off and Saturdays it makes working days (compensation), and office hours."""
from datetime import time

from django.db import models
from django.utils.translation import gettext_lazy as _


class Timeliness(models.TextChoices):
    """How a step or a dossier ended against its deadline (the national scoring counts these)."""

    EARLY = "early", _("Early")
    ON_TIME = "on_time", _("On time")
    LATE = "late", _("Late")


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
    """When an agency's one-stop desk is open; an agency without a row keeps the default hours."""

    agency = models.OneToOneField("organisation.Agency", on_delete=models.CASCADE, related_name="office_hours")
    morning_start = models.TimeField(default=time(7, 0))
    morning_end = models.TimeField(default=time(11, 30))
    afternoon_start = models.TimeField(default=time(13, 30))
    afternoon_end = models.TimeField(default=time(17, 0))
    # After this time a dossier of a same-day procedure counts from the next working day.
    same_day_cutoff = models.TimeField(default=time(15, 0))

    class Meta:
        verbose_name = _("office hours")
        verbose_name_plural = _("office hours")

    def __str__(self):
        return f"{self.agency}: {self.morning_start:%H:%M}-{self.afternoon_end:%H:%M}"
