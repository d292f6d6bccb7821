"""Checks of the file as a whole, each process, its ids and its lanes."""
from __future__ import annotations

from lxml import etree

from onestop.engine.lanes import APPLICANT, role_code_of_lane

from .elements import CONTAINERS, FLOW_NODES, LOOKED_UP, NSMAP, TASKS, _b, _clean, _local, _text
from .report import ERROR, WARNING, _label, _lc, _listing

AUTOMATIC_PROPERTY = "onestop:automatic"


class ProcessChecks:
    """The definitions, each process in scope, ids shared with extension elements, lanes."""

    def check_definitions(self):
        root = self.root
        if self.zeebe:
            self.add(WARNING, "camunda8_extensions", None,
                     "The file uses Camunda 8 (Zeebe) extensions, which this system ignores: only Camunda 7 "
                     "properties are read (in Camunda Modeler, create a Camunda 7 diagram).",
                     "Tệp dùng phần mở rộng của Camunda 8 (Zeebe), hệ thống này bỏ qua chúng: chỉ đọc thuộc tính "
                     "Camunda 7 (trong Camunda Modeler, hãy tạo sơ đồ Camunda 7).")
        # SpiffWorkflow refuses the whole file for any data store, even one in a pool that does not run.
        referenced = {r.get("dataStoreRef") for p in self.scope for r in p.iter(_b("dataStoreReference"))}
        for store in root.iter(_b("dataStore")):
            if store.get("id") in referenced:
                continue  # reported at its references, which the admin sees on the diagram
            self.data_store(store)
        if self.chosen is None:
            return
        scope_ids = {p.get("id") for p in self.scope}
        for participant in root.iter(_b("participant")):
            process = self.process_by_id.get(participant.get("processRef"))
            if process is None or process.get("id") in scope_ids:
                continue
            en, vi = _label(participant)
            pname = _clean(process.get("name")) or process.get("id")
            if process in self.executable:
                self.add(WARNING, "process_not_chosen", participant,
                         f"{en} holds process “{pname}”, which is executable but not the chosen one; only "
                         f"“{self.chosen.get('id')}” will run.",
                         f"{vi} chứa quy trình “{pname}” thực thi được nhưng không được chọn; chỉ quy trình "
                         f"“{self.chosen.get('id')}” sẽ chạy.")
            else:
                self.add(WARNING, "non_executable_pool", participant,
                         f"{en} holds process “{pname}”, which is not executable: it stays in the diagram for "
                         "reading but will not run.",
                         f"{vi} chứa quy trình “{pname}” không thực thi được: quy trình này vẫn nằm trong sơ đồ để "
                         "tham khảo nhưng sẽ không chạy.")


    def check_duplicate_ids(self):
        """Every id once in the file (the schema would only say "not a valid value of xs:ID")."""
        first = {}
        for element in self.root.iter():
            if _local(element) is None or not element.get("id"):
                continue  # extension elements' ids (form fields, options) are checked by check_ids
            element_id = element.get("id")
            if element_id not in first:
                first[element_id] = element
                continue
            self.duplicate_ids.add(element_id)
            earlier = first[element_id]
            en, vi = _label(element)
            earlier_en, earlier_vi = _label(earlier)
            self.add(ERROR, "duplicate_id", element,
                     f"Id “{element_id}” is used on line {earlier.sourceline} ({_lc(earlier_en)}) and on line "
                     f"{element.sourceline} ({_lc(en)}); ids must be unique in the file. Rename one of them.",
                     f"Id “{element_id}” được dùng ở dòng {earlier.sourceline} ({_lc(earlier_vi)}) và ở dòng "
                     f"{element.sourceline} ({_lc(vi)}); id phải là duy nhất trong tệp. Hãy đổi tên một trong hai.")

    def check_human_steps(self):
        """A procedure without any human step finishes at the desk's accept: say so, unless it is marked
        automatic (``onestop:automatic`` = ``true`` among the process's extension properties)."""
        if self.chosen is None or self.is_automatic(self.chosen):
            return
        human = ("userTask", "manualTask", "task")
        if any(_local(node) in human for process in self.scope for node in process.iter()):
            return
        en, vi = _label(self.chosen)
        self.add(WARNING, "no_human_step", self.chosen,
                 f"{en} has no user or manual task: no official acts on the dossier, which ends as soon as the "
                 f"desk accepts it. If that is intended, mark the process automatic (property {AUTOMATIC_PROPERTY} "
                 "= true); otherwise add the officials' steps.",
                 f"{vi} không có tác vụ người dùng hay tác vụ thủ công nào: không cán bộ nào xử lý hồ sơ, hồ sơ "
                 f"kết thúc ngay khi bộ phận một cửa tiếp nhận. Nếu đúng như vậy, hãy đánh dấu quy trình là tự động "
                 f"(thuộc tính {AUTOMATIC_PROPERTY} = true); nếu không, hãy thêm các bước của cán bộ.")

    def is_automatic(self, process):
        for prop in process.iterfind("bpmn:extensionElements/*/*", NSMAP):
            if etree.QName(prop).localname == "property" and prop.get("name") == AUTOMATIC_PROPERTY:
                return (prop.get("value") or "").strip().lower() == "true"
        return False

    def check_named_flows(self):
        for flow in self.named_flows:
            en, vi = _label(flow)
            source, target = flow.get("sourceRef") or "?", flow.get("targetRef") or "?"
            self.add(WARNING, "flow_without_id", flow,
                     f"The sequence flow from “{source}” to “{target}” has no id; it runs as drawn under the id "
                     f"“{flow.get('id')}”. Give it an id in the modeler so that reports and diagrams can name it.",
                     f"Luồng tuần tự từ “{source}” đến “{target}” không có id; luồng vẫn chạy như đã vẽ với id "
                     f"“{flow.get('id')}”. Hãy đặt id cho nó trong công cụ mô hình hóa để báo cáo và sơ đồ gọi "
                     "được tên nó.")

    def data_store(self, element):
        en, vi = _label(element)
        self.add(ERROR, "data_store", element,
                 f"{en} is a data store; the engine has no data stores. Remove it and its data associations, and "
                 "keep the data in form fields or process variables.",
                 f"{vi} là kho dữ liệu; bộ máy quy trình không hỗ trợ kho dữ liệu. Hãy xóa nó cùng các liên kết dữ "
                 "liệu của nó, và lưu dữ liệu trong trường biểu mẫu hoặc biến quy trình.")


    def check_process(self, process):
        elements = [el for el in process.iter() if isinstance(el.tag, str)]
        nodes = [el for el in elements if _local(el) in FLOW_NODES]
        flows = [el for el in elements if _local(el) == "sequenceFlow"]
        self.register(nodes, flows)
        self.ids = {}
        for element in elements:
            if _local(element) and element.get("id"):
                self.ids.setdefault(element.get("id"), element)
        self.data_objects = {el.get("id") for el in elements if _local(el) == "dataObject"}
        lanes = [el for el in elements if _local(el) == "lane"]

        if not any(_local(c) == "startEvent" for c in process):
            en, vi = _label(process)
            self.add(ERROR, "process_without_start", process, f"{en} has no start event; add one.",
                     f"{vi} không có sự kiện bắt đầu; hãy thêm một sự kiện bắt đầu.")
        self.check_ids(process, elements)
        self.check_lanes(process, nodes, lanes)
        self.check_flows(flows)
        for element in elements:
            local = _local(element)
            if local is None:
                continue
            if local in TASKS and not _clean(element.get("name")):
                en, vi = _label(element)
                self.add(WARNING, "task_without_name", element,
                         f"{en} has no name; officials and citizens would see only its id. Give it a name.",
                         f"{vi} không có tên; cán bộ và người dân sẽ chỉ thấy id của nó. Hãy đặt tên cho nó.")
            if local in FLOW_NODES:
                self.check_node(element, local)
            elif local == "dataStoreReference":
                self.data_store(element)
            elif local == "timerEventDefinition":
                self.check_timer(element)
            if local in ("messageEventDefinition", "signalEventDefinition", "errorEventDefinition",
                         "escalationEventDefinition", "receiveTask", "sendTask"):
                self.check_event_reference(element, local)
            elif local == "conditionalEventDefinition":
                condition = element.find(_b("condition"))
                if _text(condition):
                    event = element.getparent()
                    self.check_code(event, condition, _text(condition), "eval", "condition",
                                    *self.what_condition(event))


    def register(self, nodes, flows):
        for node in nodes:
            if not node.get("id"):
                continue  # the schema check reports it
            self.nodes.setdefault(node.get("id"), node)
        for flow in flows:
            self.flows.append(flow)
            self.out_flows.setdefault(flow.get("sourceRef"), []).append(flow)
            self.in_flows.setdefault(flow.get("targetRef"), []).append(flow)


    def container(self, element):
        parent = element.getparent()
        while parent is not None and _local(parent) not in CONTAINERS | {"process"}:
            parent = parent.getparent()
        return parent


    def lane_of(self, node):
        """The lane name SpiffWorkflow gives ``node``: a sub-process passes its lane to what it contains."""
        container = self.container(node)
        inherited = self.lane_of(container) if container is not None and _local(container) != "process" else None
        return inherited if inherited is not None else self.lane_by_node.get(node.get("id"))


    # ids: SpiffWorkflow indexes every element with an id, form fields and enum options included.
    def check_ids(self, process, elements):
        extension_ids = {}
        for element in elements:
            if _local(element) is None and element.get("id"):
                extension_ids.setdefault(element.get("id"), []).append(element)
        if not extension_ids:
            return
        for element in elements:
            if _local(element) not in LOOKED_UP or element.get("id") not in extension_ids:
                continue
            clashes = extension_ids[element.get("id")]
            scope = self.container(element)
            later = [c for c in clashes if self.order[c] > self.order[element] and self.inside(c, scope)]
            other = (later or clashes)[0]
            what_en, what_vi, where_en, where_vi = self.describe_extension(other)
            en, vi = _label(element)
            eid = element.get("id")
            if later:
                self.add(ERROR, "id_collision", element,
                         f"Id “{eid}” is used both by {_lc(en)} and by {what_en}{where_en}. SpiffWorkflow indexes all "
                         "ids together, so the file cannot load; rename one of them.",
                         f"Id “{eid}” được dùng cho cả {_lc(vi)} và {what_vi}{where_vi}. SpiffWorkflow đánh chỉ mục "
                         "mọi id chung với nhau nên không nạp được tệp; hãy đổi tên một trong hai.")
            else:
                self.add(WARNING, "id_shared", element,
                         f"Id “{eid}” is used both by {_lc(en)} and by {what_en}{where_en}. It loads only because "
                         "the element comes later in the file; rename one of them before a change in the modeler "
                         "breaks it.",
                         f"Id “{eid}” được dùng cho cả {_lc(vi)} và {what_vi}{where_vi}. Tệp nạp được chỉ vì phần tử "
                         "này đứng sau trong tệp; hãy đổi tên một trong hai trước khi một thay đổi trong công cụ mô "
                         "hình hóa làm hỏng nó.")


    def inside(self, element, ancestor):
        parent = element.getparent()
        while parent is not None:
            if parent is ancestor:
                return True
            parent = parent.getparent()
        return False


    def describe_extension(self, element):
        local = etree.QName(element).localname
        label = _clean(element.get("label") or element.get("name")) or element.get("id")
        if local == "formField":
            what = (f"form field “{label}”", f"trường biểu mẫu “{label}”")
        elif local == "value":
            field_el = element.getparent()
            field_name = _clean(field_el.get("label")) or field_el.get("id")
            what = (f"option “{label}” of form field “{field_name}”",
                    f"lựa chọn “{label}” của trường biểu mẫu “{field_name}”")
        else:
            what = (f"extension element {local} “{label}”", f"phần tử mở rộng {local} “{label}”")
        owner = element.getparent()
        while owner is not None and _local(owner) not in FLOW_NODES:
            owner = owner.getparent()
        if owner is None:
            return what[0], what[1], "", ""
        en, vi = _label(owner)
        return what[0], what[1], f" in {_lc(en)}", f" trong {_lc(vi)}"


    def check_lanes(self, process, nodes, lanes):
        ctx = self.ctx
        known = {c.lower() for c in ctx.role_codes} | {APPLICANT}
        lane_elements = {}
        for lane in lanes:
            if lane.get("name"):
                lane_elements.setdefault(lane.get("name"), lane)
        used = {}
        for node in nodes:
            lane_name = self.lane_of(node)
            if lane_name:
                used.setdefault(lane_name, node)
        for lane_name, node in used.items():
            code = role_code_of_lane(lane_name)
            if code in known:
                continue
            element = lane_elements.get(lane_name)
            if element is None:  # a lane of another process claims this node
                element = next((la for la in self.root.iter(_b("lane")) if la.get("name") == lane_name), node)
            en, vi = _label(element)
            roles_en, roles_vi = _listing(sorted(ctx.role_codes))
            self.add(ERROR, "unknown_role", element,
                     f"{en} names the routing role “{code}”, which is not defined. Name the lane after a routing "
                     "role, alone or in brackets at the end (“Ủy ban nhân dân phường [ward]”). Defined roles: "
                     f"{roles_en}; and applicant for the citizen.",
                     f"{vi} chỉ vai trò điều phối “{code}” chưa được định nghĩa. Hãy đặt tên làn theo một vai trò "
                     "điều phối, đứng riêng hoặc trong ngoặc vuông ở cuối tên (“Ủy ban nhân dân phường [ward]”). "
                     f"Các vai trò đã định nghĩa: {roles_vi}; và applicant cho người dân.")
        if lane_elements:
            for node in nodes:
                if _local(node) == "userTask" and not self.lane_of(node):
                    en, vi = _label(node)
                    self.add(WARNING, "task_outside_lane", node,
                             f"{en} is outside every lane although the process has lanes; it will go to the "
                             "receiving agency.",
                             f"{vi} nằm ngoài mọi làn trong khi quy trình có làn; bước này sẽ được giao cho cơ quan "
                             "tiếp nhận.")
