"""Admin pages for the records the product writes itself (timers, exchanges, notifications, incidents...).

Staff look at them to see what happened; nobody adds one by hand, and nobody edits one: every field is read-only.
"""
from django.contrib import admin


class RecordAdmin(admin.ModelAdmin):
    """A record the product writes: shown, never added, every field read-only (deleting stays allowed)."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


class KeptRecordAdmin(RecordAdmin):
    """A record that is also evidence (who read whose data, what was sent, why a date moved): never deleted."""

    def has_delete_permission(self, request, obj=None):
        return False
