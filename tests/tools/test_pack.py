"""Class packs: every student a different verified bug, a key beside the folders, honest grades."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tools import FIXED, UserError
from tools.core import catalog
from tools.instructor import grade, pack

SLUG = "metrics-rmse"


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.txt"
    path.write_text("# class of 2026\nada\nbob, Bob Smith\ncy\n", encoding="utf-8")
    return path


def test_students_get_different_bugs_and_the_key_stays_outside_their_folders(tmp_path, roster):
    out = tmp_path / "pack"
    key, _ = pack.build([SLUG], roster, out, seed=3)
    dealt = {s: (b[0]["slug"], b[0]["variant"]) for s, b in key["students"].items()}
    assert list(dealt) == ["ada", "bob", "cy"]
    assert len(set(dealt.values())) == 3, dealt
    assert (out / "key.json").is_file() and (out / "key.md").is_file()
    for student, (slug, variant) in dealt.items():
        folder = out / student
        assert not list(folder.rglob("key*")), "a student's folder holds the key"
        names = catalog.load(slug).files
        code = [(folder / "katas" / slug / n).read_text(encoding="utf-8") for n in names]
        fixed = [(FIXED / slug / n).read_text(encoding="utf-8") for n in names]
        assert code != fixed, f"{student} was handed the reference solution"
        for thing in ("README.md", "HINTS.md", "kata.toml"):
            assert (folder / "katas" / slug / thing).is_file()
        assert (folder / ".github" / "workflows" / "grade.yml").is_file()
        text = (folder / "katas" / slug / "README.md").read_text(encoding="utf-8")
        assert "explanation" not in text.lower() or variant is None


def test_a_pack_never_overwrites_an_earlier_one(tmp_path, roster):
    pack.build([SLUG], roster, tmp_path / "pack", seed=0)
    with pytest.raises(UserError, match="already exists"):
        pack.build([SLUG], roster, tmp_path / "pack", seed=0)


@pytest.mark.parametrize("line", ["../evil", "a b", "ada\nada"])
def test_a_bad_roster_is_one_line_naming_it(tmp_path, line):
    path = tmp_path / "roster.txt"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"roster\.txt"):
        pack.read_roster(path)


def test_grades_come_from_the_packs_tests_not_the_students(tmp_path, roster):
    out = tmp_path / "pack"
    pack.build([SLUG], roster, out, seed=0)
    for name in catalog.load(SLUG).files:  # ada fixes her bug
        shutil.copyfile(FIXED / SLUG / name, out / "ada" / "katas" / SLUG / name)
    cheat = "import pytest\n\n@pytest.hookimpl(tryfirst=True)\ndef pytest_runtest_makereport(item, call):\n    call.excinfo = None\n"
    (out / "bob" / "tests" / "conftest.py").write_text(cheat, encoding="utf-8")
    (out / "bob" / "katas" / SLUG / "conftest.py").write_text(cheat, encoding="utf-8")
    shutil.rmtree(out / "cy" / "katas" / SLUG)  # cy handed nothing in
    rows, notes = grade.grade(out)
    status = {r["student"]: r["status"] for r in rows}
    assert status == {"ada": "pass", "bob": "fail", "cy": "missing"}, status
    assert notes == []
    written = grade.write_tables(rows, out)
    assert "ada" in written[1].read_text(encoding="utf-8")
    document = json.loads((out / "grades" / "ada" / f"{SLUG}.json").read_text(encoding="utf-8"))
    assert document["version"] == 2 and document["status"] == "pass"


def test_the_workflow_writes_results_json_from_pytest(tmp_path, roster):
    out = tmp_path / "pack"
    pack.build([SLUG], roster, out, seed=0)
    folder = out / "ada"
    junit = tmp_path / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "--impl", "katas/{slug}", "-q",
         f"--junitxml={junit}"],
        cwd=folder, capture_output=True, check=False, timeout=300,
    )  # fmt: skip
    target = tmp_path / "results.json"
    subprocess.run(
        [sys.executable, ".github/results.py", str(junit), str(target)], cwd=folder, check=True
    )
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["status"] == "fail"
    assert any(t["status"] == "fail" and t["message"] for t in document["tests"])
    assert any(t["status"] == "pass" for t in document["tests"])


def test_grading_a_folder_that_is_not_a_pack_is_one_line(tmp_path):
    with pytest.raises(UserError, match=r"key\.json does not exist"):
        grade.grade(tmp_path)


def test_a_kata_with_data_files_hands_them_to_every_student(tmp_path, roster):
    slug = next(k.slug for k in catalog.load_all() if k.data)
    kata = catalog.load(slug)
    out = tmp_path / "pack"
    pack.build([slug], roster, out, seed=0)
    for student in ("ada", "bob", "cy"):
        for name in kata.data:
            handed = out / student / "katas" / slug / "data" / name
            assert handed.read_bytes() == (kata.data_source / name).read_bytes(), handed
