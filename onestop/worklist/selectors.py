"""Reads of task queues, shared by the API and the pages. No workflow is ever loaded here."""
from django.db.models import Q

from onestop.organisation.models import Membership, OfficialRole

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


def workspace_filter(user):
    """Like ``queue_filter``, but a leader sees every item of the agencies they lead, whatever its role."""
    q = Q(pk__in=[])
    for agency_id, role in Membership.objects.filter(user=user).values_list("agency_id", "role"):
        q |= Q(agency_id=agency_id) if role == OfficialRole.LEADER else Q(agency_id=agency_id, role=role)
    return q


def leads(user, agency_id):
    return Membership.objects.filter(user=user, agency_id=agency_id, role=OfficialRole.LEADER).exists()


def can_see(user, item):
    """Officials see the items of their (agency, role) pairs; leaders every item of their agency."""
    return item.agency_id is not None and (can_work_on(user, item) or leads(user, item.agency_id))


def officials_for(item):
    """Who may be given this item: the officials holding its role in its agency."""
    from django.contrib.auth import get_user_model

    return (get_user_model().objects.filter(memberships__agency_id=item.agency_id, memberships__role=item.role)
            .distinct().order_by("first_name", "last_name", "username"))
