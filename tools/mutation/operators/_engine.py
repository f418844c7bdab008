"""Where operators apply and how their replacements are spliced back: the walk over a module's
functions, precedence-safe splicing, and tidying a mutated statement as its author would have written it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from tools.mutation.operators._base import Mutation, Scope, _code

Registry = list[tuple[str, str, type, Callable[..., Iterable[cst.CSTNode]]]]

BINDING = {  # how tightly each operator binds (Python's precedence table, loosest first)
    cst.Or: 1, cst.And: 2, cst.Not: 3, cst.BitOr: 5, cst.BitXor: 6, cst.BitAnd: 7,
    cst.LeftShift: 8, cst.RightShift: 8, cst.Add: 9, cst.Subtract: 9, cst.Multiply: 10,
    cst.Divide: 10, cst.FloorDivide: 10, cst.Modulo: 10, cst.MatrixMultiply: 10,
    cst.Minus: 11, cst.Plus: 11, cst.BitInvert: 11, cst.Power: 12,
}  # fmt: skip


def _binding(node: cst.CSTNode) -> int:
    if getattr(node, "lpar", None):
        return 14
    if isinstance(node, cst.BinaryOperation | cst.BooleanOperation | cst.UnaryOperation):
        return BINDING[type(node.operator)]
    if isinstance(node, cst.Comparison | cst.ComparisonTarget):
        return 4
    if isinstance(node, cst.IfExp | cst.Lambda | cst.NamedExpr):
        return 0
    return 13 if isinstance(node, cst.Await) else 14


def _fit(node: cst.CSTNode, parent: cst.CSTNode | None, replacement: cst.CSTNode) -> cst.CSTNode:
    """``replacement``, in parentheses if it would otherwise bind differently where ``node`` stood."""
    if not isinstance(replacement, cst.BaseExpression) or parent is None:
        return replacement
    if isinstance(parent, cst.Attribute | cst.Subscript | cst.Call) and node is not getattr(
        parent, "func", None
    ):
        needed = 14 if node is getattr(parent, "value", None) else 0
    elif isinstance(parent, cst.Call):
        needed = 14
    elif isinstance(parent, cst.BinaryOperation):
        needed = _binding(parent) + (node is parent.right)  # a - (b - c) keeps its parentheses
    else:
        needed = (
            _binding(parent)
            if isinstance(
                parent,
                cst.UnaryOperation | cst.BooleanOperation | cst.ComparisonTarget | cst.Comparison,
            )
            else 0
        )
    if _binding(replacement) >= needed:
        return replacement
    return replacement.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class _Sites(cst.CSTVisitor):
    """Every node inside a function (outside raise and assert statements), with its Scope."""

    def __init__(self, np: str) -> None:
        self.np = np
        self.classes: list[str] = []
        self.scopes: list[Scope] = []
        self.sites: list[tuple[cst.CSTNode, Scope]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Raise | cst.Assert):
            return False
        if isinstance(node, cst.ClassDef):
            self.classes.append(node.name.value)
        if isinstance(node, cst.FunctionDef):
            names = _Names()
            node.visit(names)
            # A nested function belongs to the function around it, as in mutmut and in tracebacks.
            qualified = (
                self.scopes[0].function
                if self.scopes
                else ".".join([*self.classes, node.name.value])
            )
            self.scopes.append(Scope(qualified, frozenset(names.found), self.np))
        if self.scopes:
            self.sites.append((node, self.scopes[-1]))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if isinstance(original_node, cst.ClassDef):
            self.classes.pop()
        if isinstance(original_node, cst.FunctionDef):
            self.scopes.pop()


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.found.add(node.value)


def _numpy_alias(module: cst.Module) -> str:
    for statement in module.body:
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            for alias in small.names if isinstance(small, cst.Import) else ():
                if _code(alias.name) == "numpy":
                    return alias.asname.name.value if alias.asname else "numpy"
    return ""


def apply(
    source: str, registry: Registry, operators: Iterable[str] | None = None
) -> list[Mutation]:
    """Every mutant the registry's operators make of ``source``, one per operator, site and alternative."""
    wrapper = MetadataWrapper(cst.parse_module(source))
    module, wanted = wrapper.module, set(operators) if operators is not None else None
    positions, parents = wrapper.resolve(PositionProvider), wrapper.resolve(ParentNodeProvider)
    found = []
    for index, statement in enumerate(module.body):
        sites = _Sites(_numpy_alias(module))
        statement.visit(sites)
        for node, scope in sites.sites:
            for name, category, kind, operator in registry:
                if not isinstance(node, kind) or (wanted is not None and name not in wanted):
                    continue
                for replacement in _safely(operator, node, scope):
                    fitted = _fit(node, parents.get(node), replacement)
                    changed = _splice(statement, node, fitted, parents, category in REMEDIED)
                    body = [*module.body[:index], changed, *module.body[index + 1 :]]
                    code = module.with_changes(body=body).code
                    if code == source or not _compiles(code):
                        continue
                    summary = (operator.__doc__ or name).strip().splitlines()[0]
                    line = positions[node].start.line
                    found.append(Mutation(name, category, summary, scope.function, line, code))
    return found


def _safely(operator, node: cst.CSTNode, scope: Scope) -> list[cst.CSTNode]:
    """An operator's replacements; one that cannot build its replacement makes none here."""
    try:
        return list(operator(node, scope))
    except (cst.ParserSyntaxError, ValueError, TypeError, AttributeError):
        return []


def _compiles(code: str) -> bool:
    try:
        compile(code, "<mutant>", "exec")
    except SyntaxError:
        return False
    return True


# Classes whose operators remove a numerical safeguard: comments and docstring claims about the
# safeguard go with it (a naive formula under "# shift so exp never overflows" states the fix).
REMEDIED = {"stability", "guard", "variance", "precision"}
REMEDY = re.compile(
    r"overflow|underflow|stabl|never|finite|tanh|logaddexp|log-?sum-?exp|shift(ed|ing)? (by|before)|"
    r"largest term|clip|guard|"
    r"epsilon|\beps\b|\bsafe|cancel|two-pass|float64|log\(0\)|hair",
    re.I,
)


def _splice(
    statement: cst.CSTNode,
    node: cst.CSTNode,
    fitted: cst.CSTNode,
    parents: Mapping[cst.CSTNode, cst.CSTNode],
    remedied: bool,
) -> cst.CSTNode:
    """``statement`` (a top-level statement) with ``node`` replaced by ``fitted``, tidied: a line
    left as ``x = x`` is removed, and with ``remedied`` the comments of the changed line and the
    docstring claims of its function about the removed safeguard go too."""
    function = (
        node if isinstance(node, cst.FunctionDef) else _enclosing(node, parents, cst.FunctionDef)
    )
    outer = function if function is not None else statement
    line = _enclosing(node, parents, cst.SimpleStatementLine)
    if outer is node:
        inner = fitted
    elif line is None:
        inner = outer.deep_replace(node, fitted)
    else:
        new_line = line.deep_replace(node, fitted)
        if remedied:
            new_line = new_line.with_changes(
                leading_lines=[e for e in new_line.leading_lines if e.comment is None],
                trailing_whitespace=cst.TrailingWhitespace(),
            )
        removed = _self_assignment(new_line)
        inner = outer.deep_remove(line) if removed else outer.deep_replace(line, new_line)
    inner = _scrubbed(inner) if remedied else inner
    return inner if outer is statement else statement.deep_replace(outer, inner)


def _enclosing(node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode], kind: type):
    node = parents.get(node)
    while node is not None and not isinstance(node, kind):
        node = parents.get(node)
    return node


def _self_assignment(line: cst.CSTNode) -> bool:
    """``x = x``: what dropping ``np.clip`` from ``x = np.clip(x, ...)`` leaves."""
    small = line.body[0] if len(line.body) == 1 else None
    return (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and _code(small.targets[0].target) == _code(small.value)
    )


def _scrubbed(function: cst.CSTNode) -> cst.CSTNode:
    """``function`` with docstring lines that describe a safeguard cut before the claim."""
    if not isinstance(function, cst.FunctionDef) or not function.body.body:
        return function
    first = function.body.body[0]
    doc = (
        first.body[0].value
        if isinstance(first, cst.SimpleStatementLine) and isinstance(first.body[0], cst.Expr)
        else None
    )
    if not isinstance(doc, cst.SimpleString):
        return function
    quote = doc.prefix + doc.quote
    text = doc.value[len(quote) : -len(doc.quote)]
    lines = []
    for part in text.split("\n"):
        found = REMEDY.search(part)
        if found:
            cut = max(part.rfind(",", 0, found.start()), part.rfind(";", 0, found.start()))
            part = part[:cut].rstrip() + "." if cut > 0 else ""
        lines.append(part)
    kept = "\n".join(lines).strip("\n") or "What this function computes."
    new_doc = doc.with_changes(value=f"{quote}{kept}{doc.quote}")
    return function.deep_replace(doc, new_doc)
