"""The self-check: every kata in the catalog keeps the kata contract (DESIGN.md).

Every kata's runs (fixed, broken, each variant: its change.patch applied to today's fixed/) share
one pytest session that collects the kata's tests once and forks a child per run; a failure names
each kata that breaks the contract and what it breaks (a variant whose patch no longer applies
among them).
"""

import re

import pytest

from tools.authoring import giveaway, verify
from tools.core import catalog, runner

# The catalog in shards, so that xdist's workers share the self-check: as one test it was the
# suite's long pole (two and a half minutes while the other workers had run dry). Each shard's
# katas still share one pytest session per kata; a shard takes every SHARDS-th kata in catalog
# order, which spreads the heavy ones.
SHARDS = 4


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS), ids=lambda n: f"shard{n + 1}of{SHARDS}")
def test_every_kata_keeps_the_contract_whatever_the_order_of_its_tests(shard):
    # Every run takes its tests in a shuffled order: the verdicts must be the contract's all the
    # same.
    problems = verify.check_many(catalog.slugs()[shard::SHARDS], shuffle=1)
    failing = {slug: found for slug, found in problems.items() if found}
    assert not failing, "\n".join(
        f"kata '{slug}' breaks the contract:\n  - " + "\n  - ".join(found)
        for slug, found in sorted(failing.items())
    )


def test_a_shuffled_run_takes_the_tests_in_another_order_with_the_same_verdicts():
    runner.warm_up()
    plain, *shuffled = runner.run_many(
        [
            runner.Job("leakage", catalog.load("leakage").fixed, verify.shuffle_args(seed))
            for seed in (None, 1, 2)
        ]
    )
    orders = [[o.test for o in report.outcomes] for report in (plain, *shuffled)]
    assert all(report.passed for report in (plain, *shuffled))
    assert sorted(orders[0]) == sorted(orders[1]) == sorted(orders[2])
    assert orders[1] != orders[0] and orders[2] != orders[1], "the seed does not change the order"


def test_no_kata_hands_out_another_katas_fix():
    found = giveaway.give_away_problems(catalog.load_all())
    lines = [f"{slug}: {p}" for slug, ps in found.items() for p in ps]
    assert not lines, "handed-out code gives another kata's answer away:\n  - " + "\n  - ".join(
        lines
    )


def test_catalog_holds_the_four_flagships():
    missing = {"leakage", "shape", "gradient", "overflow"} - set(catalog.slugs())
    assert not missing, f"flagship katas missing from katas/: {sorted(missing)}"


def test_readme_catalog_table_matches_the_catalog():
    readme = (catalog.KATAS.parent / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`") and cells[2].isdigit():
            rows[cells[0].strip("`")] = (int(cells[2]), int(cells[3]), cells[4])
    expected = {k.slug: (k.difficulty, k.minutes, k.symptom.strip()) for k in catalog.load_all()}
    assert rows == expected, (
        "README's table of katas disagrees with the catalog (missing, extra, or another "
        f"difficulty, budget or symptom): {sorted(set(rows.items()) ^ set(expected.items()))}"
    )


def test_a_reference_that_fails_is_named_with_each_failing_tests_message(repo, tool):
    pipeline = repo / "fixed" / "leakage" / "pipeline.py"
    text = pipeline.read_text()
    assert "    return float(np.mean(y_true == y_pred))" in text
    pipeline.write_text(text.replace("np.mean(y_true == y_pred)", "np.mean(y_true != y_pred)"))
    done = tool("verify", "leakage")
    said = " ".join(done.stdout.split())
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the reference solution fails:" in said, said
    # each failing test is named with the first line of what it said
    assert re.search(r"test_\w+(\[[^\]]*\])?: \S", said), said
    assert "Traceback" not in done.stdout + done.stderr


def test_tests_that_do_not_collect_are_named_not_a_crash(repo, tool):
    (repo / "tests" / "leakage" / "test_leakage.py").write_text("def test_(:\n")
    done = tool("verify", "leakage")
    said = " ".join(done.stdout.split())
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL leakage" in said and "tests/leakage" in said, said
    assert "Traceback" not in done.stdout + done.stderr


def test_a_brief_that_states_another_difficulty_than_kata_toml_is_named(repo, tool):
    brief = repo / "katas" / "leakage" / "README.md"
    text = brief.read_text()
    assert "**Difficulty:** 2/5" in text
    brief.write_text(text.replace("**Difficulty:** 2/5", "**Difficulty:** 5/5"))
    done = tool("verify", "leakage")
    assert done.returncode == 1
    assert "the brief states difficulty 5, kata.toml says 2" in " ".join(done.stdout.split())
