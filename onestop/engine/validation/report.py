"""What the caller gives (``ValidationContext``) and gets (``Report`` of ``Entry``), and how elements are
named in the report's two languages."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.utils import translation
from lxml import etree

from .elements import _clean, _local

ERROR = "error"


WARNING = "warning"


MAX_LISTED = 12


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
    "message": ("Message", "Thông điệp"),
    "signal": ("Signal", "Tín hiệu"),
    "correlationProperty": ("Correlation property", "Thuộc tính tương quan"),
}


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
