"""``{{ text|one_language }}``: the active language's half of a "Tiếng Việt / English" label.

Work items and audit entries keep the step and decision names the BPMN gives ("Đồng ý / Approve"); pages
translate them when shown, through ``onestop.core.text.bilingual``.
"""
from django import template

from onestop.core.text import bilingual, readable_error

register = template.Library()


@register.filter
def one_language(text: str | None) -> str:
    return bilingual(text)


@register.filter
def readable(text: str | None) -> str:
    """An incident's message: a failed exchange's technical error worded for people, in the page's language."""
    return readable_error(text)
