"""Work items: the human steps of dossiers, materialised so that queues never load a workflow."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onestop.deadlines.models import Timeliness


class WorkItem(models.Model):
    class Kind(models.TextChoices):
        RECEPTION = "reception", _("Reception at the one-stop desk")
        TASK = "task", _("Processing step")
        APPLICANT = "applicant", _("Asked of the applicant")
        RETURN = "return", _("Return of the result")

    class State(models.TextChoices):
        OPEN = "open", _("Waiting to be claimed")
        CLAIMED = "claimed", _("Claimed")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE_STATES = (State.OPEN, State.CLAIMED)

    # No index of their own for these two keys: (dossier, state) and workitem_queue start with them.
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="work_items",
                                db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Null only for steps asked of the applicant.
    agency = models.ForeignKey(
        "organisation.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="work_items",
        db_index=False,
    )
    role = models.CharField(_("official role"), max_length=20, blank=True)
    task_id = models.CharField(_("BPMN task instance"), max_length=36, blank=True)
    task_spec_id = models.CharField(_("BPMN element id"), max_length=200, blank=True)
    name = models.CharField(_("name"), max_length=300)
    lane = models.CharField(max_length=200, blank=True)
    form = models.JSONField(default=list, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    # Set for a budget in hours: the step is late after this moment (a budget in days: after due_date).
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=60, blank=True)
    timeliness = models.CharField(_("timeliness"), max_length=10, choices=Timeliness.choices, blank=True)
    comment = models.TextField(blank=True)
    # What the official entered in the step's form (decision apart), kept with the step: the dossier's case file,
    # read by later steps, the leader who signs and, for fields the procedure marks public, the applicant.
    data = models.JSONField(_("data entered"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Copies of the dossier's code and procedure (neither ever changes): a queue filters and sorts on them with
    # an index of its own, instead of joining its whole history to the dossiers first (bench/README.md).
    dossier_code = models.CharField(max_length=60, blank=True, editable=False)
    procedure_code = models.CharField(max_length=30, blank=True, editable=False)

    class Meta:
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        ordering = ["due_date", "created_at", "id"]
        # Sizes and plans: bench/README.md ("The queue: its indexes and its search"). A step is written once open
        # and rewritten when claimed and completed (never a HOT update: its state is indexed), so every index
        # costs an entry per version.
        indexes = [
            # The active tabs (to claim, mine, due soon, overdue) in due order, and their counts from the index
            # alone (kind and claimer included). Active steps only: a few hundred per queue, whatever its history.
            models.Index(fields=["agency", "role", "state", "due_date", "id"], include=["kind", "claimed_by"],
                         condition=Q(state__in=["open", "claimed"]), name="workitem_queue"),
            # The history ("all" tab, API filters): sorted by due date or by reception, a page at a time, and
            # counted from the index alone (state included). No id in these keys: equal keys share one index
            # entry (B-tree deduplication); the id order among equal keys is an incremental sort of a few rows.
            models.Index(fields=["agency", "role", "due_date", "state"], name="workitem_queue_due"),
            models.Index(fields=["agency", "role", "created_at"], name="workitem_queue_created"),
            models.Index(fields=["agency", "role", "dossier_code"], name="workitem_queue_code"),
            models.Index(fields=["agency", "role", "procedure_code", "due_date"], name="workitem_queue_procedure"),
            models.Index(fields=["dossier", "state"]),
            # No index of the active steps by due date for reminders and escalations (deadlines.escalations): they
            # read workitem_queue, all agencies (a few MB); such an index made PostgreSQL walk every active step
            # of the city in due order to find one queue's page.
        ]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "task_id"], condition=~Q(task_id=""), name="uniq_task_item")
        ]

    def __str__(self):
        return f"{self.name} ({self.get_state_display()})"

    @property
    def is_active(self):
        return self.state in self.ACTIVE_STATES
