"""Grade a class pack: each student's code against the pack's own tests, one table for the class.

``nox -s pack -- --grade build/pack`` reads ``key.json``, takes only the kata files of each
student's folder (never their tests or a conftest.py), runs the catalog's committed tests on them
through the same referee as a learner's run, and writes

    build/pack/grades/<student>/<slug>.json    each run in exercism's results.json shape
    build/pack/grades.csv, grades.md           solved or not, per student and kata
    build/pack/grades.html                     the same, and solved per bug class across the class
"""

from __future__ import annotations

import csv
import html
import io
import json
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

from tools import TESTS, UserError
from tools.core import catalog, results, runner
from tools.instructor.pack import KEY, tests_digest


def read_key(out: Path) -> dict:
    path = out / KEY
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(
            f"{path} does not exist: --grade takes a folder made by nox -s pack"
        ) from None
    except (OSError, json.JSONDecodeError) as problem:
        raise UserError(f"{path} is unreadable ({problem})") from None
    if not isinstance(key, dict) or not isinstance(key.get("students"), dict):
        raise UserError(f"{path} is not a pack key (no 'students' table)")
    return key


def grade(out: Path) -> tuple[list[dict], list[str]]:
    """One row per student and kata (student, slug, variant, category, status, passed, total)."""
    out = out.resolve()
    key = read_key(out)
    notes = [
        f"{slug}: the catalog's tests changed since the pack was made; grades use today's tests"
        for slug, meta in key.get("katas", {}).items()
        if (TESTS / slug).is_dir() and meta.get("tests_digest") != tests_digest(slug)
    ]
    plan, rows = [], []
    with tempfile.TemporaryDirectory(prefix="kata-grade-") as scratch:
        for student, bugs in key["students"].items():
            for bug in bugs:
                kata = catalog.load(bug["slug"])
                row = {"student": student, "slug": kata.slug, "variant": bug["variant"] or "",
                       "category": bug["category"], "status": "missing", "passed": 0, "total": 0}  # fmt: skip
                rows.append(row)
                source = out / student / "katas" / kata.slug
                if not all((source / name).is_file() for name in kata.files):
                    continue
                impl = Path(scratch) / student / kata.slug
                impl.mkdir(parents=True)
                for name in kata.files:  # the kata's files only: tests stay the catalog's
                    shutil.copyfile(source / name, impl / name)
                plan.append((row, runner.Job(kata.slug, impl)))
        reports = runner.run_many([job for _, job in plan])
    for (row, job), report in zip(plan, reports, strict=True):
        document = results.kata_document(job.slug, report, row["variant"] or None)
        row["status"] = document["status"]
        row["total"] = len(document["tests"])
        row["passed"] = sum(t["status"] == "pass" for t in document["tests"])
        target = out / "grades" / row["student"] / f"{row['slug']}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(results.dumps(document) + "\n", encoding="utf-8")
    return rows, notes


def by_class(rows: list[dict]) -> dict[str, tuple[int, int]]:
    """Bug class -> (students who solved it, students who had it)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        counts[row["category"]][0] += row["status"] == "pass"
        counts[row["category"]][1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(counts.items())}


def write_tables(rows: list[dict], out: Path) -> list[Path]:
    fields = ["student", "slug", "variant", "category", "status", "passed", "total"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (out / "grades.csv").write_text(buffer.getvalue(), encoding="utf-8")
    slugs = list(dict.fromkeys(r["slug"] for r in rows))
    students = list(dict.fromkeys(r["student"] for r in rows))
    cell = {(r["student"], r["slug"]): r for r in rows}

    def mark(row: dict) -> str:
        return (
            "solved"
            if row["status"] == "pass"
            else f"{row['status']} {row['passed']}/{row['total']}"
        )

    md = ["| student | " + " | ".join(slugs) + " | solved |", "|---" * (len(slugs) + 2) + "|"]
    for s in students:
        solved = sum(cell[s, k]["status"] == "pass" for k in slugs)
        md.append(f"| {s} | " + " | ".join(mark(cell[s, k]) for k in slugs) + f" | {solved} |")
    md += ["", "| bug class | solved | of |", "|---|--:|--:|"]
    md += [f"| {c} | {a} | {b} |" for c, (a, b) in by_class(rows).items()]
    (out / "grades.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    (out / "grades.html").write_text(_page(rows, slugs, students, cell, mark), encoding="utf-8")
    return [out / "grades.csv", out / "grades.md", out / "grades.html"]


def _page(rows, slugs, students, cell, mark) -> str:
    e = html.escape
    head = "".join(f"<th>{e(s)}</th>" for s in slugs)
    body = "".join(
        f"<tr><th>{e(s)}</th>"
        + "".join(
            f'<td class="{"ok" if cell[s, k]["status"] == "pass" else "no"}">'
            f"{e(mark(cell[s, k]))}<br><small>{e(cell[s, k]['variant'] or 'original')}</small></td>"
            for k in slugs
        )
        + "</tr>"
        for s in students
    )
    classes = "".join(
        f"<tr><th>{e(c)}</th><td>{a} of {b}</td><td><progress value='{a}' max='{b}'></progress></td></tr>"
        for c, (a, b) in by_class(rows).items()
    )
    return (
        "<!doctype html><meta charset='utf-8'><title>Class grades</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em}td,th{padding:.3em .6em;"
        "border-bottom:1px solid #ddd;text-align:left}.ok{background:#e6f4ea}.no{background:#fce8e6}"
        f"</style><h1>Class grades</h1><table><tr><th>student</th>{head}</tr>{body}</table>"
        f"<h2>Per bug class</h2><table>{classes}</table>"
    )
