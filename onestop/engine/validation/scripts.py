"""Code in the file (scripts, conditions, timers, parameters): its syntax, the names it reads, and the
script sandbox's verdict translated into Vietnamese."""
from __future__ import annotations

import ast
import builtins
import functools
import re
import warnings

from django.utils import translation

from .elements import NSMAP, _b, _clean, _text
from .report import ERROR, _lc

_BUILTIN_NAMES = frozenset(dir(builtins))


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


# The sandbox's sentences (onestop/engine/sandbox/checker.py and child.py, in English) and their Vietnamese.
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


class ScriptChecks:
    """Script tasks and every piece of code: syntax first, then the sandbox."""

    def check_pre_post_scripts(self, node, en, vi):
        """SpiffArena's pre- and post-scripts run like script tasks: the same checks, at upload."""
        for tag, what_en, what_vi in (("preScript", "The pre-script", "Kịch bản chạy trước"),
                                      ("postScript", "The post-script", "Kịch bản chạy sau")):
            holder = node.find(f"bpmn:extensionElements/spiffworkflow:{tag}", NSMAP)
            if holder is None or not _text(holder):
                continue
            self.check_code(node, holder, holder.text, "exec", "script", f"{what_en} of {_lc(en)}",
                            f"{what_vi} của {_lc(vi)}")

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
