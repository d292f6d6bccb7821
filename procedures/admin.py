from django.contrib import admin

from .models import Procedure, ProcedureVersion


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    extra = 0
    fields = ["number", "state", "process_id", "dialect", "checksum", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "field", "competent_level", "processing_days", "online_level", "is_active"]
    list_filter = ["competent_level", "online_level", "is_active"]
    search_fields = ["code", "name", "name_en"]
    inlines = [VersionInline]
