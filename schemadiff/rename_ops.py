"""The ops that carry out renames, ahead of the ordinary diff.

Tables are renamed first, then columns (under their tables' new names), then the indexes and
constraints whose names changed with them (a naming convention names them after their table and
columns). What the database does on its own as things are renamed (foreign keys follow their
target table and columns, keys and indexes follow their columns), the state replay does too; so
`compare` of the renamed state and the target finds only the changes that remain.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from . import ops as o
from .errors import SchemadiffError
from .renames import Renames
from .snapshot import Snapshot, definition_key
from .state import apply


def rename_ops(current: Snapshot, target: Snapshot, renames: Renames) -> list[o.Op]:
    """The renames that take `current` towards `target`, in the order they must run.

    A rename whose new name is in `current` already ran and is left out; one whose new name is
    not in `target` is outside the comparison (an excluded table) and is left out too. One whose
    old name is not in `current` either is left out where the database is behind (the object
    comes new, so nothing is lost), and is a SchemadiffError where the diff drops something of
    that table (or schema) instead: the hint most likely names it wrongly.
    """
    ops: list[o.Op] = []
    state = current
    for (schema, old), new in renames.tables:
        op = _table_rename(state, target, schema or None, old, new)
        if op is not None:
            ops.append(op)
            state = apply(state, op)
    for (schema, table_name), old, new in renames.columns:
        op = _column_rename(state, target, schema or None, table_name, old, new)
        if op is not None:
            ops.append(op)
            state = apply(state, op)
    return ops + _name_follow_ops(current, state, target)


def _table_rename(
    state: Snapshot, target: Snapshot, schema: Optional[str], old: str, new: str
) -> Optional[o.RenameTable]:
    if state.table(new, schema) is not None or target.table(new, schema) is None:
        return None
    if state.table(old, schema) is None:
        dropped = [
            t.name
            for t in state.tables
            if t.schema == schema and target.table(t.name, schema) is None
        ]
        if not dropped:  # a database behind the models: the table comes new, nothing to keep
            return None
        raise SchemadiffError(
            f"rename {o.qualified(schema, old)} -> {new}: the database has neither table "
            f"{o.qualified(schema, old)} nor {o.qualified(schema, new)}{_dropped(dropped)}"
        )
    return o.RenameTable(old, new, schema)


def _column_rename(
    state: Snapshot, target: Snapshot, schema: Optional[str], table_name: str, old: str, new: str
) -> Optional[o.AlterColumn]:
    shown = f"{o.qualified(schema, table_name)}.{old} -> {new}"
    wanted = target.table(table_name, schema)
    if wanted is None or wanted.column(new) is None:
        return None
    table = state.table(table_name, schema)
    if table is None or table.column(new) is not None:
        return None  # the table comes new (the database is behind), or the rename ran already
    column = table.column(old)
    if column is None:
        dropped = [c.name for c in table.columns if wanted.column(c.name) is None]
        if not dropped:  # a database behind the models: the column comes new, nothing to keep
            return None
        raise SchemadiffError(
            f"rename {shown}: table {table.fullname} in the database has neither column "
            f"{old!r} nor {new!r}{_dropped(dropped)}"
        )
    return o.AlterColumn(table_name, column, dataclasses.replace(column, name=new), schema)


def _dropped(names: list[str]) -> str:
    return f" (the models drop {', '.join(map(repr, names))}: is the old name one of those?)"


def _name_follow_ops(current: Snapshot, renamed: Snapshot, target: Snapshot) -> list[o.Op]:
    """Indexes and constraints of the tables that the renames changed, whose name in `target`
    differs from the one they have while their definition is the same: renamed, not rebuilt."""
    untouched = set(current.tables)
    result: list[o.Op] = []
    for table in renamed.tables:
        wanted = target.table(table.name, table.schema)
        if table in untouched or wanted is None:
            continue
        pk, wanted_pk = _opt(table.primary_key), _opt(wanted.primary_key)
        for have, want, make in (
            (table.indexes, wanted.indexes, o.RenameIndex),
            (
                pk + table.uniques + table.checks + table.foreign_keys,
                wanted_pk + wanted.uniques + wanted.checks + wanted.foreign_keys,
                o.RenameConstraint,
            ),
        ):
            result += [
                make(table.name, old, new, table.schema) for old, new in _name_changes(have, want)
            ]
    return result


def _opt(item) -> tuple:
    return () if item is None else (item,)


def _name_changes(have, want) -> list[tuple[str, str]]:
    """(old name, new name) of each named item of `have` that `want` holds under another name
    with the same definition (and kind), where no item of `want` has the old name."""
    names = {i.name for i in want}
    taken = {i.name for i in have}
    unmatched = [i for i in want if i.name is not None and i.name not in taken]
    changes = []
    for item in have:
        if item.name is None or item.name in names:
            continue
        key = (type(item), definition_key(item))
        found = next((w for w in unmatched if (type(w), definition_key(w)) == key), None)
        if found is not None:
            unmatched.remove(found)
            changes.append((item.name, found.name))
    return changes
