"""Test-strength reports: figures, a terminal summary, a self-contained HTML page, a summary table."""

from __future__ import annotations

import html
import json
import os
from collections import Counter
from pathlib import Path

from tools.mutation import equivalents

STATUSES = ("killed", "crashed", "timeout", "survived", "ignored", "duplicate", "no-tests")
STATUSES += ("scenery",)  # in the code that makes the kata's data: not run (--scenery runs them)


def figures(mutants: list[dict]) -> dict:
    """Counts and mutation score; ignored, duplicate and untested mutants are not scored."""
    counts = Counter(m["status"] for m in mutants)
    tested = sum(counts[s] for s in ("killed", "crashed", "timeout", "survived"))
    caught = tested - counts["survived"]
    out = {"made": len(mutants), **{s.replace("-", "_"): counts[s] for s in STATUSES}}
    out.update(tested=tested, caught=caught, score=round(caught / tested, 4) if tested else None)
    return out


def summarise(
    slug: str, mutants: list[dict], listed: list[dict] | None = None, **extra: object
) -> dict:
    """The whole campaign result for one kata, as written to ``build/mutation/<slug>.json``;
    ``listed``: its equivalent mutants (default: those of ``tests/<slug>/equivalents.toml``)."""
    by_source = {s: figures([m for m in mutants if m["source"] == s]) for s in ("mutmut", "ml")}
    mutmut = Counter(m["mutmut_status"] for m in mutants if m["source"] == "mutmut")
    if listed is None:
        listed = equivalents.load(equivalents.path_for(slug))
    return {
        "slug": slug,
        "figures": {
            **figures(mutants),
            "by_source": by_source,
            "mutmut_verdicts": dict(sorted(mutmut.items())),
            "gate": equivalents.gate(mutants, listed),
        },
        **extra,
        "mutants": mutants,
    }


def committed(result: dict) -> dict:
    """The figures worth committing next to the variants: no timings, so they only change with the code."""
    survivors = [
        {k: m[k] for k in ("id", "operator", "function", "line", "description")}
        for m in result["mutants"]
        if m["status"] == "survived"
    ]
    keys = ("slug", "tool", "figures", "activation", "variants")  # no timings: they drift
    return {**{k: result[k] for k in keys if k in result}, "survivors": survivors}


def _percent(score: float | None) -> str:
    return "n/a" if score is None else f"{100 * score:.1f} %"


def _changed(diff: str) -> list[str]:
    return [
        line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


def _row(label: str, value: object, note: str = "") -> str:
    return f"  {label:15} {value!s:>7}" + (f"   {note}" if note else "")


def gate_lines(result: dict) -> list[str]:
    """The strength gate: learner-worthy mutants caught of made, the equivalents, what is missed."""
    g = result["figures"].get("gate")
    if not g:
        return []
    where = f"tests/{result['slug']}/{equivalents.FILE}"
    lines = [
        _row("learner-worthy", f"{g['caught']}/{g['made']}",
             "caught of made (a bug class, outside the code that makes the data)"),
        _row("strength gate", _percent(g["score"]),
             f"(learner-worthy, {g['equivalent']} equivalent left out; every other mutant, "
             f"constant edits among them: {g['other_caught']}/{g['other_made']} caught)"),
        _row("equivalents", len(g["equivalents"]), f"(listed in {where})"),
    ]  # fmt: skip
    for e in g["equivalents"]:
        found = ", ".join(e["mutants"]) or "matches no survivor: remove it?"
        lines.append(f"    {e['function']}: {e['change']}  ({found})\n        {e['reason']}")
    lines.append(
        _row("missed", len(g["missed"]), "learner-worthy survivors: write a test for the "
             f"property each breaks, or list it in {where} with its reason")
    )  # fmt: skip
    by_id = {m["id"]: m for m in result["mutants"]}
    for m in g["missed"]:
        lines.append(f"    {m['id']}  {m['function']}, line {m['line']}: {m['change']}")
        if "more line" in m["change"]:  # a change of several lines: show them
            lines += [f"        {x}" for x in _changed(by_id.get(m["id"], {}).get("diff", ""))[:8]]
    return lines


def render_text(result: dict) -> str:
    """The report printed after a campaign: figures, the strength gate, variants, timing, and
    the survivors (the learner-worthy ones with their change)."""
    f = result["figures"]
    ours, theirs = f["by_source"]["ml"], f["by_source"]["mutmut"]
    lines = [
        f"{result['slug']}: test strength",
        _row("mutants made", f["made"], f"(mutmut {theirs['made']}, ML operators {ours['made']})"),
        _row("not scored", f["ignored"] + f["duplicate"] + f["no_tests"] + f["scenery"],
             f"({f['ignored']} only in docstrings or messages, {f['duplicate']} duplicates, "
             f"{f['no_tests']} reached by no test, {f['scenery']} in the data-making code, not run)"),
        _row("caught", f["caught"], f"({f['killed']} by an assertion or a numerical error, "
             f"{f['crashed']} by a crash, {f['timeout']} by a timeout)"),
        _row("survived", f["survived"]),
        _row("mutation score", _percent(f["score"]),
             f"(mutmut {_percent(theirs['score'])}, ML operators {_percent(ours['score'])})"),
    ]  # fmt: skip
    by_id = {m.get("variant") or m["id"]: m for m in result["mutants"]}
    if result.get("variants"):
        label = "(most subtle first)" if result.get("written") else "(checked, not written)"
        lines.append(_row("variants", len(result["variants"]), label))
        for ident in result["variants"]:
            m = by_id[ident]
            lines.append(f"    {ident}  ({len(m['failing'])} failing)  {m['description']}")
    timing = result.get("timing")
    if timing:
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in timing["phases"].items())
        lines.append(_row("time", f"{timing['total']:.1f} s", f"({phases})"))
        lines.append(
            _row(
                "speed", f"{timing['mutants_per_second']:.1f}", "mutants/s over the whole campaign"
            )
        )
        plain = timing.get("plain_mutmut")
        if plain:
            extra = f"{timing['total'] - plain['seconds']:+.1f} s, {timing['total'] / plain['seconds']:.2f}x"
            lines.append(_row("plain mutmut", f"{plain['seconds']:.1f} s",
                              f"on the same sandbox ({plain['mutants']} mutants, {plain['per_second']:.1f}/s, "
                              f"{plain['survived']} survived); this campaign: {extra}"))  # fmt: skip
    survivors = [m for m in result["mutants"] if m["status"] == "survived"]
    worthy = sum(equivalents.learner_worthy(m) for m in survivors)
    lines.append(
        _row("survivors", len(survivors), f"(a gap in the tests, or an equivalent mutant): "
             f"{worthy} learner-worthy, below; {len(survivors) - worthy} others (constant edits, "
             "data-making code, mutmut's None arguments), each in the HTML report")
    )  # fmt: skip
    return "\n".join(lines + gate_lines(result))


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:.2em .7em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}pre{background:#f7f7f7;padding:.5em;overflow-x:auto;margin:.3em 0}
.add{color:#116611;background:#eaffea}.del{color:#991111;background:#ffecec}.hunk{color:#666}
.survived{color:#a15c00}.killed{color:#116611}.crashed,.timeout{color:#666}code{font-size:.95em}
"""


def _diff_html(diff: str) -> str:
    out = []
    for line in diff.splitlines():
        css = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "")
        css = "" if line[:3] in ("+++", "---") else css
        out.append(f'<span class="{css}">{html.escape(line)}</span>' if css else html.escape(line))
    return "<pre>" + "\n".join(out) + "</pre>"


def render_html(result: dict) -> str:
    """A page an instructor can open from disk: figures, variants, survivors with diffs, every mutant."""
    f, esc = result["figures"], html.escape
    rows = [
        ("mutants made", f["made"]), ("only in docstrings or messages", f["ignored"]),
        ("duplicates", f["duplicate"]), ("reached by no test", f["no_tests"]), ("scored", f["tested"]),
        ("caught by an assertion or a numerical error", f["killed"]), ("caught by a crash", f["crashed"]),
        ("caught by a timeout", f["timeout"]), ("survived", f["survived"]), ("mutation score", _percent(f["score"])),
    ]  # fmt: skip
    parts = [
        f"<!doctype html><meta charset='utf-8'><title>{esc(result['slug'])}: test strength</title>",
        f"<style>{STYLE}</style><h1>Kata <code>{esc(result['slug'])}</code>: test strength</h1><table>",
        *(f"<tr><th>{esc(k)}</th><td class=n>{esc(str(v))}</td></tr>" for k, v in rows),
        "</table>",
        *_gate_html(result),
    ]
    timing = result.get("timing")
    if timing:
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in timing["phases"].items())
        parts.append(
            f"<p>Campaign: {timing['total']:.1f} s ({esc(phases)}); {timing['mutants_per_second']:.1f} mutants/s.</p>"
        )
    by_id = {m.get("variant") or m["id"]: m for m in result["mutants"]}
    parts.append(
        f"<h2>Variants {'written' if result.get('written') else 'chosen'} by this run</h2>"
    )
    parts.append(
        "<p>How variants are chosen: only mutants caught by an assertion or a numerical error "
        "in the kata's code, and only changes that model a real mistake (a bug class: the ML "
        "operators' leakage, shape, stability, gradient, alignment, smoothing and averaging "
        "bugs, and of mutmut's changes flipped comparisons and signs, off-by-ones and wrong "
        "axes; never arbitrary constant edits, mutmut's <code>None</code> arguments or the "
        "kata's own bug). They are ranked pipeline code before data-making code, ML classes "
        "before generic slips, then fewest failing tests, then fewest tracebacks.</p>"
    )
    for ident in result.get("variants", []):
        m = by_id[ident]
        tests = ", ".join(m["failing"])
        parts.append(
            f"<h3><code>{esc(ident)}</code></h3><p>{esc(m['description'])}<br>caught by: {esc(tests)}</p>"
        )
        parts.append(_diff_html(m["diff"]))
    handed = result.get("handed_out", [])
    parts.append(f"<h2>Variants handed out ({len(handed)}): each is its change.patch</h2>")
    for v in handed:
        parts.append(
            f"<h3><code>{esc(v['id'])}</code></h3><p>{esc(v['description'])}<br>caught by: "
            f"{esc(', '.join(v['failing_tests']))}</p>{_diff_html(v['change'])}"
        )
    survivors = [m for m in result["mutants"] if m["status"] == "survived"]
    parts.append(
        f"<h2>Survivors ({len(survivors)}): a gap in the tests, or an equivalent mutant</h2>"
    )
    for m in survivors:
        parts.append(f"<h3><code>{esc(m['id'])}</code> {esc(m['function'])}:{m['line']}</h3>")
        parts.append(f"<p>{esc(m['description'])}</p>{_diff_html(m['diff'])}")
    parts.append(
        "<h2>Every mutant</h2><table><tr><th>id</th><th>status</th><th>bug class (handed out?)</th><th>failing tests</th><th>what changed</th></tr>"
    )
    for m in result["mutants"]:
        status = m["status"] + (f" (of {m['same_as']})" if m["same_as"] else "")
        detail = (
            f"<details><summary>{esc(m['description'])}</summary>{_diff_html(m['diff'])}</details>"
        )
        parts.append(
            f"<tr><td><code>{esc(m['id'])}</code></td><td class='{m['status']}'>{esc(status)}</td>"
            f"<td>{esc(m.get('bug_class') or '—')}"
            f"{' → ' + esc(m['variant']) if m.get('variant') else ''}</td>"
            f"<td class=n>{len(m['failing']) or ''}</td><td>{detail}</td></tr>"
        )
    parts.append("</table>")
    return "\n".join(parts) + "\n"


def _gate_html(result: dict) -> list[str]:
    """The strength gate's section: the figure, the equivalents with their reasons, the missed."""
    g, esc = result["figures"].get("gate"), html.escape
    if not g:
        return []
    where = f"tests/{result['slug']}/{equivalents.FILE}"
    parts = [
        "<h2>Strength gate</h2>",
        f"<p>Learner-worthy mutants (a bug class, outside the code that makes the data) caught: "
        f"<b>{g['caught']} of {g['made']}</b>; {g['equivalent']} equivalent (listed in "
        f"<code>{esc(where)}</code>) left out: <b>{_percent(g['score'])}</b>. Every other "
        f"mutant, arbitrary constant edits among them: {g['other_caught']} of {g['other_made']} "
        "caught.</p><table><tr><th>function</th><th>change</th><th>why it is equivalent</th>"
        "<th>mutants</th></tr>",
    ]
    for e in g["equivalents"]:
        found = ", ".join(e["mutants"]) or "none: remove the entry?"
        parts.append(
            f"<tr><td><code>{esc(e['function'])}</code></td><td><code>{esc(e['change'])}</code>"
            f"</td><td>{esc(e['reason'])}</td><td>{esc(found)}</td></tr>"
        )
    parts.append(f"</table><h3>Missed ({len(g['missed'])}): write a test for the property</h3>")
    by_id = {m["id"]: m for m in result["mutants"]}
    for m in g["missed"]:
        parts.append(
            f"<p><code>{esc(m['function'])}</code>, line {m['line']}: {esc(m['change'])}</p>"
        )
        parts.append(_diff_html(by_id[m["id"]]["diff"]) if m["id"] in by_id else "")
    return parts


def write_atomically(path: Path, text: str) -> None:
    """Write ``path`` so that a reader (or a kill) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)


def write_reports(result: dict, build: Path) -> list[Path]:
    slug = result["slug"]
    written = [build / f"{slug}.json", build / f"{slug}.html"]
    write_atomically(written[0], json.dumps(result, indent=1) + "\n")
    write_atomically(written[1], render_html(result))
    return written


def operator_yield(reports: list[dict]) -> list[dict]:
    """Per ML operator, across every kata report: mutants made, caught, and handed out as variants."""
    table: dict[str, dict] = {}
    for data in reports:
        for m in data.get("mutants", []):
            if m.get("source") != "ml":
                continue
            row = table.setdefault(
                m["operator"], {"operator": m["operator"], "made": 0, "caught": 0, "handed_out": 0}
            )
            row["made"] += 1
            row["caught"] += m.get("status") in ("killed", "crashed", "timeout")
            row["handed_out"] += bool(m.get("variant"))
    return sorted(table.values(), key=lambda r: (-r["handed_out"], -r["made"], r["operator"]))


def write_summary(build: Path) -> tuple[Path, ...]:
    """``summary.json``, ``summary.md`` and ``summary.html`` over every kata report in ``build``
    (from one run or from many CI shards whose reports were collected there)."""
    rows, reports = [], []
    for path in sorted(build.glob("*.json")):
        if path.name.startswith("summary"):
            continue
        data = json.loads(path.read_text())
        reports.append(data)
        f, t = data["figures"], data.get("timing", {})
        plain, g = t.get("plain_mutmut") or {}, f.get("gate") or {}
        rows.append({
            "slug": data["slug"], "made": f["made"], "tested": f["tested"], "caught": f["caught"],
            "survived": f["survived"], "timeout": f["timeout"], "score": f["score"],
            "gate_made": g.get("made"), "gate_caught": g.get("caught"),
            "gate_equivalent": g.get("equivalent"), "gate_score": g.get("score"),
            "variants": len(data.get("variants", [])), "seconds": t.get("total"),
            "mutants_per_second": t.get("mutants_per_second"), "plain_mutmut_seconds": plain.get("seconds"),
        })  # fmt: skip
    rows.sort(key=lambda r: r["slug"])
    header = ["kata", "mutants", "scored", "caught", "survived", "timeouts", "score", "variants"]
    header += ["learner-worthy caught", "equivalent", "gate", "time", "mutants/s", "plain mutmut"]
    cells = []
    for r in rows:
        plain = f"{r['plain_mutmut_seconds']:.1f} s" if r["plain_mutmut_seconds"] else ""
        seconds = f"{r['seconds']:.1f} s" if r["seconds"] else ""
        rate = f"{r['mutants_per_second']:.1f}" if r["mutants_per_second"] else ""
        worthy = f"{r['gate_caught']}/{r['gate_made']}" if r["gate_made"] is not None else ""
        cells.append([r["slug"], r["made"], r["tested"], r["caught"], r["survived"], r["timeout"],
                      _percent(r["score"]), r["variants"], worthy, r["gate_equivalent"] or 0,
                      _percent(r["gate_score"]), seconds, rate, plain])  # fmt: skip
    gated = [r["gate_score"] for r in rows if r["gate_score"] is not None]
    mean = round(sum(gated) / len(gated), 4) if gated else None
    yields = operator_yield(reports)
    lines = [f"Strength gate, mean over {len(gated)} katas: {_percent(mean)}", ""]
    lines += ["| " + " | ".join(header) + " |", "|---|" + "--:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(map(str, c)) + " |" for c in cells]
    lines += ["", "| ML operator | made | caught | handed out |", "|---|--:|--:|--:|"]
    lines += [
        f"| {y['operator']} | {y['made']} | {y['caught']} | {y['handed_out']} |" for y in yields
    ]
    page = _summary_html(header, cells, yields, lines[0])
    targets = (build / "summary.json", build / "summary.md", build / "summary.html")
    summary = {"gate_mean": mean, "katas": rows, "operators": yields}
    write_atomically(targets[0], json.dumps(summary, indent=1) + "\n")
    write_atomically(targets[1], "\n".join(lines) + "\n")
    write_atomically(targets[2], page)
    return targets


def _summary_html(header: list[str], cells: list[list], yields: list[dict], gate: str) -> str:
    esc = html.escape

    def table(head: list[str], body: list[list]) -> str:
        top = "".join(f"<th>{esc(h)}</th>" for h in head)
        rows = "".join(
            "<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in body
        )
        return f"<table><tr>{top}</tr>{rows}</table>"

    operator_rows = [[y["operator"], y["made"], y["caught"], y["handed_out"]] for y in yields]
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Mutation summary</title>"
        "<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;"
        "margin-bottom:2em}td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}</style></head><body>"
        f"<h1>Test strength of every kata</h1><p>{esc(gate)}</p>{table(header, cells)}"
        "<h2>Yield of each ML-aware operator</h2>"
        f"{table(['operator', 'made', 'caught', 'handed out'], operator_rows)}</body></html>"
    )
