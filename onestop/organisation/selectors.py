"""Read paths over people and agencies that several pages share."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from onestop.core.text import fold

from .models import Citizen


def citizens_named(q: str) -> QuerySet:
    """The user ids of the citizens whose name holds every word of ``q``, marks and case ignored ("nguyen van"
    finds "Nguyễn Văn An"; "anh" finds "Ánh"), as a subquery (``Citizen.search_name``, trigram-indexed)."""
    citizens = Citizen.objects.all()
    for word in fold(q).split():
        citizens = citizens.filter(search_name__contains=word)
    return citizens.values("user_id")


def dossier_search(q: str, prefix: str = "") -> Q:
    """Dossiers (reached through ``prefix``, e.g. ``"dossier__"``) matching what an official typed: any fragment
    of a dossier code when it holds a digit (names have none), else the applicant's name without marks or case.
    Both are served by trigram indexes (``dossier_code_trgm``, ``citizen_search_name_trgm``)."""
    q = (q or "").strip()
    if any(c.isdigit() for c in q):
        return Q(**{f"{prefix}code__icontains": q})
    return Q(**{f"{prefix}applicant_id__in": citizens_named(q)})
