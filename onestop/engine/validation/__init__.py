"""Check an uploaded BPMN file and list every problem at once, in English and Vietnamese.

"An admin must learn, in one upload, everything that has to change, in plain words." ``validate``
never stops at the first problem and never raises: it reads the file safely (``parsing.read_xml``),
walks the XML with lxml for everything this project knows can go wrong (operators, routing roles,
official roles, forms, conditions, loops, the traps of SpiffWorkflow 3.2 listed in
docs/bpmn-conventions.md), checks the whole file against the BPMN schema, and finally lets
SpiffWorkflow parse it to catch whatever the walk did not foresee.

The caller fills ``ValidationContext`` from the database (routing roles, official roles, operators
with their parameter schemas); this module reads no model.

Entry codes (stable; "w" marks warnings):
- the file: file_too_large, not_xml, doctype_refused, not_bpmn, unreadable_file, no_process, schema,
  camunda8_extensions (w);
- processes: no_executable_process, several_executable_processes, unknown_process, process_without_start,
  non_executable_pool (w), process_not_chosen (w), no_human_step (w, unless marked onestop:automatic);
- elements: data_store, data_association, business_rule_task, service_task_no_operator,
  service_task_unsupported, unknown_operator, missing_parameter, unknown_parameter (w),
  external_task_not_service, multi_instance_without_cardinality, loop_without_limit,
  subprocess_without_start, subprocess_several_starts, subprocess_without_end, call_activity_unresolved,
  unsupported_element, multiple_outgoing_flows, flow_reference_missing, event_reference_missing,
  event_without_definition, id_collision, id_shared (w), task_without_name (w), manual_step (w),
  end_event_outcome (w), duplicate_id, flow_without_id (w: named, runs as drawn),
  multi_instance_too_many;
- messages and signals (nothing delivers them between processes): message_never_sent, signal_never_sent,
  message_start, signal_start, message_missing, correlation_undefined, payload_undefined;
- routing: unknown_role, task_outside_lane (w), unknown_official_role, task_without_form (w);
- decisions and code: flow_without_condition, decision_variable_undefined (w), decision_option_unknown (w),
  {condition,script,parameter,timer,expression}_invalid (syntax), {...}_refused (script sandbox),
  timer_cycle, decision_requires_reason (w: an option whose name does not say it can refuse);
- loops: unbounded_loop, loop_through_parallel_join (w);
- engine_refused: what only SpiffWorkflow's own parse noticed; validator_failed: a bug here.
"""
from .report import ERROR, WARNING, Entry, Report, ValidationContext
from .run import Validation
from .scripts import _sandbox_checker

__all__ = ["ERROR", "WARNING", "Entry", "Report", "ValidationContext", "validate"]


def validate(xml_bytes, *, context: ValidationContext) -> Report:
    """Every problem of an uploaded BPMN file, errors first. Never raises."""
    run = Validation(xml_bytes, context, sandbox=_sandbox_checker())
    try:
        run.run()
    except Exception as exc:  # noqa: BLE001 - a validator bug must still answer with a report
        run.add(ERROR, "validator_failed", None,
                f"The file could not be checked completely ({type(exc).__name__}: {exc}).",
                f"Không kiểm tra hết được tệp ({type(exc).__name__}: {exc}).")
    return run.report()
