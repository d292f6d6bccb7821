"""The interconnection matrix (ma trận liên thông): for each published procedure and each agency, how the
agency is involved, derived from the published BPMN files and the agency tree.

- **Y**: the agency takes part in the process: it receives the dossier (its desk), or one of the
  process's lanes resolves to it (``organisation.routing``) for a dossier received by one of the
  procedure's receiving agencies;
- **X**: the agency supplies an input from another process: a service task of the file calls an operator
  (``interop.connectors``) whose peer system is the agency's. A peer system that is none of our agencies
  (a national database) is a column of its own;
- **horizontal / vertical**: between agencies of the same level (a ward and a commune are one tier) or of
  different levels, seen from the receiving agency. A peer system outside our agencies counts as another
  level (vertical).

The lanes and service tasks are read from the engine's parsed spec (``engine.runtime.parsed_version``);
nothing here imports SpiffWorkflow.
"""
from dataclasses import dataclass, field

from django.utils.translation import get_language

from onestop.engine import parsing, runtime
from onestop.interop import connectors
from onestop.interop.models import Peer
from onestop.organisation import routing
from onestop.organisation.models import COMMUNE_TIER, Agency, RoutingRole
from procedures.models import Procedure, ProcedureVersion
from procedures.selectors import receiving_agencies, routed_lanes, unroutable_lanes

HORIZONTAL, VERTICAL = "horizontal", "vertical"


@dataclass
class Input:
    """A service task: what the process fetches, through which operator, from whom."""

    element: str
    name: str
    operator: str
    description: str = ""
    system: str = ""  # the peer system's name
    agency: Agency | None = None  # the peer's agency, when it is one of ours
    local: bool = False  # work on the receiving agency's own data (e.g. its birth register)

    @property
    def supplier(self) -> str:
        return self.agency.name if self.agency else self.system


@dataclass
class Entry:
    """One agency (or outside system) of one procedure."""

    key: str  # "agency:<code>" or "system:<peer code>"
    code: str
    name: str
    level: str = ""
    marks: set = field(default_factory=set)  # "Y", "X"
    directions: set = field(default_factory=set)  # "horizontal", "vertical"
    roles: set = field(default_factory=set)  # "receiving desk" or a lane's name
    inputs: set = field(default_factory=set)  # the names of the inputs it supplies

    @property
    def mark(self) -> str:
        return ", ".join(m for m in ("Y", "X") if m in self.marks)

    @property
    def direction(self) -> str:
        return ", ".join(d for d in (HORIZONTAL, VERTICAL) if d in self.directions)


def _same_tier(a: str, b: str) -> bool:
    return a == b or {a, b} <= COMMUNE_TIER


def inputs(version: ProcedureVersion) -> list[Input]:
    """The service tasks of ``version``, each with the operator it calls and who supplies the answer."""
    parsed = runtime.parsed_version(version)
    found = {}
    for spec in (parsed.spec, *parsed.subprocess_specs.values()):
        for task in spec.task_specs.values():
            if isinstance(task, parsing.WaitingServiceTask):
                element = getattr(task, "bpmn_id", None) or task.name
                found[element] = Input(element, getattr(task, "bpmn_name", None) or element, task.operator)
    peers = {}
    for item in found.values():
        operator = connectors.get_operator(item.operator)
        if operator is None:
            continue
        item.description = getattr(operator, "description", "") or ""
        item.local = not operator.peer
        if operator.peer:
            if operator.peer not in peers:
                peers[operator.peer] = Peer.objects.select_related("agency").filter(code=operator.peer).first()
            peer = peers[operator.peer]
            item.system = peer.name if peer else operator.peer
            item.agency = peer.agency if peer else None
    return sorted(found.values(), key=lambda i: i.element)


def procedure_matrix(version: ProcedureVersion, receivers=None) -> dict:
    """The entries of one published version: every agency taking part (Y) or supplying an input (X), for
    dossiers received by ``receivers`` (default: every receiving agency of the procedure)."""
    if receivers is None:
        receivers = receiving_agencies(version.procedure)
    receivers = list(receivers.select_related("parent__parent__parent").order_by("code"))
    lanes, supplied = routed_lanes(version), inputs(version)
    entries = {}
    # A lane is named in the BPMN file's language (Vietnamese); an English page names its routing role.
    english_roles = {}
    if (get_language() or "vi").startswith("en"):
        english_roles = dict(RoutingRole.objects.filter(code__in={role for _, role in lanes})
                             .exclude(name_en="").values_list("code", "name_en"))

    def entry(agency):
        key = f"agency:{agency.code}"
        if key not in entries:
            entries[key] = Entry(key, agency.code, agency.name, agency.level)
        return entries[key]

    for receiving in receivers:
        if lanes and unroutable_lanes(version, receiving):
            continue  # the procedure is not offered there (reported when publishing)
        desk = entry(receiving)
        desk.marks.add("Y")
        desk.roles.add("receiving desk")
        for lane, role in lanes:
            try:
                agency = routing.resolve_agency(role, receiving)
            except routing.RoutingError:
                continue  # reported when publishing; such agencies are not offered to applicants
            part = entry(agency)
            part.marks.add("Y")
            part.roles.add(english_roles.get(role) or lane)
            if agency.pk != receiving.pk:
                part.directions.add(HORIZONTAL if _same_tier(agency.level, receiving.level) else VERTICAL)
        for item in supplied:
            if item.agency is not None:
                part = entry(item.agency)
                if item.agency.pk != receiving.pk:
                    part.directions.add(HORIZONTAL if _same_tier(item.agency.level, receiving.level) else VERTICAL)
            elif item.system:
                key = f"system:{item.system}"
                part = entries.setdefault(key, Entry(key, item.operator.split(".")[0], item.system))
                part.directions.add(VERTICAL)
            else:
                continue
            part.marks.add("X")
            part.inputs.add(item.name)
    order = sorted(entries.values(), key=lambda e: ("Y" not in e.marks, e.key.startswith("system:"), e.name))
    return {"procedure": version.procedure, "version": version, "entries": order, "inputs": supplied}


def matrix(receivers_scope=None) -> dict:
    """The matrix of every published procedure: ``{"procedures": [procedure matrices], "columns": [(key,
    code, name)]}``, the columns being the agencies and systems that appear at least once.
    ``receivers_scope``: agency ids whose dossiers count (a leader's agencies and those below); None: all."""
    versions = (ProcedureVersion.objects.filter(state=ProcedureVersion.State.PUBLISHED, procedure__is_active=True)
                .select_related("procedure").order_by("procedure__code"))
    procedures, columns = [], {}
    for version in versions:
        found = scoped(version, receivers_scope)
        if not found["entries"]:
            continue
        procedures.append(found)
        for e in found["entries"]:
            columns.setdefault(e.key, (e.key, e.code, e.name))
    return {"procedures": procedures, "columns": sorted(columns.values(), key=lambda c: (c[0].startswith("system:"),
                                                                                          c[2]))}


def published(code: str, number: int | None = None) -> ProcedureVersion | None:
    """The published version of the procedure ``code`` (or its version ``number``, a draft being checked
    before it is published)."""
    procedure = Procedure.objects.filter(code=code).first()
    if procedure is None:
        return None
    versions = procedure.versions.select_related("procedure")
    if number is not None:
        return versions.filter(number=number).first()
    return versions.filter(state=ProcedureVersion.State.PUBLISHED).first()


def scoped(version: ProcedureVersion, receivers_scope=None) -> dict:
    """``procedure_matrix`` of ``version`` for the receiving agencies in ``receivers_scope`` (None: all)."""
    receivers = receiving_agencies(version.procedure)
    if receivers_scope is not None:
        receivers = receivers.filter(pk__in=receivers_scope)
    return procedure_matrix(version, receivers)


def as_data(found: dict) -> dict:
    """One procedure's matrix as plain data (the API, the files)."""
    return {
        "procedure": {"code": found["procedure"].code, "name": found["procedure"].name},
        "version": found["version"].number,
        "entries": [{"key": e.key, "code": e.code, "name": e.name, "level": e.level, "mark": e.mark,
                     "direction": e.direction, "roles": sorted(e.roles), "inputs": sorted(e.inputs)}
                    for e in found["entries"]],
        "inputs": [{"element": i.element, "name": i.name, "operator": i.operator, "description": i.description,
                    "supplier": i.supplier, "local": i.local} for i in found["inputs"]],
    }
