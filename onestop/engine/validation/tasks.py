"""Checks of tasks and their forms, loops, sub-processes and call activities."""
from __future__ import annotations

from onestop.engine import budget

from .elements import ACTIVITIES, FLOW_NODES, NSMAP, SPLITTERS, TASKS, _b, _c, _clean, _local, _text
from .report import ERROR, WARNING, _label, _lc, _listing


class TaskChecks:
    """One flow node at a time (``check_node`` dispatches to ``check_<element>``), tasks first."""

    def check_node(self, node, local):
        en, vi = _label(node)
        outgoing = self.out_flows.get(node.get("id"), [])
        if len(outgoing) > 1 and local not in SPLITTERS:
            self.add(ERROR, "multiple_outgoing_flows", node,
                     f"{en} has {len(outgoing)} outgoing sequence flows; only gateways (and start events) may split "
                     "the flow. Add a parallel or exclusive gateway after it.",
                     f"{vi} có {len(outgoing)} luồng tuần tự đi ra; chỉ cổng (và sự kiện bắt đầu) mới được tách luồng. "
                     "Hãy thêm một cổng song song hoặc cổng loại trừ sau nó.")
        if local in ACTIVITIES:
            self.check_loops(node, en, vi)
        handler = getattr(self, f"check_{local}", None)
        if handler is not None:
            handler(node, en, vi)
        if local in TASKS and local not in ("serviceTask", "businessRuleTask") and self.dialect == "camunda":
            topic = node.get(_c("topic"))
            if topic or node.get(_c("type")) == "external":
                self.add(ERROR, "external_task_not_service", node,
                         f"{en} has camunda:type=\"external\" (topic “{topic or ''}”), but only service tasks are run "
                         "by connectors: this one would call nothing. Make it a service task.",
                         f"{vi} có camunda:type=\"external\" (chủ đề “{topic or ''}”), nhưng chỉ tác vụ dịch vụ mới "
                         "được kết nối thực hiện: tác vụ này sẽ không gọi gì cả. Hãy đổi nó thành tác vụ dịch vụ.")
        self.check_data_associations(node, en, vi)
        self.check_pre_post_scripts(node, en, vi)


    def check_data_associations(self, node, en, vi):
        """Data associations must reach a data object of the process (data stores are reported apart)."""
        unresolved = {"in": [], "out": []}
        for association, ref_tag, direction in (("dataInputAssociation", "sourceRef", "in"),
                                                ("dataOutputAssociation", "targetRef", "out")):
            for ref in node.iterfind(f"{_b(association)}/{_b(ref_tag)}"):
                ref_id = _text(ref)
                target = self.ids.get(ref_id) if ref_id else None
                if target is not None and _local(target) == "dataStoreReference":
                    continue
                if target is not None and _local(target) == "dataObjectReference" and \
                        target.get("dataObjectRef") in self.data_objects:
                    continue
                name = _clean(target.get("name")) if target is not None else ""
                unresolved[direction].append(f"“{name}” (id {ref_id})" if name else f"“{ref_id}”")
        if not unresolved["in"] and not unresolved["out"]:
            return
        parts_en = [f"{verb} {', '.join(refs)}" for verb, refs in
                    (("reads data from", unresolved["in"]), ("writes data to", unresolved["out"])) if refs]
        parts_vi = [f"{verb} {', '.join(refs)}" for verb, refs in
                    (("đọc dữ liệu từ", unresolved["in"]), ("ghi dữ liệu vào", unresolved["out"])) if refs]
        self.add(ERROR, "data_association", node,
                 f"{en} {' and '.join(parts_en)}, which the engine cannot resolve: only data objects of the process "
                 "can be read or written. Remove these data associations.",
                 f"{vi} {' và '.join(parts_vi)}, nhưng bộ máy quy trình không xác định được: chỉ đọc hoặc ghi được "
                 "đối tượng dữ liệu của quy trình. Hãy xóa các liên kết dữ liệu này.")


    def check_loops(self, node, en, vi):
        mi = node.find(_b("multiInstanceLoopCharacteristics"))
        if mi is not None:
            has_cardinality = _text(mi.find(_b("loopCardinality"))) != ""
            if self.dialect == "camunda":
                has_collection = bool(mi.get(_c("collection")))
            else:
                has_collection = _text(mi.find(_b("loopDataInputRef"))) != ""
            if not has_cardinality and not has_collection:
                self.add(ERROR, "multi_instance_without_cardinality", node,
                         f"{en} is multi-instance but says neither how many instances (loop cardinality) nor over "
                         "which collection (camunda:collection, or loop data input). Set one of them.",
                         f"{vi} là đa thể hiện nhưng không cho biết số thể hiện (loop cardinality) hay tập hợp để lặp "
                         "(camunda:collection, hoặc loop data input). Hãy đặt một trong hai.", line=mi.sourceline)
            literal = _text(mi.find(_b("loopCardinality")))
            limit = budget.max_instances()
            if literal.isdigit() and int(literal) > limit:
                self.add(ERROR, "multi_instance_too_many", node,
                         f"{en} runs {int(literal)} instances; at most {limit} are allowed (ONESTOP_MAX_INSTANCES). "
                         "Lower the loop cardinality, or loop over a collection in one script.",
                         f"{vi} chạy {int(literal)} thể hiện; tối đa cho phép là {limit} (ONESTOP_MAX_INSTANCES). "
                         "Hãy giảm số thể hiện, hoặc xử lý cả tập hợp trong một kịch bản.", line=mi.sourceline)
            for tag, what_en, what_vi in (("loopCardinality", "The loop cardinality", "Số thể hiện"),
                                          ("completionCondition", "The completion condition", "Điều kiện hoàn thành")):
                holder = mi.find(_b(tag))
                if _text(holder):
                    self.check_code(node, holder, _text(holder), "eval", "expression",
                                    f"{what_en} of {_lc(en)}", f"{what_vi} của {_lc(vi)}")
        loop = node.find(_b("standardLoopCharacteristics"))
        if loop is not None:
            condition = loop.find(_b("loopCondition"))
            if not loop.get("loopMaximum") and not _text(condition):
                self.add(ERROR, "loop_without_limit", node,
                         f"{en} is a standard loop without a loop condition or a loop maximum, so it would never "
                         "stop. Set one of them.",
                         f"{vi} là vòng lặp chuẩn nhưng không có điều kiện lặp hay số lần lặp tối đa, nên sẽ không "
                         "bao giờ dừng. Hãy đặt một trong hai.", line=loop.sourceline)
            elif _text(condition):
                self.check_code(node, condition, _text(condition), "eval", "expression",
                                f"The loop condition of {_lc(en)}", f"Điều kiện lặp của {_lc(vi)}")


    # per kind (called by name from check_node)
    def check_subProcess(self, node, en, vi):  # noqa: N802 - named after the BPMN element
        children = [c for c in node if _local(c) in FLOW_NODES]
        starts = [c for c in children if _local(c) == "startEvent"]
        if not children:
            self.add(ERROR, "subprocess_without_start", node,
                     f"{en} has no content (a collapsed sub-process with nothing inside). Model its steps inside it, "
                     "beginning with one start event.",
                     f"{vi} không có nội dung (quy trình con thu gọn không có gì bên trong). Hãy mô hình hóa các bước "
                     "bên trong nó, bắt đầu bằng một sự kiện bắt đầu.")
            return
        if not starts:
            self.add(ERROR, "subprocess_without_start", node,
                     f"{en} has no start event; the engine needs exactly one start event inside a sub-process. "
                     "Add a start event.",
                     f"{vi} không có sự kiện bắt đầu; bộ máy quy trình cần đúng một sự kiện bắt đầu bên trong quy "
                     "trình con. Hãy thêm một sự kiện bắt đầu.")
        elif len(starts) > 1:
            self.add(ERROR, "subprocess_several_starts", node,
                     f"{en} has {len(starts)} start events; the engine needs exactly one inside a sub-process.",
                     f"{vi} có {len(starts)} sự kiện bắt đầu; bộ máy quy trình cần đúng một sự kiện bắt đầu bên "
                     "trong quy trình con.")
        if not any(_local(c) == "endEvent" for c in children):
            self.add(ERROR, "subprocess_without_end", node,
                     f"{en} has no end event; add one inside the sub-process.",
                     f"{vi} không có sự kiện kết thúc; hãy thêm một sự kiện kết thúc bên trong quy trình con.")


    check_transaction = check_subProcess

    def check_callActivity(self, node, en, vi):  # noqa: N802
        called = node.get("calledElement")
        process = self.process_by_id.get(called) if called else None
        if not called:
            self.add(ERROR, "call_activity_unresolved", node,
                     f"{en} does not say which process it calls (calledElement).",
                     f"{vi} không cho biết gọi quy trình nào (calledElement).")
        elif process is None:
            self.add(ERROR, "call_activity_unresolved", node,
                     f"{en} calls process “{called}”, which is not in this file. A procedure is one file: model the "
                     "called steps as an embedded sub-process, or put that process in this file.",
                     f"{vi} gọi quy trình “{called}” không có trong tệp này. Mỗi thủ tục là một tệp: hãy mô hình hóa "
                     "các bước được gọi thành quy trình con nhúng, hoặc đưa quy trình đó vào tệp này.")
        elif process.get("isExecutable", "true") != "true":
            self.add(ERROR, "call_activity_unresolved", node,
                     f"{en} calls process “{called}”, which is not executable. Set isExecutable=\"true\" on it (and "
                     "choose the main process when uploading), or use an embedded sub-process.",
                     f"{vi} gọi quy trình “{called}” không thực thi được. Hãy đặt isExecutable=\"true\" cho quy trình "
                     "đó (và chọn quy trình chính khi tải lên), hoặc dùng quy trình con nhúng.")


    def check_task(self, node, en, vi):
        self.add(WARNING, "manual_step", node,
                 f"{en} has no type (a plain task): the engine makes it a manual step that someone must mark done, "
                 "with no form. Make it a user task with a form, or a script or service task.",
                 f"{vi} không có loại (tác vụ thường): bộ máy quy trình coi nó là một bước thủ công mà ai đó phải "
                 "đánh dấu hoàn thành, không có biểu mẫu. Hãy đổi thành tác vụ người dùng có biểu mẫu, hoặc tác vụ "
                 "kịch bản hay tác vụ dịch vụ.")


    check_manualTask = check_task

    def check_userTask(self, node, en, vi):  # noqa: N802
        fields = list(node.iterfind("bpmn:extensionElements/camunda:formData/camunda:formField", NSMAP))
        if not fields:
            self.add(WARNING, "task_without_form", node,
                     f"{en} has no form fields (camunda:formData): the step can only be marked done, without entering "
                     "a decision or any data.",
                     f"{vi} không có trường biểu mẫu nào (camunda:formData): bước này chỉ có thể được đánh dấu hoàn "
                     "thành, không nhập được quyết định hay dữ liệu nào.")
        if self.dialect != "camunda":
            return
        groups = [g.strip() for g in (node.get(_c("candidateGroups")) or "").split(",") if g.strip()]
        for group in groups:
            if group not in self.ctx.official_roles:
                roles_en, roles_vi = _listing(sorted(self.ctx.official_roles))
                self.add(ERROR, "unknown_official_role", node,
                         f"{en} names the candidate group “{group}”, which is not an official role. Official roles: "
                         f"{roles_en}.",
                         f"{vi} chỉ nhóm ứng viên “{group}” không phải là vai trò cán bộ. Các vai trò cán bộ: "
                         f"{roles_vi}.")


    def check_businessRuleTask(self, node, en, vi):  # noqa: N802
        ref = node.get(_c("decisionRef"))
        if not ref:
            spiff_ref = node.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NSMAP)
            zeebe_ref = node.find("bpmn:extensionElements/zeebe:calledDecision", NSMAP)
            ref = _text(spiff_ref) or (zeebe_ref.get("decisionId") if zeebe_ref is not None else "")
        if ref:
            self.add(ERROR, "business_rule_task", node,
                     f"{en} calls the decision table “{ref}” (DMN), but decision tables cannot be uploaded with a "
                     "procedure. Replace it with a script task, or with conditions on an exclusive gateway.",
                     f"{vi} gọi bảng quyết định “{ref}” (DMN), nhưng không thể tải bảng quyết định lên cùng thủ tục. "
                     "Hãy thay bằng tác vụ kịch bản, hoặc bằng điều kiện trên cổng loại trừ.")
        else:
            self.add(ERROR, "business_rule_task", node,
                     f"{en} has no decision table (camunda:decisionRef), and decision tables (DMN) are not supported. "
                     "Replace it with a script task, or with conditions on an exclusive gateway.",
                     f"{vi} không có bảng quyết định (camunda:decisionRef), và bảng quyết định (DMN) không được hỗ "
                     "trợ. Hãy thay bằng tác vụ kịch bản, hoặc bằng điều kiện trên cổng loại trừ.")
