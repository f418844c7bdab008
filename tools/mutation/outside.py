"""``nox -s mutate -- --path DIR``: a campaign on an outside project, its variants and report in OUT.

The project is staged as a kata (:mod:`tools.mutation.project`) and run through the catalog's own
campaign: the same operators, verification and ranking. The learner-worthy variants (each its
``variant.toml`` and a ``change.patch`` against DIR's modules) go to ``OUT/variants/``, the
strength report to ``OUT/<name>.html`` and ``.json``. DIR is only read; a change to it while the
campaign ran stops the command.
"""

from __future__ import annotations

import argparse
import os

from tools import EXIT_FAILED, EXIT_OK, UserError
from tools.core import runner, variants
from tools.core.collector import Report
from tools.core.term import say
from tools.core.workspace import display
from tools.mutation import mutmut_api, sandbox, strength
from tools.mutation.campaign import campaign
from tools.mutation.install import recover
from tools.mutation.model import Settings
from tools.mutation.project import Project, digest, load, stage

KATA_ONLY = ("slugs", "all", "shard", "summary", "relabel", "refresh", "compare_plain")


def check_arguments(args: argparse.Namespace) -> None:
    """``--tests`` and ``--out`` only with ``--path``; ``--path`` with nothing that names katas."""
    if not args.path:
        given = [name for name in ("tests", "out") if getattr(args, name, None)]
        if given:
            raise UserError(f"--{given[0]} goes with --path DIR (an outside project)")
        return
    clash = [name for name in KATA_ONLY if getattr(args, name, None)]
    if clash:
        what = "a kata's name" if clash[0] == "slugs" else f"--{clash[0].replace('_', '-')}"
        raise UserError(f"--path runs on an outside project: drop {what}")


def _first_failure(report: Report) -> str:
    if not report.outcomes:
        return f"pytest exit {report.exit_code}: {report.output.strip().splitlines()[-1:]}"
    failure = report.failures[0]
    message = failure.message.splitlines()[0] if failure.message else failure.exc_type
    return f"{failure.test} ({failure.reason}: {message})"


def passes(project: Project) -> int:
    """The number of the project's tests; a one-line error unless all pass on its own code."""
    job = runner.Job(project.slug, project.fixed, cwd=project.home)
    report = runner.run_many([job], workers=1)[0]
    if not report.collected:
        raise UserError(
            f"no tests were collected from {project.source_tests} ({_first_failure(report)})"
        )
    if not report.passed:
        count = len(report.failures) or len(report.collected)
        raise UserError(
            f"{project.source}: {count} of its {len(report.collected)} tests fail on its own "
            f"code, e.g. {_first_failure(report)}; they must pass before bugs are planted"
        )
    return len(report.collected)


def run(args: argparse.Namespace) -> int:
    """The campaign on ``args.path``; its report printed and written to ``OUT``."""
    project = load(args.path, args.tests, args.out)
    settings = Settings.from_args(args)
    mutmut = None if args.operators_only else mutmut_api.require_mutmut()
    os.environ.update({k: os.environ.get(k, v) for k, v in sandbox.SINGLE_THREADED.items()})
    for path in recover():
        say(f"restored {display(path)}, left half-installed by a campaign that was killed")
    before = digest(project.source)
    with stage(project) as staged:
        say(f"{project.slug}: {passes(staged)} tests pass on {project.source}")
        result = campaign(staged, settings, mutmut)
        result["handed_out"] = variants.listing(staged)
    if digest(project.source) != before:
        raise UserError(
            f"{project.source} changed while the campaign ran (an editor? this command only "
            "reads it): run it again",
            EXIT_FAILED,
        )
    say(strength.render_text(result))
    written = strength.write_reports(result, project.out)
    say(f"  report: {display(written[1])}")
    if not settings.no_write:
        count = len(result.get("variants", []))
        say(
            f"  variants: {display(project.variants)} ({count} new, each a change of {project.source})"
        )
        say(f"  a kata from one of them: nox -s new -- <slug> --from {project.source} --variant ID")
    return EXIT_OK
