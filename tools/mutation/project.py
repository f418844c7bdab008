"""An outside project (a folder of Python modules with pytest tests) dressed as a kata for the tools.

:class:`Project` is a :class:`~tools.core.catalog.Kata` whose parts live outside the catalog: its
modules in ``DIR``, its tests in ``DIR/tests`` (or ``--tests``), its variants in an output folder.
:func:`stage` lays a private copy out the way the repository is laid out (``fixed/<slug>/``,
``tests/conftest.py`` and the kit, ``tests/<slug>/``), the tests rewritten to load the modules
through the kit's ``kata`` fixture (:mod:`tools.mutation.rewrite`), so the campaign, the runner
and the measurements work on it unchanged and ``DIR`` is only ever read.

``DIR/pyproject.toml`` may hold a ``[tool.katas]`` table::

    [tool.katas]
    scenery = ["make_*", "load_demo"]   # functions that only build data: never handed out
    family = "regression"               # what variant titles call the pipeline
    title = "Churn model"               # and what the report and a kata made from it are called
    scenario = "The churn team retrains this model every night."   # a variant brief's setting
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import re
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tools import BROKEN, FIXED, KATAS, ROOT, TESTS, UserError
from tools.core.catalog import Kata
from tools.core.workspace import display
from tools.mutation import sandbox
from tools.mutation.rewrite import rewrite, with_markers

TABLE = {"scenery": list, "family": str, "title": str, "scenario": str}
NOT_MODULES = {"conftest", "setup", "noxfile", "__init__", "__main__"}
# Never copied with the tests: caches, hidden folders, and configuration that would make pytest
# take the copy for a project of its own.
SKIPPED = ("__pycache__", "*.pyc", ".*", "pyproject.toml", "pytest.ini", "tox.ini", "setup.cfg")
CACHES = {"__pycache__", ".git", ".venv", "venv", ".nox", ".tox", "node_modules"}


@dataclasses.dataclass(frozen=True)
class Project(Kata):
    """An outside project as a kata: where its parts are, and what its configuration says."""

    source: Path = Path()  # DIR: only ever read
    source_tests: Path = Path()  # its tests
    out: Path = Path()  # where variants and reports go
    home: Path = Path()  # the private copy laid out like the repository (:func:`stage`)
    scenery: tuple[str, ...] = ()  # fnmatch patterns of functions that only build data
    markers: tuple[str, ...] = ()  # the project's own pytest markers
    scenario: str = ""

    @property
    def workspace(self) -> Path:
        return self.home / "katas" / self.slug

    @property
    def brief(self) -> Path:
        return self.workspace / "README.md"

    @property
    def fixed(self) -> Path:
        return self.home / "fixed" / self.slug

    @property
    def broken(self) -> Path:
        return self.fixed  # nothing is handed out yet: no mutant is "the kata's own bug"

    @property
    def tests(self) -> Path:
        return self.home / "tests" / self.slug

    @property
    def variants(self) -> Path:
        return self.out / "variants"


def makes_data(kata: Kata, function: str) -> bool:
    """Whether ``function`` (``fit`` or ``Model.fit``) matches the project's ``scenery`` patterns."""
    patterns = getattr(kata, "scenery", ())
    short = function.rsplit(".", 1)[-1]
    return any(fnmatch.fnmatchcase(function, p) or fnmatch.fnmatchcase(short, p) for p in patterns)


def _config(directory: Path) -> tuple[dict, list[str], str]:
    """``[tool.katas]`` of DIR's pyproject.toml, its pytest markers and its description."""
    path = directory / "pyproject.toml"
    if not path.is_file():
        return {}, [], ""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as problem:
        raise UserError(f"{path}: not valid TOML ({problem})") from None
    tool = data.get("tool", {})
    table = tool.get("katas", {})
    for key, value in table.items():
        kind = TABLE.get(key)
        if kind is None:
            raise UserError(f"{path}: [tool.katas] has no key '{key}' (known: {', '.join(TABLE)})")
        if not isinstance(value, kind) or (
            kind is list and not all(isinstance(v, str) and v.strip() for v in value)
        ):
            what = "a list of function-name patterns" if kind is list else "a string"
            raise UserError(f"{path}: [tool.katas] '{key}' should be {what}, got {value!r}")
    markers = tool.get("pytest", {}).get("ini_options", {}).get("markers", [])
    description = data.get("project", {}).get("description", "")
    return table, [m for m in markers if isinstance(m, str)], str(description)


def _slug(directory: Path) -> str:
    return re.sub(r"[^a-z0-9]+", "-", directory.name.lower()).strip("-") or "project"


def test_modules(tests: Path) -> list[Path]:
    """The project's test modules under ``tests``, as pytest's default pattern finds them."""
    found = [*tests.rglob("test_*.py"), *tests.rglob("*_test.py")]
    return sorted(p for p in set(found) if not CACHES & set(p.relative_to(tests).parts))


def load(
    path: str | Path, tests: str | Path | None = None, out: str | Path | None = None
) -> Project:
    """The project in ``path``, checked: every mistake is a one-line :class:`UserError`."""
    directory = Path(path).expanduser()
    if not directory.is_dir():
        raise UserError(f"{path}: no such folder (name a folder of Python modules with tests)")
    directory = directory.resolve()
    if directory == ROOT or ROOT.is_relative_to(directory):
        raise UserError(
            f"{directory} holds this repository; its katas have campaigns of their own "
            "(nox -s mutate -- <slug>)"
        )
    for part in (KATAS, FIXED, BROKEN, TESTS):
        if directory.is_relative_to(part):
            raise UserError(f"{display(directory)} is part of the catalog: nox -s mutate -- <slug>")
    if (directory / "__init__.py").is_file():
        raise UserError(f"{directory} is a package; name the folder that holds its modules")
    files = tuple(
        p.name
        for p in sorted(directory.glob("*.py"))
        if p.stem not in NOT_MODULES and not re.fullmatch(r"test_.*|.*_test", p.stem)
    )
    if not files:
        raise UserError(f"{directory} holds no Python modules (*.py beside its tests)")
    for name in files:
        stem = name.removesuffix(".py")
        if not stem.isidentifier() or stem in sys.stdlib_module_names:
            raise UserError(
                f"{directory / name}: rename it; a module is imported by a plain name that "
                "is not the standard library's"
            )
    where = Path(tests).expanduser() if tests else directory / "tests"
    if not where.is_dir():
        raise UserError(f"{where}: no such folder (name the project's tests with --tests)")
    where = where.resolve()
    if not test_modules(where):
        raise UserError(f"{where} holds no test files (test_*.py or *_test.py)")
    slug = _slug(directory)
    target = Path(out).expanduser().resolve() if out else ROOT / "build" / "outside" / slug
    if target.is_relative_to(directory):
        raise UserError(f"--out {target} is inside {directory}, which this command never writes")
    table, markers, description = _config(directory)
    family = table.get("family", "machine-learning")
    return Project(
        slug=slug,
        title=table.get("title", directory.name),
        category="algorithm",
        family=family,
        difficulty=3,
        minutes=15,
        files=files,
        symptom="",
        hints=(),
        explanation="",
        failing_tests=(),
        source=directory,
        source_tests=where,
        out=target,
        scenery=tuple(table.get("scenery", ())),
        markers=tuple(markers),
        scenario=table.get("scenario") or description or f"A {family} pipeline and its tests.",
    )


def kata_tests(project: Project) -> dict[str, bytes]:
    """The project's tests as a kata's (relative path -> content): test modules and conftest
    files rewritten to load the modules through ``kata``, a conftest registering the project's
    markers, every other file as it is."""
    modules = {name.removesuffix(".py") for name in project.files}
    tree: dict[str, bytes] = {}
    root = project.source_tests
    rewritten = {*test_modules(root), *root.rglob("conftest.py")}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        skipped = any(fnmatch.fnmatch(part, p) for part in relative.parts for p in SKIPPED)
        if (
            skipped
            or not path.is_file()
            or (root == project.source and str(relative) in project.files)
        ):
            continue
        data = path.read_bytes()
        if path in rewritten:
            name = "_pipeline_modules"
            if path.name == "conftest.py":
                name += "_" + "_".join(("conftest", *relative.parent.parts)).replace("-", "_")
            text = rewrite(data.decode("utf-8"), modules, display(path), name)
            data = text.encode("utf-8")
        tree[str(relative)] = data
    if project.markers:
        conftest = tree.get("conftest.py", b'"""Settings shared by the tests."""\n').decode("utf-8")
        tree["conftest.py"] = with_markers(conftest, project.markers).encode("utf-8")
    return tree


def _pytest_settings() -> str:
    """The repository's pytest settings, for a copy laid out like the repository."""
    repo = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options = dict(repo.get("tool", {}).get("pytest", {}).get("ini_options", {}))
    options.pop("testpaths", None)
    lines = [f"{key} = {sandbox.toml_value(value)}" for key, value in options.items()]
    return "\n".join(["[tool.pytest.ini_options]", *lines]) + "\n"


@contextmanager
def stage(project: Project) -> Iterator[Project]:
    """``project`` with its ``home``: a private copy laid out like the repository, removed after."""
    parent = sandbox.private_parent()
    home = Path(tempfile.mkdtemp(prefix=f"{project.slug}-home-", dir=parent)).resolve()
    sandbox.claim(home)
    try:
        staged = dataclasses.replace(project, home=home)
        for name in project.files:
            staged.fixed.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(project.source / name, staged.fixed / name)
        for relative, data in kata_tests(project).items():
            (staged.tests / relative).parent.mkdir(parents=True, exist_ok=True)
            (staged.tests / relative).write_bytes(data)
        for name in ("conftest.py", "katakit.py"):
            shutil.copyfile(TESTS / name, home / "tests" / name)
        (home / "pyproject.toml").write_text(_pytest_settings(), encoding="utf-8")
        staged.workspace.mkdir(parents=True)
        staged.brief.write_text(f"# {project.title}\n\n{project.scenario}\n", encoding="utf-8")
        yield staged
    finally:
        shutil.rmtree(home, ignore_errors=True)


def digest(directory: Path) -> str:
    """A hash of every file under ``directory`` (caches left out): what "unchanged" means."""
    hashed = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not CACHES & set(path.relative_to(directory).parts):
            hashed.update(str(path.relative_to(directory)).encode() + b"\0" + path.read_bytes())
    return hashed.hexdigest()
