"""Unified diffs of a kata's files: made with difflib, applied strictly (exact context), stdlib only.

A patch names its files ``a/<file>`` and ``b/<file>`` (``/dev/null`` for a file created or
deleted), so ``git apply`` and ``patch -p1`` take it too. Applying never guesses: each hunk's
context and removed lines must match the file exactly, at its stated line or, as ``git apply``
allows, at the nearest line where they do. :func:`apply` with ``relocate=True`` also finds a hunk
whose context moved by its changed lines alone, for authors who edited the reference code.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from tools import UserError

NO_NEWLINE = "\\ No newline at end of file"
HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
NULL = "/dev/null"


class PatchError(UserError):
    """A patch that does not parse or does not apply; the message is one line."""


@dataclass(frozen=True)
class Hunk:
    """One ``@@`` block: where it applies and its lines as (tag, text) with tag in " -+"."""

    old_start: int
    old_length: int
    new_start: int
    new_length: int
    lines: tuple[tuple[str, str], ...]

    @property
    def header(self) -> str:
        return f"@@ -{self.old_start},{self.old_length} +{self.new_start},{self.new_length} @@"

    def side(self, tags: str) -> list[str]:
        return [text for tag, text in self.lines if tag in tags]


@dataclass(frozen=True)
class FilePatch:
    """The hunks of one file; ``old`` is None for a file created, ``new`` None for one deleted."""

    old: str | None
    new: str | None
    hunks: tuple[Hunk, ...]

    @property
    def name(self) -> str:
        return self.new or self.old or ""


def lines(text: str) -> list[str]:
    """``text`` split after each newline only (a form feed or \\r stays inside its line)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _path(header: str, prefix: str) -> str | None:
    name = header[4:].split("\t", 1)[0].rstrip("\n")
    if name == NULL:
        return None
    return name[len(prefix) :] if name.startswith(prefix) else name


def parse(text: str) -> list[FilePatch]:
    """The files and hunks of a unified diff; anything malformed is a :class:`PatchError`."""
    rows, found, at = lines(text), [], 0
    while at < len(rows):
        if not rows[at].startswith("--- "):
            at += 1  # a preamble (``diff --git``, ``index ...``) tells nothing we need
            continue
        if at + 1 >= len(rows) or not rows[at + 1].startswith("+++ "):
            raise PatchError(f"line {at + 1}: '---' is not followed by a '+++' line")
        old, new, at = _path(rows[at], "a/"), _path(rows[at + 1], "b/"), at + 2
        hunks = []
        while at < len(rows) and rows[at].startswith("@@"):
            hunk, at = _hunk(rows, at)
            hunks.append(hunk)
        if not hunks:
            raise PatchError(f"line {at}: the change of {new or old} has no hunk")
        found.append(FilePatch(old, new, tuple(hunks)))
    return found


def _hunk(rows: list[str], at: int) -> tuple[Hunk, int]:
    match = HEADER.match(rows[at])
    if not match:
        raise PatchError(f"line {at + 1}: not a hunk header: {rows[at].rstrip()!r}")
    a, b, c, d = (int(g) if g is not None else 1 for g in match.groups())
    body: list[list[str]] = []
    old_seen = new_seen = 0
    at += 1
    while old_seen < b or new_seen < d:
        if at >= len(rows):
            raise PatchError(f"hunk {rows[at - 1]!r} ends before its {b} old and {d} new lines")
        row = rows[at]
        tag, text = (" ", "\n") if row == "\n" else (row[0], row[1:])
        if tag not in " -+\\" or (tag == "\\" and not body):
            raise PatchError(f"line {at + 1}: unexpected {row.rstrip()!r} inside a hunk")
        if tag == "\\":
            body[-1][1] = body[-1][1].removesuffix("\n")
        else:
            body.append([tag, text])
            old_seen += tag in " -"
            new_seen += tag in " +"
        at += 1
    if at < len(rows) and rows[at].startswith("\\"):
        body[-1][1] = body[-1][1].removesuffix("\n")
        at += 1
    return Hunk(a, b, c, d, tuple((tag, text) for tag, text in body)), at


def _nearest(rows: list[str], block: list[str], wanted: int, start: int) -> list[int]:
    """Positions at or after ``start`` where ``block`` matches ``rows``, nearest ``wanted`` first."""
    size = len(block)
    spots = [i for i in range(start, len(rows) - size + 1) if rows[i : i + size] == block]
    return sorted(spots, key=lambda i: (abs(i - wanted), i))


def _mismatch(rows: list[str], block: list[str], wanted: int) -> str:
    """Where ``block`` departs from ``rows`` at its stated position, in one line."""
    for offset, expected in enumerate(block):
        got = rows[wanted + offset] if 0 <= wanted + offset < len(rows) else None
        if got != expected:
            found = "the end of the file" if got is None else repr(got.rstrip("\n"))
            wants = repr(expected.rstrip("\n"))
            return f"line {wanted + offset + 1} is {found} where it expects {wants}"
    return "its lines are not where it says"


def apply_file(text: str, change: FilePatch, relocate: bool = False) -> str:
    """``text`` with ``change``'s hunks applied; a hunk that does not fit is a :class:`PatchError`
    naming it (``relocate``: a hunk whose context moved is found by its changed lines alone)."""
    rows, out, cursor = lines(text), [], 0
    for number, hunk in enumerate(change.hunks, 1):
        old, new = hunk.side(" -"), hunk.side(" +")
        wanted = hunk.old_start - (1 if hunk.old_length else 0)
        spots = _nearest(rows, old, max(wanted, cursor), cursor) if old else [wanted]
        if not old and (wanted < cursor or wanted > len(rows)):
            spots = []
        if spots:
            at = spots[0]
        elif relocate and (found := _relocated(rows, hunk, cursor)) is not None:
            at, old, new = found
        else:
            where = f"hunk {number} of {change.name} ({hunk.header})"
            raise PatchError(f"{where} does not apply: {_mismatch(rows, old, wanted)}")
        out += rows[cursor:at] + new
        cursor = at + len(old)
    return "".join(out + rows[cursor:])


def _relocated(rows: list[str], hunk: Hunk, cursor: int) -> tuple[int, list[str], list[str]] | None:
    """The hunk without its surrounding context, if its changed lines occur exactly once."""
    changed = [i for i, (tag, _) in enumerate(hunk.lines) if tag != " "]
    core = hunk.lines[changed[0] : changed[-1] + 1] if changed else ()
    old = [text for tag, text in core if tag in " -"]
    if not old:
        return None
    spots = _nearest(rows, old, cursor, cursor)
    if len(spots) != 1:
        return None
    return spots[0], old, [text for tag, text in core if tag in " +"]


def apply(files: Mapping[str, str], text: str, relocate: bool = False) -> dict[str, str]:
    """``files`` (name -> text) with the patch ``text`` applied; a deleted file is left out."""
    result = dict(files)
    for change in parse(text):
        if change.old is None and change.new in result and result[change.new]:
            raise PatchError(f"the patch creates {change.new}, which exists already")
        if change.old is not None and change.old not in result:
            raise PatchError(f"the patch changes {change.old}, which does not exist")
        patched = apply_file(result.get(change.old or "", ""), change, relocate)
        if change.old is not None and change.old != change.new:
            del result[change.old]
        if change.new is not None:
            result[change.new] = patched
        elif patched:
            raise PatchError(
                f"the patch deletes {change.old}, but it holds more than the patch removes"
            )
    return result


def make(old: Mapping[str, str], new: Mapping[str, str], context: int = 3) -> str:
    """The unified diff ``old`` -> ``new`` (name -> text), paths ``a/<name>`` and ``b/<name>``."""
    chunks = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        source = f"a/{name}" if before is not None else NULL
        target = f"b/{name}" if after is not None else NULL
        diff = difflib.unified_diff(
            lines(before or ""), lines(after or ""), source, target, n=context
        )
        for row in diff:
            chunks.append(row if row.endswith("\n") else f"{row}\n{NO_NEWLINE}\n")
    return "".join(chunks)


def changed_lines(text: str) -> tuple[list[str], list[str]]:
    """The lines a patch removes and adds, without their tags and line ends."""
    removed, added = [], []
    for change in parse(text):
        for hunk in change.hunks:
            removed += [t.rstrip("\n") for tag, t in hunk.lines if tag == "-"]
            added += [t.rstrip("\n") for tag, t in hunk.lines if tag == "+"]
    return removed, added
