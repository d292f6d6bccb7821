"""One validation run: read the file, index it, choose the process, then every check in turn."""
from __future__ import annotations

import re

from django.utils import translation

from onestop.engine import parsing

from .connectors import ServiceTaskChecks
from .elements import FLOW_NODES, ZEEBE_NS, _b, _clean, _local
from .engine_parse import EngineChecks
from .events import EventChecks
from .flows import FlowChecks
from .messages import MessageChecks
from .processes import ProcessChecks
from .report import ERROR, Entry, Report, _label, _listing
from .scripts import ScriptChecks
from .tasks import TaskChecks


class Validation(ProcessChecks, TaskChecks, FlowChecks, EventChecks, MessageChecks, ScriptChecks,
                 ServiceTaskChecks, EngineChecks):
    """Collects entries; each check is a method of one of the mixins, grouped by element kind."""

    def __init__(self, xml_bytes, context, sandbox=None):
        self.xml_bytes = xml_bytes
        self.ctx = context
        self.entries = []
        self.root = None
        self.dialect = None
        self.chosen = None
        self.scope = []  # process elements checked
        self.sandbox = sandbox  # check_source(source, mode), or None: syntax only
        self.nodes, self.flows, self.out_flows, self.in_flows = {}, [], {}, {}
        self.ids, self.data_objects = {}, set()
        self.schema_messages = set()
        self.named_flows = []
        self.duplicate_ids = set()


    def add(self, level, code, element, message, message_vi, line=None):
        element_id = element_name = ""
        if element is not None:
            element_id = element.get("id") or ""
            element_name = _clean(element.get("name") or element.get("label"))
            if line is None and isinstance(element.sourceline, int):
                line = element.sourceline
        self.entries.append(Entry(level, code, element_id, element_name, line, message, message_vi))


    def report(self):
        seen, entries = set(), []
        for entry in self.entries:
            key = (entry.level, entry.code, entry.element_id, entry.message)
            if key not in seen:
                seen.add(key)
                entries.append(entry)
        entries.sort(key=lambda e: (e.level != ERROR, e.line or 0))
        chosen = self.chosen
        return Report(
            entries=entries,
            dialect=self.dialect,
            process_id=chosen.get("id") if chosen is not None else None,
            process_name=(_clean(chosen.get("name")) or chosen.get("id")) if chosen is not None else None,
        )


    def has_error(self, codes=None, element_id=None):
        for entry in self.entries:
            if entry.level != ERROR:
                continue
            if codes is not None and entry.code not in codes:
                continue
            if element_id is not None and entry.element_id != element_id:
                continue
            return True
        return False


    def run(self):
        if not self.read():
            return
        self.dialect = parsing.detect_dialect(self.root)
        # Check what will run: the file as parse_bpmn prepares it (timers quoted, flows named).
        self.named_flows = parsing.prepare(self.root)
        self.index()
        if not self.choose_process():
            return
        # Each step on its own: a bug in one check must not hide what the others find.
        self.guarded(self.check_definitions)
        self.guarded(self.check_duplicate_ids)
        self.guarded(self.check_named_flows)
        for process in self.scope:
            self.guarded(self.check_process, process)
        self.guarded(self.check_graph)
        self.guarded(self.check_messages)
        self.guarded(self.check_human_steps)
        self.guarded(self.check_schema)
        self.guarded(self.check_engine)


    def guarded(self, step, *args):
        try:
            step(*args)
        except Exception as exc:  # noqa: BLE001
            self.add(ERROR, "validator_failed", None,
                     f"Part of the file could not be checked ({step.__name__}: {type(exc).__name__}: {exc}).",
                     f"Không kiểm tra được một phần của tệp ({step.__name__}: {type(exc).__name__}: {exc}).")


    def read(self):
        data = self.xml_bytes
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, bytes | bytearray | memoryview):
            self.add(ERROR, "not_xml", None, "The upload is not a file.", "Dữ liệu tải lên không phải là tệp.")
            return False
        self.xml_bytes = data = bytes(data)
        try:
            with translation.override("en"):
                self.root = parsing.read_xml(data)
            return True
        except parsing.BpmnError as exc:
            self.read_error(data, str(exc.message))
        except Exception as exc:  # noqa: BLE001 - e.g. ValueError from lxml on odd input
            self.add(ERROR, "not_xml", None, f"The file cannot be read as XML: {exc}",
                     f"Không đọc được tệp dưới dạng XML: {exc}")
        return False


    def read_error(self, data, message):
        if len(data) > parsing.MAX_BPMN_BYTES:
            self.add(ERROR, "file_too_large", None,
                     f"The file is larger than 5 MB ({len(data) // 1024} KB).",
                     f"Tệp lớn hơn 5 MB ({len(data) // 1024} KB).")
        elif "DOCTYPE" in message:
            self.add(ERROR, "doctype_refused", None,
                     "The file contains a DOCTYPE declaration. Such files are refused because a DOCTYPE can "
                     "define entities (a known way to attack servers); export the diagram again from the modeler.",
                     "Tệp có khai báo DOCTYPE. Các tệp như vậy bị từ chối vì DOCTYPE có thể định nghĩa thực thể "
                     "(một cách tấn công máy chủ đã biết); hãy xuất lại sơ đồ từ công cụ mô hình hóa.")
        elif "well-formed" in message:
            detail = message.split(": ", 1)[-1]
            lines = re.findall(r"line (\d+)", detail)
            self.add(ERROR, "not_xml", None, f"The file is not well-formed XML: {detail}",
                     f"Tệp không phải là XML hợp lệ: {detail}", line=int(lines[-1]) if lines else None)
        elif "BPMN" in message:
            self.add(ERROR, "not_bpmn", None,
                     "The file is not a BPMN 2.0 document: its root element must be bpmn:definitions.",
                     "Tệp không phải là tài liệu BPMN 2.0: phần tử gốc phải là bpmn:definitions.")
        else:
            self.add(ERROR, "unreadable_file", None, f"The file cannot be read: {message}",
                     f"Không đọc được tệp: {message}")


    def index(self):
        root = self.root
        self.processes = list(root.iter(_b("process")))
        self.process_by_id = {p.get("id"): p for p in self.processes}
        self.executable = [p for p in self.processes if p.get("isExecutable", "true") == "true"]
        self.order = {}
        self.zeebe = False
        zeebe_prefix = f"{{{ZEEBE_NS}}}"
        for i, element in enumerate(root.iter()):
            self.order[element] = i
            if not self.zeebe and isinstance(element.tag, str) and element.tag.startswith(zeebe_prefix):
                self.zeebe = True
        # SpiffWorkflow's lane index: every flowNodeRef of the document, the last one wins.
        self.lane_by_node = {}
        for ref in root.iter(_b("flowNodeRef")):
            if ref.text is not None:
                self.lane_by_node[ref.text] = ref.getparent().get("name")


    def choose_process(self):
        ctx = self.ctx
        executable_ids = [p.get("id") for p in self.executable]
        if not self.processes:
            self.add(ERROR, "no_process", None,
                     "The file contains no process (no bpmn:process element): there is nothing to run.",
                     "Tệp không chứa quy trình nào (không có phần tử bpmn:process): không có gì để chạy.")
            return False
        if ctx.process_id:
            if ctx.process_id in executable_ids:
                self.chosen = self.process_by_id[ctx.process_id]
            else:
                en, vi = _listing(executable_ids)
                self.add(ERROR, "unknown_process", None,
                         f"The chosen process “{ctx.process_id}” is not an executable process of this file; "
                         f"executable processes: {en}.",
                         f"Quy trình được chọn “{ctx.process_id}” không phải là quy trình thực thi được trong tệp "
                         f"này; các quy trình thực thi được: {vi}.")
                self.scope = self.executable or self.candidates()
                return True
        elif len(self.executable) == 1:
            self.chosen = self.executable[0]
        elif not self.executable:
            self.scope = self.candidates()
            listed = [_label(p) for p in self.processes]
            first = self.scope[0] if self.scope else self.processes[0]
            self.add(ERROR, "no_executable_process", first,
                     "The file has no executable process. Mark the process to run with isExecutable=\"true\" "
                     "(Camunda Modeler: tick “Executable” in the process properties). Processes in the file: "
                     + "; ".join(en for en, _ in listed) + ".",
                     "Tệp không có quy trình thực thi được. Hãy đánh dấu quy trình cần chạy bằng "
                     "isExecutable=\"true\" (Camunda Modeler: chọn “Executable” trong thuộc tính quy trình). "
                     "Các quy trình trong tệp: " + "; ".join(vi for _, vi in listed) + ".")
            return True
        else:
            self.scope = list(self.executable)
            listed = [_label(p) for p in self.executable]
            en, vi = "; ".join(en for en, _ in listed), "; ".join(vi for _, vi in listed)
            self.add(ERROR, "several_executable_processes", self.executable[0],
                     f"The file has {len(executable_ids)} executable processes: {en}. Choose the one to run when "
                     "uploading, or keep isExecutable=\"true\" on one only (a process without the attribute "
                     "counts as executable).",
                     f"Tệp có {len(executable_ids)} quy trình thực thi được: {vi}. Hãy chọn quy trình cần chạy khi "
                     "tải lên, hoặc chỉ để isExecutable=\"true\" cho một quy trình (quy trình không có thuộc tính "
                     "này được coi là thực thi được).")
            return True
        self.scope = self.with_called(self.chosen)
        return True


    def candidates(self):
        """Processes an admin could mark executable: those with at least one flow node."""
        found = [p for p in self.processes if any(_local(c) in FLOW_NODES for c in p)]
        return found or list(self.processes)


    def with_called(self, process):
        """``process`` and the processes of this file its call activities reach."""
        scope, todo = [process], [process]
        while todo:
            current = todo.pop()
            for call in current.iter(_b("callActivity")):
                called = self.process_by_id.get(call.get("calledElement"))
                if called is not None and called not in scope:
                    scope.append(called)
                    todo.append(called)
        return scope
