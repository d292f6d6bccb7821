"""Dossier codes in the prescribed shape ``<agency identifier>-YYMMDD-NNNN``."""
from .models import DailySequence


def issue_code(agency, day):
    """The next code of ``agency`` for ``day``; unique under concurrent submissions.

    The daily sequence row stays locked until the caller's transaction ends, so two submissions
    to one agency on one day take numbers one after the other, and a rolled-back submission
    gives its number back.
    """
    sequence, _created = DailySequence.objects.select_for_update().get_or_create(agency=agency, day=day)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{agency.identifier}-{day:%y%m%d}-{sequence.last:04d}"
