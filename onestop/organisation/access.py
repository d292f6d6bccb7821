"""Who may see and do what: every rule that reads an official's memberships lives here.

An official holds roles (receiver, specialist, leader) inside agencies; a user without a membership is a
citizen. The API, the pages and the services ask these functions rather than query ``Membership`` rows
themselves, so a rule is written once and the permission matrix test guards it in one place.

Functions that return a query (``agency_ids_of``, ``agencies_of``, ``officials_holding``) are lazy: used
inside another filter they become a subquery and cost no query of their own.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Agency, Membership, OfficialRole

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


class Assignable(Protocol):
    """What a rule needs of a step of work: the agency whose queue holds it and the role that does it."""

    agency_id: int | None
    role: str


def _memberships(user: User, role: str | Iterable[str] | None = None) -> QuerySet[Membership]:
    qs = Membership.objects.filter(user=user)
    if role is None:
        return qs
    if isinstance(role, str):
        return qs.filter(role=role)
    return qs.filter(role__in=list(role))


# --- what a user is -----------------------------------------------------------------------------------

def is_official(user: User) -> bool:
    """Whether ``user`` holds any role in any agency (a citizen holds none)."""
    return _memberships(user).exists()


def is_receiver(user: User, agency_id: int | None = None) -> bool:
    """Whether ``user`` works at the one-stop desk of ``agency_id`` (of any agency when it is ``None``)."""
    qs = _memberships(user, OfficialRole.RECEIVER)
    return (qs if agency_id is None else qs.filter(agency_id=agency_id)).exists()


def is_receiver_at(user: User, agency_code: str) -> bool:
    """Like ``is_receiver``, for an agency named by its code."""
    return _memberships(user, OfficialRole.RECEIVER).filter(agency__code=agency_code).exists()


def is_leader_of(user: User, agency_id: int | None) -> bool:
    """Whether ``user`` leads the agency ``agency_id``."""
    return _memberships(user, OfficialRole.LEADER).filter(agency_id=agency_id).exists()


def holds_role(user: User, agency_id: int | None, role: str) -> bool:
    """Whether ``user`` holds ``role`` in the agency ``agency_id``."""
    return _memberships(user, role).filter(agency_id=agency_id).exists()


def roles_of(user: User) -> set[str]:
    """The roles ``user`` holds in any agency (empty for a citizen)."""
    return set(_memberships(user).values_list("role", flat=True))


def roles_in(user: User, agency_id: int) -> set[str]:
    """The roles ``user`` holds in the agency ``agency_id``."""
    return set(_memberships(user).filter(agency_id=agency_id).values_list("role", flat=True))


def role_pairs(user: User, role: str | Iterable[str] | None = None) -> list[tuple[int, str]]:
    """Every (agency id, role) that ``user`` holds, optionally only of ``role`` (one role or several)."""
    return list(_memberships(user, role).values_list("agency_id", "role"))


def held_pairs(user: User) -> list[tuple[int, str]]:
    """``role_pairs(user)``, read once per user object: a page asks it several times (its access check, its
    menu, its queue), and a request's user is loaded per request. Empty for a citizen or an anonymous user."""
    if not user.is_authenticated:
        return []
    pairs = getattr(user, "_onestop_role_pairs", None)
    if pairs is None:
        pairs = user._onestop_role_pairs = role_pairs(user)
    return pairs


# --- where a user works -------------------------------------------------------------------------------

def agency_ids_of(user: User, role: str | Iterable[str] | None = None) -> QuerySet:
    """The ids of the agencies where ``user`` holds ``role`` (any role when ``None``), as a lazy query."""
    return _memberships(user, role).values("agency_id")


def agencies_of(user: User, role: str | Iterable[str] | None = None) -> QuerySet[Agency]:
    """The agencies where ``user`` holds ``role`` (any role when ``None``), as a lazy query."""
    return Agency.objects.filter(pk__in=agency_ids_of(user, role))


def led_agency_ids(user: User) -> set[int]:
    """The ids of the agencies ``user`` leads."""
    return set(_memberships(user, OfficialRole.LEADER).values_list("agency_id", flat=True))


# --- steps of work --------------------------------------------------------------------------------------

def may_act_on(item: Assignable, user: User) -> bool:
    """Whether ``user`` may claim and complete ``item``: they hold its role in its agency."""
    return holds_role(user, item.agency_id, item.role)


def may_act_on_row(user: User) -> Exists:
    """``may_act_on`` as an expression on work items (``annotate(may_act=...)``): the rule read with the item, in
    its query, where the API reads an item to act on it."""
    return Exists(_memberships(user).filter(agency_id=OuterRef("agency_id"), role=OuterRef("role")))


def may_see_item(item: Assignable, user: User) -> bool:
    """Officials see the items of their (agency, role) pairs; leaders every item of the agencies they lead."""
    return item.agency_id is not None and (may_act_on(item, user) or is_leader_of(user, item.agency_id))


def queue_filter(user: User) -> Q:
    """A ``Q`` on work items: those of the user's (agency, role) pairs; nothing for a citizen."""
    q = Q(pk__in=[])
    for agency_id, role in role_pairs(user):
        q |= Q(agency_id=agency_id, role=role)
    return q


def workspace_filter(user: User, pairs: list[tuple[int, str]] | None = None) -> Q:
    """Like ``queue_filter``, but a leader sees every item of the agencies they lead, whatever its role.
    ``pairs``: the user's ``role_pairs`` when already read."""
    q = Q(pk__in=[])
    for agency_id, role in role_pairs(user) if pairs is None else pairs:
        q |= Q(agency_id=agency_id) if role == OfficialRole.LEADER else Q(agency_id=agency_id, role=role)
    return q


def officials_holding(agency_id: int | None, role: str) -> QuerySet:
    """The users who hold ``role`` in the agency ``agency_id``: who may be given its steps of that role."""
    return get_user_model().objects.filter(memberships__agency_id=agency_id, memberships__role=role).distinct()


def official_ids_holding(agency_id: int | None, role: str) -> list[int]:
    """The ids of the users who hold ``role`` in ``agency_id``, in ascending order."""
    return sorted(Membership.objects.filter(agency_id=agency_id, role=role).values_list("user_id", flat=True))


def first_agency_among(user: User, agency_ids: Iterable[int | None]) -> Agency | None:
    """The agency of lowest id among ``agency_ids`` in which ``user`` holds any role, or ``None``."""
    membership = (_memberships(user).filter(agency_id__in=[pk for pk in agency_ids if pk is not None])
                  .select_related("agency").order_by("agency_id").first())
    return membership.agency if membership else None
