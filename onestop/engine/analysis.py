"""What a procedure's process implies, read from its graph and its code rather than from names.

- ``refusal_options(task_spec)``: the decision options of a user task whose path can end the dossier
  refused (an end event with outcome ``refused``) before another person decides: the engine marks them
  ``requires_reason`` in the step's form, so that no dossier is refused without a written reason.
- ``applicant_fields_read(version_or_spec)``: the applicant's form fields the process reads.
"""
from __future__ import annotations

import ast
import functools
import re
import textwrap

from SpiffWorkflow.bpmn.specs.defaults import EndEvent

from . import parsing

DECISION_FIELD = re.compile(r"^(decision|.*_decision)$")
REFUSED = "refused"


def outcome_of(spec) -> str:
    """The ``outcome`` property of an end event (Camunda properties, or SpiffArena's), "" when it has none."""
    extensions = getattr(spec, "extensions", None) or {}
    properties = extensions.get("properties") or {}
    return str(extensions.get("outcome") or properties.get("outcome") or "")


def decision_field(task_spec):
    """The enum form field holding the step's decision (``decision`` or ``*_decision``), or None."""
    form = getattr(task_spec, "form", None)
    for field in getattr(form, "fields", None) or []:
        if field.type == "enum" and DECISION_FIELD.match(field.id or ""):
            return field
    return None


def refusal_options(task_spec) -> set[str]:
    """The options of ``task_spec``'s decision field from which a path reaches an end with outcome refused.

    The walk follows the flows after the task through gateways, scripts, service tasks and events, and
    stops at the next human step and at gateways that test only other steps' decisions (whose own
    decisions then count). A condition that compares the
    decision with literals (``==``, ``!=``, ``in``, combined with ``and``/``or``/``not``) is decided
    for each option; any other condition may be true; a default flow is taken unless another flow
    certainly is.
    """
    field = decision_field(task_spec)
    if field is None:
        return set()
    return {option.id for option in field.options if _can_refuse(task_spec, field.id, option.id)}


def _can_refuse(start, variable, option):
    seen, todo = set(), list(start.outputs)
    while todo:
        spec = todo.pop()
        if spec.name in seen:
            continue
        seen.add(spec.name)
        if isinstance(spec, EndEvent):
            if outcome_of(spec) == REFUSED:
                return True
            continue
        if spec.manual:
            continue  # another person decides from here
        todo.extend(_next(spec, variable, option))
    return False


def _next(spec, variable, option):
    conditional = getattr(spec, "cond_task_specs", None)
    if not conditional:
        return list(spec.outputs)
    by_name = {output.name: output for output in spec.outputs}
    # SpiffWorkflow lists the default flow among the conditional ones, without a condition.
    defaults = [name for condition, name in conditional if condition is None]
    default = getattr(spec, "default_task_spec", None)
    if default:
        defaults.append(default)
    conditional = [(condition, name) for condition, name in conditional if condition is not None]
    if conditional and all(_others_decide(condition, variable) for condition, _name in conditional):
        return []  # the branch follows another step's decision, made by someone else
    verdicts = [(_verdict(condition, variable, option), name) for condition, name in conditional]
    names = [name for verdict, name in verdicts if verdict is not False]
    if not any(verdict is True for verdict, _ in verdicts):
        names.extend(defaults)
    return [by_name[name] for name in names if name in by_name]


def _source(condition):
    if not isinstance(condition, str):  # SpiffWorkflow wraps the expression in a condition object
        args = getattr(condition, "args", None)
        condition = args[0] if args else None
    return condition.strip() if isinstance(condition, str) else None


def _verdict(condition, variable, option):
    """True or False when ``condition`` is decided by ``variable == option`` alone, else None."""
    source = _source(condition)
    return None if source is None else _decide(_parse(source), variable, option)


def _others_decide(condition, variable):
    """Whether ``condition`` reads only the decisions of other steps (``*_decision`` fields but ``variable``)."""
    source = _source(condition)
    tree = _parse(source) if source is not None else None
    if tree is None:
        return False
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return bool(names) and all(DECISION_FIELD.match(name) and name != variable for name in names)


@functools.lru_cache(maxsize=1024)
def _parse(source):
    try:
        return ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _decide(node, variable, option):
    if isinstance(node, ast.BoolOp):
        values = [_decide(value, variable, option) for value in node.values]
        if isinstance(node.op, ast.And):
            return False if False in values else (True if all(v is True for v in values) else None)
        return True if True in values else (False if all(v is False for v in values) else None)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        value = _decide(node.operand, variable, option)
        return None if value is None else not value
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, op, right = node.left, node.ops[0], node.comparators[0]
        if isinstance(left, ast.Constant) and isinstance(right, ast.Name):
            left, right = right, left
        if not (isinstance(left, ast.Name) and left.id == variable):
            return None
        if isinstance(op, ast.Eq | ast.NotEq) and isinstance(right, ast.Constant):
            return (right.value == option) == isinstance(op, ast.Eq)
        if isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.Tuple | ast.List | ast.Set) and all(
                isinstance(e, ast.Constant) for e in right.elts):
            return (option in {e.value for e in right.elts}) == isinstance(op, ast.In)
    return None


# --- the applicant's fields the process reads ---------------------------------------------------------

_CODE_TAGS = ("conditionExpression", "script", "loopCardinality", "completionCondition", "timeDuration", "timeDate",
              "timeCycle", "condition", "formalExpression", "messagePath")
_EXTENSION_CODE = ("inputParameter", "preScript", "postScript", "expression", "messagePayload", "payloadExpression")
_DICT_METHODS = frozenset(dir(dict))


def applicant_fields_read(version_or_spec) -> set[str]:
    """The applicant's form fields that the process's code reads: ``form["x"]``, ``form.get("x")`` and
    ``form.x`` in conditions, scripts (pre- and post-scripts too), service-task parameters, timers,
    multi-instance and correlation expressions.

    ``version_or_spec`` is a procedure version (anything with ``bpmn_xml``), or the BPMN document itself
    (bytes or text). The catalogue refuses to publish a procedure whose form lacks one of these fields:
    the first dossier would otherwise fail at the first script that reads it.
    """
    xml = getattr(version_or_spec, "bpmn_xml", version_or_spec)
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    root = parsing.read_xml(xml)
    found = set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = element.tag.rsplit("}", 1)[-1]
        if local in _CODE_TAGS or local in _EXTENSION_CODE:
            found |= _form_reads(element.text or "")
        if local == "parameter" and element.get("value"):  # SpiffArena's service-task parameters
            found |= _form_reads(element.get("value"))
    return found


def _form_reads(source):
    tree = _parse_code(source)
    if tree is None:
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _is_form(node.value):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.add(key.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and _is_form(node.func.value) and node.args:
            key = node.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.add(key.value)
        elif isinstance(node, ast.Attribute) and _is_form(node.value) and node.attr not in _DICT_METHODS:
            found.add(node.attr)
    return found


def _is_form(node):
    return isinstance(node, ast.Name) and node.id == "form"


@functools.lru_cache(maxsize=1024)
def _parse_code(source):
    text = source.strip()
    if not text:
        return None
    for mode in ("eval", "exec"):
        try:
            return ast.parse(text if mode == "eval" else textwrap.dedent(source), mode=mode)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    return None

