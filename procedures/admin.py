from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from onestop.core.admin import FoldedSearchMixin

from .models import CatalogueEvent, Procedure, ProcedureVersion
from .selectors import published_version, unroutable_agencies


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    extra = 0
    fields = ["number", "state", "process_id", "dialect", "uploaded_by", "uploaded_at", "page"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("report and diagram"))
    def page(self, obj):
        url = reverse("catalogue-version", kwargs={"code": obj.procedure.code, "number": obj.number})
        return format_html('<a href="{}">{}</a>', url, _("open"))


@admin.register(Procedure)
class ProcedureAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["code", "name", "field", "competent_level", "processing_days", "online_level", "is_active",
                    "upload"]
    list_filter = ["competent_level", "online_level", "is_active"]
    search_fields = ["code", "name", "name_en"]
    folded_search_fields = ("name", "name_en", "field")
    inlines = [VersionInline]
    readonly_fields = ["routing_check"]

    @admin.display(description=_("routing check of the published version"))
    def routing_check(self, obj):
        """Agencies the published version cannot be routed from, as the agency tree stands now."""
        version = published_version(obj) if obj.pk else None
        if version is None:
            return "—"
        return render_to_string("procedures/routing.html", {"unroutable": unroutable_agencies(version)})

    @admin.display(description=_("BPMN"))
    def upload(self, obj):
        return format_html('<a href="{}?code={}">{}</a>', reverse("catalogue-upload"), obj.code, _("upload"))


@admin.register(CatalogueEvent)
class CatalogueEventAdmin(admin.ModelAdmin):
    list_display = ["at", "procedure", "version_number", "action_label", "actor"]
    list_filter = ["action"]
    readonly_fields = ["procedure", "version_number", "action_label", "actor", "at", "data"]
    exclude = ["action"]

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, event):
        return event.get_action_display()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # append-only: saving one raised TypeError (a 500)

    def has_delete_permission(self, request, obj=None):
        return False
