"""The connector registry: the only code that does the work of a service task.

An operator is a function ``(params, exchange) -> dict``; the dict is merged into the process data.
Connectors to other agencies' systems (signed HTTP calls) come with the X-interconnection issue;
the operator here works on the agency's own register.
"""
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import RegisterBook


class ConnectorError(Exception):
    """The operator could not do its work (unknown operator, bad parameters, peer failure)."""


def register_birth(params, exchange):
    """Enter the birth in the receiving agency's birth register: the next number of the year."""
    if not params.get("child_full_name"):
        raise ConnectorError(_("The child's name is missing."))
    agency = exchange.dossier.receiving_agency
    year = timezone.localdate().year
    with transaction.atomic():
        book, _created = RegisterBook.objects.select_for_update().get_or_create(
            agency=agency, book="birth", year=year
        )
        book.last += 1
        book.save(update_fields=["last"])
    return {"register_number": f"{book.last}/{year}", "register_book": f"Sổ đăng ký khai sinh {year}"}


OPERATORS = {
    "civil_status.register_birth": register_birth,
}


def call(operator, params, exchange):
    try:
        function = OPERATORS[operator]
    except KeyError:
        raise ConnectorError(_("No connector is registered for operator “%(op)s”.") % {"op": operator}) from None
    return function(params, exchange)
