"""``nox -s bench``: the figures users care about, measured side by side in one run.

Writes ``build/bench.json``. Every timing is the median of several runs, and each ratio compares
two commands measured alternately in the same run, so a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path
from queue import Queue

from tools import EXIT_OK, ROOT, UserError
from tools.authoring import verify
from tools.core import catalog, patch, variants
from tools.core.term import say, style

OUTPUT = ROOT / "build" / "bench.json"
SUITE = ("tests/tools", "--numprocesses=6", "--dist=worksteal")  # as nox -s tests runs it


def _seconds(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False, timeout=900)
    return time.perf_counter() - started


def _tracked_copy(target: Path) -> Path:
    """The repository as a fresh clone would have it: tracked files only, no workspace, no .nox."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _nox_command() -> list[str]:
    chosen = os.environ.get("KATA_NOX")
    if chosen:
        return shlex.split(chosen)
    found = shutil.which("nox")
    if found:
        return [found]
    raise UserError("nox was not found; run the benchmark as `nox -s bench`")


def measure_learner_loop(slug: str, runs: int, cold: bool) -> dict[str, float]:
    """First run in a fresh clone (environment and installs included), then warm re-runs."""
    figures: dict[str, float] = {}
    nox = _nox_command()
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as scratch:
        clone = _tracked_copy(Path(scratch) / "repo")
        kata = [*nox, "-s", "kata", "--", slug]
        env = {**os.environ, "NO_COLOR": "1"}
        if cold:
            empty_cache = {**env, "UV_CACHE_DIR": str(Path(scratch) / "uv-cache")}
            figures["cold_seconds"] = _seconds(kata, clone, empty_cache)
            shutil.rmtree(clone / ".nox")
            figures["cold_cached_seconds"] = _seconds(kata, clone, env)
        else:
            _seconds(kata, clone, env)
        python = clone / ".nox" / "kata" / "bin" / "python"
        bare = [str(python), "-m", "pytest", f"tests/{slug}", "--impl", f"katas/{slug}", "-q"]
        nox_times, bare_times = [], []
        for _ in range(runs):
            nox_times.append(_seconds(kata, clone, env))
            bare_times.append(_seconds(bare, clone, env))
    figures["warm_nox_seconds"] = statistics.median(nox_times)
    figures["warm_pytest_seconds"] = statistics.median(bare_times)
    figures["warm_ratio"] = figures["warm_nox_seconds"] / figures["warm_pytest_seconds"]
    return figures


def measure_watch(slug: str, runs: int) -> dict[str, float]:
    """Watch mode: seconds from saving a file to the printed verdict, median of ``runs`` saves."""
    python = os.environ.get("KATA_PYTHON") or sys.executable
    with tempfile.TemporaryDirectory(prefix="kata-bench-watch-") as scratch:
        clone = _tracked_copy(Path(scratch) / "repo")
        env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
        child = subprocess.Popen(
            [python, "-m", "tools", "kata", slug, "--watch"],
            cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        lines = _lines(child)
        latencies = []
        try:
            _until(lines, "Watching")
            workspace = clone / "katas" / slug / catalog.load(slug).files[0]
            for number in range(runs):
                time.sleep(0.5)  # a save well after the previous verdict
                started = time.perf_counter()
                workspace.write_text(workspace.read_text() + f"# save {number}\n")
                _until(lines, "tests fail")
                latencies.append(time.perf_counter() - started)
                _until(lines, "Watching")
        finally:
            child.kill()
            child.wait()
    return {"watch_save_to_verdict_seconds": statistics.median(latencies)}


def _lines(child: subprocess.Popen) -> Queue:
    queue: Queue = Queue()

    def pump() -> None:
        for line in child.stdout or ():
            queue.put(line)
        queue.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return queue


def _until(lines: Queue, text: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = lines.get(timeout=seconds)
        if line is None:
            raise UserError("watch mode ended before printing a verdict")
        if text in line:
            return
    raise UserError(f"watch mode printed no {text!r} within {seconds:g} s")


def measure_selfcheck() -> dict[str, float | str]:
    """The contract check of every kata (fixed, broken and variants), all in one pool."""
    slugs = catalog.slugs()
    runs = sum(2 + len(variants.variant_dirs(catalog.load(s))) for s in slugs)
    started = time.perf_counter()
    problems = verify.check_many(slugs)
    seconds = time.perf_counter() - started
    broken = [slug for slug, found in problems.items() if found]
    if broken:
        say(style(f"  note: {len(broken)} katas do not keep the contract: {broken}", "yellow"))
    return {
        "selfcheck_katas": len(slugs),
        "selfcheck_runs": runs,
        "selfcheck_seconds": seconds,
        "selfcheck_seconds_per_kata": seconds / len(slugs),
    }


def _grow_catalog(target: Path, size: int, variants_each: int) -> int:
    """Add synthetic copies of the real katas to a tracked copy until it holds ``size`` katas,
    each with ``variants_each`` variants (the broken code's change under new ids)."""
    real = sorted(p.parent.name for p in (target / "katas").glob("*/kata.toml"))
    number = 0
    while len(list((target / "katas").glob("*/kata.toml"))) < size:
        slug = real[number % len(real)]
        copy = f"synthetic-{number}-{slug}"
        for part in ("katas", "broken", "fixed", "tests"):
            shutil.copytree(target / part / slug, target / part / copy)
        number += 1
    for kata_dir in (target / "broken").iterdir():
        meta = tomllib.loads((target / "katas" / kata_dir.name / "kata.toml").read_text())
        have = [p for p in (kata_dir / "variants").glob("*") if (p / "variant.toml").is_file()]
        for extra in range(len(have), variants_each):
            # The broken code's change stands in for a variant: the check runs it all the same.
            ident = f"synthetic-{extra}"
            copy = kata_dir / "variants" / ident
            copy.mkdir(parents=True)
            fixed = target / "fixed" / kata_dir.name
            texts = [{n: (d / n).read_text() for n in meta["files"]} for d in (fixed, kata_dir)]
            (copy / variants.PATCH).write_text(patch.make(*texts))
            failing = ", ".join(json.dumps(t) for t in meta["failing_tests"])
            (copy / "variant.toml").write_text(
                f'id = "{ident}"\nsource = "ml"\noperator = "copy"\ndescription = "copy"\n'
                f"failing_tests = [{failing}]\n"
            )
    return len(list((target / "katas").glob("*/kata.toml")))


def measure_selfcheck_at_scale(size: int, variants_each: int) -> dict[str, float]:
    """The contract check of a catalog grown to ``size`` katas with synthetic copies."""
    python = os.environ.get("KATA_PYTHON") or sys.executable
    with tempfile.TemporaryDirectory(prefix="kata-bench-scale-") as scratch:
        clone = _tracked_copy(Path(scratch) / "repo")
        katas = _grow_catalog(clone, size, variants_each)
        command = [python, "-m", "tools", "verify"]
        seconds = _seconds(command, clone, {**os.environ, "NO_COLOR": "1"})
    return {
        "scaled_katas": katas,
        "scaled_selfcheck_seconds": seconds,
        "scaled_selfcheck_seconds_per_kata": seconds / katas,
    }


def measure_suite() -> dict[str, float]:
    """The pytest part of ``nox -s tests`` on a fresh copy: its wall and CPU seconds."""
    try:
        import xdist  # noqa: F401 - nox -s bench installs the test dependencies
    except ImportError:
        say(
            style(
                "  note: pytest-xdist is not installed; the test-suite figure is skipped", "yellow"
            )
        )
        return {}
    with tempfile.TemporaryDirectory(prefix="kata-bench-suite-") as scratch:
        clone = _tracked_copy(Path(scratch) / "repo")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *SUITE, "-q", "-p", "no:randomly"],
            cwd=clone, capture_output=True, text=True, check=False, timeout=3600,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = re.search(r"(\d+) passed.* in ([\d.]+)s", done.stdout)
    if done.returncode != 0 or summary is None:
        tail = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
        say(style(f"  note: the test suite did not pass: {tail[0]}", "yellow"))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    figures = {"suite_seconds": seconds, "suite_cpu_seconds": cpu}
    if summary:
        figures["suite_tests"] = int(summary[1])
        figures["suite_pytest_seconds"] = float(summary[2])
    return figures


def measure_mutation(slug: str) -> dict[str, float]:
    """One kata's mutation campaign, when mutmut is installed (nox -s bench installs it)."""
    try:
        from tools.mutation.campaign import benchmark
    except ImportError:  # mutmut, libcst and tomli-w come with the instructor's dependencies
        return {}
    return benchmark(slug)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--slug", default="leakage", help="the kata to time (default: leakage)")
    parser.add_argument("--runs", type=int, default=5, help="runs per timing; medians are reported")
    parser.add_argument("--no-cold", action="store_true", help="skip the fresh-environment runs")
    parser.add_argument("--no-mutation", action="store_true", help="skip the mutation campaign")
    parser.add_argument(
        "--no-suite", action="store_true", help="skip timing the repository's own test suite"
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=60,
        metavar="N",
        help="also time the contract check of a catalog grown to N katas with synthetic copies, "
        "each with 5 variants (default 60; 0 to skip)",
    )


def run(args: argparse.Namespace) -> int:
    catalog.load(args.slug)
    if args.runs < 1:
        raise UserError("--runs must be at least 1")
    figures: dict[str, object] = {"cores": os.cpu_count(), "runs": args.runs, "slug": args.slug}
    say(f"Benchmarking on {os.cpu_count()} cores, medians of {args.runs} runs …")
    figures.update(measure_learner_loop(args.slug, args.runs, cold=not args.no_cold))
    figures.update(measure_watch(args.slug, args.runs))
    figures.update(measure_selfcheck())
    if args.scale:
        figures.update(measure_selfcheck_at_scale(args.scale, variants_each=5))
    if not args.no_mutation:
        figures.update(measure_mutation(args.slug))
    if not args.no_suite:
        figures.update(measure_suite())
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print_figures(figures)
    say(f"\nWritten to {OUTPUT.relative_to(ROOT)}")
    return EXIT_OK


def print_figures(figures: dict[str, object]) -> None:
    rows = [
        ("warm nox -s kata", "warm_nox_seconds", "s"),
        ("bare pytest on the workspace", "warm_pytest_seconds", "s"),
        ("warm ratio (target <= 1.15)", "warm_ratio", "x"),
        ("watch mode: save to verdict (target <= 0.5 s)", "watch_save_to_verdict_seconds", "s"),
        ("first run, empty package cache (target <= 20 s)", "cold_seconds", "s"),
        ("first run, package cache warm", "cold_cached_seconds", "s"),
        (
            f"contract check of the {figures.get('selfcheck_katas', '?')} katas",
            "selfcheck_seconds",
            "s",
        ),
        ("  per kata", "selfcheck_seconds_per_kata", "s"),
        (
            f"contract check at {figures.get('scaled_katas', '?')} katas, 5 variants each",
            "scaled_selfcheck_seconds",
            "s",
        ),
        ("  per kata (target <= 2 s)", "scaled_selfcheck_seconds_per_kata", "s"),
        ("mutants tested per second (target >= 12)", "mutants_per_second", "/s"),
        ("one-kata mutation campaign", "campaign_seconds", "s"),
        ("  a plain mutmut run on the same sandbox", "plain_mutmut_seconds", "s"),
        ("  campaign / plain mutmut (target <= 1.0)", "campaign_ratio", "x"),
        ("  the same in CPU seconds", "campaign_cpu_ratio", "x"),
        (
            f"repository's tests ({figures.get('suite_tests', '?')}), pytest's own time",
            "suite_pytest_seconds",
            "s",
        ),
        ("  wall, start to end (target <= 150 s)", "suite_seconds", "s"),
        ("  CPU seconds, all processes", "suite_cpu_seconds", "s"),
    ]
    say()
    for label, key, unit in rows:
        if key in figures:
            say(f"  {label:<52} {figures[key]:8.2f} {unit}")
