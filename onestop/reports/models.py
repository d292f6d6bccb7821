"""A cache of the figures of ended months, so that a year's dashboard sums a few thousand rows instead of
aggregating hundreds of thousands of dossiers (bench/README.md, "Reports").

``MonthlyFigures`` holds, per month, agency, procedure and channel, what ``selectors.cells`` computes from
the dossiers: received in that month, resolved in it (by timeliness), their processing time and ratings.
Ended months are cached whole, the current month up to yesterday; today, partial months at the edges of
a period and pending dossiers are always read live. A month is filled the first time a report needs it
(or by the ``refresh_monthly_figures`` task), and marked stale (``services.invalidate``) when a change to
a dossier touches a day it counts; a new rating is added to its cell in place (``services.add_rating``).
"""
from django.db import models


class CachedMonth(models.Model):
    """A month's figures are usable when computed after the last change that touched the month."""

    month = models.DateField(unique=True)  # the first day
    through = models.DateField(null=True)  # the last day counted: the month's end, or yesterday
    computed_at = models.DateTimeField(null=True)  # when the computation that is stored began
    invalidated_at = models.DateTimeField(null=True)  # after the commit of the last change to the month

    def __str__(self):
        return f"{self.month:%m/%Y}"

    @property
    def is_fresh(self):
        return self.computed_at is not None and (self.invalidated_at is None or self.invalidated_at < self.computed_at)


class MonthlyFigures(models.Model):
    month = models.DateField()
    agency = models.ForeignKey("organisation.Agency", on_delete=models.CASCADE, related_name="+")
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10)
    received = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    early = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    extended = models.PositiveIntegerField(default=0)  # of the resolved: appointment date extended (form 04)
    duration = models.FloatField(default=0)  # seconds from reception to resolution, summed
    working_days = models.PositiveIntegerField(default=0)  # working days from reception to resolution, summed
    received_digitised = models.PositiveIntegerField(default=0)  # of the received: with the dossier's files
    results = models.PositiveIntegerField(default=0)  # of the resolved: with a result (not refused)
    results_digitised = models.PositiveIntegerField(default=0)  # of those: with the result's file
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    rating_satisfied = models.PositiveIntegerField(default=0)  # ratings of 4 or 5

    class Meta:
        indexes = [models.Index(fields=["month", "agency"])]
        constraints = [models.UniqueConstraint(fields=["month", "agency", "procedure", "channel"],
                                               name="uniq_monthly_figures")]

    def __str__(self):
        return f"{self.month:%m/%Y} {self.agency_id} {self.procedure_id} {self.channel}"
