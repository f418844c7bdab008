"""An instructor's own pipeline: a campaign on an outside project, and a kata made from it."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools import ROOT, UserError
from tools.core import patch
from tools.core.variants import read_variant
from tools.mutation import cli
from tools.mutation.project import load, makes_data
from tools.mutation.rewrite import rewrite

from .conftest import copy_repo, run_tool

STATS = '''"""Column statistics for a sensor table."""

import numpy as np


def standardize(X):
    """Each column of ``X`` (n, d) centred and scaled to unit standard deviation."""
    X = np.asarray(X, dtype=float)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.where(std > 0, std, 1.0)  # a constant column would divide by zero
    return (X - mean) / std


def flag_outliers(X, threshold=3.0):
    """A boolean mask (n, d) of the entries more than ``threshold`` deviations from the mean."""
    return np.abs(standardize(X)) > threshold
'''

CONFTEST = """import numpy as np
import pytest
from stats import standardize


@pytest.fixture
def readings():
    rng = np.random.default_rng(0)
    return rng.normal(loc=[5.0, -2.0, 100.0], scale=[1.0, 3.0, 20.0], size=(50, 3))


@pytest.fixture
def standardized(readings):
    return standardize(readings)
"""

TESTS = """import numpy as np
import pytest

import stats
from stats import flag_outliers


def test_standardized_columns_have_zero_mean_and_unit_std(standardized):
    np.testing.assert_allclose(standardized.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(standardized.std(axis=0), 1.0, rtol=1e-12)


def test_constant_column_stays_finite():
    Z = stats.standardize(np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0]]))
    assert np.all(np.isfinite(Z)), f"standardize gave {Z} for a constant column"


@pytest.mark.sensors
def test_one_extreme_value_is_flagged():
    X = np.stack([np.linspace(-1.0, 1.0, 30), np.linspace(0.0, 1.0, 30)], axis=1)
    X[7, 0] = 50.0
    assert np.argwhere(flag_outliers(X)).tolist() == [[7, 0]]
"""

PYPROJECT = """[project]
name = "sensor-stats"
description = "The plant's analytics team standardises sensor columns and flags outliers."

[tool.katas]
scenery = ["flag_*"]
family = "preprocessing"

[tool.pytest.ini_options]
markers = ["sensors: tests on sensor-shaped tables"]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny outside project: a two-function NumPy module, a conftest and three tests."""
    directory = tmp_path / "sensor_stats"
    (directory / "tests").mkdir(parents=True)
    (directory / "stats.py").write_text(STATS)
    (directory / "pyproject.toml").write_text(PYPROJECT)
    (directory / "tests" / "conftest.py").write_text(CONFTEST)
    (directory / "tests" / "test_stats.py").write_text(TESTS)
    return directory


def fresh_repo(tmp_path: Path) -> Path:
    """A throw-away copy of the repository's tools and kit, with no kata."""
    (tmp_path / "repo").mkdir()
    return copy_repo(tmp_path / "repo", ())


def digest(directory: Path) -> str:
    """Every file under ``directory``, byte for byte, with its name."""
    hashed = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        hashed.update(str(path.relative_to(directory)).encode() + b"\0" + path.read_bytes())
    return hashed.hexdigest()


def failing(repo: Path, slug: str, impl: str) -> list[str]:
    """The tests of ``tests/<slug>`` that fail against ``impl``, as pytest reports them."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", f"tests/{slug}", f"--impl={impl}", "-q", "-rf"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "error" not in done.stdout.splitlines()[-1], done.stdout
    return sorted(re.findall(rf"^FAILED tests/{slug}/(\S+)", done.stdout, re.M))


# -- the rewrite and the project's checks ----------------------------------------------------------


def test_imports_of_the_project_become_a_fixture_that_loads_them_through_kata():
    text = rewrite(TESTS, {"stats"}, "test_stats.py")
    assert "import stats" not in text and "from stats" not in text
    assert '    stats = kata("stats")\n    flag_outliers = kata("stats").flag_outliers\n' in text
    assert text.endswith(TESTS[TESTS.index("def test_standardized") :])  # the tests, unchanged
    assert rewrite("import numpy as np\n", {"stats"}, "t.py") == "import numpy as np\n"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import stats\nCOLUMNS = stats.standardize([[1.0]])\n", r"t.py:2: uses stats while"),
        (
            "import stats\n@pytest.mark.parametrize('f', [stats.standardize])\ndef test(f): pass\n",
            r"t.py:2: uses stats while",
        ),
        ("def test():\n    import stats\n", r"t.py:2: imports stats inside a function"),
        ("from stats import *\n", r"t.py:1: `from stats import \*`"),
        ("import numpy, stats\n", r"t.py:1: import the pipeline's modules in a statement"),
        (
            "import stats\n@pytest.fixture(scope='session')\ndef d():\n    return stats\n",
            r"t.py:3: the session-scoped fixture d uses",
        ),
    ],
)
def test_what_a_fixture_cannot_bind_in_time_is_refused_with_its_place(source, message):
    with pytest.raises(UserError, match=message):
        rewrite(source, {"stats"}, "t.py")


def test_the_project_is_read_from_its_folder_and_its_pyproject(project, tmp_path):
    loaded = load(project)
    assert (loaded.slug, loaded.files, loaded.family) == (
        "sensor-stats",
        ("stats.py",),
        "preprocessing",
    )
    assert loaded.out == ROOT / "build" / "outside" / "sensor-stats"
    assert loaded.scenario.startswith("The plant's analytics team")
    assert makes_data(loaded, "flag_outliers") and not makes_data(loaded, "standardize")
    assert load(project, project / "tests", tmp_path / "out").out == (tmp_path / "out").resolve()


def alter(directory: Path, name: str, text: str) -> Path:
    (directory / name).write_text(text)
    return directory


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d / "missing", r"missing: no such folder"),
        (lambda d: ROOT, r"holds this repository"),
        (lambda d: ROOT / "fixed" / "leakage", r"fixed/leakage is part of the catalog"),
        (lambda d: (d / "stats.py").unlink() or d, r"holds no Python modules"),
        (lambda d: (d / "tests" / "test_stats.py").unlink() or d, r"holds no test files"),
        (lambda d: alter(d, "random.py", ""), r"random.py: rename it"),
        (
            lambda d: alter(d, "pyproject.toml", "[tool.katas]\nscenery = 'make_*'\n"),
            r"\[tool.katas\] 'scenery' should be a list",
        ),
        (
            lambda d: alter(d, "pyproject.toml", "[tool.katas]\nscene = []\n"),
            r"\[tool.katas\] has no key 'scene'",
        ),
    ],
)
def test_bad_input_is_a_one_line_error(project, change, message):
    with pytest.raises(UserError, match=message) as raised:
        load(change(project))
    assert "\n" not in str(raised.value)


def test_an_output_folder_inside_the_project_is_refused(project):
    with pytest.raises(UserError, match="which this command never writes"):
        load(project, out=project / "variants")


def arguments(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--tests", "t"), "--tests goes with --path DIR"),
        (("leakage", "--path", "p"), "--path runs on an outside project: drop a kata's name"),
        (("--path", "p", "--refresh"), "drop --refresh"),
    ],
)
def test_usage_mistakes_are_one_line_errors(argv, message):
    with pytest.raises(UserError, match=message):
        cli.run(arguments(*argv))


def test_tests_that_fail_on_the_projects_own_code_stop_the_campaign(project, tmp_path):
    (project / "tests" / "test_stats.py").write_text(TESTS.replace("== [[7, 0]]", "== []"))
    repo = fresh_repo(tmp_path)
    done = run_tool(repo, "mutate", "--path", str(project), "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        "1 of its 3 tests fail on its own code, e.g. test_stats.py::test_one_extreme" in done.stderr
    )
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


# -- a kata made from the project ---------------------------------------------------------------------


def hand_made_variant(out: Path) -> str:
    """A variant as a campaign writes it: a constant column is no longer guarded."""
    folder = out / "variants" / "v0a1b2c"
    folder.mkdir(parents=True)
    bugged = STATS.replace("std > 0", "std >= 0")
    (folder / "change.patch").write_text(patch.make({"stats.py": STATS}, {"stats.py": bugged}))
    failing_tests = ["test_stats.py::test_constant_column_stays_finite"]
    fields = {
        "id": "v0a1b2c",
        "source": "mutmut",
        "operator": "m-standardize-4",
        "category": "numerics",
        "description": "standardize, line 11",
        "failing_tests": failing_tests,
        "difficulty": 3,
        "hints": ["Which figure is wrong?", "Look at `standardize`.", "A boundary mistake."],
        "explanation": "`std > 0` became `std >= 0`.",
        "concepts": ["division by zero"],
        "brief": "## What was observed\n\n- `test_constant_column_stays_finite`: not finite\n",
    }
    lines = [f"{key} = {json.dumps(value)}" for key, value in fields.items()]
    (folder / "variant.toml").write_text("\n".join(lines) + "\n")
    return "v0a1b2c"


@pytest.mark.slow
def test_new_from_a_project_gives_a_kata_that_runs_on_its_modules_and_verify_names_the_gaps(
    project, tmp_path
):
    repo = fresh_repo(tmp_path)
    before = digest(project)
    ident = hand_made_variant(tmp_path / "out")
    made = run_tool(
        repo,
        "new",
        "sensor-axis",
        "--from",
        str(project),
        "--variant",
        ident,
        "--out",
        str(tmp_path / "out"),
    )
    assert made.returncode == 0, made.stderr
    assert digest(project) == before
    assert (repo / "fixed" / "sensor-axis" / "stats.py").read_text() == STATS
    assert failing(repo, "sensor-axis", "fixed/sensor-axis") == []
    assert failing(repo, "sensor-axis", "broken/sensor-axis") == [
        "test_stats.py::test_constant_column_stays_finite"
    ]
    toml = (repo / "katas" / "sensor-axis" / "kata.toml").read_text()
    assert 'category = "numerics"' in toml and "difficulty = 3" in toml and "minutes = 15" in toml
    checked = run_tool(repo, "verify", "sensor-axis")
    assert checked.returncode == 1
    assert "still to fill in: title, symptom, hints and explanation" in checked.stdout
    assert "'What was observed'" in checked.stdout and "identical" not in checked.stdout
    plain = run_tool(repo, "new", "sensor-copy", "--from", str(project))
    assert plain.returncode == 0, plain.stderr
    assert (
        "broken/sensor-copy/ is identical to fixed/sensor-copy/"
        in run_tool(repo, "verify", "sensor-copy").stdout
    )
    again = run_tool(repo, "new", "sensor-copy", "--from", str(project))
    assert again.returncode == 2 and "katas/sensor-copy already exists" in again.stderr


# -- a whole campaign (slow: it runs mutmut) ----------------------------------------------------------


@pytest.mark.slow
def test_a_campaign_on_a_project_writes_verified_variants_and_a_report_and_never_touches_it(
    project, tmp_path
):
    repo = fresh_repo(tmp_path)
    before = digest(project)
    done = run_tool(repo, "mutate", "--path", str(project), "--jobs", "1", "--count", "2")
    assert done.returncode == 0, done.stderr + done.stdout
    assert digest(project) == before
    out = repo / "build" / "outside" / "sensor-stats"
    result = json.loads((out / "sensor-stats.json").read_text())
    assert (out / "sensor-stats.html").read_text().startswith("<!doctype html>")
    assert 1 <= len(result["variants"]) <= 2
    scenery = [m for m in result["mutants"] if m["function"] == "flag_outliers"]
    assert scenery and {m["status"] for m in scenery} <= {"scenery", "duplicate", "ignored"}
    ident = result["variants"][0]
    manifest = read_variant(out / "variants" / ident)
    assert manifest["function"] == "standardize" and len(manifest["hints"]) == 3
    assert manifest["explanation"] and "analytics team" in manifest["brief"]
    changed = patch.apply(
        {"stats.py": STATS}, (out / "variants" / ident / "change.patch").read_text()
    )
    assert changed["stats.py"] != STATS
    # The variant, made a kata's broken/, fails exactly the tests its manifest lists.
    made = run_tool(repo, "new", "sensor-bug", "--from", str(project), "--variant", ident)
    assert made.returncode == 0, made.stderr
    assert failing(repo, "sensor-bug", "fixed/sensor-bug") == []
    assert failing(repo, "sensor-bug", "broken/sensor-bug") == manifest["failing_tests"]
    assert digest(project) == before
