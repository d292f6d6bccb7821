from django.contrib import admin

from .models import Alert, CalendarDay, ClockStop, Extension, OfficeHours, Timer


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(OfficeHours)
class OfficeHoursAdmin(admin.ModelAdmin):
    list_display = ["agency", "morning_start", "morning_end", "afternoon_start", "afternoon_end", "same_day_cutoff"]


@admin.register(Timer)
class TimerAdmin(admin.ModelAdmin):
    """Read-only: timers are written by the process; an admin looks at why one failed."""

    list_display = ["dossier", "name", "spec_id", "interrupting", "due_at", "state", "fired_at"]
    list_filter = ["state", "interrupting"]
    search_fields = ["dossier__code", "spec_id", "name"]
    readonly_fields = [f.name for f in Timer._meta.fields]
    date_hierarchy = "due_at"

    def has_add_permission(self, request):
        return False


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ["dossier", "previous_date", "new_date", "requested_by", "agency", "created_at"]
    search_fields = ["dossier__code"]
    readonly_fields = [f.name for f in Extension._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClockStop)
class ClockStopAdmin(admin.ModelAdmin):
    list_display = ["dossier", "started_at", "ended_at", "days"]
    search_fields = ["dossier__code"]
    readonly_fields = [f.name for f in ClockStop._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["work_item", "kind", "recipients", "sent_at"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in Alert._meta.fields]

    def has_add_permission(self, request):
        return False
