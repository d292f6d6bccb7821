"""Reads of exchanges, shared by the API and the pages: what each reader may see of them (``privacy``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from onestop.organisation.models import Citizen

from . import connectors, privacy

if TYPE_CHECKING:
    from onestop.dossiers.models import Dossier

    from .models import Exchange


def exchanges_seen(dossier: Dossier, *, as_applicant: bool) -> list[Exchange]:
    """The dossier's exchanges, oldest first, each with ``shown_result`` (what this reader may read of the
    answer) and ``about_applicant`` (whether the person looked up is the dossier's applicant)."""
    rows = list(dossier.exchanges.select_related("peer", "acting_user").order_by("created_at", "id"))
    if not rows:
        return rows
    applicant_id = Citizen.objects.filter(user_id=dossier.applicant_id).values_list("id_number", flat=True).first()
    operators = {}
    for row in rows:
        if row.operator not in operators:
            operators[row.operator] = connectors.get_operator(row.operator)
        operator = operators[row.operator]
        row.about_applicant = privacy.is_about(operator, row, applicant_id)
        row.shown_result = privacy.for_applicant(operator, row, applicant_id) if as_applicant else row.result
    return rows
