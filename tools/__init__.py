"""Tooling for the kata repository: catalog, workspace, test runner, hints, self-check, mutation."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KATAS = ROOT / "katas"
BROKEN = ROOT / "broken"
FIXED = ROOT / "fixed"
TESTS = ROOT / "tests"

# Exit codes shared by every command.
EXIT_OK = 0
EXIT_FAILED = 1  # the tests ran and some failed
EXIT_USAGE = 2  # the user asked for something that cannot be done


class UserError(Exception):
    """A mistake the user can fix; printed as one line, never as a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
