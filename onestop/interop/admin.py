from django.contrib import admin

from onestop.core.admin import KeptRecordAdmin

from .models import Exchange, Peer, PersonalDataRead, Platform, RegisterBook, RestConnector


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
class ExchangeAdmin(KeptRecordAdmin):
    """Kept: the exchange log says who read whose data (the citizen's data tracker)."""

    list_display = ["id", "dossier", "operator", "state", "attempts", "http_status", "created_at", "finished_at"]
    list_filter = ["state", "operator"]


@admin.register(PersonalDataRead)
class PersonalDataReadAdmin(KeptRecordAdmin):
    """The access log of personal data (Decree 13/2023/NĐ-CP): who read whose record, for what; kept."""

    list_display = ["read_at", "subject_id_number", "operator", "dossier", "step", "agency", "actor"]
    list_filter = ["operator"]
    search_fields = ["subject_id_number", "dossier__code"]


admin.site.register(RegisterBook)
