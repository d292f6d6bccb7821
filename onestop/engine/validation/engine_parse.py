"""The last checks: the BPMN 2.0 schema, then SpiffWorkflow's own parse of the file."""
from __future__ import annotations

from django.utils import translation
from lxml import etree

from onestop.engine import analysis, parsing

from .report import ERROR, WARNING, _label, _lc

# Options that need a reason by their name alone (onestop.worklist.forms); the report names the others.
NAMED_REFUSALS = {"supplement", "refuse", "disagree"}


class EngineChecks:
    """What the schema and the workflow engine say, unless a check above already said it."""

    def check_schema(self):
        try:
            validator = parsing.validator_for(self.dialect)
            validator.preprocess(self.root)
            schema = validator.validator
            if schema.validate(self.root):
                return
            errors = list(schema.error_log)
        except Exception:  # noqa: BLE001 - the engine parse below reports what the schema says
            return
        by_line, prefixes = {}, {}
        for element in self.root.iter():
            if isinstance(element.tag, str):
                prefixes.update((k, v) for k, v in element.nsmap.items() if k)
                if element.get("id"):
                    by_line.setdefault(element.sourceline, element)
        tree = self.root.getroottree()
        for error in errors[:50]:
            self.schema_messages.add(error.message)
            if "xs:ID" in error.message and any(f"'{i}'" in error.message for i in self.duplicate_ids):
                continue  # reported as duplicate_id, with both lines
            try:
                found = tree.xpath(error.path, namespaces=prefixes) if error.path else []
            except etree.XPathError:
                found = []
            element = found[0] if len(found) == 1 and isinstance(found[0], etree._Element) else by_line.get(error.line)
            self.add(ERROR, "schema", element,
                     f"Line {error.line} does not follow the BPMN 2.0 schema: {error.message}",
                     f"Dòng {error.line} không tuân theo lược đồ BPMN 2.0: {error.message}", line=error.line)
        if len(errors) > 50:
            self.add(ERROR, "schema", None,
                     f"… and {len(errors) - 50} more places that do not follow the BPMN 2.0 schema.",
                     f"… và {len(errors) - 50} chỗ khác không tuân theo lược đồ BPMN 2.0.")


    def check_engine(self):
        try:
            with translation.override("en"):
                if self.chosen is not None:
                    # What an upload runs: parse_bpmn, with whatever it normalises.
                    try:
                        parsed = parsing.parse_bpmn(self.xml_bytes, process_id=self.chosen.get("id"))
                    except parsing.BpmnError as exc:
                        self.engine_error(exc.__context__ or exc)
                    else:
                        self.check_refusals(parsed)
                else:
                    self.engine_parse_each()
        except Exception as exc:  # noqa: BLE001 - never let a foreign file's exception out raw
            self.engine_error(exc)


    def check_refusals(self, parsed):
        """Say which decision options will need a written reason because their path can end the dossier
        refused, when the option's name does not say so already (refuse, supplement, disagree)."""
        specs = [parsed.spec, *parsed.subprocess_specs.values()]
        for spec in specs:
            for task_spec in spec.task_specs.values():
                field = analysis.decision_field(task_spec)
                if field is None:
                    continue
                refusing = analysis.refusal_options(task_spec)
                surprising = [o for o in field.options if o.id in refusing and o.id not in NAMED_REFUSALS]
                if not surprising:
                    continue
                node = self.nodes.get(task_spec.bpmn_id)
                if node is None:
                    continue
                en, vi = _label(node)
                shown = ", ".join(f"“{o.name or o.id}” ({o.id})" for o in surprising)
                self.add(WARNING, "decision_requires_reason", node,
                         f"In {_lc(en)}, the option(s) {shown} of {field.id} can end the dossier refused: the official "
                         "will have to write the reason, which the applicant reads.",
                         f"Trong {_lc(vi)}, lựa chọn {shown} của {field.id} có thể kết thúc hồ sơ bằng việc từ chối: "
                         "cán bộ sẽ phải ghi lý do, và người nộp hồ sơ sẽ đọc lý do đó.")

    def engine_parse_each(self):
        """Parse with the dialect's parser for each process in scope (several executables, or none)."""
        parser = parsing.parser_for(self.dialect)
        root = parsing.read_xml(self.xml_bytes)
        parsing.prepare(root)
        parser.add_bpmn_xml(root, filename="upload.bpmn")
        tops = [self.chosen] if self.chosen is not None else [p for p in self.scope]
        for process in tops:
            try:
                process_parser = parser.get_process_parser(process.get("id"))
                if process_parser is not None:
                    process_parser.process_executable = True  # what it would be once marked executable
                parser.get_spec(process.get("id"))
                parser.get_subprocess_specs(process.get("id"))
            except Exception as exc:  # noqa: BLE001
                self.engine_error(exc)


    _COVERED = (
        ("repeating timers", {"timer_cycle"}),
        ("Data Store", {"data_store"}),
        ("Association", {"data_association", "data_store"}),
        ("multiinstance", {"multi_instance_without_cardinality"}),
        ("loopMaximum or loopCondition", {"loop_without_limit"}),
        ("SubWorkflow", {"subprocess_without_start", "subprocess_several_starts", "subprocess_without_end"}),
        ("No start event", {"process_without_start"}),
        ("Multiple outgoing flows", {"multiple_outgoing_flows"}),
        ("decisionRef", {"business_rule_task"}),
        ("DMN", {"business_rule_task"}),
        ("service task needs", {"service_task_no_operator", "service_task_unsupported"}),
        ("must have an operator", {"service_task_no_operator"}),
        ("was not found", {"call_activity_unresolved"}),
        ("not executable", {"call_activity_unresolved", "no_executable_process"}),
        ("calledElement", {"call_activity_unresolved"}),
        ("found two items", {"id_collision", "flow_reference_missing", "schema"}),
        ("no support implemented", {"unsupported_element", "id_collision", "flow_reference_missing", "schema"}),
        ("NoneType", {"id_collision", "unsupported_element"}),
        ("without condition", {"flow_without_condition"}),
        ("Unsupported Catch Event", {"event_without_definition"}),
        ("Time Specification", {"timer_invalid"}),
        ("executable process", {"no_executable_process", "several_executable_processes"}),
        ("Expected a", {"event_reference_missing"}),
        ("no executable process with id", {"unknown_process"}),
        ("Expected an", {"event_reference_missing"}),
    )


    def engine_error(self, exc):
        notes = getattr(exc, "notes", None)  # SpiffWorkflowException.__str__ appends ". " and its notes
        if isinstance(notes, list) and exc.args:
            message = ". ".join([str(exc.args[0]), *map(str, notes)])
        else:
            message = str(exc)
        message = message.split("\n")[0].strip().rstrip(". ") or type(exc).__name__
        element_id = getattr(exc, "id", "") or ""
        if element_id and self.has_error(element_id=element_id):
            return
        for pattern, codes in self._COVERED:
            if pattern in message and self.has_error(codes=codes):
                return
        if message in self.schema_messages or f"{message}." in self.schema_messages:
            return
        element = None
        if element_id:
            element = next((el for el in self.root.iter() if isinstance(el.tag, str) and el.get("id") == element_id),
                           None)
        line = getattr(exc, "line_number", None)
        line = line if isinstance(line, int) and line > 0 else None
        if not isinstance(exc, Exception) or type(exc).__name__ in ("ValidationException", "BpmnError"):
            detail = message
        else:
            detail = f"{type(exc).__name__}: {message}"
        if element is not None:
            en, vi = _label(element)
            self.add(ERROR, "engine_refused", element,
                     f"The workflow engine (SpiffWorkflow) cannot load {_lc(en)}: {detail}.",
                     f"Bộ máy quy trình (SpiffWorkflow) không nạp được {_lc(vi)}: {detail}.", line=line)
        else:
            self.add(ERROR, "engine_refused", None,
                     f"The workflow engine (SpiffWorkflow) cannot load the file: {detail}.",
                     f"Bộ máy quy trình (SpiffWorkflow) không nạp được tệp: {detail}.", line=line)
