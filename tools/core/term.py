"""Terminal output: colour when the terminal supports it, plain text when piped or NO_COLOR is set."""

from __future__ import annotations

import os
import re
import sys
import textwrap

_CODES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "cyan": "36",
}


def use_colour(stream=None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"


def style(text: str, *names: str) -> str:
    if not names or not use_colour():
        return text
    codes = ";".join(_CODES[n] for n in names)
    return f"\033[{codes}m{text}\033[0m"


def say(text: str = "") -> None:
    print(text, flush=True)


def error(message: str) -> None:
    """One line on stderr: what went wrong and what to do next."""
    print(f"{style('error:', 'red', 'bold')} {message}", file=sys.stderr, flush=True)


def indent(text: str, prefix: str = "    ", width: int = 96) -> str:
    """Reflow each paragraph of ``text`` to ``width`` and indent it; list and table lines are kept."""
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            joined = " ".join(paragraph)
            out.extend(
                textwrap.wrap(joined, width, initial_indent=prefix, subsequent_indent=prefix)
            )
            paragraph.clear()

    for line in text.strip("\n").splitlines():
        if not line.strip():
            flush()
            out.append("")
        elif line.startswith((" ", "|", "- ", "* ")) or line.strip().startswith(("[", "x:", "y:")):
            flush()
            out.append(prefix + line)
        else:
            paragraph.append(line.strip())
    flush()
    return "\n".join(out)


def _inline(line: str) -> str:
    line = re.sub(r"\*\*(.+?)\*\*", lambda m: style(m.group(1), "bold"), line)
    return re.sub(r"`([^`]+)`", lambda m: style(m.group(1), "cyan"), line)


def render_markdown(text: str) -> str:
    """A light rendering of a brief: headings emphasised, emphasis and code coloured, rest as is."""
    out = []
    for line in text.strip().splitlines():
        heading = re.match(r"^(#{1,6})\s+(.*)", line)
        if heading:
            level, title = len(heading.group(1)), heading.group(2)
            if out and out[-1]:
                out.append("")
            out.append(style(title.upper() if level == 1 else title, "bold", "blue"))
            if level == 1:
                out.append(style("=" * len(title), "blue"))
            continue
        if re.match(r"^\|[-| :]+\|$", line):
            out.append(style(line, "dim"))
            continue
        out.append(_inline(line))
    return "\n".join(out)


def format_duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
