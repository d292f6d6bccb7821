"""Admin pages for the records the product writes itself (timers, exchanges, notifications, incidents...).

Staff look at them to see what happened; nobody adds one by hand, and nobody edits one: every field is read-only.
"""
from django.contrib import admin

from .text import fold


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


class FoldedSearchMixin:
    """The admin's search box finds names as the officials' queue does: marks and case ignored ("ben nghe" finds
    "Bến Nghé"), every word anywhere in the fields of ``folded_search_fields``, besides Django's own search.

    The folded comparison runs in Python over those fields of every row: for the catalogue's and the agency tree's
    tables (thousands of rows), not for tables that grow with dossiers, which search an indexed folded column.
    """

    folded_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        words = fold(search_term).split()
        if not words or not self.folded_search_fields:
            return results, may_have_duplicates
        matched = [pk for pk, *texts in queryset.values_list("pk", *self.folded_search_fields)
                   if all(word in fold(" ".join(t or "" for t in texts)) for word in words)]
        return results | queryset.filter(pk__in=matched), may_have_duplicates
