"""The catalogue of administrative procedures (thủ tục hành chính) and their BPMN versions."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from onestop.organisation.models import Level


class Procedure(models.Model):
    class OnlineLevel(models.TextChoices):
        FULL = "full", _("Fully online")
        PARTIAL = "partial", _("Partly online")

    # The national code of the procedure, e.g. "1.001193" for birth registration.
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    field = models.CharField(_("field"), max_length=200, blank=True)
    field_en = models.CharField(_("English field"), max_length=200, blank=True)
    competent_level = models.CharField(_("competent agency level"), max_length=20, choices=Level.choices)
    # Where the citizen submits; the dossier then moves on by the BPMN lanes.
    receiving_level = models.CharField(_("receiving agency level"), max_length=20, choices=Level.choices)
    processing_days = models.PositiveSmallIntegerField(_("legal processing time (working days)"))
    fee = models.PositiveIntegerField(_("fee (VND)"), default=0)
    fee_note = models.CharField(_("fee note"), max_length=300, blank=True)
    fee_note_en = models.CharField(_("English fee note"), max_length=300, blank=True)
    online_level = models.CharField(_("online level"), max_length=10, choices=OnlineLevel.choices)
    # [{"name": ..., "name_en": ..., "originals": 1, "copies": 0}]; English texts: procedures/content.py
    documents = models.JSONField(_("required documents"), default=list, blank=True)
    # JSON Schema (draft 2020-12) of the applicant's form; its English texts in "x-en" keywords (docs/forms.md).
    form_schema = models.JSONField(_("applicant form"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.display_name}"

    def save(self, *args, **kwargs):
        # PostgreSQL's jsonb does not keep key order: remember the form's field order while we still know it.
        properties = (self.form_schema or {}).get("properties")
        if isinstance(properties, dict) and "ui:order" not in self.form_schema:
            self.form_schema["ui:order"] = list(properties)
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        """The name in the page's language: the English name on an English page when there is one."""
        if (get_language() or "vi").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class ProcedureVersion(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    bpmn_xml = models.TextField(_("BPMN XML"))
    checksum = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    process_id = models.CharField(_("process id"), max_length=200)
    dialect = models.CharField(_("dialect"), max_length=20)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    # The validation report of the upload: {"ok": bool, "entries": [{level, code, element_id, ...}]}.
    report = models.JSONField(_("validation report"), default=dict, blank=True)

    class Meta:
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="uniq_procedure_version"),
            models.UniqueConstraint(
                fields=["procedure"], condition=Q(state="published"), name="one_published_version"
            ),
        ]

    def __str__(self):
        return f"{self.procedure.code} v{self.number} ({self.get_state_display()})"

    @property
    def has_errors(self):
        return any(entry.get("level") == "error" for entry in self.report.get("entries", []))


class CatalogueEvent(models.Model):
    """Who uploaded, published, retired, discarded or migrated what, and when. Append-only."""

    # What people read for each action (the stored value stays the code).
    ACTIONS = {
        "created": _("procedure created"), "uploaded": _("uploaded"), "published": _("published"),
        "retired": _("retired"), "discarded": _("discarded"), "migrated": _("running dossiers moved to it"),
        "catalogue_changed": _("catalogue entry changed"),
        "imported_national": _("imported from the national catalogue"),
    }

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="events",
                                  verbose_name=_("procedure"))
    version_number = models.PositiveIntegerField(_("version"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              verbose_name=_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("catalogue event")
        verbose_name_plural = _("catalogue events")

    def __str__(self):
        return f"{self.procedure_id} v{self.version_number} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Catalogue events are append-only.")
        super().save(*args, **kwargs)

    def get_action_display(self):
        return self.ACTIONS.get(self.action, self.action)
