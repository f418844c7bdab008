"""``nox -s bench``: the figures users care about, measured side by side in one run.

Writes ``build/bench.json``. Every timing is the median of several runs, and each ratio compares
two commands measured alternately in the same run, so a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tools import EXIT_OK, ROOT, UserError, catalog, verify
from tools.term import say, style

OUTPUT = ROOT / "build" / "bench.json"


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


def measure_selfcheck() -> dict[str, float | str]:
    """The contract check of every kata (fixed, broken and variants), kata by kata."""
    per_kata = {}
    for slug in catalog.slugs():
        started = time.perf_counter()
        problems = verify.check(slug)
        per_kata[slug] = time.perf_counter() - started
        if problems:
            say(
                style(
                    f"  note: {slug} does not keep the contract ({len(problems)} problems)",
                    "yellow",
                )
            )
    slowest = max(per_kata, key=per_kata.__getitem__)
    return {
        "selfcheck_seconds": sum(per_kata.values()),
        "slowest_kata": slowest,
        "slowest_kata_seconds": per_kata[slowest],
    }


def measure_mutation(slug: str) -> dict[str, float]:
    """One kata's mutation campaign, when mutmut is installed (nox -s bench installs it)."""
    try:
        from tools import mutate
    except ImportError:
        return {}
    measured: Callable[[str], dict[str, float]] | None = getattr(mutate, "benchmark", None)
    return measured(slug) if measured else {}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--slug", default="leakage", help="the kata to time (default: leakage)")
    parser.add_argument("--runs", type=int, default=5, help="runs per timing; medians are reported")
    parser.add_argument("--no-cold", action="store_true", help="skip the fresh-environment runs")
    parser.add_argument("--no-mutation", action="store_true", help="skip the mutation campaign")


def run(args: argparse.Namespace) -> int:
    catalog.load(args.slug)
    if args.runs < 1:
        raise UserError("--runs must be at least 1")
    figures: dict[str, object] = {"cores": os.cpu_count(), "runs": args.runs, "slug": args.slug}
    say(f"Benchmarking on {os.cpu_count()} cores, medians of {args.runs} runs …")
    figures.update(measure_learner_loop(args.slug, args.runs, cold=not args.no_cold))
    figures.update(measure_selfcheck())
    if not args.no_mutation:
        figures.update(measure_mutation(args.slug))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print_figures(figures)
    say(f"\nWritten to {OUTPUT.relative_to(ROOT)}")
    return EXIT_OK


def print_figures(figures: dict[str, object]) -> None:
    rows = [
        ("warm nox -s kata", "warm_nox_seconds", "s"),
        ("bare pytest on the workspace", "warm_pytest_seconds", "s"),
        ("warm ratio (target <= 1.5)", "warm_ratio", "x"),
        ("first run, empty package cache (target <= 20 s)", "cold_seconds", "s"),
        ("first run, package cache warm", "cold_cached_seconds", "s"),
        ("self-check of every kata", "selfcheck_seconds", "s"),
        (f"slowest kata ({figures.get('slowest_kata', '?')})", "slowest_kata_seconds", "s"),
        ("mutants tested per second", "mutants_per_second", "/s"),
        ("one-kata mutation campaign (target < 60 s)", "campaign_seconds", "s"),
    ]
    say()
    for label, key, unit in rows:
        if key in figures:
            say(f"  {label:<52} {figures[key]:8.2f} {unit}")
