from django.contrib import admin

from .models import Exchange, Peer, Platform, RegisterBook, RestConnector


@admin.register(Peer)
class PeerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "base_url", "key_id", "platform", "max_attempts", "is_active"]


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "gateway_url", "consumer_code", "is_active"]


@admin.register(RestConnector)
class RestConnectorAdmin(admin.ModelAdmin):
    list_display = ["operator", "peer", "method", "path_template"]


@admin.register(Exchange)
class ExchangeAdmin(admin.ModelAdmin):
    list_display = ["id", "dossier", "operator", "state", "attempts", "http_status", "created_at", "finished_at"]
    list_filter = ["state", "operator"]
    readonly_fields = [f.name for f in Exchange._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the exchange log says who read whose data (the citizen's data tracker): kept


admin.site.register(RegisterBook)
