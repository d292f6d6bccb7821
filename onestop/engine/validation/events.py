"""Checks of events: message, signal, error and escalation references, boundary and end events, timers."""
from __future__ import annotations

from lxml import etree

from .elements import NSMAP, OUTCOMES, _b, _local, _text
from .report import ERROR, WARNING, _label, _lc


class EventChecks:
    """Event definitions and the events that hold them."""

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


    def check_boundaryEvent(self, node, en, vi):  # noqa: N802
        if not any(etree.QName(c).localname.endswith("EventDefinition") for c in node if _local(c)):
            self.add(ERROR, "event_without_definition", node,
                     f"{en} catches nothing: it has no event definition (timer, message, signal, error…). Give it "
                     "one or remove it.",
                     f"{vi} không chờ sự kiện nào: nó không có định nghĩa sự kiện (hẹn giờ, thông điệp, tín hiệu, "
                     "lỗi…). Hãy thêm định nghĩa sự kiện hoặc xóa nó.")


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
        else:
            self.check_code(event, holders[0], source, "eval", "timer", *what)
