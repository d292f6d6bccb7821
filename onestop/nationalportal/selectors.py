"""Reads of the outbox shared by the API and the staff page."""
from django.db.models import Count, QuerySet

from .models import OutboxMessage


def outbox(state: str | None = None, dossier_code: str | None = None) -> QuerySet:
    messages = OutboxMessage.objects.select_related("dossier").defer("payload", "answer")
    if state:
        messages = messages.filter(state=state)
    if dossier_code:
        messages = messages.filter(dossier__code=dossier_code)
    return messages.order_by("-created_at", "-id")


def outbox_counts() -> dict:
    counts = dict(OutboxMessage.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    return {state: counts.get(state, 0) for state in OutboxMessage.State.values}
