"""Reads of task queues, shared by the API and the pages. No workflow is ever loaded here."""
from onestop.organisation import access

from .models import WorkItem


def work_items_for(user):
    return (
        WorkItem.objects.filter(access.queue_filter(user))
        .select_related("dossier", "dossier__procedure", "agency", "claimed_by")
        .order_by("due_date", "created_at", "id")
    )


def can_work_on(user, item):
    """Whether ``user`` may claim and complete ``item`` (the rule is ``access.may_act_on``)."""
    return access.may_act_on(item, user)


def officials_for(item):
    """Who may be given this item: the officials holding its role in its agency."""
    return access.officials_holding(item.agency_id, item.role).order_by("first_name", "last_name", "username")
