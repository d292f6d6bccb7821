from django.contrib import admin

from onestop.core.admin import FoldedSearchMixin
from onestop.core.text import fold

from .models import Agency, Citizen, Membership, RoutingRole


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "national_id", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name", "name_en", "national_id"]
    folded_search_fields = ("name", "name_en")
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]


@admin.register(RoutingRole)
class RoutingRoleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "strategy", "levels", "agency"]


@admin.register(Citizen)
class CitizenAdmin(admin.ModelAdmin):
    list_display = ["full_name", "id_number", "user"]
    search_fields = ["search_name", "id_number"]

    def get_search_results(self, request, queryset, search_term):
        # The names are searched folded, like the queue's search: "nguyen van" finds "Nguyễn Văn An".
        return super().get_search_results(request, queryset, fold(search_term))
