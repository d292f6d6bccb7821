"""What code is allowed: our own AST rules, in plain English, then RestrictedPython's ``compile_restricted``.

The same check runs at upload (``check_source``, for the report) and in the sandbox process before
every run (``_check_and_compile``). Imports only the standard library and RestrictedPython, so that
the sandbox process can load it without the server's packages.
"""
import ast
import re
import textwrap

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

try:
    from .limits import MAX_SOURCE_CHARS
except ImportError:  # loaded by the sandbox process as a top-level module
    from limits import MAX_SOURCE_CHARS

_FILENAME = "<bpmn>"
_MODES = ("eval", "exec")

# Names refused wherever they appear: builtins that open a way out (or read input, or print nowhere).
UNAVAILABLE_NAMES = frozenset({
    "eval", "exec", "compile", "getattr", "setattr", "delattr", "hasattr", "globals", "locals", "vars",
    "dir", "type", "__import__", "breakpoint", "input", "help", "open", "exit", "quit", "print", "printed",
    "memoryview", "object", "super", "classmethod", "staticmethod", "property",
})
_FORMAT_ATTRIBUTES = frozenset({"format", "format_map"})


class _Checker(ast.NodeVisitor):
    def __init__(self):
        self.problems = []  # (line, message)

    def _add(self, node, message):
        self.problems.append((getattr(node, "lineno", None), message))

    def _name(self, node, name):
        if name is None:
            return
        if name.startswith("_"):
            self._add(node, "names beginning with an underscore are not allowed")
        elif name in UNAVAILABLE_NAMES:
            self._add(node, f"'{name}' is not available")

    def visit_Import(self, node):
        self._add(node, "imports are not allowed")

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node):
        self._add(node, "class definitions are not allowed")
        self.generic_visit(node)

    def _async(self, node):
        self._add(node, "asynchronous code is not allowed")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_AsyncFor = visit_AsyncWith = visit_Await = _async

    def visit_Nonlocal(self, node):
        self._add(node, "'nonlocal' is not allowed")

    def visit_Global(self, node):
        for name in node.names:
            self._name(node, name)

    def visit_Name(self, node):
        self._name(node, node.id)

    def visit_FunctionDef(self, node):
        self._name(node, node.name)
        self.generic_visit(node)

    def visit_arg(self, node):
        self._name(node, node.arg)
        self.generic_visit(node)

    def visit_keyword(self, node):
        if node.arg is not None and node.arg.startswith("_"):
            self._add(node, "names beginning with an underscore are not allowed")
        self.generic_visit(node)

    def visit_ExceptHandler(self, node):
        self._name(node, node.name)
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr.startswith("_"):
            self._add(node, "attributes beginning with an underscore are not allowed")
        elif node.attr in _FORMAT_ATTRIBUTES:
            self._add(node, f"str.{node.attr} is not allowed (a format string can read hidden attributes); "
                            "use an f-string")
        elif node.attr in INSPECT_ATTRIBUTES:
            self._add(node, f"the attribute '{node.attr}' is not allowed")
        self.generic_visit(node)


def _normalise(source, mode):
    # eval() ignores leading blanks; XML text often has them around a condition or an indented script.
    return source.strip() if mode == "eval" else textwrap.dedent(source)


def _excerpt(source, line):
    lines = source.splitlines()
    if not line or line > len(lines):
        return ""
    text = lines[line - 1].strip()
    return text if len(text) <= 80 else text[:77] + "..."


def _sentences(source, problems):
    seen, out = set(), []
    for line, message in problems:
        excerpt = _excerpt(source, line)
        sentence = f"{message} (line {line}: {excerpt})" if line and excerpt else message
        if sentence not in seen:
            seen.add(sentence)
            out.append(sentence)
    return out


_RP_ERROR = re.compile(r"^Line (\d+): (.*?)\.?$", re.S)


def _check_and_compile(source, mode):
    """``(problems, code)``: problems as ``(line, message)``; code only when there is none."""
    if mode not in _MODES:
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    if not isinstance(source, str):
        return [(None, "the code must be text")], None
    if len(source) > MAX_SOURCE_CHARS:
        return [(None, f"the code is longer than {MAX_SOURCE_CHARS} characters")], None
    source = _normalise(source, mode)
    try:
        tree = ast.parse(source, _FILENAME, mode)
    except SyntaxError as exc:
        return [(exc.lineno, f"syntax error: {exc.msg}")], None
    except (ValueError, RecursionError, MemoryError):
        return [(None, "the code cannot be read (null character, or nested too deeply)")], None
    checker = _Checker()
    checker.visit(tree)
    problems = list(checker.problems)
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(source, _FILENAME)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return problems + [(None, f"the code cannot be compiled ({exc})")], None
    flagged = {line for line, _ in problems}
    for error in result.errors:
        match = _RP_ERROR.match(error)
        line, message = (int(match[1]), match[2]) if match else (None, error.rstrip("."))
        if line not in flagged or line is None:
            problems.append((line, message))
    if problems or result.code is None:
        return problems or [(None, "the code cannot be compiled")], None
    return [], result.code


def check_source(source: str, mode: str) -> list[str]:
    """What is wrong with ``source`` for ``mode`` ("eval": conditions, parameters, timers; "exec": scripts).

    One plain-English sentence per problem, with the line; an empty list when the code may run.
    """
    problems, _ = _check_and_compile(source, mode)
    return _sentences(_normalise(source, mode) if isinstance(source, str) else "", problems)

