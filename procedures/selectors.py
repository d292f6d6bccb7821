"""Reads of the catalogue: what is published, and where a version's lanes can be routed."""
from collections import OrderedDict
from threading import Lock

from django.db.models import QuerySet

from onestop.core import refcache
from onestop.engine import parsing, runtime
from onestop.organisation import routing
from onestop.organisation.models import COMMUNE_TIER, Agency, RoutingRole

from .models import Procedure, ProcedureVersion

# Where each version can be routed from depends on the agency tree and the routing roles: kept per process
# like them (``core.refcache``), emptied here when one is saved, elsewhere within ONESTOP_REFCACHE_SECONDS.
ROUTES = "procedures-routes"
refcache.invalidate_on(Agency, ROUTES)
refcache.invalidate_on(RoutingRole, ROUTES)
_LANES_CACHE_SIZE = 256
_lanes: OrderedDict = OrderedDict()
_lanes_lock = Lock()


def is_conditional(document: dict) -> bool:
    """A document of the catalogue needed only in some cases ("(trường hợp ...)", or ``"required": false`` with
    a ``condition``): optional when applying online, and never claimed as received unless it was brought."""
    if "required" in document:
        return not document["required"]
    return "(trường hợp" in document.get("name", "").lower() or "(if " in document.get("name_en", "").lower()


def published_procedures() -> QuerySet[Procedure]:
    return Procedure.objects.filter(is_active=True, versions__state=ProcedureVersion.State.PUBLISHED).distinct()


def published_version(procedure: Procedure) -> ProcedureVersion | None:
    """The version new dossiers start on. Its BPMN text and validation report are read only when used (every
    submission asks for the version; the engine keeps the parsed spec by checksum)."""
    return procedure.versions.filter(state=ProcedureVersion.State.PUBLISHED).defer("bpmn_xml", "report").first()


def receiving_tier(level: str) -> list[str]:
    """The agency levels that receive what ``level`` receives (a ward and a commune are one tier)."""
    return sorted(COMMUNE_TIER) if level in COMMUNE_TIER else [level]


def receiving_agencies(procedure: Procedure) -> QuerySet:
    """The active agencies whose desk receives ``procedure``'s dossiers, by its receiving level."""
    return Agency.objects.filter(is_active=True, level__in=receiving_tier(procedure.receiving_level))


def routed_lanes(version: ProcedureVersion) -> tuple[tuple[str, str], ...]:
    """``(lane name, routing-role code)`` of every lane where a step or an exchange of ``version`` waits.

    The applicant's lane is left out (it is the citizen, not an agency); a task outside any lane goes to the
    receiving agency and needs no routing. Kept per BPMN checksum: a version's file never changes.
    """
    key = f"{version.checksum}:{version.process_id}"
    with _lanes_lock:
        if key in _lanes:
            return _lanes[key]
    parsed = runtime.parsed_version(version)
    found = {}
    for spec in (parsed.spec, *parsed.subprocess_specs.values()):
        for task in spec.task_specs.values():
            if not (getattr(task, "manual", False) or isinstance(task, parsing.WaitingServiceTask)):
                continue
            code = routing.role_code_of_lane(getattr(task, "lane", None))
            if code is not None and code != routing.APPLICANT:
                found.setdefault(task.lane, code)
    lanes = tuple(sorted(found.items()))
    with _lanes_lock:
        _lanes[key] = lanes
        while len(_lanes) > _LANES_CACHE_SIZE:
            _lanes.popitem(last=False)
    return lanes


def unroutable_lanes(version: ProcedureVersion, agency: Agency) -> list[dict]:
    """The lanes of ``version`` that cannot be routed for a dossier received by ``agency``.

    Each is ``{"lane", "role", "message"}``, the message naming the level that is missing above ``agency``
    (e.g. a district above a commune of a two-tier province). Empty when every lane resolves. Kept per
    process for the version and agency (``ROUTES``): every submission asks.
    """
    return refcache.cache(ROUTES).get(("lanes", version.pk, agency.pk), lambda: _unroutable_lanes(version, agency))


def _unroutable_lanes(version, agency):
    broken = []
    for lane, role in routed_lanes(version):
        try:
            routing.resolve_agency(role, agency)
        except routing.RoutingError as exc:
            broken.append({"lane": lane, "role": role, "message": str(exc.message)})
    return broken


def unroutable_agencies(version: ProcedureVersion) -> list[dict]:
    """Every receiving agency of ``version``'s procedure from which one of its lanes cannot be routed:
    ``[{"agency": code, "name": ..., "lanes": [...]}]``. Dossiers are not taken there (the portal does not
    offer the agency; submission is refused)."""
    if not routed_lanes(version):
        return []
    agencies = receiving_agencies(version.procedure).select_related("parent__parent__parent").order_by("code")
    report = []
    for agency in agencies:
        lanes = _unroutable_lanes(version, agency)  # as the tree stands now: the admin pages read this
        if lanes:
            report.append({"agency": agency.code, "name": agency.name, "lanes": lanes})
    return report


def unroutable_agency_ids(procedure: Procedure) -> set[int]:
    """Ids of the receiving agencies the published version of ``procedure`` cannot be routed from (kept per
    process, ``ROUTES``), for the portal's choice of agency."""
    version = published_version(procedure)
    if version is None:
        return set()
    return refcache.cache(ROUTES).get(("agencies", version.pk), lambda: _unroutable_agency_ids(version))


def _unroutable_agency_ids(version):
    codes = {entry["agency"] for entry in unroutable_agencies(version)}
    return set(Agency.objects.filter(code__in=codes).values_list("pk", flat=True)) if codes else set()
