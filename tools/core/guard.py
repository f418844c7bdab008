"""Guards a run from the code it tests: an audit hook that ends the run when learner code reaches
for the test machinery, and a snapshot of the assertion helpers and pytest's plugins checked
before each pass is counted.

Both are set up in the run's child before any learner code runs. The audit hook cannot be removed
by Python code; it ends the run, saying what the code did, when the code searches the runner's
memory (``gc.get_objects``), reaches raw memory (``ctypes``), installs a trace function, replaces
a function's code, reads the reference solution, writes into the repository outside its own
folder, or signals another process. The :class:`Snapshot` catches what no audit event reports: a
replaced ``numpy.testing.assert_allclose`` or ``pytest.approx``, a plugin registered at run time,
a test function swapped for another. What this cannot stop is said in the README ("What the
verdict guarantees").
"""

from __future__ import annotations

import contextlib
import functools
import operator
import os
import sys
import types
from collections.abc import Callable, Iterable
from itertools import repeat
from pathlib import Path, PurePath

TAMPERED = 86  # the child's exit status after it reported tampering

# Modules whose names a test's verdict rests on: assertion helpers, and pytest's own machinery.
WATCHED = (
    "builtins", "math", "operator", "numpy", "numpy.testing", "numpy.testing._private.utils",
    "numpy.linalg", "numpy._core.numeric", "numpy._core.fromnumeric", "pandas", "pandas.testing",
    "pandas._testing", "pandas._testing.asserters", "pytest", "_pytest.python_api",
    "_pytest.raises", "_pytest.outcomes", "_pytest.runner", "_pytest.python", "_pytest.reports",
    "_pytest.main", "_pytest.fixtures", "_pytest.nodes", "_pytest.skipping", "_pytest.assertion",
    "_pytest.assertion.rewrite", "_pytest.assertion.util", "pluggy", "pluggy._callers",
    "pluggy._hooks", "pluggy._manager", "pluggy._result", "tools.core.collector", "tools.core.guard",
    "katakit",
)  # fmt: skip
# Module globals that pytest itself sets for each test.
CHANGING_GLOBALS = {"_pytest.assertion.util": {"_reprcompare", "_assertion_pass", "_config"}}
# Audit events that only a search through the runner's memory or raw memory access raises.
FORBIDDEN = {
    "gc.get_objects": "searched the test runner's memory (gc.get_objects)",
    "gc.get_referrers": "searched the test runner's memory (gc.get_referrers)",
    "gc.get_referents": "searched the test runner's memory (gc.get_referents)",
    "sys.settrace": "installed a trace function (sys.settrace), which can rewrite a running test",
    "sys.setprofile": "installed a profile function (sys.setprofile)",
}
ARM = "kata.learner-code-may-run"  # raised by the runner once the tests are collected
SPAWNING = {"os.fork", "os.forkpty", "subprocess.Popen", "os.posix_spawn", "os.system", "os.exec",
            "os.spawn", "pty.spawn"}  # fmt: skip
# Events that change a path, and which of their arguments are the paths changed.
CHANGING = {"os.rename": (0, 1), "os.link": (1,), "os.symlink": (1,), "os.remove": (0,),
            "os.rmdir": (0,), "os.mkdir": (0,), "os.truncate": (0,), "os.chmod": (0,),
            "os.chown": (0,), "os.utime": (0,), "shutil.rmtree": (0,)}  # fmt: skip
PATHS = (type(Path()), type(PurePath()))
IMMUTABLE_TYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE: a built-in type nobody can patch
SETTABLE = {"__code__", "__defaults__", "__kwdefaults__"}
WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _name(module: str, attribute: str) -> str:
    return attribute if module == "builtins" else f"{module}.{attribute}"


def _public_name(function: types.FunctionType) -> str:
    """The name a test knows ``function`` by: its first entry in a watched module."""
    for name in WATCHED:
        for key, value in vars(sys.modules.get(name) or types).items():
            if value is function:
                return _name(name, key)
    module = function.__module__ if type(function.__module__) is str else "?"
    return _name(module, function.__qualname__)


def install_audit_hook(
    emit: Callable[[dict], None],
    own: Path,
    reference: Path,
    protected: Iterable[Path],
    root: Path,
) -> None:
    """Watch every audit event of this process from now on (a hook cannot be removed).

    The hook enforces from the ``ARM`` event on (once the tests are collected: before that only
    the runner's own code runs). ``own`` is the code under test (it may be written and its functions changed), ``reference``
    the solutions it must not read, ``protected`` the folders it must not write to (but ``own``),
    ``root`` what paths are shown relative to.
    """
    real, decode, stop, getpid = os.path.realpath, os.fsdecode, os._exit, os.getpid
    own_text, reference_text = str(own.resolve()) + os.sep, str(reference.resolve()) + os.sep
    guarded = tuple(str(p.resolve()) + os.sep for p in protected)
    root_text = str(root.resolve()) + os.sep
    flags = {"busy": False, "spawned": False, "armed": False}

    def path(value: object) -> str | None:
        if type(value) in (str, bytes):
            return real(decode(value))
        if type(value) in PATHS:  # exactly pathlib's own: nothing of the learner's runs here
            return real(PurePath.__str__(value))  # type: ignore[arg-type]
        return None

    def shown(text: str) -> str:
        return text[len(root_text) :] if text.startswith(root_text) else text

    def end(what: str) -> None:
        try:
            emit({"tampered": f"your code {what}"})
        finally:
            stop(TAMPERED)

    def written(target: str | None) -> None:
        if target is None or (target + os.sep).startswith(own_text):
            return
        if any((target + os.sep).startswith(folder) for folder in guarded):
            end(f"tried to change {shown(target)}, outside its own folder")

    def check(event: str, args: tuple) -> None:
        if event == ARM:
            flags["armed"] = True
        elif event in SPAWNING and not flags["spawned"]:
            flags["spawned"] = True
            emit({"spawned": True})
        elif not flags["armed"]:
            return  # collection: only the runner's own code has run so far
        elif event in FORBIDDEN:
            end(FORBIDDEN[event])
        elif event.startswith("ctypes."):
            end(f"used ctypes to reach raw memory ({event})")
        elif event == "open":
            target, mode, bits = path(args[0]), args[1], args[2]
            if (
                target is not None
                and target.startswith(reference_text)
                and not (target.startswith(own_text))
            ):
                end(f"read {shown(target)}, the reference solution")
            if (type(mode) is str and set(mode) & set("wax+")) or (
                type(bits) is int and bits & WRITING
            ):
                written(target)
        elif event in CHANGING:
            for index in CHANGING[event]:
                written(path(args[index]))
        elif event == "object.__setattr__" and args[1] in SETTABLE:
            function = args[0]
            file = function.__code__.co_filename if type(function) is types.FunctionType else ""
            if file.startswith(os.sep) and not file.startswith(own_text):  # a module's, not ours
                end(f"replaced {_public_name(function)} (its code)")
        elif event in {"os.kill", "os.killpg"} and args[1] != 0:
            mine = {0, getpid()} if event == "os.kill" else {0, os.getpgrp()}
            if args[0] not in mine:
                end(f"sent signal {args[1]} to another process ({args[0]})")

    def hook(event: str, args: tuple) -> None:
        if flags["busy"]:
            return
        flags["busy"] = True
        try:
            with contextlib.suppress(Exception):  # a hook that raised would hand out its frame
                check(event, args)
        finally:
            flags["busy"] = False

    sys.addaudithook(hook)


MISSING = object()


def _keys(space: dict, dunders: bool, skip: Iterable[str] = ()) -> tuple[str, ...]:
    return tuple(k for k in space if k not in skip and (dunders or not (k[:2] == "__" == k[-2:])))


def _spaces(names: Iterable[str]) -> list[tuple[str, dict, tuple[str, ...]]]:
    """(label, namespace, names to watch) of the modules ``names`` and of their classes."""
    found = []
    for name in names:
        module = sys.modules.get(name)
        if module is None:
            continue
        skip = CHANGING_GLOBALS.get(name, ())
        found.append((name, vars(module), _keys(vars(module), False, skip)))
        for value in list(vars(module).values()):
            mutable = isinstance(value, type) and not value.__flags__ & IMMUTABLE_TYPE
            if mutable and value.__module__ == name:
                label = f"{name}.{value.__qualname__}"
                found.append((label, vars(value), _keys(vars(value), True)))
    return found


def _rows(spaces: Iterable[tuple[str, object, tuple[str, ...]]]) -> list[tuple]:
    """One flat row per watched name, for a look at C speed: (getter, namespaces, names), one
    for each kind of namespace (a module's dict, a class's mapping proxy)."""
    found = []
    for kind in (dict, types.MappingProxyType):
        pairs = [(space, key) for _, space, keys in spaces if type(space) is kind for key in keys]
        found.append((kind.get, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)))
    return found


@functools.cache
def watched_spaces() -> tuple[tuple[tuple[str, dict, tuple[str, ...]], ...], list[tuple]]:
    """The watched modules already imported, and their rows: computed once per process (the
    runner calls it before forking, so every run's child inherits them)."""
    spaces = tuple(_spaces(WATCHED))
    return spaces, _rows(spaces)


class Snapshot:
    """Who is who in the test machinery before learner code runs: :meth:`changes` says what has
    since been replaced (a helper, a method, a registered plugin, a hook, a test function)."""

    def take(self, config: object, items: list, recorder: object) -> None:
        """Record the machinery as it is now; ``recorder`` already holds this snapshot."""
        self.config = config
        common, rows = watched_spaces()
        known = {label for label, _, _ in common}
        manager = config.pluginmanager  # type: ignore[attr-defined]
        conftests = [getattr(p, "__name__", "") for p in manager.get_plugins()]
        late = [n for n in WATCHED if n not in known] + [n for n in conftests if "conftest" in n]
        spaces = _spaces(late)  # imported in this run: the kit, the conftest
        for module in {getattr(item, "module", None) for item in items} - {None}:
            spaces.append((module.__name__, vars(module), _keys(vars(module), False)))
        spaces.append(("the runner's recorder", vars(recorder), _keys(vars(recorder), True)))
        # Each row with what its names held now (read at C speed).
        self.rows = [
            (get, held_in, keys, tuple(map(get, held_in, keys, repeat(MISSING))))
            for get, held_in, keys in [*rows, *_rows(spaces)]
        ]
        self.labels = {id(space): label for label, space, _ in (*common, *spaces)}
        self.modules = {name: sys.modules.get(name) for name in WATCHED}
        self.tests = [(item, vars(item).get("_obj")) for item in items]
        self.plugins = {name for name, _ in manager.list_name_plugin()}
        self.hooks = {name: self._impls(caller) for name, caller in vars(manager.hook).items()}

    @staticmethod
    def _impls(caller: object) -> list:
        return [impl.function for impl in getattr(caller, "_hookimpls", [])]

    def changes(self) -> list[str]:
        """What learner code has replaced since the snapshot, in the learner's terms."""
        found = []
        for getter, spaces, keys, held in self.rows:
            if any(map(operator.is_not, map(getter, spaces, keys, repeat(MISSING)), held)):
                found += [  # the slow look, only once something moved
                    f"replaced {_name(self.labels[id(space)], key)}"
                    for space, key, value in zip(spaces, keys, held, strict=True)
                    if getter(space, key, MISSING) is not value
                ]
        for name, module in self.modules.items():
            if module is not None and sys.modules.get(name) is not module:
                found.append(f"replaced the module {name}")
        for item, function in self.tests:
            if vars(item).get("_obj") is not function or "runtest" in vars(item):
                found.append(f"replaced the test {item.name}")
        manager = self.config.pluginmanager  # type: ignore[attr-defined]
        for name in {name for name, _ in manager.list_name_plugin()} - self.plugins:
            found.append(f"registered a pytest plugin ({name})")
        for name, caller in vars(manager.hook).items():
            if self._impls(caller) != self.hooks.get(name, []):
                found.append(f"changed pytest's hook {name}")
        return list(dict.fromkeys(found))
