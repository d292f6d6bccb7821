"""Reads of task queues, shared by the API and the pages. No workflow is ever loaded here."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from onestop.organisation import access

from .models import WorkItem

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def work_items_for(user: User) -> QuerySet[WorkItem]:
    return (
        WorkItem.objects.filter(access.queue_filter(user))
        .select_related("dossier", "dossier__procedure", "agency", "claimed_by")
        .order_by("due_date", "created_at", "id")
    )


def can_work_on(user: User, item: WorkItem) -> bool:
    """Whether ``user`` may claim and complete ``item`` (the rule is ``access.may_act_on``)."""
    return access.may_act_on(item, user)


def officials_for(item: WorkItem) -> QuerySet[User]:
    """Who may be given this item: the officials holding its role in its agency."""
    return access.officials_holding(item.agency_id, item.role).order_by("first_name", "last_name", "username")
