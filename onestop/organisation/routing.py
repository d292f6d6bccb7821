"""Y-interconnection: which concrete agency a BPMN lane means for one dossier (lane names: ``lanes.py``)."""

from django.utils.translation import gettext as _

from onestop.core import refcache
from onestop.core.exceptions import Conflict

from .lanes import APPLICANT, role_code_of_lane  # noqa: F401 - re-exported for callers of routing
from .models import Agency, RoutingRole

# Read on every step that opens work: kept per process (``refcache``), a role's agency with it.
refcache.invalidate_on(RoutingRole, "routing-roles")
refcache.invalidate_on(Agency, "routing-roles")


class RoutingError(Conflict):
    pass


def resolve_agency(role_code, receiving_agency: Agency) -> Agency:
    """The agency that acts for ``role_code`` on a dossier received by ``receiving_agency``."""
    if role_code is None:
        return receiving_agency
    role = refcache.cache("routing-roles").get(
        role_code, lambda: RoutingRole.objects.select_related("agency__parent").filter(code=role_code).first())
    if role is None:
        raise RoutingError(_("No routing role named “%(role)s” is defined.") % {"role": role_code})
    if role.strategy == RoutingRole.Strategy.RECEIVING:
        return receiving_agency
    lineage = list(receiving_agency.lineage())
    if role.strategy == RoutingRole.Strategy.FIXED:
        # A province's department serves that province only; an agency without a parent serves everyone.
        parent_id = role.agency.parent_id if role.agency is not None else None
        if parent_id is None or parent_id in {agency.pk for agency in lineage}:
            return role.agency
        raise RoutingError(
            _("Agency “%(agency)s” is not under “%(parent)s”, which routing role “%(role)s” serves.")
            % {"agency": receiving_agency.name, "parent": role.agency.parent.name, "role": role_code}
        )
    for level in role.level_list:
        for agency in lineage:
            if agency.level == level:
                return agency
    raise RoutingError(
        _("Agency “%(agency)s” has no ancestor of level %(levels)s for routing role “%(role)s”.")
        % {"agency": receiving_agency.name, "levels": role.levels, "role": role_code}
    )
