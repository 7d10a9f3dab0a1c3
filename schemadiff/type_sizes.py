"""How much a column type holds, read from its canonical text: whether a type change narrows or widens.

Works on the type strings of snapshots (`VARCHAR(20)`, `NUMERIC(10, 2)`, `BIGINT`), so that it
needs no dialect: the dialects canonicalize the text, this module only compares sizes.
"""

from __future__ import annotations

import re
from typing import Optional

# Integer types from narrowest to widest; a move to a lower rank narrows.
_INTEGER_RANK = {"TINYINT": 0, "SMALLINT": 1, "MEDIUMINT": 2, "INT": 3, "INTEGER": 3, "BIGINT": 4}
# MySQL's sized text and blob families, narrowest first.
_LOB_RANK = {
    **{name: rank for rank, name in enumerate(("TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT"))},
    **{name: 10 + rank for rank, name in enumerate(("TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB"))},
}
# Strings with no length limit where they are declared without one.
_UNBOUNDED_TEXT = {
    "TEXT",
    "CLOB",
    "MEDIUMTEXT",
    "LONGTEXT",
    "VARCHAR",
    "CHARACTER VARYING",
    "NVARCHAR",
}
_BOUNDED_TEXT = {
    "VARCHAR",
    "CHARACTER VARYING",
    "NVARCHAR",
    "CHAR",
    "CHARACTER",
    "NCHAR",
    "TINYTEXT",
}
_TYPE = re.compile(r"^([A-Z ]+?)\s*(?:\(([\d\s,]+)\))?(?:\s+(.*))?$")
_ENUM = re.compile(r"^ENUM\((.*)\)$", re.DOTALL)
_ENUM_VALUE = re.compile(r"'((?:[^']|'')*)'")


def _parse(type_: str) -> Optional[tuple[str, tuple[int, ...], str]]:
    """(name, size arguments, the rest), e.g. ("NUMERIC", (10, 2), "") for NUMERIC(10, 2)."""
    m = _TYPE.match(type_)
    if not m:
        return None
    args = tuple(int(a) for a in (m.group(2) or "").replace(" ", "").split(",") if a)
    return m.group(1).strip(), args, m.group(3) or ""


def _compare_sizes(old: str, new: str) -> Optional[int]:
    """-1 when `new` holds less than `old`, 1 when more, 0 when the same; None when unrelated."""
    a, b = _parse(old), _parse(new)
    if a is None or b is None or a[2] != b[2]:
        return None
    for rank in (_INTEGER_RANK, _LOB_RANK):
        if a[0] in rank and b[0] in rank and not a[1] and not b[1]:
            rank_a, rank_b = rank[a[0]], rank[b[0]]
            if (rank_a >= 10) != (rank_b >= 10):
                return None  # text vs blob
            return (rank_b > rank_a) - (rank_b < rank_a)
    if a[0] != b[0] or len(a[1]) != len(b[1]) or not a[1]:
        return None
    pairs = list(zip(_capacity(a[1]), _capacity(b[1])))
    if all(y >= x for x, y in pairs):
        return 1
    return -1  # smaller in some respect, e.g. NUMERIC(10, 2) -> NUMERIC(12, 1) loses scale


def _capacity(args: tuple[int, ...]) -> tuple[int, ...]:
    """Sizes that must not shrink: for (precision, scale), the digits before and after the point."""
    return (args[0] - args[1], args[1]) if len(args) == 2 else args


def narrows(old: str, new: str) -> bool:
    return _compare_sizes(old, new) == -1


def widens(old: str, new: str) -> bool:
    return _compare_sizes(old, new) == 1


def is_string(type_: str) -> bool:
    parsed = _parse(type_)
    return parsed is not None and (
        parsed[0] in _UNBOUNDED_TEXT | _BOUNDED_TEXT or parsed[0] in _LOB_RANK
    )


def bounds_text(old: str, new: str) -> bool:
    """Whether unbounded text becomes a string with a length: TEXT -> VARCHAR(n), and alike."""
    a, b = _parse(old), _parse(new)
    if a is None or b is None:
        return False
    unbounded = a[0] in _UNBOUNDED_TEXT and not a[1]
    bounded = b[0] in _BOUNDED_TEXT and (bool(b[1]) or b[0] == "TINYTEXT")
    return unbounded and bounded


def enum_values(type_: str) -> Optional[tuple[str, ...]]:
    """The values of an inline ENUM('a','b') type (MySQL), None for any other type."""
    m = _ENUM.match(type_)
    if not m:
        return None
    return tuple(v.replace("''", "'") for v in _ENUM_VALUE.findall(m.group(1)))
