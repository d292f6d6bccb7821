"""Parse uploaded BPMN into SpiffWorkflow specs. With ``runtime``, the only code that imports SpiffWorkflow.

Three dialects, told apart by their namespaces, each with its own SpiffWorkflow parser (a parser
of the wrong dialect silently drops the other's extensions): Camunda 7, SpiffArena and plain BPMN.
"""
import ast
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator, full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask as BpmnServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEndEventParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser, UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask as CamundaUserTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR as SPIFF_VALIDATOR
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser as SpiffServiceTaskParser

from onestop.core.exceptions import InvalidInput

BPMN_MODEL_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
MAX_BPMN_BYTES = 5 * 1024 * 1024


class BpmnError(InvalidInput):
    """The file cannot be run. ``errors`` lists what to change, one sentence each."""


@dataclass(frozen=True)
class ParsedProcess:
    process_id: str
    name: str
    dialect: str  # "camunda", "spiff" or "bpmn"
    spec: object
    subprocess_specs: dict


class WaitingServiceTask(BpmnServiceTask):
    """A service task done by a background job (a Celery task calling another system).

    ``operator`` names the connector; ``parameters`` maps names to Python expressions over the
    task data, evaluated when the process reaches the task. ``_execute`` returns None, which
    leaves the task STARTED: the process waits there, holding no lock, until the job's result
    completes it (``runtime.complete_service_task``).
    """

    def __init__(self, wf_spec, bpmn_id, operator="", parameters=None, result_variable=None, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.operator = operator
        self.parameters = parameters or {}
        # Where the result goes in the process data; the task's id unless the file names a variable.
        self.result_variable = result_variable or bpmn_id

    def _execute(self, task):
        engine = task.workflow.script_engine
        task.internal_data["service_params"] = {
            name: engine.evaluate(task, expression) for name, expression in self.parameters.items()
        }
        return None


# --- Camunda: keep candidateGroups and camunda:properties on user tasks and end events -------------

class _CamundaUserTaskParser(UserTaskParser):
    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        groups = self.attribute("candidateGroups", "camunda")
        if groups:
            extensions["candidateGroups"] = groups
        due = self.attribute("dueDate", "camunda")
        if due:
            extensions["dueDate"] = due
        return extensions


class _CamundaEndEventParser(CamundaEndEventParser):
    parse_extensions = CamundaTaskParser.parse_extensions


class _CamundaServiceTaskParser(CamundaTaskParser):
    """``camunda:type="external"`` with ``camunda:topic`` = operator; input parameters are expressions."""

    def create_task(self):
        topic = self.attribute("topic", "camunda")
        if self.attribute("type", "camunda") != "external" or not topic:
            raise ValidationException(
                'A service task needs camunda:type="external" and a camunda:topic naming its operator.',
                node=self.node, file_name=self.filename,
            )
        parameters = {
            node.get("name"): (node.text or "").strip()
            for node in self.xpath(".//camunda:inputOutput/camunda:inputParameter")
        }
        return self.spec_class(self.spec, self.bpmn_id, operator=topic, parameters=parameters,
                               **self.bpmn_attributes)


class OnestopCamundaParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (_CamundaServiceTaskParser, WaitingServiceTask),
        full_tag("userTask"): (_CamundaUserTaskParser, CamundaUserTask),
        full_tag("endEvent"): (_CamundaEndEventParser, EndEvent),
    }


_validators = {}


def validator_for(dialect):
    # Building an XSD validator costs ~7 ms: once per process.
    if dialect not in _validators:
        _validators[dialect] = SPIFF_VALIDATOR if dialect == "spiff" else BpmnValidator()
    return _validators[dialect]


class _SpiffServiceTaskParser(SpiffServiceTaskParser):
    """``spiffworkflow:serviceTaskOperator id=OPERATOR resultVariable=...`` with parameter values as expressions."""

    def create_task(self):
        operator = self.parse_extensions().get("serviceTaskOperator")
        if operator is None:
            raise ValidationException("A service task needs a spiffworkflow:serviceTaskOperator.",
                                      node=self.node, file_name=self.filename)
        parameters = {name: spec["value"] for name, spec in operator["parameters"].items()}
        return WaitingServiceTask(self.spec, self.bpmn_id, operator=operator["name"], parameters=parameters,
                                  result_variable=operator.get("resultVariable"), **self.bpmn_attributes)


class OnestopSpiffParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (_SpiffServiceTaskParser, WaitingServiceTask),
    }


def parser_for(dialect):
    if dialect == "camunda":
        return OnestopCamundaParser(validator=validator_for(dialect))
    if dialect == "spiff":
        return OnestopSpiffParser(validator=validator_for(dialect))
    return BpmnParser(validator=validator_for(dialect))


def read_xml(xml_bytes):
    """Parse untrusted XML: no DTD, no entities, no network, bounded size."""
    if len(xml_bytes) > MAX_BPMN_BYTES:
        raise BpmnError(_("The file is larger than 5 MB."))
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(xml_bytes, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise BpmnError(_("The file is not well-formed XML: %(error)s") % {"error": exc}) from None
    if root.getroottree().docinfo.doctype:
        raise BpmnError(_("Files with a DOCTYPE declaration are refused."))
    if root.tag != f"{{{BPMN_MODEL_NS}}}definitions":
        raise BpmnError(_("The file is not a BPMN 2.0 document (its root must be bpmn:definitions)."))
    return root


def detect_dialect(root):
    namespaces = set(root.nsmap.values())
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            namespaces.add(element.tag[1:].split("}", 1)[0])
    if SPIFF_NS in namespaces:
        return "spiff"
    if CAMUNDA_NS in namespaces:
        return "camunda"
    return "bpmn"


BUDGET_PROPERTY = "onestop:budget"
# Step budgets and the timers counted in working time: working days, or working hours and minutes.
BUDGET = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


def is_budget(text):
    match = BUDGET.match(text or "")
    return bool(match) and any(match.groups())


def timer_duration(spec):
    """The ISO duration of a timer event's spec when it is a literal (``'P2D'``), else ""."""
    definition = getattr(spec, "event_definition", None)
    if not isinstance(definition, DurationTimerEventDefinition):
        return ""
    try:
        value = ast.literal_eval(definition.expression.strip())
    except (ValueError, SyntaxError):
        return ""
    return value.strip().upper() if isinstance(value, str) else ""


def boundary_timers(spec):
    """The timer boundary events attached to the task ``spec``."""
    return [event for split in spec.inputs if isinstance(split, BoundaryEventSplit)
            for event in split.outputs if event is not spec and hasattr(event, "cancel_activity")
            and isinstance(getattr(event, "event_definition", None), TimerEventDefinition)]


def declared_budget(spec):
    """A budget written on the user task: ``camunda:dueDate`` or an ``onestop:budget`` property."""
    extensions = getattr(spec, "extensions", None) or {}
    properties = extensions.get("properties") or {}  # SpiffArena keeps properties apart
    for value in (extensions.get(BUDGET_PROPERTY), properties.get(BUDGET_PROPERTY), extensions.get("dueDate")):
        if value and value.strip():
            return value.strip().upper()
    return ""


def budget_of(spec):
    """The time budget of a user task: declared on it, or the duration of its first interrupting
    timer boundary event (else of its first timer); "" when it has none."""
    declared = declared_budget(spec)
    if declared:
        return declared
    timers = sorted(boundary_timers(spec), key=lambda event: not event.cancel_activity)
    for event in timers:
        duration = timer_duration(event)
        if is_budget(duration):
            return duration
    return ""


def check_budgets(spec):
    """Refuse a user task whose declared budget is not a duration the calendar can count, and cycle timers
    (beat fires a timer once; repeated reminders come from the deadlines app)."""
    errors = []
    for task_spec in spec.task_specs.values():
        if isinstance(getattr(task_spec, "event_definition", None), CycleTimerEventDefinition):
            errors.append(_("“%(step)s”: repeating timers (timeCycle) are not supported; use a timeDuration or a "
                            "timeDate.") % {"step": task_spec.bpmn_name or task_spec.bpmn_id})
        budget = declared_budget(task_spec) if task_spec.manual else ""
        if budget and not is_budget(budget):
            errors.append(_("Step “%(step)s”: the time budget “%(budget)s” is not a duration in working days "
                            "or hours such as P2D or PT4H.")
                          % {"step": task_spec.bpmn_name or task_spec.bpmn_id, "budget": budget})
    if errors:
        raise BpmnError(errors[0], errors=errors)


ISO_TIMER = re.compile(r"^\s*(R\d*/)?(P(?=\d|T\d)[0-9YMWD]*(T[0-9HMS.]+)?|\d{4}-\d\d-\d\dT[0-9:.+Z-]+)\s*$")


def normalise_timers(root):
    """Most modelers (Camunda, Flowable, Signavio, Trisotech, ADONIS, ARIS) write ISO-8601 timers bare
    (``PT24H``); SpiffWorkflow evaluates them as Python. Quote them, in every dialect."""
    for name in ("timeDuration", "timeDate", "timeCycle"):
        for node in root.iter(f"{{{BPMN_MODEL_NS}}}{name}"):
            if node.text and ISO_TIMER.match(node.text):
                node.text = repr(node.text.strip())


_NOT_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def name_flows(root):
    """Give every sequence flow without an id a stable one, ``flow_<source>_<target>`` (``_2``, ``_3``... when
    taken). The BPMN schema makes the id optional and Flowable and Activiti write such flows, but
    SpiffWorkflow keys flows by id and silently drops the others. Returns the flows named, in document order."""
    flows = [f for f in root.iter(f"{{{BPMN_MODEL_NS}}}sequenceFlow") if not (f.get("id") or "").strip()]
    if not flows:
        return []
    taken = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for flow in flows:
        base = _NOT_NAME.sub("_", f"flow_{flow.get('sourceRef') or ''}_{flow.get('targetRef') or ''}")
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        flow.set("id", candidate)
        taken.add(candidate)
    return flows


def prepare(root):
    """What other tools write and SpiffWorkflow would misread, made explicit before parsing (in place):
    bare ISO timers are quoted and sequence flows without an id get one. Returns the flows named."""
    normalise_timers(root)
    return name_flows(root)


def parse_bpmn(xml_bytes, filename="upload.bpmn", process_id=None):
    """Parse a BPMN document into the spec of its executable process (``process_id`` picks one of several)."""
    root = read_xml(xml_bytes)
    dialect = detect_dialect(root)
    prepare(root)
    parser = parser_for(dialect)
    try:
        parser.add_bpmn_xml(root, filename=filename)
        process_ids = parser.get_process_ids()
        if not process_ids:
            raise BpmnError(_("The file has no executable process (isExecutable=\"true\")."))
        if process_id is not None and process_id not in process_ids:
            raise BpmnError(_("The file has no executable process with id “%(id)s”.") % {"id": process_id})
        if process_id is None and len(process_ids) > 1:
            raise BpmnError(
                _("The file has several executable processes (%(ids)s); choose one or keep one executable.")
                % {"ids": ", ".join(sorted(process_ids))}
            )
        process_id = process_id or process_ids[0]
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
        check_budgets(spec)
    except ValidationException as exc:
        where = ", ".join(
            part
            for part in (
                exc.id and f"id={exc.id}",
                exc.name and f"name={exc.name}",
                exc.line_number and f"line {exc.line_number}",
            )
            if part
        )
        message = str(exc).split("\n")[0]
        raise BpmnError(
            _("The process cannot run: %(msg)s") % {"msg": message}, errors=[f"{where}: {message}"]
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # Some foreign files make SpiffWorkflow's parsers raise bare errors; never let them out raw.
        raise BpmnError(
            _("The process cannot be read (%(kind)s: %(msg)s).") % {"kind": type(exc).__name__, "msg": exc}
        ) from None
    name = root.xpath(
        "string(//bpmn:process[@id=$pid]/@name)", namespaces={"bpmn": BPMN_MODEL_NS}, pid=process_id
    )
    return ParsedProcess(process_id, name or process_id, dialect, spec, subprocess_specs)


TASK_TAGS = {"task", "userTask", "serviceTask", "scriptTask", "manualTask", "businessRuleTask", "sendTask",
             "receiveTask", "callActivity", "subProcess"}


def elements(xml_bytes):
    """``{"tasks": {id: name}, "lanes": {id: name}}`` of a BPMN document, for comparing versions."""
    root = read_xml(xml_bytes)
    found = {"tasks": {}, "lanes": {}}
    for node in root.iter(f"{{{BPMN_MODEL_NS}}}*"):
        local = node.tag.split("}", 1)[1]
        kind = "tasks" if local in TASK_TAGS else "lanes" if local == "lane" else None
        if kind and node.get("id"):
            found[kind][node.get("id")] = node.get("name") or ""
    return found
