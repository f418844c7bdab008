"""``nox -s new -- <slug>``: scaffold a kata's brief, metadata, code and tests for an author to fill in.

Every placeholder says TODO, and the self-check (``nox -s verify -- <slug>``) names each one that
is left, so an author always knows exactly what is still missing. ``--from DIR`` makes the kata
from an outside project instead (:mod:`tools.authoring.adopt`).
"""

from __future__ import annotations

import argparse

from tools import EXIT_OK, KATAS, ROOT, UserError
from tools.authoring import adopt
from tools.core import catalog
from tools.core.term import say, style

KATA_TOML = '''title = "TODO: a short, vivid title"
category = "{category}"
family = "{family}"
difficulty = 2
minutes = 15
files = ["pipeline.py"]
symptom = "TODO: what a user observes, with a number, never the fix"
failing_tests = ["test_{module}.py::test_TODO_the_property_the_bug_breaks"]
hints = [
    "TODO: the concept (vaguest)",
    "TODO: where to look",
    "TODO: the technique, still not the literal fix",
]
explanation = """
TODO: what went wrong, why it matters, how to spot it next time.
"""
'''

BRIEF = """# TODO: the title

**Category:** {category} · **Family:** {family} · **Difficulty:** 2/5 · **Budget:** 15 minutes

TODO: the scenario, in two or three sentences: who runs this pipeline and what it is for.

## What was observed

TODO: the symptom with real numbers measured on the broken version (a small table works well).

## What to deliver

TODO: the behaviour to restore, keeping the signatures and the returned keys. All tests in
`tests/{slug}/` must pass.

- Edit: `katas/{slug}/pipeline.py`
- Allowed: NumPy, pandas and the standard library
- Budget: 15 minutes
"""

PIPELINE = '''"""TODO: one line: what this pipeline does."""

import numpy as np


def make_data(n_rows=200, seed=0):
    """Synthetic data made in code with a fixed seed: (X, y)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + rng.normal(scale=0.1, size=n_rows)
    return X, y


def run_pipeline(X, y):
    """TODO: split -> preprocess -> fit -> evaluate; return what the tests check."""
    w, *_ = np.linalg.lstsq(X, y, rcond=None)
    return {{"weights": w}}
'''

TESTS = '''"""TODO: one line: the property this kata's tests protect."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


def test_TODO_the_property_the_bug_breaks(pipeline):
    X, y = pipeline.make_data()
    result = pipeline.run_pipeline(X, y)
    np.testing.assert_allclose(
        result["weights"], [1.5, -2.0, 0.5], atol=0.05,
        err_msg="TODO: the symptom in the learner's terms, never the fix",
    )  # fmt: skip
'''


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("slug", help="the new kata's slug: lowercase words joined by '-'")
    parser.add_argument(
        "--category", choices=catalog.CATEGORIES, help="default: from the slug's first word"
    )
    parser.add_argument(
        "--family", default="regression", help="the algorithm family (default: regression)"
    )
    adopt.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    slug = args.slug
    if not catalog.SLUG.match(slug):
        raise UserError(
            f"'{slug}' is not a slug: use lowercase words joined by '-', e.g. leakage-impute"
        )
    if args.source:
        return adopt.run(args)
    given = [name for name in ("tests", "variant", "out") if getattr(args, name, None)]
    if given:
        raise UserError(f"--{given[0]} goes with --from DIR (a kata made from an outside project)")
    first = slug.split("-")[0]
    category = args.category or (first if first in catalog.CATEGORIES else "algorithm")
    module = slug.replace("-", "_")
    fields = {"slug": slug, "category": category, "family": args.family, "module": module}
    targets = {
        KATAS / slug / "kata.toml": KATA_TOML.format(**fields),
        KATAS / slug / "README.md": BRIEF.format(**fields),
        ROOT / "fixed" / slug / "pipeline.py": PIPELINE.format(**fields),
        ROOT / "broken" / slug / "pipeline.py": PIPELINE.format(**fields),
        ROOT / "tests" / slug / f"test_{module}.py": TESTS.format(**fields),
    }
    taken = [path for path in targets if path.exists()]
    if taken:
        raise UserError(f"{taken[0].relative_to(ROOT)} already exists; choose another slug")
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        say(f"  created {path.relative_to(ROOT)}")
    say(
        f"\nNext: write the correct pipeline in fixed/{slug}/, plant one bug in broken/{slug}/, "
        f"write the tests, fill in every TODO, then run {style(f'nox -s verify -- {slug}', 'bold')}: "
        "it names whatever is still missing."
    )
    return EXIT_OK
