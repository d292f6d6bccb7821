"""The dossier's audit trail. Every service that changes a dossier calls ``record``."""
from .models import DossierEvent


def record(dossier, action, *, actor=None, agency=None, from_status="", to_status=None, work_item=None,
           comment="", data=None):
    return DossierEvent.objects.create(
        dossier=dossier,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        agency=agency,
        from_status=from_status or "",
        to_status=dossier.status if to_status is None else to_status,
        work_item=work_item,
        comment=comment or "",
        data=data or {},
    )
