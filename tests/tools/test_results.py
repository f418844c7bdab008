"""``--json``: one document in the shape of exercism's results.json, for editors and CI."""

import json
import tomllib

WORKSPACE = "katas/leakage/pipeline.py"
TEST_KEYS = {"name", "status", "message", "output", "test_code"}


def document(done):
    assert done.stderr == "" or "warning" in done.stderr, done.stderr
    return json.loads(done.stdout)  # nothing but the document on standard output


def test_a_failing_kata_is_a_fail_document_with_every_test(repo, tool):
    done = tool("kata", "leakage", "--json")
    assert done.returncode == 1
    doc = document(done)
    assert doc["version"] == 2 and doc["status"] == "fail" and doc["message"] is None
    assert all(set(t) >= TEST_KEYS for t in doc["tests"])
    failing = sorted(t["test_code"] for t in doc["tests"] if t["status"] == "fail")
    listed = tomllib.loads((repo / "katas/leakage/kata.toml").read_text())["failing_tests"]
    assert failing == sorted(listed)
    assert all(t["message"] for t in doc["tests"] if t["status"] == "fail")
    assert all(t["message"] is None for t in doc["tests"] if t["status"] == "pass")


def test_a_solved_kata_is_a_pass_document(repo, tool):
    tool("kata", "leakage", "--json")
    (repo / WORKSPACE).write_text((repo / "fixed/leakage/pipeline.py").read_text())
    done = tool("kata", "leakage", "--json")
    assert done.returncode == 0
    doc = document(done)
    assert doc["status"] == "pass" and all(t["status"] == "pass" for t in doc["tests"])


def test_code_that_cannot_run_is_an_error_document_with_a_message(repo, tool):
    tool("kata", "leakage", "--json")
    (repo / WORKSPACE).write_text("def run_pipeline(:\n")
    done = tool("kata", "leakage", "--json")
    assert done.returncode == 1
    doc = document(done)
    assert doc["status"] == "error" and "SyntaxError" in doc["message"] and doc["tests"] == []


def test_what_a_test_prints_is_its_output(repo, tool):
    tool("kata", "leakage", "--json")
    text = (repo / "broken/leakage/pipeline.py").read_text()
    marker = "def run_pipeline(df, test_size=0.25, seed=0):\n"
    (repo / WORKSPACE).write_text(text.replace(marker, marker + "    print('debugging here')\n"))
    doc = document(tool("kata", "leakage", "--json"))
    assert any(t["output"] and "debugging here" in t["output"] for t in doc["tests"])


def test_verify_json_has_one_test_per_kata(repo, tool):
    done = tool("verify", "--json", timeout=300)
    doc = document(done)
    assert doc["version"] == 2 and [t["name"] for t in doc["tests"]] == ["leakage"]
    assert doc["status"] == "pass" and done.returncode == 0


def test_json_goes_with_a_plain_run_only(repo, tool):
    done = tool("kata", "leakage", "--json", "--watch")
    assert done.returncode == 2 and "does not go with --watch" in done.stderr
