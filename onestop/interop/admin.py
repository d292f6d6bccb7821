from django.contrib import admin

from .models import Exchange, RegisterBook


@admin.register(Exchange)
class ExchangeAdmin(admin.ModelAdmin):
    list_display = ["id", "dossier", "operator", "state", "attempts", "created_at", "finished_at"]
    list_filter = ["state", "operator"]
    readonly_fields = [f.name for f in Exchange._meta.fields]


admin.site.register(RegisterBook)
