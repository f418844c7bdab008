"""One exercise's actions: check it out, run its tests, give a hint, show the solution, end an interview."""

from __future__ import annotations

import sys

from tools import EXIT_FAILED, EXIT_OK, UserError
from tools.core import exercise as exercises
from tools.core import results, runner, state, workspace
from tools.core.exercise import Exercise
from tools.core.term import render_markdown, say, style
from tools.practice import interview, progress, rootcause
from tools.practice.feedback import print_failures, print_success


def remember(ex: Exercise) -> None:
    """Keep what a name that is not a slug stands for, so the name continues it."""
    if ex.own_folder:
        state.update(ex.key, lambda r: r.update(exercise=exercises.identity(ex)))


def show_brief(ex: Exercise) -> None:
    say(render_markdown(ex.brief))


def checkout(ex: Exercise) -> bool:
    """Create the workspace the first time, with the brief and where to edit; True if created."""
    if not ex.checkout():
        return False
    remember(ex)
    state.update(ex.key, progress.started)
    show_brief(ex)
    say()
    where = style(workspace.display(ex.workspace) + "/", "bold")
    say(f"Your copy is in {where}: edit it there. Continue with: {ex.command()}")
    return True


def start_over(ex: Exercise, brief: bool = False) -> None:
    """Put the handed-out files back (the learner's are backed up first) and restart the clock."""
    state.ensure_writable()  # a reset that could not be recorded replaces nothing
    saved = ex.write_files()
    if saved is not None:
        say(f"Your previous files are saved in {workspace.display(saved)}/")
    remember(ex)
    state.update(ex.key, progress.started)
    what = (
        "a blind exercise"
        if ex.blind
        else f"variant {ex.variant} of {ex.slug}"
        if ex.variant
        else ex.slug
    )
    say(f"Checked out {style(ex.name, 'bold')} ({what}) into {workspace.display(ex.workspace)}/\n")
    if brief:
        show_brief(ex)
        say()


def _missing(ex: Exercise) -> None:
    missing = workspace.missing(ex)
    if missing:
        raise UserError(
            f"{workspace.display(missing[0])} is missing; restore the exercise's version with "
            f"`{ex.command('--reset')}` (your other files are backed up first)"
        )


def header(ex: Exercise) -> str:
    if ex.blind:
        facts = f"  · blind · {ex.family} · difficulty {ex.difficulty} · {ex.minutes} min"
        return style(ex.name, "bold") + style(facts, "dim")
    label = f" (variant {ex.variant} of {ex.slug})" if ex.variant else ""
    facts = (
        f"  · {', '.join(ex.classes)} · {ex.family} · difficulty {ex.difficulty} · {ex.minutes} min"
    )
    return style(f"{ex.name}{label}: {ex.title}", "bold") + style(facts, "dim")


def _shows_traceback(ex: Exercise, record: dict, asked: bool) -> bool:
    """Whether a run shows pytest's traceback: asked for, and not withheld until a hint."""
    return asked and not ex.withholds(record["hints_shown"])


def _pytest_options(traceback: bool) -> tuple[str, ...]:
    return ("--tb=short",) if traceback else runner.QUIET_FAILURES


def prepare_next(ex: Exercise, traceback: bool) -> None:
    """Watch mode, between saves: fork the next run of :func:`test` ahead of time."""
    shown = _shows_traceback(ex, state.record(ex.key), traceback)
    runner.prepare(ex.slug, ex.workspace, _pytest_options(shown))


def test(ex: Exercise, traceback: bool) -> int:
    """Run the tests once, say what fails or that it is solved, and keep the record."""
    record = state.record(ex.key)  # afresh each run: hints may have come from another terminal
    _missing(ex)
    say(header(ex))
    traceback = _shows_traceback(ex, record, traceback)
    result = runner.run(ex.slug, ex.workspace, extra=_pytest_options(traceback))
    if traceback:
        say(ex.scrub(result.output))
    interview.print_clock(record)
    due = interview.active(record) is not None and (
        result.passed or (interview.remaining(record) or 0) <= 0
    )
    if due:
        said = rootcause.gather(ex.workspace)  # before the lock: it may prompt
        state.update(ex.key, lambda r: interview.finish(ex, r, result, said))
    if not result.passed:
        state.update(ex.key, progress.tick)
        if not result.outcomes:
            say(ex.scrub(result.output[-3000:]))
            raise UserError(
                f"the tests of '{ex.name}' did not run (pytest exit code {result.exit_code})",
                EXIT_FAILED,
            )
        print_failures(ex, result, record["hints_shown"], len(ex.hints))
        return EXIT_FAILED
    digest = workspace.digest(ex)
    known = digest == workspace.digest(ex, ex.fixed)
    seconds, hints_used, why = state.update(ex.key, lambda r: progress.solve(r, digest, known))
    print_success(ex, result, seconds, hints_used, why)
    return EXIT_OK


def json_run(ex: Exercise) -> int:
    """Run the tests once and print one results.json document; a blind one names nothing."""
    checkout_quietly(ex)
    _missing(ex)
    result = runner.run(ex.slug, ex.workspace)
    document = results.kata_document(ex.slug, result, ex.variant)
    quiet = ex.withholds(state.record(ex.key)["hints_shown"])
    if ex.blind:
        document.update(
            slug=ex.name, variant=None, message=ex.scrub(document["message"] or "") or None
        )
        for entry in document["tests"]:
            label = ex.test_label(entry["test_code"])
            if quiet:  # which checks fail, not what they measured nor on which case
                label = label.partition("[")[0]
            entry.update(name=label, test_code=label)
            for key in ("message", "output"):
                entry[key] = ex.scrub(entry[key] or "") or None
            if quiet and entry["status"] == "fail":
                entry.update(message=None, output=None)
    say(results.dumps(document))
    if result.passed:
        digest = workspace.digest(ex)
        known = digest == workspace.digest(ex, ex.fixed)
        state.update(ex.key, lambda r: progress.solve(r, digest, known))
        return EXIT_OK
    state.update(ex.key, progress.tick)
    return EXIT_FAILED


def checkout_quietly(ex: Exercise) -> bool:
    if not ex.checkout():
        return False
    remember(ex)
    state.update(ex.key, progress.started)
    return True


def hint(ex: Exercise) -> int:
    hints = ex.hints

    def next_hint(record: dict) -> tuple[int, bool]:
        progress.tick(record)
        shown = min(record["hints_shown"], len(hints))
        if shown < len(hints):
            shown += 1
        record["hints_shown"] = shown
        return shown, progress.solved(record)

    remember(ex)
    shown, solved = state.update(ex.key, next_hint)
    for number in range(1, shown + 1):
        latest = number == shown
        heading = style(f"Hint {number} of {len(hints)}", "bold" if latest else "dim")
        body = ex.scrub(hints[number - 1])
        say(f"{heading}\n{body if latest else style(body, 'dim')}\n")
    if shown < len(hints):
        say(f"Another hint: {ex.command('--hint')}")
    elif solved:
        say(
            f"That was the last hint. You have solved it: {ex.command('--diff')} compares yours with the reference."
        )
    else:
        say(
            f"That was the last hint. Still stuck? `{ex.command('--diff', '--yes')}` shows the solution."
        )
    return EXIT_OK


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        answer = input(question)
    except EOFError:
        say()
        return False
    return answer.strip().lower() in {"y", "yes"}


def show_diff(ex: Exercise, confirmed: bool) -> int:
    record = state.record(ex.key)
    question = "You have not solved this exercise yet. Show the solution anyway? [y/N] "
    if not progress.solved(record) and not confirmed and not _confirm(question):
        raise UserError(
            f"'{ex.name}' is not solved yet; to see the solution anyway: {ex.command('--diff', '--yes')}"
        )
    if not progress.solved(record):
        state.update(ex.key, lambda r: r.update(peeked=True))
    say(style("The bug and its fix (the code as handed out → the reference solution):", "bold"))
    with ex.handed_out() as source:
        say(workspace.diff(ex, source, ex.fixed, "handed-out", "reference"))
    if workspace.exists(ex) and not workspace.missing(ex):
        say(style("Your version → the reference solution:", "bold"))
        yours = workspace.diff(ex, ex.workspace, ex.fixed, "yours", "reference")
        say(yours or "(identical)")
    return EXIT_OK


def stopped(ex: Exercise) -> None:
    """Ctrl-C in watch mode; during an interview it ends the interview with a report."""
    if interview.active(state.record(ex.key)) is None:
        say(f"\nStopped watching. Pick up again with: {ex.command('--watch')}")
        return
    say(style("\nInterview stopped.", "bold"))
    result = runner.run(ex.slug, ex.workspace)
    said = rootcause.gather(ex.workspace)
    state.update(ex.key, lambda r: interview.finish(ex, r, result, said, stopped=True))
