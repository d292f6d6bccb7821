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
