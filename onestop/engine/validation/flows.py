"""Checks of gateways and sequence flows, loops in the graph, and decisions read by conditions."""
from __future__ import annotations

from .elements import CONTAINERS, FLOW_NODES, KNOWN_NAMES, NSMAP, WAITING_CATCH_DEFINITIONS, _b, _c, _local, _text
from .report import ERROR, WARNING, _label, _lc, _quoted
from .scripts import _BUILTIN_NAMES, _assigned_names, _compared_literals, _free_names, _syntax_problem


class FlowChecks:
    """Sequence flows and their conditions, gateways, the graph's loops and decisions."""

    def check_flows(self, flows):
        for flow in flows:
            container = self.container(flow)
            for attr, en_dir, vi_dir in (("sourceRef", "starts at", "đi từ"), ("targetRef", "ends at", "đi tới")):
                ref = flow.get(attr)
                node = self.nodes.get(ref)
                if node is None or self.container(node) is not container:
                    en, vi = _label(flow)
                    self.add(ERROR, "flow_reference_missing", flow,
                             f"{en} {en_dir} “{ref}”, which is not an element of the same process or sub-process.",
                             f"{vi} {vi_dir} “{ref}”, không phải là phần tử của cùng quy trình hay quy trình con.")
            condition = flow.find(_b("conditionExpression"))
            if _text(condition):
                language = (condition.get("language") or "").strip()
                hint = None
                if language and "python" not in language.lower():
                    hint = (f" Its language is “{language}”; only Python runs here.",
                            f" Ngôn ngữ của nó là “{language}”; ở đây chỉ chạy Python.")
                self.check_code(flow, condition, _text(condition), "eval", "condition", *self.what_condition(flow),
                                hint=hint)


    def what_condition(self, element):
        en, vi = _label(element)
        return f"The condition of {_lc(en)}", f"Điều kiện của {_lc(vi)}"


    def check_complexGateway(self, node, en, vi):  # noqa: N802
        self.add(ERROR, "unsupported_element", node,
                 f"{en}: the engine does not support complex gateways. Use an exclusive, inclusive or parallel "
                 "gateway instead.",
                 f"{vi}: bộ máy quy trình không hỗ trợ cổng phức hợp. Hãy dùng cổng loại trừ, cổng bao hàm hoặc cổng "
                 "song song thay thế.")


    def check_exclusiveGateway(self, node, en, vi):  # noqa: N802
        outgoing = self.out_flows.get(node.get("id"), [])
        if len(outgoing) < 2:
            return
        default = node.get("default")
        for flow in outgoing:
            if flow.get("id") == default or _text(flow.find(_b("conditionExpression"))):
                continue
            flow_en, flow_vi = _label(flow)
            self.add(ERROR, "flow_without_condition", flow,
                     f"{flow_en} leaves {_lc(en)}, which has {len(outgoing)} outgoing flows, but it has no condition "
                     "and is not the gateway's default flow. Give it a condition or make it the default flow.",
                     f"{flow_vi} đi ra từ {_lc(vi)} có {len(outgoing)} luồng ra, nhưng luồng này không có điều kiện "
                     "và không phải là luồng mặc định của cổng. Hãy đặt điều kiện cho nó hoặc đặt nó làm luồng "
                     "mặc định.")


    check_inclusiveGateway = check_exclusiveGateway

    def check_graph(self):
        nodes = self.nodes
        edges = {}
        for flow in self.flows:
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            if source in nodes and target in nodes:
                edges.setdefault(source, set()).add(target)
        for node_id, node in nodes.items():
            if _local(node) == "boundaryEvent" and node.get("attachedToRef") in nodes:
                edges.setdefault(node.get("attachedToRef"), set()).add(node_id)

        waiting = {node_id for node_id, node in nodes.items() if self.waits(node)}
        quick = [n for n in nodes if n not in waiting]
        quick_edges = {n: {t for t in edges.get(n, ()) if t not in waiting} for n in quick}
        for component in _cycles(quick, quick_edges):
            members = sorted((nodes[n] for n in component), key=lambda el: self.order[el])
            labels = [_label(m) for m in members]
            shown_en = ", ".join(en for en, _ in labels[:6]) + (", …" if len(labels) > 6 else "")
            shown_vi = ", ".join(vi for _, vi in labels[:6]) + (", …" if len(labels) > 6 else "")
            self.add(ERROR, "unbounded_loop", members[0],
                     f"A loop with no human or waiting step can run forever: {shown_en} form a cycle without a user "
                     "task, service task or waiting event (and the engine stalls after about 1000 rounds). Put such "
                     "a step in the loop, or remove the loop.",
                     f"Vòng lặp không có bước do người thực hiện hay bước chờ có thể chạy mãi: {shown_vi} tạo thành "
                     "một chu trình không có tác vụ người dùng, tác vụ dịch vụ hay sự kiện chờ nào (và bộ máy quy "
                     "trình bị treo sau khoảng 1000 vòng). Hãy đặt một bước như vậy vào vòng lặp, hoặc bỏ vòng lặp.")
        for component in _cycles(list(nodes), edges):
            for node_id in component:
                node = nodes[node_id]
                if _local(node) == "parallelGateway" and len(self.in_flows.get(node_id, [])) > 1:
                    en, vi = _label(node)
                    self.add(WARNING, "loop_through_parallel_join", node,
                             f"{en} joins parallel branches inside a loop: in the second round it fires when one "
                             "branch arrives, counting the other branch's token from the first round. Keep loops "
                             "inside a branch, before the join.",
                             f"{vi} hợp nhất các nhánh song song nằm trong một vòng lặp: ở vòng thứ hai nó kích hoạt "
                             "khi chỉ một nhánh đến, vì tính cả token của nhánh kia từ vòng đầu. Hãy giữ vòng lặp bên "
                             "trong một nhánh, trước điểm hợp nhất.")
        self.check_decisions()


    def waits(self, node):
        local = _local(node)
        # A plain bpmn:task is manual in SpiffWorkflow 3.2 (NoneTask.manual is True): someone must complete it.
        if local in ("userTask", "manualTask", "task", "receiveTask", "serviceTask", "boundaryEvent",
                     "eventBasedGateway"):
            return True
        if local == "intermediateCatchEvent":
            return any(node.find(_b(d)) is not None for d in WAITING_CATCH_DEFINITIONS)
        if local in CONTAINERS:
            return any(self.waits(d) for d in node.iter() if _local(d) in FLOW_NODES and d is not node)
        if local == "callActivity":
            called = self.process_by_id.get(node.get("calledElement"))
            if called is None:
                return True  # reported as unresolved; do not guess
            return any(self.waits(d) for d in called.iter() if _local(d) in FLOW_NODES)
        return False


    def decision_fields(self):
        """(form field ids, {enum field id: its option ids}) of every user task in scope."""
        fields, options = set(), {}
        for node in self.nodes.values():
            for form_field in node.iterfind("bpmn:extensionElements/camunda:formData/camunda:formField", NSMAP):
                field_id = form_field.get("id")
                if not field_id:
                    continue
                fields.add(field_id)
                if form_field.get("type") == "enum":
                    options.setdefault(field_id, set()).update(
                        v.get("id") for v in form_field.iterfind("camunda:value", NSMAP) if v.get("id"))
        return fields, options

    def defined_names(self):
        """Names code may read: what every process gets, builtins, form fields, service results, names
        scripts assign (pre- and post-scripts included), multi-instance variables."""
        fields, _options = self.decision_fields()
        defined = set(KNOWN_NAMES) | _BUILTIN_NAMES | fields
        for node in self.nodes.values():
            local = _local(node)
            if local == "serviceTask":
                defined.add(node.get("id"))
                operator = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NSMAP)
                if operator is not None and operator.get("resultVariable"):
                    defined.add(operator.get("resultVariable"))
            elif local == "scriptTask":
                defined |= _assigned_names(_text(node.find(_b("script"))))
            for tag in ("preScript", "postScript"):
                defined |= _assigned_names(_text(node.find(f"bpmn:extensionElements/spiffworkflow:{tag}", NSMAP)))
            for name in ("elementVariable", "collection"):
                for mi in node.iterfind(_b("multiInstanceLoopCharacteristics")):
                    if mi.get(_c(name)):
                        defined.add(mi.get(_c(name)))
        return defined

    def check_decisions(self):
        """Gateway conditions after a user task should read that task's form (enum decision fields)."""
        _fields, options = self.decision_fields()
        defined = self.defined_names()
        for gateway in self.nodes.values():
            if _local(gateway) not in ("exclusiveGateway", "inclusiveGateway"):
                continue
            incoming = [self.nodes.get(f.get("sourceRef")) for f in self.in_flows.get(gateway.get("id"), [])]
            tasks = [t for t in incoming if t is not None and _local(t) == "userTask"
                     and t.find("bpmn:extensionElements/camunda:formData/camunda:formField", NSMAP) is not None]
            for flow in self.out_flows.get(gateway.get("id"), []):
                source = _text(flow.find(_b("conditionExpression")))
                if not source or _syntax_problem(source, "eval"):
                    continue
                flow_en, flow_vi = _label(flow)
                undefined = sorted(_free_names(source) - defined)
                if tasks and undefined:
                    task_en, task_vi = _label(tasks[0])
                    task_fields = [f.get("id") for f in tasks[0].iterfind(
                        "bpmn:extensionElements/camunda:formData/camunda:formField", NSMAP) if f.get("id")]
                    self.add(WARNING, "decision_variable_undefined", flow,
                             f"The condition of {_lc(flow_en)} after {_lc(task_en)} uses {_quoted(undefined)}, which "
                             f"no form field defines. Check the spelling against the form fields "
                             f"({', '.join(task_fields)}).",
                             f"Điều kiện của {_lc(flow_vi)} sau {_lc(task_vi)} dùng {_quoted(undefined)} nhưng không "
                             f"có trường biểu mẫu nào định nghĩa. Hãy kiểm tra chính tả so với các trường biểu mẫu "
                             f"({', '.join(task_fields)}).")
                for variable, value in _compared_literals(source):
                    if variable in options and value not in options[variable]:
                        listed = ", ".join(sorted(options[variable]))
                        self.add(WARNING, "decision_option_unknown", flow,
                                 f"The condition of {_lc(flow_en)} compares {variable} with “{value}”, which is not "
                                 f"one of its options ({listed}).",
                                 f"Điều kiện của {_lc(flow_vi)} so sánh {variable} với “{value}”, không phải là một "
                                 f"trong các lựa chọn của trường này ({listed}).")


def _cycles(nodes, edges):
    """Strongly connected components that contain a cycle (Tarjan, iterative)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(sorted(edges.get(start, ()))))]
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(edges.get(succ, ())))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    found.append(component)
    return found
