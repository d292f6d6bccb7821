from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onestop.core.admin import KeptRecordAdmin, RecordAdmin

from . import schedule
from .models import Alert, CalendarDay, CalendarYear, ClockStop, Extension, OfficeHours, SameDayCutoff, Timer


class LoadYearForm(forms.Form):
    file = forms.FileField(label=_("schedule file (JSON or CSV)"))
    status = forms.ChoiceField(label=_("status"), choices=[("", _("as the file says"))] + CalendarYear.Status.choices,
                               required=False)
    source = forms.CharField(label=_("source"), max_length=500, required=False)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """The years whose official schedule is loaded; "Load a year" reads a JSON or CSV file."""

    list_display = ["year", "status", "source", "updated_at"]
    list_filter = ["status"]
    change_list_template = "admin/deadlines/calendaryear/change_list.html"

    def get_urls(self):
        return [path("load/", self.admin_site.admin_view(self.load_view), name="deadlines_calendaryear_load"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        for warning in schedule.warnings(timezone.localdate()):
            messages.warning(request, warning)
        return super().changelist_view(request, extra_context)

    def load_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return redirect("admin:deadlines_calendaryear_changelist")
        form = LoadYearForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                parsed = schedule.parse(upload.read(), upload.name, status=form.cleaned_data["status"],
                                        source=form.cleaned_data["source"])
            except schedule.ScheduleError as error:
                form.add_error("file", str(error))
            else:
                row = schedule.load(parsed)
                messages.success(request, _("%(year)s loaded: %(off)s days off, %(working)s make-up working days "
                                            "(%(status)s).") % {"year": row.year, "off": len(parsed.days_off),
                                                                "working": len(parsed.working),
                                                                "status": row.get_status_display()})
                return redirect("admin:deadlines_calendaryear_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": _("Load a year's working calendar")}
        return TemplateResponse(request, "admin/deadlines/calendaryear/load.html", context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        schedule.forget()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        schedule.forget()


@admin.register(SameDayCutoff)
class SameDayCutoffAdmin(admin.ModelAdmin):
    list_display = ["procedure", "legal_basis"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(OfficeHours)
class OfficeHoursAdmin(admin.ModelAdmin):
    list_display = ["agency", "morning_start", "morning_end", "afternoon_start", "afternoon_end", "same_day_cutoff"]


@admin.register(Timer)
class TimerAdmin(RecordAdmin):
    """Read-only: timers are written by the process; an admin looks at why one failed."""

    list_display = ["dossier", "name", "spec_id", "interrupting", "due_at", "state", "fired_at"]
    list_filter = ["state", "interrupting"]
    search_fields = ["dossier__code", "spec_id", "name"]
    date_hierarchy = "due_at"


@admin.register(Extension)
class ExtensionAdmin(KeptRecordAdmin):
    list_display = ["dossier", "previous_date", "new_date", "requested_by", "agency", "created_at"]
    search_fields = ["dossier__code"]


@admin.register(ClockStop)
class ClockStopAdmin(RecordAdmin):
    list_display = ["dossier", "started_at", "ended_at", "days"]
    search_fields = ["dossier__code"]


@admin.register(Alert)
class AlertAdmin(RecordAdmin):
    list_display = ["work_item", "kind", "recipients", "sent_at"]
    list_filter = ["kind"]
