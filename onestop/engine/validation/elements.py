"""The vocabulary of the checks: BPMN namespaces, element kinds, and small readers of lxml elements."""
from __future__ import annotations

from onestop.engine import parsing

BPMN_NS = parsing.BPMN_MODEL_NS


CAMUNDA_NS = parsing.CAMUNDA_NS


SPIFF_NS = parsing.SPIFF_NS


ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"


NSMAP = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiffworkflow": SPIFF_NS, "zeebe": ZEEBE_NS}


OUTCOMES = ("refused", "issued", "completed")


_BPMN_PREFIX = f"{{{BPMN_NS}}}"


TASKS = {"task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask", "receiveTask",
         "businessRuleTask"}
CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}
ACTIVITIES = TASKS | CONTAINERS | {"callActivity"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
FLOW_NODES = ACTIVITIES | GATEWAYS | EVENTS
# Elements SpiffWorkflow looks up by id while it connects the flow: an extension element (form field,
# enum option) that shares one of these ids can take its place in the parser's index.
LOOKED_UP = FLOW_NODES | {"dataObjectReference", "dataStoreReference"}
SPLITTERS = GATEWAYS | {"startEvent"}  # the only elements SpiffWorkflow lets have several outgoing flows
WAITING_CATCH_DEFINITIONS = ("messageEventDefinition", "signalEventDefinition", "timerEventDefinition",
                             "conditionalEventDefinition")
KNOWN_NAMES = {"form", "dossier_code"}  # data every process gets (docs/bpmn-conventions.md)


def _b(name):
    return f"{_BPMN_PREFIX}{name}"


def _c(name):
    return f"{{{CAMUNDA_NS}}}{name}"


def _s(name):
    return f"{{{SPIFF_NS}}}{name}"


def _local(element):
    """The local name of a BPMN-namespace element, else None."""
    tag = element.tag
    if isinstance(tag, str) and tag.startswith(_BPMN_PREFIX):
        return tag[len(_BPMN_PREFIX):]
    return None


def _clean(text):
    return " ".join((text or "").split())


def _text(element):
    return (element.text or "").strip() if element is not None else ""
