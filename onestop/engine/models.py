from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcessInstance(models.Model):
    """One running BPMN process: its serialized SpiffWorkflow state, on the version it started with."""

    version = models.ForeignKey("procedures.ProcedureVersion", on_delete=models.PROTECT, related_name="instances",
                                verbose_name=_("procedure version"))
    state = models.TextField(_("serialized workflow"))
    serializer_version = models.CharField(_("workflow library format"), max_length=20)
    is_completed = models.BooleanField(_("ended"), default=False)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("process instance")
        verbose_name_plural = _("process instances")

    def __str__(self):
        return f"{self.version} #{self.pk}"
