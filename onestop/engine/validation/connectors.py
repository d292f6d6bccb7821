"""Checks of service tasks: the operator a connector provides, and its parameters."""
from __future__ import annotations

from lxml import etree

from .elements import CAMUNDA_NS, NSMAP, _c
from .report import ERROR, WARNING, _lc, _listing, _quoted


class ServiceTaskChecks:
    """Service tasks name an operator and give its parameters as expressions."""

    def check_serviceTask(self, node, en, vi):  # noqa: N802
        ops_en, ops_vi = _listing(sorted(self.ctx.operators))
        if self.dialect == "spiff":
            operator = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NSMAP)
            if operator is None or not operator.get("id"):
                self.add(ERROR, "service_task_no_operator", node,
                         f"{en} names no operator: choose one in the service task's properties "
                         f"(spiffworkflow:serviceTaskOperator). Operators: {ops_en}.",
                         f"{vi} không chỉ định thao tác: hãy chọn một thao tác trong thuộc tính của tác vụ dịch vụ "
                         f"(spiffworkflow:serviceTaskOperator). Các thao tác hiện có: {ops_vi}.")
                return
            parameters = {}
            for param in operator.iterfind(".//spiffworkflow:parameter", NSMAP):
                if param.get("id"):
                    parameters[param.get("id")] = (param, param.get("value"))
            self.check_operator(node, en, vi, operator.get("id"), parameters,
                                ("Add them to the operator's parameters.", "Hãy thêm chúng vào tham số của thao tác."))
            return
        how = self.implementation(node)
        if self.dialect == "camunda" and node.get(_c("type")) == "external" and node.get(_c("topic")):
            parameters = {}
            for param in node.iterfind(".//camunda:inputOutput/camunda:inputParameter", NSMAP):
                parameters[param.get("name") or ""] = (param, None if len(param) else (param.text or ""))
            self.check_operator(node, en, vi, node.get(_c("topic")), parameters,
                                ("Add camunda:inputParameter elements with these names.",
                                 "Hãy thêm các camunda:inputParameter với những tên này."))
        elif how is not None:
            self.add(ERROR, "service_task_unsupported", node,
                     f"{en} is implemented by {how[0]}, which this system cannot run. Only external tasks are "
                     f"supported: camunda:type=\"external\" camunda:topic=\"<operator>\" with one of: {ops_en}.",
                     f"{vi} được thực hiện bằng {how[1]}, hệ thống này không chạy được. Chỉ hỗ trợ tác vụ bên "
                     f"ngoài: camunda:type=\"external\" camunda:topic=\"<thao tác>\" với một trong các thao tác: "
                     f"{ops_vi}.")
        elif self.dialect == "camunda":
            self.add(ERROR, "service_task_no_operator", node,
                     f"{en} names no operator: a service task needs camunda:type=\"external\" and "
                     f"camunda:topic=\"<operator>\" naming one of the operators the connectors provide: {ops_en}.",
                     f"{vi} không chỉ định thao tác: tác vụ dịch vụ cần camunda:type=\"external\" và "
                     f"camunda:topic=\"<thao tác>\" là một trong các thao tác mà kết nối cung cấp: {ops_vi}.")
        else:
            self.add(ERROR, "service_task_no_operator", node,
                     f"{en} names no operator, and plain BPMN cannot say which connector does the work. Add "
                     f"camunda:type=\"external\" camunda:topic=\"<operator>\" (Camunda 7 properties, e.g. in Camunda "
                     f"Modeler) with one of: {ops_en}.",
                     f"{vi} không chỉ định thao tác, và BPMN thuần không thể nói kết nối nào thực hiện công việc. Hãy "
                     f"thêm camunda:type=\"external\" camunda:topic=\"<thao tác>\" (thuộc tính Camunda 7, ví dụ trong "
                     f"Camunda Modeler) với một trong các thao tác: {ops_vi}.")


    def implementation(self, node):
        """(en, vi) describing an implementation we cannot run, or None."""
        for attr, en, vi in (("class", "a Java class", "một lớp Java"),
                             ("delegateExpression", "a delegate expression", "một biểu thức ủy quyền"),
                             ("expression", "an expression", "một biểu thức")):
            for name, value in node.attrib.items():
                if name.startswith("{") and etree.QName(name).localname == attr and value:
                    prefix = "camunda" if name.startswith(f"{{{CAMUNDA_NS}}}") else etree.QName(name).namespace
                    shown = f"{prefix}:{attr}=\"{value}\"" if prefix == "camunda" else f"{attr}=\"{value}\""
                    return f"{en} ({shown})", f"{vi} ({shown})"
        if node.find("bpmn:extensionElements/camunda:connector", NSMAP) is not None:
            return "a Camunda connector (camunda:connector)", "một connector của Camunda (camunda:connector)"
        task = node.find(".//zeebe:taskDefinition", NSMAP)
        if task is not None:
            job = task.get("type") or ""
            return (f"a Camunda 8 job type (zeebe:taskDefinition type=\"{job}\")",
                    f"một loại công việc của Camunda 8 (zeebe:taskDefinition type=\"{job}\")")
        impl = node.get("implementation") or ""
        if impl and impl.lower().lstrip("#") not in ("webservice", "unspecified", ""):
            return f"implementation=\"{impl}\"", f"implementation=\"{impl}\""
        return None


    def check_operator(self, node, en, vi, operator, parameters, how_to_add):
        ops_en, ops_vi = _listing(sorted(self.ctx.operators))
        schema = self.ctx.operators.get(operator)
        if schema is None:
            self.add(ERROR, "unknown_operator", node,
                     f"{en} names operator “{operator}”, which no connector provides. Operators: {ops_en}.",
                     f"{vi} dùng thao tác “{operator}” nhưng chưa có kết nối nào cung cấp. Các thao tác hiện có: "
                     f"{ops_vi}.")
        else:
            schema = schema if isinstance(schema, dict) else {}
            required = [r for r in schema.get("required") or [] if isinstance(r, str)]
            missing = [r for r in required if r not in parameters]
            if missing:
                self.add(ERROR, "missing_parameter", node,
                         f"{en} does not give the parameter(s) {_quoted(missing)} that operator “{operator}” "
                         f"requires. {how_to_add[0]}",
                         f"{vi} chưa cung cấp tham số {_quoted(missing)} mà thao tác “{operator}” yêu cầu. "
                         f"{how_to_add[1]}")
            properties = schema.get("properties")
            if schema.get("additionalProperties") is False and isinstance(properties, dict):
                extra = [p for p in parameters if p not in properties]
                if extra:
                    self.add(WARNING, "unknown_parameter", node,
                             f"{en} gives the parameter(s) {_quoted(extra)}, which operator “{operator}” does not "
                             "accept.",
                             f"{vi} cung cấp tham số {_quoted(extra)} mà thao tác “{operator}” không nhận.")
        for name, (element, source) in parameters.items():
            what = (f"Parameter “{name}” of {_lc(en)}", f"Tham số “{name}” của {_lc(vi)}")
            if source is None:
                kind = etree.QName(element[0]).localname
                self.add(ERROR, "parameter_invalid", node,
                         f"{what[0]} is a camunda:{kind}, not a Python expression; write it as one expression "
                         "(a list or dict literal works).",
                         f"{what[1]} là camunda:{kind}, không phải biểu thức Python; hãy viết thành một biểu thức "
                         "(có thể dùng danh sách hoặc dict của Python).", line=element.sourceline)
            elif not source.strip():
                self.add(ERROR, "parameter_invalid", node, f"{what[0]} is empty.", f"{what[1]} đang để trống.",
                         line=element.sourceline)
            else:
                self.check_code(node, element, source.strip(), "eval", "parameter", *what)
