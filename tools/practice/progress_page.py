"""The learner's progress as one self-contained HTML page: solved katas by category and family,
and interview scores over time as a chart. No server, no network, no script: open the file.

``nox -s list -- --html`` writes ``build/progress.html``. :func:`page_data` is what the page is
built from (and what the tests check).
"""

from __future__ import annotations

import html
import time
from collections import defaultdict
from pathlib import Path

from tools import ROOT
from tools.core.catalog import Kata

OUTPUT = ROOT / "build" / "progress.html"


def page_data(katas: list[Kata], data: dict, status) -> dict:
    """Counts by category and family, and every interview score with its date."""
    records = data.get("katas", {})
    by = {"category": defaultdict(lambda: [0, 0]), "family": defaultdict(lambda: [0, 0])}
    for kata in katas:
        solved = status(kata, records.get(kata.slug, {})) == "solved"
        for key in by:
            counts = by[key][getattr(kata, key)]
            counts[0] += solved
            counts[1] += 1
    interviews = []
    for slug, record in records.items():
        for entry in record.get("interviews", []) if isinstance(record, dict) else []:
            if isinstance(entry, dict) and isinstance(entry.get("score"), (int, float)):
                interviews.append(
                    {
                        "slug": slug,
                        "score": entry["score"],
                        "seconds": entry.get("seconds"),
                        "when": entry.get("when", 0),
                        "solved": bool(entry.get("solved")),
                    }
                )
    interviews.sort(key=lambda e: e["when"])
    return {
        "solved": sum(c[0] for c in by["category"].values()),
        "total": len(katas),
        "by_category": {k: tuple(v) for k, v in by["category"].items()},
        "by_family": {k: tuple(v) for k, v in by["family"].items()},
        "interviews": interviews,
    }


def _bars(title: str, counts: dict[str, tuple[int, int]]) -> str:
    rows = []
    for name, (done, total) in sorted(counts.items()):
        share = done / total if total else 0
        rows.append(
            f"<tr><th>{html.escape(name)}</th><td><div class='bar'><div style='width:{100 * share:.0f}%'>"
            f"</div></div></td><td>{done} / {total}</td></tr>"
        )
    return f"<section><h2>{title}</h2><table class='bars'>{''.join(rows)}</table></section>"


def _chart(interviews: list[dict]) -> str:
    if not interviews:
        return (
            "<section><h2>Interview scores over time</h2><p class='none'>No interviews yet: "
            "try <code>nox -s kata -- leakage --interview</code>.</p></section>"
        )
    width, height, pad = 720, 260, 40
    n = len(interviews)

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    def y(score: float) -> float:
        return height - pad - (height - 2 * pad) * score / 100

    points = " ".join(f"{x(i):.1f},{y(e['score']):.1f}" for i, e in enumerate(interviews))
    grid = "".join(
        f"<line x1='{pad}' x2='{width - pad}' y1='{y(v):.1f}' y2='{y(v):.1f}' class='grid'/>"
        f"<text x='{pad - 8}' y='{y(v) + 4:.1f}' text-anchor='end'>{v}</text>"
        for v in (0, 25, 50, 75, 100)
    )
    dots = "".join(
        f"<circle cx='{x(i):.1f}' cy='{y(e['score']):.1f}' r='5' class='{'ok' if e['solved'] else 'miss'}'>"
        f"<title>{html.escape(e['slug'])}: {e['score']} "
        f"({time.strftime('%Y-%m-%d %H:%M', time.localtime(e['when']))})</title></circle>"
        for i, e in enumerate(interviews)
    )
    labels = "".join(
        f"<text x='{x(i):.1f}' y='{height - pad + 18}' text-anchor='middle'>"
        f"{time.strftime('%d %b', time.localtime(e['when']))}</text>"
        for i, e in enumerate(interviews)
    )
    svg = (
        f"<svg viewBox='0 0 {width} {height}' role='img' aria-label='interview scores over time'>"
        f"{grid}<polyline points='{points}' class='line'/>{dots}{labels}</svg>"
    )
    rows = "".join(
        f"<tr><td>{time.strftime('%Y-%m-%d %H:%M', time.localtime(e['when']))}</td>"
        f"<td>{html.escape(e['slug'])}</td><td>{e['score']}</td>"
        f"<td>{'solved' if e['solved'] else 'not solved'}</td></tr>"
        for e in interviews
    )
    return (
        f"<section><h2>Interview scores over time</h2>{svg}"
        f"<table class='log'><tr><th>when</th><th>kata</th><th>score</th><th></th></tr>{rows}</table></section>"
    )


STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:860px;margin:2em auto;color:#222;padding:0 1em}
h1{margin-bottom:0}.sub{color:#666;margin-top:.2em}
section{margin:1.5em 0}table{border-collapse:collapse;width:100%}
th{text-align:left;font-weight:600;padding:3px 10px 3px 0;white-space:nowrap;width:11em}
td{padding:3px 6px}.bars td:nth-child(2){width:60%}.bar{background:#eee;border-radius:4px;height:14px;width:100%}
.bar div{background:#2a7;height:14px;border-radius:4px}
svg{width:100%;height:auto;background:#fafafa;border:1px solid #eee;border-radius:6px}
svg text{font-size:11px;fill:#666}.grid{stroke:#e3e3e3}.line{fill:none;stroke:#37c;stroke-width:2}
circle.ok{fill:#2a7}circle.miss{fill:#d54}.log td,.log th{border-bottom:1px solid #eee}
.none{color:#666}code{background:#f3f3f3;padding:1px 4px;border-radius:3px}
"""


def render(data: dict) -> str:
    share = 100 * data["solved"] / data["total"] if data["total"] else 0
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Kata progress</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>Your kata progress</h1>"
        f"<p class='sub'>{data['solved']} of {data['total']} katas solved ({share:.0f} %) · "
        f"{len(data['interviews'])} interviews · made {time.strftime('%Y-%m-%d %H:%M')}</p>"
        f"{_bars('Solved by category', data['by_category'])}"
        f"{_bars('Solved by algorithm family', data['by_family'])}"
        f"{_chart(data['interviews'])}"
        "</body></html>"
    )


def write(katas: list[Kata], data: dict, status, path: Path = OUTPUT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(page_data(katas, data, status)), encoding="utf-8")
    return path
