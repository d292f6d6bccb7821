from django.contrib import admin

from .models import ProcessInstance


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(admin.ModelAdmin):
    list_display = ["id", "version", "is_completed", "outcome", "updated_at"]
    readonly_fields = ["version", "state", "serializer_version", "is_completed", "outcome"]

    # Read-only: a workflow state is written by the engine alone (adding one from the form was a 500, and
    # deleting one would strand its dossier).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
