"""The self-check: every kata in the catalog keeps the kata contract (DESIGN.md).

Every kata's runs (fixed, broken, each variant) share one pool of forked workers, started once
for the whole catalog; each kata then gets a test of its own so that a failure names it.
"""

import pytest

from tools import catalog, verify


@pytest.fixture(scope="module")
def problems():
    return verify.check_many(catalog.slugs())


@pytest.mark.parametrize("slug", catalog.slugs())
def test_kata_keeps_the_contract(slug, problems):
    found = problems[slug]
    assert not found, f"kata '{slug}' breaks the contract:\n  - " + "\n  - ".join(found)


def test_no_kata_hands_out_another_katas_fix():
    found = verify.give_away_problems(catalog.load_all())
    lines = [f"{slug}: {p}" for slug, ps in found.items() for p in ps]
    assert not lines, "handed-out code gives another kata's answer away:\n  - " + "\n  - ".join(
        lines
    )


def test_catalog_holds_the_four_flagships():
    missing = {"leakage", "shape", "gradient", "overflow"} - set(catalog.slugs())
    assert not missing, f"flagship katas missing from katas/: {sorted(missing)}"
