"""Which tables and columns the models renamed: the answers that turn a drop + add into a rename.

The answers come from hints in the models (`info={"renamed_from": ...}`), from `--rename` /
`--rename-table`, or from the prompt of `generate`; `compare` takes them as one value.
"""

from __future__ import annotations

from dataclasses import dataclass

from .snapshot import TableKey


@dataclass(frozen=True)
class Renames:
    #: ((schema or "", old table name), new table name)
    tables: tuple[tuple[TableKey, str], ...] = ()
    #: ((schema or "", table name in the models), old column name, new column name)
    columns: tuple[tuple[TableKey, str, str], ...] = ()

    def __or__(self, other: "Renames") -> "Renames":
        """Both sets of answers; `other` adds to (never replaces) this one."""
        return Renames(
            tables=tuple(dict.fromkeys(self.tables + other.tables)),
            columns=tuple(dict.fromkeys(self.columns + other.columns)),
        )
