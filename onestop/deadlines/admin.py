from django.contrib import admin

from .models import CalendarDay, OfficeHours


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(OfficeHours)
class OfficeHoursAdmin(admin.ModelAdmin):
    list_display = ["agency", "morning_start", "morning_end", "afternoon_start", "afternoon_end", "same_day_cutoff"]
