"""Which tables and columns the models renamed: the answers that turn a drop + add into a rename.

The answers come from hints in the models (`info={"renamed_from": ...}`), from `--rename` /
`--rename-table`, or from the prompt of `generate`; `compare` takes them as one value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from .snapshot import TableKey

if TYPE_CHECKING:
    import sqlalchemy as sa


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


#: The key of `Table.info` / `Column.info` that names what the object was called before.
HINT = "renamed_from"


def hinted(metadata: "sa.MetaData", default_schema: Optional[str] = None) -> Renames:
    """The renames that the models declare with `info={"renamed_from": "old name"}`.

    A table in `default_schema` is keyed by schema "", as snapshots key it. A renamed table's
    columns are keyed by the table's new name.
    """
    tables, columns = [], []
    for table in sorted(metadata.tables.values(), key=lambda t: (t.schema or "", t.name)):
        key = ("" if table.schema in (None, default_schema) else table.schema, table.name)
        if table.info.get(HINT):
            tables.append(((key[0], table.info[HINT]), table.name))
        columns += [(key, c.info[HINT], c.name) for c in table.columns if c.info.get(HINT)]
    return Renames(tuple(tables), tuple(columns))
