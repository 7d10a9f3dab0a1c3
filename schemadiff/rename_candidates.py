"""Drops that look like renames: a dropped column with a column like it added to the same table,
a dropped table with a table like it created in the same schema.

Without a hint, `compare` writes a rename as a drop and an add, and the drop loses the data. The
pairs found here become the `possible-rename` hazard and the questions `generate` asks.

A pair looks like a rename when both sides hold the same kind of value (type family: whole
numbers, decimals, strings, date/time, ...) and, for a column, the names are alike (one contains
the other, or they share most of their letters) or the add is the only one like it in the table;
for a table, most columns are the same (same name, same type family). The ops are read in order
and a drop is paired with an add seen before it, as `compare` orders them (adds and creates before
drops, both ways), so that a run of ops that arrives op by op (`upgrade --sql`) gets the same pairs
as the whole list. Among several adds, the most alike wins, then the first; each add pairs once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Iterable, Optional, Union

from . import ops as o
from . import snapshot as s
from .renames import Renames
from .snapshot import TableKey

# Type names (their first word) by the kind of value they hold.
_FAMILIES = {
    "integer": "TINYINT SMALLINT MEDIUMINT INT INTEGER BIGINT SERIAL BIGSERIAL",
    "decimal": "NUMERIC DECIMAL FLOAT REAL DOUBLE MONEY",
    "string": "VARCHAR NVARCHAR CHAR CHARACTER NCHAR TEXT CLOB TINYTEXT MEDIUMTEXT LONGTEXT CITEXT",
    "datetime": "DATE DATETIME TIMESTAMP TIME",
    "binary": "BLOB TINYBLOB MEDIUMBLOB LONGBLOB BYTEA BINARY VARBINARY",
    "json": "JSON JSONB",
}
_FAMILY = {name: family for family, names in _FAMILIES.items() for name in names.split()}
_FIRST_WORD = re.compile(r"\w+")

#: How alike two names must be (difflib's ratio) to look like one renamed.
ALIKE_NAMES = 0.5
#: The share of a table's columns that must reappear (same name and type family) in the new one.
ALIKE_TABLES = 0.5


@dataclass(frozen=True)
class Candidate:
    """A drop and an add that may be one rename. For a column, `table` is the table it is in;
    for a table, the dropped table (its schema is the created one's too)."""

    table: TableKey
    old: str
    new: str
    is_table: bool = False

    @property
    def renames(self) -> Renames:
        """The answer that makes this pair a rename."""
        if self.is_table:
            return Renames(tables=((self.table, self.new),))
        return Renames(columns=((self.table, self.old, self.new),))

    @property
    def flag(self) -> str:
        """The command-line option that answers yes ahead of time."""
        if self.is_table:
            return f"--rename-table {self._qualified(self.old)}={self.new}"
        return f"--rename {self._qualified(self.table[1])}.{self.old}={self.new}"

    @property
    def hint(self) -> str:
        """The model hint that makes it a rename for good."""
        return f'info={{"renamed_from": "{self.old}"}}'

    @property
    def question(self) -> str:
        if self.is_table:
            return f"Rename table {self._qualified(self.old)} -> {self._qualified(self.new)}?"
        table = self._qualified(self.table[1])
        return f"Rename {table}.{self.old} -> {table}.{self.new}?"

    def _qualified(self, name: str) -> str:
        return o.qualified(self.table[0], name)


class CandidateFinder:
    """Reads ops in order; at each drop, says which earlier add it may be a rename into.

    `declined` pairs are never offered again (the prompt's "no" answers), so the drop may pair
    with another add.
    """

    def __init__(self, declined: Iterable[Candidate] = ()):
        self.declined = frozenset(declined)
        self._columns: dict[TableKey, list[s.Column]] = {}  # added, not yet paired
        self._tables: dict[str, list[s.Table]] = {}  # created, not yet paired, by schema

    def see(self, op: o.Op) -> Optional[Candidate]:
        if isinstance(op, o.AddColumn):
            self._columns.setdefault(_key(op), []).append(op.column)
        elif isinstance(op, o.CreateTable):
            self._tables.setdefault(op.table.schema or "", []).append(op.table)
        elif isinstance(op, o.DropColumn):
            return self._pair(_key(op), op.column, self._columns.get(_key(op), []))
        elif isinstance(op, o.DropTable):
            return self._pair(op.table.key, op.table, self._tables.get(op.table.schema or "", []))
        return None

    def _pair(
        self, table: TableKey, dropped: Union[s.Column, s.Table], added: list
    ) -> Optional[Candidate]:
        is_table = isinstance(dropped, s.Table)
        alike = _tables_alike if is_table else _columns_alike
        scored = [
            (score, -i, new)
            for i, new in enumerate(added)
            if (score := alike(dropped, new, len(added))) is not None
            and Candidate(table, dropped.name, new.name, is_table) not in self.declined
        ]
        if not scored:
            return None
        new = max(scored, key=lambda item: item[:2])[2]
        added.remove(new)
        return Candidate(table, dropped.name, new.name, is_table)


def candidates(ops: Iterable[o.Op], declined: Iterable[Candidate] = ()) -> list[Candidate]:
    """The drop + add pairs of `ops` that may be renames, in the order of their drops."""
    finder = CandidateFinder(declined)
    return [c for op in ops if (c := finder.see(op)) is not None]


def _key(op: Union[o.AddColumn, o.DropColumn]) -> TableKey:
    return (op.schema or "", op.table_name)


def type_family(type_: str) -> str:
    """The kind of value a type holds: `string` for VARCHAR(20) and TEXT alike."""
    # The first word names the type: TIMESTAMP WITH TIME ZONE, DOUBLE PRECISION, VARCHAR(20).
    match = _FIRST_WORD.search(type_.upper())
    base = match.group(0) if match else type_
    return _FAMILY.get(base, base)


def _similarity(a: str, b: str) -> float:
    a, b = a.lower(), b.lower()
    if a in b or b in a:
        return 1.0
    return SequenceMatcher(None, a, b).ratio()


def _columns_alike(old: s.Column, new: s.Column, choices: int) -> Optional[float]:
    """How alike the names are, when the column may be `old` renamed; None when it may not."""
    if type_family(old.type) != type_family(new.type) or (old.computed is None) != (
        new.computed is None
    ):
        return None
    score = _similarity(old.name, new.name)
    return score if score >= ALIKE_NAMES or choices == 1 else None


def _tables_alike(old: s.Table, new: s.Table, choices: int) -> Optional[float]:
    """The share of columns the two tables have in common, when it is enough."""
    new_columns = {c.name: type_family(c.type) for c in new.columns}
    same = sum(new_columns.get(c.name) == type_family(c.type) for c in old.columns)
    score = same / max(len(old.columns), len(new.columns), 1)
    return score if score >= ALIKE_TABLES else None
