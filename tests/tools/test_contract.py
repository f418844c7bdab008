"""The self-check: every kata in the catalog keeps the kata contract (DESIGN.md)."""

import pytest

from tools import catalog, verify


@pytest.mark.parametrize("slug", catalog.slugs())
def test_kata_keeps_the_contract(slug):
    problems = verify.check(slug)
    assert not problems, f"kata '{slug}' breaks the contract:\n  - " + "\n  - ".join(problems)


def test_catalog_holds_the_four_flagships():
    missing = {"leakage", "shape", "gradient", "overflow"} - set(catalog.slugs())
    assert not missing, f"flagship katas missing from katas/: {sorted(missing)}"
