"""Small display helpers of the portal's pages."""
from django import template
from django.utils.translation import get_language

register = template.Library()

BADGES = {"returned": "ok", "result_ready": "ok", "supplement_requested": "warn", "refused": "bad"}


@register.filter
def vnd(amount):
    """100000 -> "100.000 ₫" (Vietnamese thousands separator)."""
    try:
        return f"{int(amount):,} ₫".replace(",", ".")
    except (TypeError, ValueError):
        return amount


@register.filter
def status_badge(status):
    """The badge class of a dossier status: ok, warn, bad or none."""
    return BADGES.get(status, "")


@register.filter
def localized(obj, attr):
    """``obj.<attr>_en`` when the page is in English and it is filled in, else ``obj.<attr>`` (Vietnamese)."""
    if (get_language() or "vi").startswith("en"):
        english = getattr(obj, f"{attr}_en", "")
        if english:
            return english
    return getattr(obj, attr, "")


@register.filter
def vietnamese_only(procedure) -> bool:
    """Whether, on an English page, part of the procedure's own content (its form, documents, fee note) has
    no English text and so stays Vietnamese: the page then says so once instead of mixing silently."""
    if not (get_language() or "vi").startswith("en"):
        return False
    documents = procedure.documents or []
    return (not procedure.name_en or bool(procedure.fee_note) or bool((procedure.form_schema or {}).get("properties"))
            or any(not (d or {}).get("name_en") for d in documents))
