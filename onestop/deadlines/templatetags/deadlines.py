"""Template filters of the working calendar."""
from django import template

from onestop.deadlines import schedule

register = template.Library()


@register.filter
def provisional_year(day) -> bool:
    """Whether ``day`` (an appointment date) falls in a year whose working calendar is still provisional."""
    return schedule.is_provisional(day)
