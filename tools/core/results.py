"""Machine-readable results in the shape of exercism's test-runner ``results.json`` (version 2).

``nox -s kata -- <slug> --json`` and ``nox -s verify -- --json`` print one such document, so
editors and CI can read a run without scraping text::

    {"version": 2, "status": "pass" | "fail" | "error", "message": str | null,
     "tests": [{"name": str, "status": "pass" | "fail" | "error",
                "message": str | null, "output": str | null, "test_code": str}]}

``status`` is ``pass`` when every test passed, ``fail`` when some failed, ``error`` when the tests
could not run (a syntax error, a missing file); ``message`` is set only for ``error``. Each test's
``message`` is its symptom in the learner's terms; ``output`` is what it printed (500 characters
at most). Keys beyond exercism's (``slug``, ``variant``, ``edge``, ``reason``) are extra.
"""

from __future__ import annotations

import json

from tools.core.collector import Outcome, Report

VERSION = 2
BLOCKING = {"syntax", "missing", "collection"}
ERRORS = BLOCKING | {"setup", "crash", "exited"}


def _test(outcome: Outcome) -> dict:
    status = "pass" if outcome.passed else "error" if outcome.reason in ERRORS else "fail"
    message = None
    if not outcome.passed:
        message = (
            outcome.message
            if outcome.reason == "assertion"
            else (
                f"{outcome.exc_type}: {outcome.message}"
                + (f" (raised at {outcome.where})" if outcome.where else "")
            )
        )
    return {
        "name": outcome.test.split("::", 1)[-1],
        "status": status,
        "message": message,
        "output": outcome.output or None,
        "test_code": outcome.test,
        "edge": outcome.edge,
        "reason": outcome.reason or None,
    }


def kata_document(slug: str, report: Report, variant: str | None = None) -> dict:
    """One run of one kata as a results.json document."""
    blocking = [o for o in report.failures if o.reason in BLOCKING]
    if blocking or not report.outcomes:
        first = blocking[0] if blocking else None
        message = (
            f"{first.where + ': ' if first.where else ''}{first.exc_type}: {first.message}"
            if first
            else f"the tests did not run (pytest exit code {report.exit_code})"
        )
        return {"version": VERSION, "status": "error", "message": message, "tests": [],
                "slug": slug, "variant": variant}  # fmt: skip
    status = "pass" if report.passed else "fail"
    tests = [_test(o) for o in report.outcomes]
    return {"version": VERSION, "status": status, "message": None, "tests": tests,
            "slug": slug, "variant": variant}  # fmt: skip


def error_document(message: str) -> dict:
    """A run that could not start (a usage mistake): ``status`` error and why, no tests."""
    return {"version": VERSION, "status": "error", "message": message, "tests": []}


def verify_document(problems: dict[str, list[str]]) -> dict:
    """The self-check as a results.json document: one test per kata."""
    tests = [
        {
            "name": slug,
            "status": "fail" if found else "pass",
            "message": "\n".join(found) if found else None,
            "output": None,
            "test_code": f"python -m tools verify {slug}",
        }
        for slug, found in problems.items()
    ]
    status = "fail" if any(found for found in problems.values()) else "pass"
    return {"version": VERSION, "status": status, "message": None, "tests": tests}


def dumps(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)
