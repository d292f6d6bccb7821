"""Checks of messages and signals: nothing in onestop delivers them between processes.

SpiffWorkflow delivers a message or a signal that one element of the running process throws to the
elements of the same process that wait for it; anything else would have to come from the host, and
onestop sends none. So every wait for a message or a signal that no element in scope throws is
refused, as are send and receive tasks without a message, and the correlation expressions of the
messages that are thrown are checked like any code (they run when the message is built).
"""
from __future__ import annotations

from .elements import NSMAP, _b, _local, _text
from .report import ERROR, _label, _lc, _quoted
from .scripts import _free_names

_KIND_VI = {"message": "thông điệp", "signal": "tín hiệu"}
_CATCHERS = ("intermediateCatchEvent", "boundaryEvent", "startEvent")
_THROWERS = ("intermediateThrowEvent", "endEvent")


class MessageChecks:
    """Which messages and signals are thrown in scope, and who waits for what."""

    def event_name(self, kind, ref):
        """The name SpiffWorkflow matches a message or signal by (its name, else its id)."""
        definition = next((d for d in self.root.iter(_b(kind)) if d.get("id") == ref), None) if ref else None
        return (definition.get("name") or ref) if definition is not None else ref

    def check_messages(self):
        thrown = {"message": set(), "signal": set()}
        waits = []  # (element, kind, name)
        for process in self.scope:
            for node in process.iter():
                local = _local(node)
                if local == "sendTask":
                    self.check_message_task(node, "sendTask")
                    if node.get("messageRef"):
                        thrown["message"].add(self.event_name("message", node.get("messageRef")))
                elif local == "receiveTask":
                    self.check_message_task(node, "receiveTask")
                    if node.get("messageRef"):
                        waits.append((node, "message", self.event_name("message", node.get("messageRef"))))
                elif local in _THROWERS or local in _CATCHERS:
                    for kind in ("message", "signal"):
                        for definition in node.iterfind(_b(f"{kind}EventDefinition")):
                            name = self.event_name(kind, definition.get(f"{kind}Ref"))
                            if local in _THROWERS:
                                thrown[kind].add(name)
                            else:
                                waits.append((node, kind, name))
        for node, kind, name in waits:
            if name in thrown[kind] and not self.is_process_start(node):
                continue
            if self.has_error(element_id=node.get("id") or ""):
                continue  # already refused (e.g. its message is not defined): one reason is enough
            self.never_delivered(node, kind, name)
        self.check_correlations(thrown)

    def is_process_start(self, node):
        """A start event of a top-level process: onestop starts the process itself, nothing can come before."""
        return _local(node) == "startEvent" and _local(node.getparent()) == "process"

    def check_message_task(self, node, local):
        if node.get("messageRef") or self.has_error(element_id=node.get("id") or ""):
            return
        en, vi = _label(node)
        verb_en, verb_vi = ("sends", "gửi") if local == "sendTask" else ("waits for", "chờ")
        self.add(ERROR, "message_missing", node,
                 f"{en} {verb_en} no message (messageRef is missing): it would run as a step that does nothing. "
                 "Choose the message, or make it a user, script or service task.",
                 f"{vi} không {verb_vi} thông điệp nào (thiếu messageRef): nó sẽ chạy như một bước không làm gì. "
                 "Hãy chọn thông điệp, hoặc đổi thành tác vụ người dùng, kịch bản hay dịch vụ.")

    def never_delivered(self, node, kind, name):
        en, vi = _label(node)
        shown = f"“{name}”" if name else "(no name)"
        if self.is_process_start(node):
            self.add(ERROR, f"{kind}_start", node,
                     f"{en} starts the process when the {kind} {shown} arrives, but onestop starts a procedure's "
                     f"process itself when the dossier is accepted and delivers no {kind}s between processes. Use a "
                     "plain start event.",
                     f"{vi} bắt đầu quy trình khi {_KIND_VI[kind]} {shown} đến, nhưng onestop tự bắt đầu quy trình "
                     f"của thủ tục khi tiếp nhận hồ sơ và không chuyển {_KIND_VI[kind]} giữa các quy trình. Hãy dùng "
                     "sự kiện bắt đầu thường.")
            return
        self.add(ERROR, f"{kind}_never_sent", node,
                 f"{en} waits for the {kind} {shown}, which no element of this process sends; onestop delivers no "
                 f"{kind}s between processes, so the dossier would wait there forever. Throw the {kind} in this "
                 "process, or use a user task, a service task or a timer instead.",
                 f"{vi} chờ {_KIND_VI[kind]} {shown} mà không phần tử nào của quy trình này gửi; onestop không "
                 f"chuyển {_KIND_VI[kind]} giữa các quy trình, nên hồ sơ sẽ chờ ở đó mãi mãi. Hãy phát "
                 f"{_KIND_VI[kind]} trong chính quy trình này, hoặc dùng tác vụ người dùng, tác vụ dịch vụ hay bộ "
                 "hẹn giờ thay thế.")

    def check_correlations(self, thrown):
        """Correlation and payload expressions run when a thrown message or signal is built: like code, over
        the thrower's data."""
        defined = self.defined_names()
        holders = []
        for retrieval in self.root.iter(_b("correlationPropertyRetrievalExpression")):
            if self.event_name("message", retrieval.get("messageRef")) not in thrown["message"]:
                continue  # the message is never built here (its waits are refused above)
            property_ = retrieval.getparent()
            for holder in retrieval:
                if _local(holder) in ("messagePath", "formalExpression"):
                    holders.append((property_, holder))
        for process in self.scope:
            for holder in process.iterfind(".//spiffworkflow:processVariableCorrelation/spiffworkflow:expression",
                                           NSMAP):
                owner = holder.getparent()
                while owner is not None and _local(owner) is None:
                    owner = owner.getparent()
                holders.append((owner, holder))
        payloads = []
        payload_tags = [f"{{{NSMAP['spiffworkflow']}}}{tag}" for tag in ("messagePayload", "payloadExpression")]
        for kind in ("message", "signal"):  # SpiffArena keeps the payload on the message or signal
            for definition in self.root.iter(_b(kind)):
                if (definition.get("name") or definition.get("id")) in thrown[kind]:
                    payloads.extend((definition, h) for h in definition.iter(*payload_tags))
        for process in self.scope:  # older files keep it on the throwing element
            for holder in process.iter(*payload_tags):
                owner = holder.getparent()
                while owner is not None and _local(owner) not in _THROWERS + ("sendTask",):
                    owner = owner.getparent()
                if owner is not None:
                    payloads.append((owner, holder))
        for owner, holder in holders + payloads:
            source = _text(holder)
            en, vi = _label(owner)
            payload = (owner, holder) in payloads
            if payload:
                what = (f"The payload expression of {_lc(en)}", f"Biểu thức nội dung của {_lc(vi)}")
            else:
                what = (f"The correlation expression of {_lc(en)}", f"Biểu thức tương quan của {_lc(vi)}")
            if not source:
                self.add(ERROR, "expression_invalid", owner, f"{what[0]} is empty.", f"{what[1]} đang để trống.",
                         line=holder.sourceline)
                continue
            before = len(self.entries)
            self.check_code(owner, holder, source, "eval", "expression", *what)
            if len(self.entries) > before:
                continue
            undefined = sorted(_free_names(source) - defined)
            if undefined:
                self.add(ERROR, "payload_undefined" if payload else "correlation_undefined", owner,
                         f"{what[0]} reads {_quoted(undefined)}, which no form field, script or service task of the "
                         "process defines; it runs when the message or signal is built and would fail there.",
                         f"{what[1]} đọc {_quoted(undefined)} nhưng không trường biểu mẫu, kịch bản hay tác vụ dịch "
                         "vụ nào của quy trình định nghĩa; biểu thức chạy khi tạo thông điệp hay tín hiệu và sẽ lỗi ở "
                         "đó.", line=holder.sourceline)
