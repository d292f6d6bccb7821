"""Conditions simple enough to decide without a sandbox process: task-data values compared with literals.

Most gateway conditions are ``decision == "approve"``; sending each to a sandbox process costs a round trip
of JSON through two pipes. An expression is decided here only when

- its syntax tree holds nothing but comparisons, ``and``/``or``/``not``, names and literal
  str/int/float/bool/None (a list or tuple of such literals only on the right of ``in``/``not in``;
  ``is``/``is not`` only against None, True or False): no calls, no attribute or item access, no
  arithmetic, and the upload check (``check_source``) accepts it;
- every name it reads holds a plain str, int, float (finite), bool or None in the task data, the values
  a JSON round trip leaves as they are, and their text is short.

It is then worked out by walking the tree (never ``eval``); the operations are those of the built-in
scalar types only. Anything else (a name missing from the data, a value of another type, an error while
comparing) gives ``UNDECIDED``, and the caller sends the expression to the sandbox, which answers or
fails exactly as it always did.
"""
import ast
import functools
import math
import operator

from .checker import _FILENAME, _normalise, check_source
from .limits import MAX_SOURCE_CHARS

UNDECIDED = object()

_SCALARS = frozenset({str, int, float, bool, type(None)})
_SINGLETONS = (None, True, False)
_MAX_CHARS = 10_000  # of the values read; the sandbox accepts far more (limits.MAX_DATA_BYTES)
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
}


def _literal(node):
    if not isinstance(node, ast.Constant) or type(node.value) not in _SCALARS:
        return False
    return not isinstance(node.value, float) or math.isfinite(node.value)


def _simple(node):
    """Whether the tree under ``node`` is made of the allowed nodes only."""
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Constant):
        return _literal(node)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not) and _simple(node.operand)
    if isinstance(node, ast.BoolOp):
        return all(_simple(value) for value in node.values)
    if isinstance(node, ast.Compare):
        left = node.left
        if not _simple(left):
            return False
        for op, right in zip(node.ops, node.comparators, strict=True):
            if type(op) not in _COMPARE:
                return False
            if isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.List | ast.Tuple):
                if not all(_literal(item) for item in right.elts):
                    return False
            elif not _simple(right):
                return False
            elif isinstance(op, ast.Is | ast.IsNot) and not any(
                    isinstance(side, ast.Constant) and any(side.value is s for s in _SINGLETONS)
                    for side in (left, right)):
                return False
            left = right
        return True
    return False


@functools.lru_cache(maxsize=2048)
def _compiled(source):
    """``(names read, tree)`` of an expression that qualifies, else None."""
    if len(source) > MAX_SOURCE_CHARS:
        return None
    try:
        tree = ast.parse(_normalise(source, "eval"), _FILENAME, "eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not _simple(tree.body) or check_source(source, "eval"):
        return None
    names = frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))
    return names, tree.body


def _value(node, names):
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):  # literals, on the right of ``in``
        return [item.value for item in node.elts]
    if isinstance(node, ast.UnaryOp):  # not
        return not _value(node.operand, names)
    if isinstance(node, ast.BoolOp):
        value = None
        for operand in node.values:
            value = _value(operand, names)
            if (not value) if isinstance(node.op, ast.And) else value:
                return value
        return value
    left = _value(node.left, names)  # a comparison, possibly chained
    for op, comparator in zip(node.ops, node.comparators, strict=True):
        right = _value(comparator, names)
        if not _COMPARE[type(op)](left, right):
            return False
        left = right
    return True


def evaluate(expression, context, external_context=None):
    """The value of ``expression`` over the task data, or ``UNDECIDED`` (then ask the sandbox)."""
    compiled = _compiled(expression) if isinstance(expression, str) else None
    if compiled is None:
        return UNDECIDED
    names, body = compiled
    values, chars = {}, 0
    for name in names:
        if name in context:  # as the sandbox sees it: the task data before the external context
            value = context[name]
        elif external_context and name in external_context:
            value = external_context[name]
        else:
            return UNDECIDED
        kind = type(value)
        if kind not in _SCALARS or (kind is float and not math.isfinite(value)):
            return UNDECIDED
        if kind is str:
            chars += len(value)
            if chars > _MAX_CHARS or not (value.isascii() or _utf8(value)):
                return UNDECIDED
        values[name] = value
    try:
        return _value(body, values)
    except Exception:  # noqa: BLE001 - the sandbox reports it, as it always did
        return UNDECIDED


def _utf8(text):
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate: the sandbox refuses it
        return False
    return True
