from django.contrib import admin

from .models import ProcessInstance


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(admin.ModelAdmin):
    list_display = ["id", "version", "is_completed", "outcome", "updated_at"]
    readonly_fields = ["version", "state", "serializer_version", "is_completed", "outcome"]
