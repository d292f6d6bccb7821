"""Data minimisation for exchanges (Decree 13/2023/NĐ-CP on personal data protection).

An operator declares whose record its answer is (``Operator.subject_param`` or ``subject_field``: where that
person's ID number is) and which answer fields are personal data about them (``personal_fields``; ``None``:
all of them). From that:

- the officials of the agencies holding the dossier, and admins, read the whole answer (their step needs it);
- the dossier's applicant reads the fields that are not personal, and the personal ones only when the person
  looked up is the applicant (the subject's ID number is the applicant's own): never another person's record;
- every answer carrying personal fields is logged as a ``PersonalDataRead`` of that person (whose ID number,
  which dossier, step and agency, by whom, which fields), which the person sees in their data tracker.

``found``, a lookup's verdict (a record exists or not), is never counted as personal data.
"""
from onestop.organisation import routing

from . import connectors
from .models import PersonalDataRead

VERDICT = "found"


def subject_of(operator, exchange) -> str:
    """The ID number of the person ``exchange``'s answer is about, or "" when it is about nobody known."""
    if operator is None:
        return ""
    value = None
    if operator.subject_param:
        value = (exchange.params or {}).get(operator.subject_param)
    elif operator.subject_field and isinstance(exchange.result, dict):
        value = exchange.result.get(operator.subject_field)
    return value if isinstance(value, str) else ""


def personal_fields(operator, result) -> list[str]:
    """The fields of ``result`` that are personal data (every field but the verdict, for an unknown operator)."""
    if not isinstance(result, dict):
        return []
    declared = operator.personal_fields if operator is not None else None
    if declared is None:
        return [key for key in result if key != VERDICT]
    return [key for key in result if key in declared]


def is_about(operator, exchange, id_number) -> bool:
    """Whether ``exchange``'s answer is about the person with ``id_number``."""
    return bool(id_number) and subject_of(operator, exchange) == id_number


def for_applicant(operator, exchange, applicant_id_number):
    """What the dossier's applicant may read of ``exchange``'s answer."""
    result = exchange.result
    if result is None or is_about(operator, exchange, applicant_id_number):
        return result
    if not isinstance(result, dict):
        return None
    hidden = set(personal_fields(operator, result))
    return {key: value for key, value in result.items() if key not in hidden}


def acting_agency(exchange):
    """The agency on whose behalf the exchange asked: its lane's, else the desk that received the dossier."""
    receiving = exchange.dossier.receiving_agency
    try:
        return routing.resolve_agency(routing.role_code_of_lane(exchange.lane), receiving)
    except routing.RoutingError:
        return receiving


def record_read(exchange):
    """Log the read of a person's data by ``exchange``'s answer, when it holds any. Returns the log row."""
    operator = connectors.get_operator(exchange.operator)
    subject = subject_of(operator, exchange)
    fields = personal_fields(operator, exchange.result)
    if not subject or not fields:
        return None
    return PersonalDataRead.objects.create(
        subject_id_number=subject[:12], exchange=exchange, dossier_id=exchange.dossier_id, step=exchange.task_name,
        agency=acting_agency(exchange), actor_id=exchange.acting_user_id, operator=exchange.operator,
        peer_id=exchange.peer_id, fields=fields,
    )
