"""Text reports as a terminal shows them: each kind of line in its own colour, long lines wrapped.

A report line says what it is by its first mark: `+` an addition, `-` a drop, `~` a change, `!` a
hazard. In a terminal each gets its colour, unless NO_COLOR is set (https://no-color.org), and
lines longer than the terminal are wrapped between words, under a hanging indent. Anywhere else
(a pipe, a file) the text stays as it is, for tools to read.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from typing import Optional, TextIO

# SGR codes: green, red, yellow, bold magenta.
COLOURS = {"+": "32", "-": "31", "~": "33", "!": "1;35"}
_RESET = "\x1b[0m"


def for_terminal(text: str, stream: TextIO) -> str:
    """`text` styled for `stream`: coloured and wrapped in a terminal, unchanged elsewhere."""
    if not stream.isatty():
        return text
    colour = not os.environ.get("NO_COLOR")
    return styled(text, colour, shutil.get_terminal_size().columns)


def styled(text: str, colour: bool, width: Optional[int] = None) -> str:
    """Each line of `text` wrapped to `width` (when given) and coloured by its mark (when `colour`)."""
    lines = []
    for line in text.split("\n"):
        code = COLOURS.get(line.lstrip()[:1]) if colour else None
        for part in _wrap(line, width):
            lines.append(f"\x1b[{code}m{part}{_RESET}" if code and part else part)
    return "\n".join(lines)


def _wrap(line: str, width: Optional[int]) -> list[str]:
    """The line cut at spaces only: continuation lines are indented two past the line's indent,
    under its text after the mark, and the mark stays with the first word. A word longer than the
    width stays whole."""
    if width is None or len(line) <= width:
        return [line]
    body = line.lstrip()
    indent = line[: len(line) - len(body)]
    lead = indent
    if body[:1] in COLOURS and body[1:2] == " ":
        lead, body = indent + body[:2], body[2:]
    return textwrap.wrap(
        body,
        width,
        initial_indent=lead,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [line]
