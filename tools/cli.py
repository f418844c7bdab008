"""Command-line entry: ``python -m tools <command>``; user mistakes become one line and an exit code."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from tools import EXIT_USAGE, UserError
from tools.core.term import error

# command -> (module, how nox runs it, one-line help); each module has add_arguments() and run().
COMMANDS = {
    "kata": (
        "tools.practice.learner",
        "nox -s kata --",
        "work on a kata: check out, test, hint, reset, compare",
    ),
    "list": (
        "tools.practice.listing",
        "nox -s list --",
        "list every kata with its status and best result",
    ),
    "verify": (
        "tools.authoring.verify",
        "nox -s verify --",
        "check that katas keep the contract (the self-check)",
    ),
    "new": (
        "tools.authoring.scaffold",
        "nox -s new --",
        "scaffold a new kata for an author to fill in",
    ),
    "bench": (
        "tools.authoring.bench",
        "nox -s bench --",
        "measure the learner loop, the self-check and mutation",
    ),
    "pack": (
        "tools.instructor.cli",
        "nox -s pack --",
        "instructors: a pack of different bugs for each student of a class, and its grades",
    ),
    "mutate": (
        "tools.mutation.cli",
        "nox -s mutate --",
        "generate bug variants with mutmut and ML-aware operators",
    ),
}


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    json = False  # --json was asked for: a usage error is a results.json document on stdout too

    def error(self, message: str) -> None:  # type: ignore[override]
        _failed(f"{message} (see: {self.prog} --help)", self.json)
        sys.exit(EXIT_USAGE)


def _failed(message: str, as_json: bool) -> None:
    """Say a mistake on one line; with ``--json``, also as the document a reader waits for."""
    error(message)
    if as_json:
        from tools.core import results

        print(results.dumps(results.error_document(message)))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        error(f"expected one of: {', '.join(COMMANDS)} (python -m tools <command> --help)")
        return EXIT_USAGE
    module_name, prog, description = COMMANDS[argv[0]]
    try:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as missing:
            if missing.name and missing.name.split(".")[0] == "tools":
                raise
            raise UserError(
                f"{missing.name} is not installed; run this through nox ({prog} ...), "
                "which installs what each command needs"
            ) from None
        parser = Parser(
            prog=prog,
            description=description,
            epilog=getattr(module, "EXAMPLES", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(parser)
        parser.json = "--json" in argv[1:]
        args = parser.parse_args(argv[1:])
        return module.run(args)
    except UserError as problem:
        _failed(str(problem), "--json" in argv[1:])
        return problem.exit_code
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except PermissionError as problem:
        where = problem.filename or "a file"
        error(f"permission denied on {where}: make it readable and writable, then run again")
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
