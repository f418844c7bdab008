"""Variants stored as their change: the patch format, materialising, the self-check and --refresh."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

import pytest

from tools import UserError
from tools.core import catalog, patch, variants

from .conftest import ROOT, run_tool

BEFORE = "".join(f"line {i}\n" for i in range(1, 21))


def changed(text: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    return text


# -- the patch format ------------------------------------------------------------------------------


def test_a_patch_rebuilds_its_files_byte_for_byte_with_several_hunks():
    after = changed(BEFORE, ("line 2\n", "line two\n"), ("line 17\n", "line 17\nextra\n"))
    text = patch.make({"m.py": BEFORE}, {"m.py": after})
    assert text.startswith("--- a/m.py\n+++ b/m.py\n@@ -1,5 +1,5 @@\n")
    assert text.count("\n@@ ") == 2, "two changes far apart are two hunks"
    assert patch.apply({"m.py": BEFORE}, text) == {"m.py": after}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({}, {"new.py": "first\nlast without a newline"}),
        ({"m.py": "a\nb"}, {"m.py": "a\nc"}),
        ({"m.py": "a\nb"}, {"m.py": "a\nb\n"}),
        ({"m.py": "a\nb\n"}, {"m.py": "a\nb"}),
        ({"m.py": "a\n", "gone.py": "x\n"}, {"m.py": "a\n"}),
    ],
    ids=["new-file-without-newline", "last-line-changed", "newline-added", "newline-removed",
         "file-deleted"],
)  # fmt: skip
def test_files_ending_without_a_newline_round_trip(old, new):
    text = patch.make(old, new)
    assert patch.apply(old, text) == new
    if any(not t.endswith("\n") for t in (*old.values(), *new.values())):
        assert patch.NO_NEWLINE in text


def test_context_that_does_not_match_is_one_line_naming_the_hunk():
    after = changed(BEFORE, ("line 2\n", "line two\n"), ("line 17\n", "line seventeen\n"))
    text = patch.make({"m.py": BEFORE}, {"m.py": after})
    edited = changed(BEFORE, ("line 15\n", "line fifteen\n"))
    with pytest.raises(patch.PatchError) as caught:
        patch.apply({"m.py": edited}, text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("hunk 2 of m.py (@@ -14,7 +14,7 @@) does not apply: line 15 is ")
    assert "'line fifteen' where it expects 'line 15'" in message


def test_an_empty_context_line_whose_space_an_editor_stripped_still_applies():
    before = "a\n\nb\nc\n"
    text = patch.make({"m.py": before}, {"m.py": "a\n\nB\nc\n"})
    assert "\n \n" in text
    assert patch.apply({"m.py": before}, text.replace("\n \n", "\n\n")) == {"m.py": "a\n\nB\nc\n"}


def test_lines_that_moved_still_apply_exactly_where_their_context_is():
    after = changed(BEFORE, ("line 10\n", "line ten\n"))
    text = patch.make({"m.py": BEFORE}, {"m.py": after})
    shifted = "header\nheader\n" + BEFORE
    assert patch.apply({"m.py": shifted}, text) == {"m.py": "header\nheader\n" + after}


def test_relocation_finds_a_hunk_by_its_changed_lines_only_when_asked():
    after = changed(BEFORE, ("line 10\n", "line ten\n"))
    text = patch.make({"m.py": BEFORE}, {"m.py": after})
    edited = changed(BEFORE, ("line 9\n", "a comment rewritten\n"))
    with pytest.raises(patch.PatchError):
        patch.apply({"m.py": edited}, text)
    relocated = patch.apply({"m.py": edited}, text, relocate=True)
    assert relocated == {"m.py": changed(edited, ("line 10\n", "line ten\n"))}
    twice = edited.replace("line 20\n", "line 10\n")
    with pytest.raises(patch.PatchError, match="hunk 1"):
        patch.apply({"m.py": twice}, text, relocate=True)  # ambiguous: never guessed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("--- a/m.py\n", "not followed by a '+++' line"),
        ("--- a/m.py\n+++ b/m.py\n", "has no hunk"),
        ("--- a/m.py\n+++ b/m.py\n@@ nonsense @@\n", "not a hunk header"),
        ("--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n line 1\n", "ends before"),
        ("--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n line 1\n*line 2\n", "unexpected"),
        ("--- a/other.py\n+++ b/other.py\n@@ -1 +1 @@\n-a\n+b\n", "other.py, which does not exist"),
    ],
)
def test_malformed_patches_are_clear_errors(text, message):
    with pytest.raises(patch.PatchError, match=re.escape(message)):
        patch.apply({"m.py": BEFORE}, text)


def test_git_apply_takes_our_patches_too(tmp_path):
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    old = (ROOT / "fixed/leakage/pipeline.py").read_text()
    (tmp_path / "pipeline.py").write_text(old)
    (tmp_path / "new.py").write_text("a\nb")
    kata = catalog.load("leakage")
    (path,) = variants.variant_dirs(kata)[:1]
    (tmp_path / "change.patch").write_text(variants.change(path))
    done = subprocess.run([git, "apply", "change.patch"], cwd=tmp_path, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "pipeline.py").read_text() == variants.materialise(kata, path)["pipeline.py"]


# -- variants in the repository ----------------------------------------------------------------------


def test_every_committed_variant_is_a_manifest_and_a_patch_that_applies():
    for kata in catalog.load_all():
        for path in variants.variant_dirs(kata):
            assert sorted(p.name for p in path.iterdir()) == ["change.patch", "variant.toml"]
            assert "diff" not in tomllib.loads((path / "variant.toml").read_text())
            files = variants.materialise(kata, path.name)
            assert files != variants.fixed_files(kata), f"{path} changes nothing"


def in_copy(repo, monkeypatch) -> catalog.Kata:
    """The leakage kata of the throw-away repository ``repo``."""
    for part in ("fixed", "variants"):
        where = (lambda s: repo / "fixed" / s) if part == "fixed" else (
            lambda s: repo / "broken" / s / "variants")  # fmt: skip
        monkeypatch.setattr(catalog.Kata, part, property(lambda self, w=where: w(self.slug)))
    return catalog.load("leakage")


def test_an_unreadable_or_broken_patch_names_the_variant(repo, monkeypatch):
    kata = in_copy(repo, monkeypatch)
    path = variants.variant_dirs(kata)[0]
    (path / "change.patch").write_text(variants.change(path).replace("\n ", "\n #", 1))
    with pytest.raises(UserError, match=rf"{path.name}/change.patch does not apply .*hunk 1"):
        variants.materialise(kata, path.name)
    (path / "change.patch").unlink()
    with pytest.raises(UserError, match=rf"{path.name}/change.patch is missing: a variant is"):
        variants.materialise(kata, path.name)


def test_the_self_check_fails_a_variant_whose_patch_no_longer_applies(repo):
    kata_variants = sorted((repo / "broken/leakage/variants").glob("v*"))
    target = kata_variants[0]
    removed, _ = patch.changed_lines((target / "change.patch").read_text())
    line = removed[0]
    fixed = repo / "fixed/leakage/pipeline.py"
    fixed.write_text(fixed.read_text().replace(line, line + "  # edited by an author", 1))
    done = run_tool(repo, "verify", "leakage", timeout=900)
    assert done.returncode == 1
    complaint = [x for x in done.stdout.splitlines() if f"variant {target.name}:" in x]
    assert complaint and "change.patch does not apply to fixed/leakage/: hunk 1" in complaint[0]
    assert "--refresh" in complaint[0]


# -- refreshing variants after an author's edit ---------------------------------------------------


def manifests(repo) -> dict[str, dict]:
    found = sorted((repo / "broken/leakage/variants").glob("*/variant.toml"))
    return {p.parent.name: tomllib.loads(p.read_text()) for p in found}


def snapshot(*folders) -> dict:
    return {
        p: p.read_bytes() for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.slow
def test_refresh_rebases_relocates_drops_and_rerecords_and_never_writes_fixed_or_tests(repo):
    first = run_tool(repo, "mutate", "leakage", "--refresh", "--jobs", "1", timeout=900)
    assert first.returncode == 0, first.stderr  # records brought up to date with today's tests
    before = manifests(repo)
    assert len(before) >= 3, f"the scenario needs three variants of leakage: {first.stdout}"
    folder = repo / "broken/leakage/variants"
    removed = {i: patch.changed_lines((folder / i / "change.patch").read_text())[0] for i in before}
    failing = {i: set(m["failing_tests"]) for i, m in before.items()}
    moved, gone, *others = sorted(before)
    single = min(
        (i for i in others if not failing[moved] <= failing[i]), key=lambda i: len(failing[i])
    )
    retired = failing[single]
    caught_by_retired = {i for i in before if failing[i] <= retired and i != gone}
    # The author edits the reference: a line at the top (every hunk moves), a comment right
    # above one variant's change (its context no longer matches), another variant's own line ...
    fixed = repo / "fixed/leakage/pipeline.py"
    lines = fixed.read_text().splitlines(keepends=True)
    at = next(i for i, x in enumerate(lines) if x.rstrip("\n") == removed[moved][0])
    lines.insert(at, "# a comment an author added\n")
    at = next(i for i, x in enumerate(lines) if x.rstrip("\n") == removed[gone][0])
    lines[at] = lines[at].rstrip("\n") + "  # edited\n"
    fixed.write_text("# The module's first line, new.\n" + "".join(lines))
    # ... and retires the tests that catch one variant.
    for test in retired:
        test_file, name = test.split("::")
        path = repo / "tests/leakage" / test_file
        path.write_text(path.read_text().replace(f"def {name}(", f"def retired_{name}(", 1))
    protected = snapshot(repo / "fixed", repo / "tests")
    untouched = snapshot(repo / "broken")
    dry = run_tool(repo, "mutate", "leakage", "--refresh", "--no-write", "--jobs", "1")
    assert dry.returncode == 0, dry.stderr
    assert snapshot(repo / "broken") == untouched, "--no-write wrote"
    done = run_tool(repo, "mutate", "leakage", "--refresh", "--jobs", "1", timeout=900)
    assert done.returncode == 0, done.stderr
    assert done.stdout == dry.stdout.replace(" (--no-write: nothing written)", "")
    assert snapshot(repo / "fixed", repo / "tests") == protected, "refresh wrote fixed/ or tests/"
    report = {line.split()[0]: line for line in done.stdout.splitlines()[1:]}
    assert "dropped: its change no longer applies" in report[gone]
    for ident in caught_by_retired:
        assert "dropped: no test fails it any more" in report[ident]
    assert "relocated by its change" in report[moved]
    after = manifests(repo)
    assert sorted(after) == sorted(set(before) - {gone} - caught_by_retired)
    for ident, manifest in after.items():
        assert set(manifest["failing_tests"]) == failing[ident] - retired
        assert ident == moved or "change.patch re-based" in report[ident]
    verified = run_tool(repo, "verify", "leakage", timeout=900)  # broken/ lists a retired test
    assert "variant" not in verified.stdout, verified.stdout
    again = run_tool(repo, "mutate", "leakage", "--refresh", "--no-write", "--jobs", "1")
    assert again.stdout.count(" unchanged") == len(after), again.stdout
