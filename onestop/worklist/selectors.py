"""Reads of task queues, shared by the API and the pages. No workflow is ever loaded here."""
from django.db.models import Q

from onestop.organisation.models import Membership

from .models import WorkItem


def queue_filter(user):
    """A Q matching the work items of the user's agencies and roles (nothing for non-officials)."""
    pairs = Membership.objects.filter(user=user).values_list("agency_id", "role")
    q = Q(pk__in=[])
    for agency_id, role in pairs:
        q |= Q(agency_id=agency_id, role=role)
    return q


def work_items_for(user):
    return (
        WorkItem.objects.filter(queue_filter(user))
        .select_related("dossier", "dossier__procedure", "agency", "claimed_by")
        .order_by("due_date", "created_at", "id")
    )


def can_work_on(user, item):
    return Membership.objects.filter(user=user, agency_id=item.agency_id, role=item.role).exists()
