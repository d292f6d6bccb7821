from django.contrib import admin

from onestop.core.admin import RecordAdmin
from onestop.organisation.selectors import dossier_search

from .models import Dossier, DossierEvent, Handover, Incident


class EventInline(admin.TabularInline):
    model = DossierEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "actor", "agency", "from_status", "to_status", "comment"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class HandoverInline(admin.TabularInline):
    model = Handover
    extra = 0
    can_delete = False
    fields = ["handed_at", "from_agency", "to_agency", "given_by", "received_by", "result"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dossier)
class DossierAdmin(RecordAdmin):
    list_display = ["code", "procedure", "status", "receiving_agency", "submitted_at", "appointment_date"]
    list_filter = ["status", "procedure"]
    search_fields = ["code"]
    inlines = [HandoverInline, EventInline]

    def get_search_results(self, request, queryset, search_term):
        # As the queues search: any fragment of a code, or the applicant's name without marks or case.
        if not search_term.strip():
            return queryset, False
        return queryset.filter(dossier_search(search_term)), False


@admin.register(Incident)
class IncidentAdmin(RecordAdmin):
    list_display = ["created_at", "dossier", "kind", "element_name", "resolved_at", "resolution"]
    list_filter = ["kind", "resolution"]
