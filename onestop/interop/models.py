"""Exchanges: one row per service task a process reached, done in the background by a Celery task."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Exchange(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="exchanges")
    task_id = models.CharField(max_length=36)
    task_name = models.CharField(max_length=300)
    lane = models.CharField(max_length=200, blank=True)
    operator = models.CharField(max_length=100)
    params = models.JSONField(default=dict)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Kept as soon as the connector answers, so that a repeated delivery resumes without calling again.
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("exchange")
        verbose_name_plural = _("exchanges")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["dossier", "task_id"], name="uniq_exchange_task")]

    def __str__(self):
        return f"{self.operator} for {self.dossier_id} ({self.state})"


class RegisterBook(models.Model):
    """A register an agency keeps locally (e.g. the birth register), numbered per year."""

    agency = models.ForeignKey("organisation.Agency", on_delete=models.PROTECT)
    book = models.CharField(max_length=60)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "book", "year"], name="uniq_register_book")]

    def __str__(self):
        return f"{self.book} {self.year} of {self.agency_id}: {self.last}"
