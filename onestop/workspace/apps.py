from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The pages of officials: the one-stop desk, the task queue and the dossier workspace."""

    name = "onestop.workspace"
    label = "workspace"
    verbose_name = _("Officials' workspace")
