"""Rewrites an outside project's test files to load its modules through the kit's ``kata`` fixture.

An outside project's tests import its modules by name (``import model``, ``from model import
fit``). The kata contract runs them against any folder (``--impl DIR``), so each such top-level
import becomes an autouse fixture that binds the same names from the kit's ``kata`` loader, fresh
for each test module::

    @pytest.fixture(scope="module", autouse=True)
    def _pipeline_modules(kata):
        global model, fit
        model = kata("model")
        fit = kata("model").fit

Everything else in the file stays as it was, byte for byte: the test names, their messages and
their line numbers past the imports. What a fixture cannot bind in time is refused with the place
to change: a use of an imported name while the file is imported (a decorator argument, a module
constant), an import inside a function, ``import *``, and a session-wide fixture that uses one.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Collection, Iterator

from tools import UserError

FIXTURE = "_pipeline_modules"
TEMPLATE = '''

@pytest.fixture(scope="module", autouse=True)
def {name}(kata):
    """The pipeline's modules, from the folder ``--impl`` names (the kit's ``kata`` loader)."""
    global {names}
{assignments}
'''
MARKERS = '''

def pytest_configure(config):
    """The markers the pipeline's own pytest configuration declares."""
    for line in {markers}:
        config.addinivalue_line("markers", line)
'''


def _ours(node: ast.stmt, modules: Collection[str]) -> list[str]:
    """The project modules an import statement names ([] for any other statement)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] in modules]
    if isinstance(node, ast.ImportFrom) and not node.level and node.module:
        return [node.module] if node.module.split(".")[0] in modules else []
    return []


def _bindings(node: ast.stmt, where: str) -> dict[str, str]:
    """name -> the expression that binds it from the ``kata`` loader, for one of our imports."""
    if isinstance(node, ast.Import):
        if any("." in a.name for a in node.names):
            raise UserError(f"{where}:{node.lineno}: the pipeline's modules are plain modules")
        return {a.asname or a.name: f'kata("{a.name}")' for a in node.names}
    assert isinstance(node, ast.ImportFrom) and node.module
    if "." in node.module:
        raise UserError(f"{where}:{node.lineno}: the pipeline's modules are plain modules")
    if any(a.name == "*" for a in node.names):
        raise UserError(
            f"{where}:{node.lineno}: `from {node.module} import *`: name what the tests use"
        )
    return {a.asname or a.name: f'kata("{node.module}").{a.name}' for a in node.names}


def _run_at_import(node: ast.AST) -> Iterator[ast.AST]:
    """The parts of a top-level statement that run when the file is imported."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        yield from node.decorator_list
        yield from node.args.defaults
        yield from (d for d in node.args.kw_defaults if d is not None)
    elif isinstance(node, ast.ClassDef):
        yield from (*node.decorator_list, *node.bases, *node.keywords)
        for item in node.body:
            yield from _run_at_import(item)
    elif not isinstance(node, ast.Import | ast.ImportFrom):
        yield node


def _names(node: ast.AST) -> Iterator[ast.Name]:
    """The names ``node`` reads, leaving out the bodies of lambdas and nested functions."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Lambda):
            continue
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from (n for part in _run_at_import(child) for n in _names(part))
            continue
        yield from _names(child)


def _wide_scope(node: ast.AST) -> str:
    """ "session" or "package" for a fixture of that scope, else ""."""
    for decorator in getattr(node, "decorator_list", []):
        for keyword in getattr(decorator, "keywords", []):
            value = getattr(keyword.value, "value", None)
            if keyword.arg == "scope" and value in ("session", "package"):
                return value
    return ""


def _check(tree: ast.Module, bound: dict[str, str], modules: Collection[str], where: str) -> None:
    """Refuse what the fixture cannot bind in time (see the module's docstring)."""
    top = set(tree.body)
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node not in top and _ours(node, modules):
            raise UserError(
                f"{where}:{node.lineno}: imports {_ours(node, modules)[0]} inside a function or "
                "class: import it at the top of the file"
            )
    for node in tree.body:
        for part in _run_at_import(node):
            for name in _names(part):
                if name.id in bound:
                    raise UserError(
                        f"{where}:{name.lineno}: uses {name.id} while the file is imported (a "
                        "decorator argument or a module constant): use it inside a test or a "
                        "fixture"
                    )
        scope = _wide_scope(node)
        if scope and any(n.id in bound for n in ast.walk(node) if isinstance(n, ast.Name)):
            raise UserError(
                f"{where}:{node.lineno}: the {scope}-scoped fixture {getattr(node, 'name', '')} "
                "uses the pipeline's modules: give it scope='module' (each test module loads "
                "them afresh)"
            )


def rewrite(source: str, modules: Collection[str], where: str, name: str = FIXTURE) -> str:
    """``source`` (a test module or a conftest.py) with its top-level imports of ``modules``
    replaced by an autouse fixture ``name`` that binds the same names through ``kata``;
    ``source`` itself if it imports none. ``where`` names the file in errors."""
    try:
        tree = ast.parse(source)
    except SyntaxError as problem:
        raise UserError(f"{where}:{problem.lineno}: does not parse ({problem.msg})") from None
    ours = [node for node in tree.body if _ours(node, modules)]
    bound: dict[str, str] = {}
    for node in ours:
        if isinstance(node, ast.Import) and len(_ours(node, modules)) != len(node.names):
            raise UserError(
                f"{where}:{node.lineno}: import the pipeline's modules in a statement of their own"
            )
        bound.update(_bindings(node, where))
    _check(tree, bound, modules, where)
    if not bound:
        return source
    taken: dict[int, ast.stmt] = {}
    for node in tree.body:
        for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
            if line in taken:
                raise UserError(f"{where}:{line}: put each import on a line of its own")
            taken[line] = node
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    code = [n for n in tree.body if n not in imports and not _docstring(n)]
    header = [n for n in imports if not code or n.lineno < code[0].lineno] or ours
    after = max(n.end_lineno or n.lineno for n in header)
    has_pytest = any(
        isinstance(n, ast.Import) and any(a.name == "pytest" and not a.asname for a in n.names)
        for n in header
    )
    removed = {line for node in ours for line in range(node.lineno, (node.end_lineno or 0) + 1)}
    lines = source.splitlines(keepends=True)
    kept = [line for n, line in enumerate(lines, 1) if n not in removed and n <= after]
    rest = [line for n, line in enumerate(lines, 1) if n not in removed and n > after]
    while kept and not kept[-1].strip():
        kept.pop()
    while rest and not rest[0].strip():
        rest.pop(0)
    head = "".join(kept)
    head += ("\n" if head and not head.endswith("\n") else "") + (
        "" if has_pytest else "import pytest\n"
    )
    block = TEMPLATE.format(
        name=name,
        names=", ".join(bound),
        assignments="\n".join(f"    {local} = {value}" for local, value in bound.items()),
    )
    return (head + block if head else block.lstrip("\n")) + ("\n\n" + "".join(rest) if rest else "")


def _docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(getattr(node.value, "value", None), str)


def with_markers(conftest: str, markers: Collection[str]) -> str:
    """``conftest`` (a conftest.py's text) registering the project's own pytest ``markers``
    too; as it is if it has a ``pytest_configure`` of its own (which registers them, then)."""
    tree = ast.parse(conftest)
    if any(getattr(node, "name", "") == "pytest_configure" for node in tree.body):
        return conftest
    return conftest.rstrip("\n") + "\n" + MARKERS.format(markers=json.dumps(list(markers)))
