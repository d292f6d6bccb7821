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
  non_executable_pool (w), process_not_chosen (w);
- elements: data_store, data_association, business_rule_task, service_task_no_operator,
  service_task_unsupported, unknown_operator, missing_parameter, unknown_parameter (w),
  external_task_not_service, multi_instance_without_cardinality, loop_without_limit,
  subprocess_without_start, subprocess_several_starts, subprocess_without_end, call_activity_unresolved,
  unsupported_element, multiple_outgoing_flows, flow_reference_missing, event_reference_missing,
  event_without_definition, id_collision, id_shared (w), task_without_name (w), manual_step (w),
  end_event_outcome (w);
- routing: unknown_role, task_outside_lane (w), unknown_official_role, task_without_form (w);
- decisions and code: flow_without_condition, decision_variable_undefined (w), decision_option_unknown (w),
  {condition,script,parameter,timer,expression}_invalid (syntax), {...}_refused (script sandbox),
  timer_unquoted, timer_cycle;
- loops: unbounded_loop, loop_through_parallel_join (w);
- engine_refused: what only SpiffWorkflow's own parse noticed; validator_failed: a bug here.
"""
from __future__ import annotations

import ast
import builtins
import functools
import re
import warnings
from dataclasses import asdict, dataclass, field

from django.utils import translation
from lxml import etree

from onestop.engine import parsing
from onestop.organisation.lanes import APPLICANT, role_code_of_lane

BPMN_NS = parsing.BPMN_MODEL_NS
CAMUNDA_NS = parsing.CAMUNDA_NS
SPIFF_NS = parsing.SPIFF_NS
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
NSMAP = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiffworkflow": SPIFF_NS, "zeebe": ZEEBE_NS}

ERROR = "error"
WARNING = "warning"
OUTCOMES = ("refused", "issued", "completed")
MAX_LISTED = 12

_BPMN_PREFIX = f"{{{BPMN_NS}}}"
_BUILTIN_NAMES = frozenset(dir(builtins))

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

_KINDS = {
    "task": ("Task", "Tác vụ"),
    "userTask": ("User task", "Tác vụ người dùng"),
    "manualTask": ("Manual task", "Tác vụ thủ công"),
    "serviceTask": ("Service task", "Tác vụ dịch vụ"),
    "scriptTask": ("Script task", "Tác vụ kịch bản"),
    "sendTask": ("Send task", "Tác vụ gửi"),
    "receiveTask": ("Receive task", "Tác vụ nhận"),
    "businessRuleTask": ("Business rule task", "Tác vụ quy tắc nghiệp vụ"),
    "callActivity": ("Call activity", "Hoạt động gọi"),
    "subProcess": ("Sub-process", "Quy trình con"),
    "transaction": ("Transaction", "Giao dịch"),
    "adHocSubProcess": ("Ad-hoc sub-process", "Quy trình con tùy biến"),
    "startEvent": ("Start event", "Sự kiện bắt đầu"),
    "endEvent": ("End event", "Sự kiện kết thúc"),
    "intermediateCatchEvent": ("Intermediate catch event", "Sự kiện chờ trung gian"),
    "intermediateThrowEvent": ("Intermediate throw event", "Sự kiện phát trung gian"),
    "boundaryEvent": ("Boundary event", "Sự kiện biên"),
    "exclusiveGateway": ("Exclusive gateway", "Cổng loại trừ"),
    "parallelGateway": ("Parallel gateway", "Cổng song song"),
    "inclusiveGateway": ("Inclusive gateway", "Cổng bao hàm"),
    "eventBasedGateway": ("Event-based gateway", "Cổng theo sự kiện"),
    "complexGateway": ("Complex gateway", "Cổng phức hợp"),
    "sequenceFlow": ("Sequence flow", "Luồng tuần tự"),
    "lane": ("Lane", "Làn"),
    "process": ("Process", "Quy trình"),
    "participant": ("Pool", "Bể (pool)"),
    "dataStore": ("Data store", "Kho dữ liệu"),
    "dataStoreReference": ("Data store", "Kho dữ liệu"),
    "timerEventDefinition": ("Timer", "Bộ hẹn giờ"),
}


# --- What the caller gives and gets ---------------------------------------------------------------

@dataclass(frozen=True)
class ValidationContext:
    """What the database knows: routing-role codes (lanes), official roles (candidate groups),
    operators (name -> JSON Schema of the parameters), and which process to run when the file has several."""

    role_codes: set[str]
    official_roles: set[str]
    operators: dict[str, dict]
    process_id: str | None = None


@dataclass(frozen=True)
class Entry:
    level: str  # "error" or "warning"
    code: str  # stable machine code, e.g. "unknown_operator"
    element_id: str  # "" when the problem is the whole file
    element_name: str
    line: int | None
    message: str  # English
    message_vi: str  # Vietnamese

    def message_for(self, language=None):
        """The message in ``language`` (default: the active Django language)."""
        language = language or translation.get_language() or "en"
        return self.message_vi if language.lower().startswith("vi") else self.message


@dataclass
class Report:
    entries: list[Entry] = field(default_factory=list)
    dialect: str | None = None  # "camunda", "spiff", "bpmn"; None when the file could not be read
    process_id: str | None = None  # the executable process that would run
    process_name: str | None = None

    @property
    def errors(self):
        return [e for e in self.entries if e.level == ERROR]

    @property
    def warnings(self):
        return [e for e in self.entries if e.level == WARNING]

    @property
    def ok(self):
        return not self.errors

    def codes(self, level=None):
        return {e.code for e in self.entries if level is None or e.level == level}

    def as_dict(self):
        return {
            "ok": self.ok,
            "dialect": self.dialect,
            "process_id": self.process_id,
            "process_name": self.process_name,
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "entries": [asdict(e) for e in self.entries],
        }


def validate(xml_bytes, *, context: ValidationContext) -> Report:
    """Every problem of an uploaded BPMN file, errors first. Never raises."""
    run = _Validation(xml_bytes, context)
    try:
        run.run()
    except Exception as exc:  # noqa: BLE001 - a validator bug must still answer with a report
        run.add(ERROR, "validator_failed", None,
                f"The file could not be checked completely ({type(exc).__name__}: {exc}).",
                f"Không kiểm tra hết được tệp ({type(exc).__name__}: {exc}).")
    return run.report()


# --- Small helpers ---------------------------------------------------------------------------------

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


def _lc(text):
    return text[:1].lower() + text[1:] if text else text


def _label(element):
    """("Service task “Lookup” (id lookup)", "Tác vụ dịch vụ “Lookup” (id lookup)")."""
    local = _local(element) or etree.QName(element).localname
    kind_en, kind_vi = _KINDS.get(local, ("Element", "Phần tử"))
    name, element_id = _clean(element.get("name")), element.get("id") or "?"
    if name:
        return f"{kind_en} “{name}” (id {element_id})", f"{kind_vi} “{name}” (id {element_id})"
    return f"{kind_en} (id {element_id})", f"{kind_vi} (id {element_id})"


def _listing(items, none_en="none", none_vi="chưa có"):
    items = list(items)
    if not items:
        return none_en, none_vi
    text = ", ".join(items[:MAX_LISTED]) + (", …" if len(items) > MAX_LISTED else "")
    return text, text


def _quoted(names):
    return ", ".join(f"“{n}”" for n in names)


def _text(element):
    return (element.text or "").strip() if element is not None else ""


@functools.lru_cache(maxsize=2048)
def _syntax_problem(source, mode):
    """None if ``source`` compiles, else (English, Vietnamese) descriptions of the syntax error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<bpmn>", mode)
    except SyntaxError as exc:
        if mode == "exec" and exc.lineno:
            return f"{exc.msg} (line {exc.lineno})", f"lỗi cú pháp ({exc.msg}, dòng {exc.lineno})"
        return exc.msg, f"lỗi cú pháp ({exc.msg})"
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return f"{type(exc).__name__}: {exc}", f"không đọc được mã ({type(exc).__name__}: {exc})"
    return None


@functools.lru_cache(maxsize=2048)
def _free_names(source):
    """Names an expression reads that it does not bind itself (comprehension variables, lambdas)."""
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    loaded, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return frozenset(loaded - bound)


def _assigned_names(source):
    try:
        tree = ast.parse(source, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


@functools.lru_cache(maxsize=2048)
def _compared_literals(source):
    """(variable, "literal") pairs from ``var == "x"``, ``var != "x"`` and ``var in ("x", "y")``."""
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    pairs = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        left, op, right = node.left, node.ops[0], node.comparators[0]
        if isinstance(right, ast.Name) and isinstance(left, ast.Constant):
            left, right = right, left
        if not isinstance(left, ast.Name):
            continue
        if isinstance(op, ast.Eq | ast.NotEq) and isinstance(right, ast.Constant) and isinstance(right.value, str):
            pairs.append((left.id, right.value))
        elif isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.Tuple | ast.List | ast.Set):
            pairs.extend((left.id, e.value) for e in right.elts
                         if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return tuple(pairs)


def _expression_hint(source):
    text = source.strip()
    if text.startswith("="):
        return (" It looks like a FEEL expression (Camunda 8); write Python instead, e.g. decision == \"approve\".",
                " Có vẻ đây là biểu thức FEEL (Camunda 8); hãy viết bằng Python, ví dụ decision == \"approve\".")
    if "${" in text or "#{" in text:
        return (" It looks like a JUEL expression (${...}, Camunda 7 Java); write Python instead, "
                "e.g. decision == \"approve\".",
                " Có vẻ đây là biểu thức JUEL (${...}, Java của Camunda 7); hãy viết bằng Python, "
                "ví dụ decision == \"approve\".")
    return "", ""


# The sandbox's sentences (onestop/engine/sandbox.py, in English) and their Vietnamese.
_SANDBOX_VI = [
    (re.compile(r"names beginning with an underscore are not allowed"),
     "không được dùng tên bắt đầu bằng dấu gạch dưới"),
    (re.compile(r"attributes beginning with an underscore are not allowed"),
     "không được dùng thuộc tính bắt đầu bằng dấu gạch dưới"),
    (re.compile(r"imports are not allowed"), "không được dùng import"),
    (re.compile(r"class definitions are not allowed"), "không được định nghĩa lớp"),
    (re.compile(r"asynchronous code is not allowed"), "không được dùng mã bất đồng bộ"),
    (re.compile(r"'nonlocal' is not allowed"), "không được dùng 'nonlocal'"),
    (re.compile(r"'(?P<name>[^']+)' is not available"), "không được dùng '{name}'"),
    (re.compile(r"str\.(?P<name>\w+) is not allowed.*"),
     "không được dùng str.{name} (chuỗi định dạng có thể đọc thuộc tính ẩn); hãy dùng f-string"),
    (re.compile(r"the attribute '(?P<name>[^']+)' is not allowed"), "không được dùng thuộc tính '{name}'"),
    (re.compile(r"syntax error: (?P<detail>.*)"), "lỗi cú pháp: {detail}"),
    (re.compile(r"the code must be text"), "mã phải là văn bản"),
    (re.compile(r"the code is longer than (?P<n>\d+) characters"), "mã dài hơn {n} ký tự"),
    (re.compile(r"the code cannot be read.*"), "không đọc được mã (có ký tự null, hoặc lồng nhau quá sâu)"),
    (re.compile(r"the code cannot be compiled(?P<detail>.*)"), "không biên dịch được mã{detail}"),
]
_SANDBOX_LINE = re.compile(r" \(line (\d+): (.*)\)$", re.S)


def _sandbox_vi(sentence):
    """A sandbox sentence in Vietnamese; one we do not know stays in English."""
    where = _SANDBOX_LINE.search(sentence)
    core = sentence[:where.start()] if where else sentence
    for pattern, template in _SANDBOX_VI:
        match = pattern.fullmatch(core)
        if match:
            core = template.format(**match.groupdict())
            break
    return f"{core} (dòng {where[1]}: {where[2]})" if where else core


@functools.lru_cache(maxsize=2048)
def _sandbox_problems(check, source, mode):
    """``check(source, mode)`` as a tuple of sentences; the same code is checked once."""
    try:
        with translation.override("en"):
            found = check(source, mode)
    except Exception as exc:  # noqa: BLE001 - a sandbox failure refuses the code, it does not crash
        return (f"{type(exc).__name__}: {exc}",)
    if isinstance(found, str):
        found = [found]
    return tuple(str(p).rstrip(".") for p in found or [])


def _sandbox_checker():
    """``sandbox.check_source`` when the script sandbox is installed, else None (syntax check only)."""
    try:
        from onestop.engine import sandbox
    except Exception:  # noqa: BLE001 - not written yet, or broken: fall back to compile()
        return None
    check = getattr(sandbox, "check_source", None)
    return check if callable(check) else None


# --- The run ---------------------------------------------------------------------------------------

class _Validation:
    def __init__(self, xml_bytes, context):
        self.xml_bytes = xml_bytes
        self.ctx = context
        self.entries = []
        self.root = None
        self.dialect = None
        self.chosen = None
        self.scope = []  # process elements checked
        self.sandbox = _sandbox_checker()
        self.nodes, self.flows, self.out_flows, self.in_flows = {}, [], {}, {}
        self.ids, self.data_objects = {}, set()
        self.schema_messages = set()

    # entries -------------------------------------------------------------------------------------
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

    # steps ---------------------------------------------------------------------------------------
    def run(self):
        if not self.read():
            return
        self.dialect = parsing.detect_dialect(self.root)
        self.index()
        if not self.choose_process():
            return
        # Each step on its own: a bug in one check must not hide what the others find.
        self.guarded(self.check_definitions)
        for process in self.scope:
            self.guarded(self.check_process, process)
        self.guarded(self.check_graph)
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

    # index ---------------------------------------------------------------------------------------
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

    # whole file ----------------------------------------------------------------------------------
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

    def data_store(self, element):
        en, vi = _label(element)
        self.add(ERROR, "data_store", element,
                 f"{en} is a data store; the engine has no data stores. Remove it and its data associations, and "
                 "keep the data in form fields or process variables.",
                 f"{vi} là kho dữ liệu; bộ máy quy trình không hỗ trợ kho dữ liệu. Hãy xóa nó cùng các liên kết dữ "
                 "liệu của nó, và lưu dữ liệu trong trường biểu mẫu hoặc biến quy trình.")

    # one process ---------------------------------------------------------------------------------
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

    def check_event_reference(self, element, local):
        """Messages and signals are matched by name: SpiffWorkflow refuses a reference it cannot name."""
        kind = {"signalEventDefinition": "signal", "errorEventDefinition": "error",
                "escalationEventDefinition": "escalation"}.get(local, "message")
        attr = f"{kind}Ref"
        ref = element.get(attr)
        if ref is None or (not ref and kind != "message"):
            return
        owner = element if local in ("receiveTask", "sendTask") else element.getparent()
        definition = next((d for d in self.root.iter(_b(kind)) if d.get("id") == ref), None)
        needs_name = kind in ("message", "signal")
        if definition is not None and (definition.get("name") or not needs_name):
            return
        en, vi = _label(owner)
        kind_vi = {"message": "thông điệp", "signal": "tín hiệu", "error": "lỗi", "escalation": "leo thang"}[kind]
        if definition is None:
            self.add(ERROR, "event_reference_missing", owner,
                     f"{en} refers to the {kind} “{ref}”, which is not defined in the file. Define it (bpmn:{kind}) "
                     "or choose an existing one.",
                     f"{vi} tham chiếu {kind_vi} “{ref}” chưa được định nghĩa trong tệp. Hãy định nghĩa nó "
                     f"(bpmn:{kind}) hoặc chọn một {kind_vi} đã có.", line=element.sourceline)
        else:
            self.add(ERROR, "event_reference_missing", owner,
                     f"{en} refers to the {kind} “{ref}”, which has no name; the engine matches {kind}s by name. "
                     f"Give the {kind} a name.",
                     f"{vi} tham chiếu {kind_vi} “{ref}” không có tên; bộ máy quy trình khớp {kind_vi} theo tên. "
                     f"Hãy đặt tên cho {kind_vi} đó.", line=element.sourceline)

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

    # one node ------------------------------------------------------------------------------------
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

    def check_boundaryEvent(self, node, en, vi):  # noqa: N802
        if not any(etree.QName(c).localname.endswith("EventDefinition") for c in node if _local(c)):
            self.add(ERROR, "event_without_definition", node,
                     f"{en} catches nothing: it has no event definition (timer, message, signal, error…). Give it "
                     "one or remove it.",
                     f"{vi} không chờ sự kiện nào: nó không có định nghĩa sự kiện (hẹn giờ, thông điệp, tín hiệu, "
                     "lỗi…). Hãy thêm định nghĩa sự kiện hoặc xóa nó.")

    def check_task(self, node, en, vi):
        self.add(WARNING, "manual_step", node,
                 f"{en} has no type (a plain task): the engine makes it a manual step that someone must mark done, "
                 "with no form. Make it a user task with a form, or a script or service task.",
                 f"{vi} không có loại (tác vụ thường): bộ máy quy trình coi nó là một bước thủ công mà ai đó phải "
                 "đánh dấu hoàn thành, không có biểu mẫu. Hãy đổi thành tác vụ người dùng có biểu mẫu, hoặc tác vụ "
                 "kịch bản hay tác vụ dịch vụ.")

    check_manualTask = check_task

    def check_endEvent(self, node, en, vi):  # noqa: N802
        if self.dialect != "camunda":
            return
        for prop in node.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NSMAP):
            value = prop.get("value")
            if prop.get("name") == "outcome" and value not in OUTCOMES:
                self.add(WARNING, "end_event_outcome", node,
                         f"{en} has the outcome “{value}”; the outcomes understood are refused, issued and completed "
                         "(any other ends the dossier with its result ready at the receiving desk).",
                         f"{vi} có kết quả (outcome) “{value}”; các kết quả được hiểu là refused, issued và completed "
                         "(kết quả khác sẽ kết thúc hồ sơ với kết quả sẵn sàng tại bộ phận tiếp nhận).",
                         line=prop.sourceline)

    def check_scriptTask(self, node, en, vi):  # noqa: N802
        script = node.find(_b("script"))
        source = script.text if script is not None and script.text else ""
        fmt = (node.get("scriptFormat") or "").strip().lower()
        what = (f"The script of {_lc(en)}", f"Kịch bản của {_lc(vi)}")
        if fmt and fmt not in ("python", "python3", "py", "text/python", "text/x-python"):
            hint = (f" Its scriptFormat is “{fmt}”; only Python runs here.",
                    f" Định dạng kịch bản (scriptFormat) là “{fmt}”; ở đây chỉ chạy Python.")
        else:
            hint = ("", "")
        if not source.strip():
            self.add(ERROR, "script_invalid", node, f"{what[0]} is empty.{hint[0]}",
                     f"{what[1]} đang để trống.{hint[1]}")
            return
        self.check_code(node, script, source, "exec", "script", *what, hint=hint)

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

    # service tasks -------------------------------------------------------------------------------
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

    # timers and code -----------------------------------------------------------------------------
    def check_timer(self, definition):
        event = definition.getparent()
        en, vi = _label(event)
        holders = [c for c in definition if _local(c) in ("timeDate", "timeDuration", "timeCycle")]
        if not holders:
            self.add(ERROR, "timer_invalid", event,
                     f"The timer of {_lc(en)} has no time: give it a date, a duration (e.g. PT24H) or a cycle.",
                     f"Bộ hẹn giờ của {_lc(vi)} không có thời gian: hãy đặt ngày, khoảng thời gian (ví dụ PT24H) "
                     "hoặc chu kỳ.", line=definition.sourceline)
            return
        source = _text(holders[0])
        what = (f"The timer expression of {_lc(en)}", f"Biểu thức hẹn giờ của {_lc(vi)}")
        if _local(holders[0]) == "timeCycle":
            # A timer fires once (onestop.deadlines); repeated reminders are the deadlines app's job.
            self.add(ERROR, "timer_cycle", event,
                     f"{what[0]} repeats ({source}): repeating timers are not supported. Use a duration "
                     "(e.g. P2D) or a date; reminders before a deadline are sent by the system.",
                     f"{what[1]} lặp lại ({source}): không hỗ trợ bộ hẹn giờ lặp lại. Hãy dùng khoảng thời gian "
                     "(ví dụ P2D) hoặc ngày; hệ thống tự gửi nhắc việc trước hạn.", line=holders[0].sourceline)
            return
        if not source:
            self.add(ERROR, "timer_invalid", event, f"{what[0]} is empty.", f"{what[1]} đang để trống.",
                     line=holders[0].sourceline)
        elif parsing.ISO_TIMER.match(source):
            if self.dialect != "camunda":  # Camunda files are quoted when parsed (parsing.normalise_timers)
                self.add(ERROR, "timer_unquoted", event,
                         f"{what[0]} is {source} without quotes; outside Camunda files the timer is a Python "
                         f"expression, so write it as a string: \"{source}\".",
                         f"{what[1]} là {source} không có dấu nháy; ngoài tệp Camunda, bộ hẹn giờ là một biểu thức "
                         f"Python, nên hãy viết nó thành chuỗi: \"{source}\".", line=holders[0].sourceline)
        else:
            self.check_code(event, holders[0], source, "eval", "timer", *what)

    def check_code(self, element, holder, source, mode, kind, what_en, what_vi, hint=None):
        """Syntax first (compile), then the script sandbox when it is installed. Reported on ``element``,
        at the line of ``holder`` (the XML element that holds the code)."""
        line = holder.sourceline
        problem = _syntax_problem(source, mode)
        if problem is not None:
            hint_en, hint_vi = hint or _expression_hint(source)
            kind_en = "valid Python code" if mode == "exec" else "a valid Python expression"
            kind_vi = "mã Python hợp lệ" if mode == "exec" else "biểu thức Python hợp lệ"
            shown_en = shown_vi = ""
            if mode == "eval":
                snippet = _clean(source)
                snippet = snippet if len(snippet) <= 80 else snippet[:79] + "…"
                shown_en, shown_vi = f" in “{snippet}”", f" trong “{snippet}”"
            self.add(ERROR, f"{kind}_invalid", element,
                     f"{what_en} is not {kind_en}: {problem[0]}{shown_en}.{hint_en}",
                     f"{what_vi} không phải là {kind_vi}: {problem[1]}{shown_vi}.{hint_vi}", line=line)
            return
        if self.sandbox is None:
            return
        problems = self.sandbox_problems(source, mode)
        if not problems:
            return
        self.add(ERROR, f"{kind}_refused", element,
                 f"{what_en} is refused by the script sandbox: {'; '.join(problems)}.",
                 f"{what_vi} bị hộp cát kịch bản từ chối: {'; '.join(_sandbox_vi(p) for p in problems)}.", line=line)

    def sandbox_problems(self, source, mode):
        return _sandbox_problems(self.sandbox, source, mode)

    # graph: loops and decisions --------------------------------------------------------------------
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

    def check_decisions(self):
        """Gateway conditions after a user task should read that task's form (enum decision fields)."""
        fields, options = set(), {}
        defined = set(KNOWN_NAMES) | _BUILTIN_NAMES
        for node in self.nodes.values():
            local = _local(node)
            for form_field in node.iterfind("bpmn:extensionElements/camunda:formData/camunda:formField", NSMAP):
                field_id = form_field.get("id")
                if not field_id:
                    continue
                fields.add(field_id)
                if form_field.get("type") == "enum":
                    options.setdefault(field_id, set()).update(
                        v.get("id") for v in form_field.iterfind("camunda:value", NSMAP) if v.get("id"))
            if local == "serviceTask":
                defined.add(node.get("id"))
                operator = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NSMAP)
                if operator is not None and operator.get("resultVariable"):
                    defined.add(operator.get("resultVariable"))
            elif local == "scriptTask":
                defined |= _assigned_names(_text(node.find(_b("script"))))
            for name in ("elementVariable", "collection"):
                for mi in node.iterfind(_b("multiInstanceLoopCharacteristics")):
                    if mi.get(_c(name)):
                        defined.add(mi.get(_c(name)))
        defined |= fields
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

    # the BPMN schema -------------------------------------------------------------------------------
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

    # SpiffWorkflow's own parse ---------------------------------------------------------------------
    def check_engine(self):
        try:
            with translation.override("en"):
                if self.chosen is not None:
                    # What an upload runs: parse_bpmn, with whatever it normalises.
                    try:
                        parsing.parse_bpmn(self.xml_bytes, process_id=self.chosen.get("id"))
                    except parsing.BpmnError as exc:
                        self.engine_error(exc.__context__ or exc)
                else:
                    self.engine_parse_each()
        except Exception as exc:  # noqa: BLE001 - never let a foreign file's exception out raw
            self.engine_error(exc)

    def engine_parse_each(self):
        """Parse with the dialect's parser for each process in scope (several executables, or none)."""
        parser = parsing.parser_for(self.dialect)
        root = parsing.read_xml(self.xml_bytes)
        if self.dialect == "camunda":
            parsing.normalise_timers(root)
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
