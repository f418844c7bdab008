"""Blind practice and variants as exercises of their own, run as a learner runs them."""

import json
import re
import shutil
import subprocess

from tools.core import catalog

TITLE = catalog.load("leakage").title


def git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)


def commit_all(repo):
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")


def leaks(text, repo):
    """What, in ``text``, names the kata, its title or its tests (the test's own folder aside)."""
    text = text.replace(str(repo), "<repo>").replace('"test_code"', '"code"')  # the JSON key
    # A quoted test_... is a key of the pipeline's result (result['test_accuracy']), which the
    # handed-out code shows anyway, not a test's name.
    found = re.findall(r"(?<![\w-])leakage(?![\w-])|(?<!['\"])\btest_\w+\b(?!['\"])", text)
    return found + ([TITLE] if TITLE in text else [])


def solve(repo, name):
    fixed = (repo / "fixed/leakage/pipeline.py").read_text()
    (repo / "katas" / name / "pipeline.py").write_text(fixed + "\n# my fix\n")


def test_a_blind_exercise_names_nothing_until_solved_then_reveals_itself(repo, tool):
    commit_all(repo)
    first = tool("kata", "--blind")
    assert first.returncode == 1, first.stdout + first.stderr
    name = re.search(r"Continue with: nox -s kata -- ([a-z]+-[a-z]+)", first.stdout)[1]
    assert (repo / "katas" / name / "pipeline.py").is_file()
    assert (repo / "katas" / name / "README.md").is_file()
    assert re.search(r"test \d+", first.stdout)
    hint = tool("kata", name, "--hint")
    again = tool("kata", name, "--traceback")
    listed = tool("list")
    document = tool("kata", name, "--json")
    report = json.loads(document.stdout)
    assert report["slug"] == name and report["variant"] is None
    names = [t["name"] for t in report["tests"]]
    assert names and all(re.fullmatch(r"test \d+(\[.*\])?", n) for n in names), document.stdout
    brief = (repo / "katas" / name / "README.md").read_text()
    for done in (first, hint, again, listed, document):
        shown = done.stdout + done.stderr
        if done is listed:  # the listing names every kata, but not what the blind one is
            shown = next(line for line in shown.splitlines() if line.strip().startswith(name))
        assert not leaks(shown, repo), (leaks(shown, repo), shown[-2000:])
    assert not leaks(brief, repo), leaks(brief, repo)
    assert "revealed once solved" in listed.stdout
    solve(repo, name)
    solved = tool("kata", name)
    assert solved.returncode == 0, solved.stdout
    assert f"{name} was the" in solved.stdout and "leakage" in solved.stdout
    listed = tool("list")
    row = next(line for line in listed.stdout.splitlines() if line.strip().startswith(name))
    assert "solved" in row and "was leakage" in row
    assert git(repo, "status", "--porcelain").stdout == ""


def test_a_variant_reads_as_its_own_exercise_and_keeps_its_own_progress(repo, tool):
    commit_all(repo)
    ident = sorted(p.name for p in (repo / "broken/leakage/variants").iterdir() if p.is_dir())[0]
    name = f"leakage-{ident}"
    first = tool("kata", "leakage", "--variant", ident)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "WHAT WAS OBSERVED" in first.stdout.upper(), "the brief is shown at checkout"
    brief = (repo / "katas" / name / "README.md").read_text()
    assert "What was observed" in brief and f"katas/{name}/pipeline.py" in brief
    assert "generated" not in brief and "Category" not in brief
    assert (repo / "katas/leakage/README.md").read_text() == (
        repo / "katas/leakage/README.md"
    ).read_text()  # the kata's committed brief is untouched (git status below)
    solve(repo, name)
    assert tool("kata", name).returncode == 0
    hint = tool("kata", name, "--hint")
    for _ in range(3):
        hint = tool("kata", name, "--hint")
    assert "Still stuck" not in hint.stdout and "solved it" in hint.stdout
    listed = tool("list")
    row = next(line for line in listed.stdout.splitlines() if line.strip().startswith("leakage "))
    assert "not started" in row and "variants: 1 of" in row, row
    assert "0 of 1 katas solved" in listed.stdout
    assert git(repo, "status", "--porcelain").stdout == ""


def test_next_says_why_and_starts_it(repo, tool):
    done = tool("kata", "--next")
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"Next: leakage\s+\(leakage: not practised yet\)", done.stdout), done.stdout
    assert (repo / "katas/leakage/pipeline.py").is_file()


def test_blind_usage_mistakes_are_one_line(tool):
    for args, expected in (
        (("kata", "leakage", "--blind"), "--blind chooses the exercise itself"),
        (("kata", "--family", "trees"), "--family goes with --blind"),
        (("kata", "--blind", "--family", "quantum"), "unknown family 'quantum'"),
        (("kata", "--difficulty", "3"), "--difficulty goes with"),
    ):
        done = tool(*args)
        assert done.returncode == 2 and expected in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1


def test_an_interview_without_a_name_is_blind_and_reveals_only_when_solved(repo):
    from .test_practice import start, wait_for

    child = start(repo, "kata", "--interview", "--difficulty", "2")
    wait_for(repo / "katas/.state.json", lambda text: '"deadline"' in text)
    state = json.loads((repo / "katas/.state.json").read_text())
    (name,) = [n for n, r in state["katas"].items() if (r.get("exercise") or {}).get("blind")]
    (repo / "katas" / name / "root-cause.txt").write_text(
        "category: leakage, overflow\nThe scaler was fitted on held-out rows, leaking them.\n"
    )
    solve(repo, name)
    out, err = child.communicate(timeout=600)
    assert child.returncode == 0, out + err
    before, report = out.split("Interview report", 1)
    assert not leaks(before, repo), leaks(before, repo)
    assert f": {name} (solved)" in report and "It was the" in report and "leakage" in report
    assert "The explanation" in report


def test_blind_scrub_keeps_quoted_keys_and_hides_test_names():
    from tools.core import catalog, exercise

    blind = exercise.blind(exercise.of_kata(catalog.load("leakage")), "amber-heron")
    text = blind.scrub("run_pipeline(...)['test_accuracy'] fell; test_gone_long_ago failed")
    assert "['test_accuracy']" in text and "test_gone_long_ago" not in text, text
    assert blind.scrub("All tests in `tests/leakage/` must pass.") == "All tests must pass."


def test_a_blind_boss_lists_its_problems_without_their_titles(capsys):
    from tools.core import catalog, exercise
    from tools.core.collector import Report
    from tools.practice import feedback

    boss = exercise.of_kata(catalog.load("boss-mlp"))
    feedback.print_problems(exercise.blind(boss, "amber-heron"), Report())
    shown = capsys.readouterr().out
    assert "problem 1" in shown
    assert not any(p.title in shown for p in boss.problems), shown


def test_blind_at_difficulty_4_names_the_failing_checks_and_keeps_their_messages_for_a_hint(
    repo, tool
):
    toml = repo / "katas/leakage/kata.toml"
    toml.write_text(re.sub(r"(?m)^difficulty = \d", "difficulty = 4", toml.read_text()))
    shutil.rmtree(repo / "broken/leakage/variants")  # the draw is the kata itself
    first = tool("kata", "--blind")
    assert first.returncode == 1, first.stdout + first.stderr
    name = re.search(r"Continue with: nox -s kata -- ([a-z]+-[a-z]+)", first.stdout)[1]
    quiet = tool("kata", name, "--traceback")
    before = json.loads(tool("kata", name, "--json").stdout)
    hint = tool("kata", name, "--hint")
    told = tool("kata", name)
    after = json.loads(tool("kata", name, "--json").stdout)
    failing = [t for t in after["tests"] if t["status"] == "fail"]
    assert failing and all(t["message"] for t in failing), "after the hint, no message is shown"
    words = " ".join  # the terminal wraps long lines
    messages = [words(t["message"].split()[:8]) for t in failing]
    for run in (first, quiet):
        assert "Failing checks: test " in run.stdout, run.stdout[-1500:]
        shown = [m for m in messages if m in words(run.stdout.split())]
        assert not shown, f"a failing test's message was shown before any hint: {shown}"
    assert "short test summary" not in quiet.stdout and "Error" not in quiet.stdout
    assert all(t["message"] is None for t in before["tests"] if t["status"] == "fail")
    assert "Hint 1 of" in hint.stdout and "says what it measured" in hint.stdout
    assert all(m in words(told.stdout.split()) for m in messages), told.stdout[-1500:]
    assert "Failing checks" not in told.stdout
