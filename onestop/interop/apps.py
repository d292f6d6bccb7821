from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "onestop.interop"
    label = "interop"
    verbose_name = _("Exchanges with other systems")
