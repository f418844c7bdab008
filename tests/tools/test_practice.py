"""Watch mode, timed interviews, progress and kata scaffolding, run as a learner or author would."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib

import pytest

from tools.practice.interview import Rubric

from .conftest import ROOT

WORKSPACE = "katas/leakage/pipeline.py"
MINUTES = tomllib.loads((ROOT / "katas/leakage/kata.toml").read_text())["minutes"]


def start(repo, *args):
    env = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tools", *args],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        # as a terminal starts it: SIGINT not ignored, even if this test run inherited that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for(path, predicate, seconds=300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and predicate(path.read_text()):
            return
        time.sleep(0.1)
    raise AssertionError(f"{path} never reached the expected state")


def read_until(child, predicate, seconds=300):
    """The child's output up to and including the first line the predicate accepts."""
    deadline = time.monotonic() + seconds
    seen = ""
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        seen += line
        if predicate(line):
            return seen
    child.kill()
    raise AssertionError(f"the expected line never came:\n{seen}")


def test_watch_reruns_on_save_and_stops_when_solved(repo):
    child = start(repo, "kata", "leakage", "--watch")
    first = read_until(child, lambda line: re.search(r"4 of \d+ tests fail", line))
    # The first verdict is out; a save now must trigger another run.
    shutil.copyfile(repo / "fixed/leakage/pipeline.py", repo / WORKSPACE)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, first + out + err
    assert re.search(r"All \d+ tests pass", out), first + out
    assert "Traceback" not in out + err


def test_ctrl_c_stops_watching_cleanly(repo):
    child = start(repo, "kata", "leakage", "--watch")
    deadline = time.monotonic() + 300
    seen = ""
    while "Watching" not in seen and time.monotonic() < deadline:
        seen += child.stdout.readline()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=300)
    assert "Stopped watching" in seen + out
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in err
    assert child.returncode == 1, "still unsolved: the status says the tests fail"


ROOT_CAUSE = """category: leakage
The scaler was fitted on every row before the split, so its standardisation statistics held
information from the test set. Fitting it on the training rows only keeps held-out rows out.
"""


def test_interview_reports_a_rubric_when_solved_and_keeps_scores(repo, tool):
    tool("kata", "leakage")
    (repo / "katas/leakage/root-cause.txt").write_text("category: shape\nAn old answer.\n")
    (repo / WORKSPACE).write_text((repo / WORKSPACE).read_text() + "# my earlier try\n")
    child = start(repo, "kata", "leakage", "--interview")
    wait_for(repo / "katas/.state.json", lambda text: '"deadline"' in text)
    backups = list((repo / "katas/leakage/.backups").glob("*/pipeline.py"))
    assert backups and backups[0].read_text().endswith("# my earlier try\n"), (
        "earlier work was not saved"
    )
    old = list((repo / "katas/leakage/.backups").glob("*/root-cause.txt"))
    assert [p.read_text() for p in old] == ["category: shape\nAn old answer.\n"], (
        "a root cause written before the interview must not be submitted in it"
    )
    (repo / "katas/leakage/root-cause.txt").write_text(ROOT_CAUSE)
    time.sleep(2)
    shutil.copyfile(repo / "fixed/leakage/pipeline.py", repo / WORKSPACE)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, out + err
    assert f"Interview started: {MINUTES} minutes" in out and "left in the interview" in out
    report = out[out.index("Interview report") :]
    assert re.search(r"(\d+)/\1 behaviour tests pass", report), report
    assert re.search(r"(\d+)/\1 edge-case tests pass", report), report
    for part in ("Correctness", "ML understanding", "Code quality", "Edge cases", "Communication"):
        assert part in report, f"the report lacks the rubric part {part}"
    assert "class right" in report and "clear and concise" in report
    assert "0 of 3 hints used" in report and "The explanation" in report
    assert "(from root-cause.txt)" in report
    stored = json.loads((repo / "katas/.state.json").read_text())["katas"]["leakage"]
    assert [entry["score"] for entry in stored["interviews"]] == [100], report
    assert stored.get("interview") is None, "the interview is still open after its report"


def test_an_interview_out_of_time_is_scored_as_it_stands(repo, tool):
    tool("kata", "leakage")
    path = repo / "katas/.state.json"
    state = json.loads(path.read_text())
    now = time.time()
    state["katas"]["leakage"]["interview"] = {
        "started": now - MINUTES * 60 - 1,
        "deadline": now - 1,
        "hints_before": 0,
    }
    path.write_text(json.dumps(state))
    done = tool("kata", "leakage")
    assert done.returncode == 1
    report = done.stdout[done.stdout.index("Interview report") :]
    assert "time is up" in report
    passing, total = map(int, re.search(r"(\d+)/(\d+) behaviour tests pass", report).groups())
    assert total - passing == 4, "the four failing tests of the broken kata count against it"
    assert f"{MINUTES} min 00 s of {MINUTES} min 00 s" in report


def test_hints_before_an_interview_do_not_count_in_it_and_both_reports_agree(repo, tool):
    tool("kata", "leakage")
    tool("kata", "leakage", "--hint")
    child = start(repo, "kata", "leakage", "--interview")
    wait_for(repo / "katas/.state.json", lambda text: '"deadline"' in text)
    time.sleep(2)
    shutil.copyfile(repo / "fixed/leakage/pipeline.py", repo / WORKSPACE)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, out + err
    assert "0 of 3 hints used" in out and "without hints" in out, out


def test_ctrl_c_ends_an_interview_with_its_report(repo, tool):
    tool("kata", "leakage")
    child = start(repo, "kata", "leakage", "--interview")
    seen = ""
    deadline = time.monotonic() + 300
    while "Watching" not in seen and time.monotonic() < deadline:
        seen += child.stdout.readline()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=300)
    assert "Interview stopped" in out and "Interview report: leakage (stopped)" in out, out
    assert "Stopped watching" not in out and "Traceback" not in out + err
    stored = json.loads((repo / "katas/.state.json").read_text())["katas"]["leakage"]
    assert stored["interview"] is None and stored["interviews"][-1]["stopped"] is True


def test_an_interview_solved_with_a_known_answer_says_so(repo, tool):
    tool("kata", "leakage")
    child = start(repo, "kata", "leakage", "--interview")
    wait_for(repo / "katas/.state.json", lambda text: '"deadline"' in text)
    time.sleep(2)
    shutil.copyfile(repo / "fixed/leakage/pipeline.py", repo / WORKSPACE)
    out, _err = child.communicate(timeout=300)
    assert "identical to the reference solution" in " ".join(out.split()), out


def test_rubric_weighs_the_five_parts_of_the_round():
    perfect = Rubric((8, 8), (2, 2), 0, (0, 3), 300, 900, understanding=1.0, communication=1.0)
    assert perfect.score() == 100 and perfect.verdict() == "strong"
    silent = Rubric((8, 8), (1, 2), 2, (3, 3), 1800, 900)
    assert silent.points() == pytest.approx(
        {"correctness": 30, "ml_understanding": 0, "code_quality": 12, "edge_cases": 7.5,
         "communication": 0}
    )  # fmt: skip
    assert silent.verdict() == "partial"


def test_root_cause_scores_the_class_and_the_kata_concepts():
    from tools.core import catalog
    from tools.practice import rootcause

    kata = catalog.load("leakage")
    said = rootcause.Statement("leakage", "The scaler was fitted on all rows: information from "
                               "the test set leaked into its standardisation statistics.")  # fmt: skip
    score, basis = rootcause.understanding(said, kata.category, kata.concepts)
    assert score >= 0.7 and "class right" in basis
    wrong = rootcause.Statement("shape", "Something was off with the arrays.")
    assert rootcause.understanding(wrong, kata.category, kata.concepts)[0] == 0
    assert rootcause.communication(wrong)[0] < 1 and rootcause.communication(said)[0] == 1


def test_progress_lists_best_time_and_hints_grouped_by_category(repo, tool):
    tool("kata", "leakage", "--hint")
    tool("kata", "leakage")
    mine = (repo / "fixed/leakage/pipeline.py").read_text() + "\nFIXED_BY_ME = True\n"
    (repo / WORKSPACE).write_text(mine)  # the learner's own fix, not a copy of the reference
    tool("kata", "leakage")
    done = tool("list")
    assert done.returncode == 0
    assert "Data leakage" in done.stdout
    line = next(line for line in done.stdout.splitlines() if line.strip().startswith("leakage"))
    assert "solved" in line and "best" in line and "1 hint" in line


def test_new_scaffolds_a_kata_and_verify_names_what_is_missing(repo, tool):
    made = tool("new", "leakage-impute")
    assert made.returncode == 0, made.stderr
    for path in ("katas/leakage-impute/kata.toml", "katas/leakage-impute/README.md",
                 "fixed/leakage-impute/pipeline.py", "broken/leakage-impute/pipeline.py",
                 "tests/leakage-impute/test_leakage_impute.py"):  # fmt: skip
        assert (repo / path).is_file(), f"{path} was not created"
    assert 'category = "leakage"' in (repo / "katas/leakage-impute/kata.toml").read_text()
    checked = tool("verify", "leakage-impute")
    assert checked.returncode == 1
    assert "katas/leakage-impute/kata.toml: placeholders still to fill in" in checked.stdout
    assert "katas/leakage-impute/README.md: placeholders" in checked.stdout
    again = tool("new", "leakage-impute")
    assert again.returncode == 2 and "already exists" in again.stderr
    bad = tool("new", "Bad Slug")
    assert bad.returncode == 2 and "is not a slug" in bad.stderr


def test_progress_page_counts_solved_katas_and_charts_interviews(repo, tool):
    from tools.core import catalog
    from tools.practice import listing, progress_page

    tool("kata", "leakage")
    shutil.copyfile(repo / "fixed/leakage/pipeline.py", repo / WORKSPACE)
    tool("kata", "leakage")
    state = json.loads((repo / "katas/.state.json").read_text())
    state["katas"]["leakage"]["interviews"] = [
        {"score": 55, "when": 1_700_000_000, "solved": False},
        {"score": 90, "when": 1_700_100_000, "solved": True},
    ]
    katas = [catalog.parse("leakage", repo / "katas/leakage/kata.toml")]
    data = progress_page.page_data(katas, state, lambda k, r: listing.status(k, {**r}))
    assert data["solved"] == 1 and data["by_category"] == {"leakage": (1, 1)}
    assert data["by_family"] == {"classification": (1, 1)}
    assert [e["score"] for e in data["interviews"]] == [55, 90]
    page = progress_page.render(data)
    assert "<svg" in page and "<script" not in page  # self-contained: nothing to fetch or run
    assert "src=" not in page and "<link" not in page
    done = tool("list", "--html")
    assert done.returncode == 0 and (repo / "build/progress.html").is_file()
    assert "█" in done.stdout and "1/1" in done.stdout


def test_a_boss_kata_says_how_many_of_its_problems_remain(capsys):
    from tools.core import catalog
    from tools.core.collector import Outcome, Report
    from tools.practice import feedback

    kata = catalog.load("boss-churn")
    first, *others = kata.problems
    failing = {t for p in others for t in p.tests}
    everything = {t for p in kata.problems for t in p.tests}
    report = Report([Outcome(t, t not in failing, "" if t not in failing else "assertion")
                     for t in sorted(everything)], 1)  # fmt: skip
    assert feedback.problems_left(kata, report) == others
    feedback.print_problems(kata, report)
    out = capsys.readouterr().out
    assert f"1 of {len(kata.problems)} problems fixed" in out and first.title in out
