"""``nox -s new -- <slug> --from DIR``: an outside project turned into a kata of the catalog.

``fixed/<slug>/`` gets DIR's modules, ``tests/<slug>/`` its tests rewritten to load them through
the kit's ``kata`` fixture (:mod:`tools.mutation.rewrite`), ``broken/<slug>/`` the variant the
instructor picks from an earlier ``nox -s mutate -- --path DIR`` (``--variant ID``; without it a
copy of fixed/, which ``nox -s verify`` reports as having no bug), and ``katas/<slug>/`` a
kata.toml and a brief with a TODO wherever an author has to write: ``nox -s verify -- <slug>``
names each. Drafts computed for the variant (its hints, its explanation, what its tests report)
are there to start from, marked TODO until an author has read them. Nothing is written until
everything has been read and checked, and nothing that exists is overwritten.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from tools import BROKEN, EXIT_OK, FIXED, KATAS, ROOT, TESTS, UserError
from tools.core import catalog, patch, variants
from tools.core.term import say, style
from tools.core.workspace import display
from tools.mutation import sandbox
from tools.mutation.project import Project, kata_tests, load

MINUTES = (5, 10, 15, 20, 25)
DRAFT = "TODO (a draft computed for the variant; rewrite it in the learner's terms): "

BRIEF = """# TODO: the title

**Category:** {category} · **Family:** {family} · **Difficulty:** {difficulty}/5 · **Budget:** {minutes} minutes

{scenario}

TODO: the scenario in two or three sentences: who runs this pipeline and what it is for.

## What was observed

TODO: the symptom with real numbers measured on broken/{slug}/ (never the fix).
{observed}
## What to deliver

TODO: the behaviour to restore, keeping the signatures. All tests in `tests/{slug}/` must pass.

- Edit: {edit}
- Allowed: NumPy, pandas and the standard library
- Budget: {minutes} minutes
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options ``nox -s new`` takes for an outside project (beside scaffold's own)."""
    parser.add_argument(
        "--from", dest="source", metavar="DIR", help="make the kata from this outside project"
    )
    parser.add_argument("--tests", metavar="DIR", help="with --from: its tests (default DIR/tests)")
    parser.add_argument(
        "--variant", metavar="ID", help="with --from: broken/ is this variant of the project"
    )
    parser.add_argument(
        "--out",
        metavar="OUT",
        help="with --from: where the variants are (default: build/outside/<DIR's name>/)",
    )


def _variant(project: Project, ident: str | None) -> tuple[dict, str]:
    """The chosen variant's manifest and change ({} and "" without one)."""
    if not ident:
        return {}, ""
    folder = project.variants / ident
    if "/" in ident or not (folder / variants.MANIFEST).is_file():
        known = sorted(p.parent.name for p in project.variants.glob(f"*/{variants.MANIFEST}"))
        listing = f"; known: {', '.join(known)}" if known else ""
        raise UserError(
            f"no variant {ident!r} in {display(project.variants)}{listing} (make them with: "
            f"nox -s mutate -- --path {project.source})"
        )
    return variants.read_variant(folder), variants.change(folder)


def _toml(fields: dict[str, object]) -> str:
    """kata.toml's text: a key a line, the explanation as a multi-line string."""
    lines = []
    for key, value in fields.items():
        if key == "explanation" and "'''" not in str(value):
            lines.append(f"explanation = '''\n{str(value).strip()}\n'''")
        elif isinstance(value, list) and value:
            items = "".join(f"    {sandbox.toml_value(v)},\n" for v in value)
            lines.append(f"{key} = [\n{items}]")
        else:
            lines.append(f"{key} = {sandbox.toml_value(value)}")
    return "\n".join(lines) + "\n"


def _metadata(slug: str, project: Project, manifest: dict) -> dict[str, object]:
    first = slug.split("-")[0]
    category = manifest.get("category") or (first if first in catalog.CATEGORIES else "algorithm")
    difficulty = manifest.get("difficulty", 2)
    fields: dict[str, object] = {
        "title": "TODO: a short, vivid title",
        "category": category,
        "family": project.family,
        "difficulty": difficulty,
        "minutes": MINUTES[difficulty - 1],
        "files": list(project.files),
        "symptom": "TODO: what a user observes, with a number, never the fix",
        "failing_tests": manifest.get("failing_tests") or ["TODO: the tests the bug fails"],
        "hints": [DRAFT + h for h in manifest.get("hints", [])]
        or ["TODO: the concept (vaguest)", "TODO: where to look", "TODO: the technique"],
        "explanation": DRAFT.rstrip() + "\n" + manifest["explanation"]
        if manifest.get("explanation")
        else "TODO: what went wrong, why it matters, how to spot it next time.",
    }
    if manifest.get("concepts"):
        fields["concepts"] = list(manifest["concepts"])
    return fields


def _observed(manifest: dict) -> str:
    """The variant brief's list of failing tests and their messages, as a draft."""
    brief = str(manifest.get("brief", ""))
    found = [line for line in brief.splitlines() if line.startswith("- `")]
    if not found:
        return ""
    return f"\n{DRAFT}what the tests report on it:\n\n" + "\n".join(found) + "\n"


def plan(slug: str, project: Project, ident: str | None) -> dict[Path, bytes]:
    """Every file the kata is made of, path -> content; nothing is written yet."""
    for name in project.files:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*\.py", name):
            raise UserError(f"{project.source / name}: a kata's module is named in lowercase")
    manifest, change = _variant(project, ident)
    fixed = {name: (project.source / name).read_text(encoding="utf-8") for name in project.files}
    try:
        broken = patch.apply(fixed, change) if change else dict(fixed)
    except patch.PatchError as problem:
        raise UserError(
            f"variant {ident} does not apply to {project.source} ({problem}): the project "
            f"changed since the campaign; run nox -s mutate -- --path {project.source} again"
        ) from None
    if set(broken) != set(fixed):
        raise UserError(f"variant {ident} adds or removes a module; a variant changes code only")
    fields = _metadata(slug, project, manifest)
    edit = ", ".join(f"`katas/{slug}/{name}`" for name in project.files)
    brief = BRIEF.format(
        slug=slug,
        edit=edit,
        scenario=project.scenario,
        observed=_observed(manifest),
        **{k: fields[k] for k in ("category", "family", "difficulty", "minutes")},
    )
    files = {
        KATAS / slug / "kata.toml": _toml(fields).encode(),
        KATAS / slug / "README.md": brief.encode(),
    }
    for name in project.files:
        files[FIXED / slug / name] = fixed[name].encode("utf-8")
        files[BROKEN / slug / name] = broken[name].encode("utf-8")
    for relative, data in kata_tests(project).items():
        files[TESTS / slug / relative] = data
    return files


def run(args: argparse.Namespace) -> int:
    """Write the kata planned from ``args.source``; refuse if any of its folders exists."""
    slug = args.slug
    project = load(args.source, args.tests, args.out)
    folders = [KATAS / slug, FIXED / slug, BROKEN / slug, TESTS / slug]
    taken = [folder for folder in folders if folder.exists()]
    if taken:
        raise UserError(f"{taken[0].relative_to(ROOT)} already exists; choose another slug")
    files = plan(slug, project, args.variant)
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for folder in folders:
        say(f"  created {folder.relative_to(ROOT)}/")
    bug = (
        f"broken/{slug}/ is variant {args.variant}"
        if args.variant
        else (
            f"broken/{slug}/ is a copy of fixed/{slug}/ (no bug yet: plant one, or pick a variant "
            f"with --variant)"
        )
    )
    say(
        f"\n{bug}. Fill in every TODO in katas/{slug}/, then run "
        f"{style(f'nox -s verify -- {slug}', 'bold')}: it names whatever is still missing."
    )
    return EXIT_OK
