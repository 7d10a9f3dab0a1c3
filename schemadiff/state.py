"""Applying ops to a Snapshot, without a database.

This is how a script's by-name calls (`op.drop_column("account", "legacy")`) recover the full
definition of what they drop, and how offline SQL knows every table as it stands at each step.
"""

from __future__ import annotations

import dataclasses
import re
from functools import singledispatch
from typing import Optional

from . import ops as o
from .errors import MissingObject, SchemadiffError
from .snapshot import (
    CheckConstraint,
    Column,
    Expression,
    ForeignKey,
    Index,
    PrimaryKey,
    Snapshot,
    Table,
    UniqueConstraint,
    definition_key,
)

_COLLECTIONS = {UniqueConstraint: "uniques", CheckConstraint: "checks", ForeignKey: "foreign_keys"}


def find_table(snap: Snapshot, name: str, schema: Optional[str]) -> Table:
    table = snap.table(name, schema)
    if table is None:
        raise MissingObject(f"no table {o.qualified(schema, name)} at this point of the history")
    return table


def find_column(table: Table, name: str) -> Column:
    column = table.column(name)
    if column is None:
        raise MissingObject(f"table {table.fullname} has no column {name!r} at this point of the history")
    return column


def same_object(a, b) -> bool:
    """Two constraints or indexes are the same object: by name, or by definition when unnamed."""
    if a.name is not None and b.name is not None:
        return a.name == b.name
    return definition_key(a) == definition_key(b)


def apply(snap: Snapshot, op: o.Op) -> Snapshot:
    """The snapshot after `op`."""
    return _apply(op, snap)


def apply_all(snap: Snapshot, ops) -> Snapshot:
    for op in ops:
        snap = apply(snap, op)
    return snap


def _with_table(snap: Snapshot, table: Table) -> Snapshot:
    others = tuple(t for t in snap.tables if t.key != table.key)
    return dataclasses.replace(snap, tables=others + (table,))


def _without_table(snap: Snapshot, table: Table) -> Snapshot:
    return dataclasses.replace(snap, tables=tuple(t for t in snap.tables if t.key != table.key))


def _edit(snap: Snapshot, op, **changes) -> Snapshot:
    table = find_table(snap, op.table_name, op.schema)
    return _with_table(snap, dataclasses.replace(table, **changes))


@singledispatch
def _apply(op, snap: Snapshot) -> Snapshot:
    raise TypeError(f"not an op: {op!r}")


@_apply.register
def _(op: o.CreateTable, snap):
    if snap.table(op.table.name, op.table.schema) is not None:
        raise SchemadiffError(f"table {op.table.fullname} exists already")
    return _with_table(snap, op.table)


@_apply.register
def _(op: o.DropTable, snap):
    return _without_table(snap, find_table(snap, op.table.name, op.table.schema))


@_apply.register
def _(op: o.RenameTable, snap):
    table = find_table(snap, op.old_name, op.schema)
    if snap.table(op.new_name, op.schema) is not None:
        raise SchemadiffError(f"table {o.qualified(op.schema, op.new_name)} exists already")
    snap = _with_table(_without_table(snap, table), dataclasses.replace(table, name=op.new_name))
    return _rename_table_references(snap, table.key, op.new_name)


def _rename_table_references(snap: Snapshot, old_key, new_name: str) -> Snapshot:
    """Foreign keys that name a renamed table follow it, as the database makes them do."""

    def fix(fk: ForeignKey) -> ForeignKey:
        return dataclasses.replace(fk, ref_table=new_name) if (fk.ref_schema or "", fk.ref_table) == old_key else fk

    tables = tuple(
        dataclasses.replace(t, foreign_keys=tuple(fix(fk) for fk in t.foreign_keys))
        if any((fk.ref_schema or "", fk.ref_table) == old_key for fk in t.foreign_keys)
        else t
        for t in snap.tables
    )
    return dataclasses.replace(snap, tables=tables)


@_apply.register
def _(op: o.SetTableComment, snap):
    return _edit(snap, op, comment=op.comment)


@_apply.register
def _(op: o.AddColumn, snap):
    table = find_table(snap, op.table_name, op.schema)
    if table.column(op.column.name) is not None:
        raise SchemadiffError(f"table {table.fullname} has a column {op.column.name!r} already")
    names = [c.name for c in table.columns]
    at = names.index(op.before) if op.before in names else len(names)
    columns = table.columns[:at] + (op.column,) + table.columns[at:]
    return _with_table(snap, dataclasses.replace(table, columns=columns))


@_apply.register
def _(op: o.DropColumn, snap):
    table = find_table(snap, op.table_name, op.schema)
    find_column(table, op.column.name)
    kept = tuple(c for c in table.columns if c.name != op.column.name)
    return _with_table(snap, dataclasses.replace(table, columns=kept))


@_apply.register
def _(op: o.AlterColumn, snap):
    table = find_table(snap, op.table_name, op.schema)
    find_column(table, op.existing.name)
    columns = tuple(op.new if c.name == op.existing.name else c for c in table.columns)
    snap = _with_table(snap, dataclasses.replace(table, columns=columns))
    if op.new.name == op.existing.name:
        return snap
    return _rename_column_references(snap, table.key, op.existing.name, op.new.name)


def _rename_column_references(snap: Snapshot, key, old: str, new: str) -> Snapshot:
    """Keys, indexes and foreign keys (here and in referencing tables) follow a renamed column,
    and so do the checks, index expressions and generated columns that name it: every database
    rewrites them."""

    def renamed(names):
        return tuple(new if n == old else n for n in names)

    def sql(text):
        return None if text is None else renamed_in_sql(text, old, new)

    def element(e):
        if e.expression:
            return dataclasses.replace(e, text=sql(e.text))
        return e if e.text != old else dataclasses.replace(e, text=new)

    def index(i):
        return dataclasses.replace(i, elements=tuple(element(e) for e in i.elements), where=sql(i.where))

    def column(c):
        return c if c.computed is None else dataclasses.replace(c, computed=dataclasses.replace(c.computed, sqltext=sql(c.computed.sqltext)))

    def fix(table: Table) -> Table:
        changes: dict = {}
        if table.key == key:
            pk = table.primary_key
            changes["primary_key"] = pk and dataclasses.replace(pk, columns=renamed(pk.columns))
            changes["uniques"] = tuple(dataclasses.replace(u, columns=renamed(u.columns)) for u in table.uniques)
            changes["indexes"] = tuple(index(i) for i in table.indexes)
            changes["checks"] = tuple(dataclasses.replace(c, sqltext=sql(c.sqltext)) for c in table.checks)
            changes["columns"] = tuple(column(c) for c in table.columns)
        changes["foreign_keys"] = tuple(
            dataclasses.replace(
                fk,
                columns=renamed(fk.columns) if table.key == key else fk.columns,
                ref_columns=renamed(fk.ref_columns) if (fk.ref_schema or "", fk.ref_table) == key else fk.ref_columns,
            )
            for fk in table.foreign_keys
        )
        return dataclasses.replace(table, **changes)

    return dataclasses.replace(snap, tables=tuple(fix(t) for t in snap.tables))


# String literals, quoted identifiers ("", ``, []), and bare words, in SQL text.
_SQL_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|[A-Za-z_][A-Za-z0-9_$]*""")
_BARE = re.compile(r"[a-z_][a-z0-9_$]*")


def renamed_in_sql(text: str, old: str, new: str) -> str:
    """SQL text (or an Expression, both its forms) with the identifier `old` renamed to `new`."""
    if isinstance(text, Expression):
        return Expression(_renamed_in_sql(str(text), old, new.lower()), _renamed_in_sql(text.sql, old, new))
    return _renamed_in_sql(text, old, new)


def _renamed_in_sql(text: str, old: str, new: str) -> str:
    def swap(match: re.Match) -> str:
        token = match.group()
        if token[0] == "'":
            return token
        if token[0] in "\"`[":
            return token[0] + new + token[-1] if token[1:-1] == old else token
        if token.lower() != old.lower():
            return token
        return new if _BARE.fullmatch(new) else '"' + new.replace('"', '""') + '"'

    return _SQL_TOKEN.sub(swap, text)


@_apply.register
def _(op: o.CreateIndex, snap):
    table = find_table(snap, op.table_name, op.schema)
    _refuse_taken_name(table, op.index, (*table.indexes, *table.uniques))
    return _with_table(snap, dataclasses.replace(table, indexes=table.indexes + (op.index,)))


@_apply.register
def _(op: o.DropIndex, snap):
    table = find_table(snap, op.table_name, op.schema)
    kept = _remove(table.indexes, op.index, f"index {op.index.name} on {table.fullname}")
    return _with_table(snap, dataclasses.replace(table, indexes=kept))


@_apply.register
def _(op: o.RenameIndex, snap):
    table = find_table(snap, op.table_name, op.schema)
    index = _named(table.indexes, op.old_name, f"index {op.old_name} on {table.fullname}")
    indexes = tuple(dataclasses.replace(i, name=op.new_name) if i is index else i for i in table.indexes)
    return _with_table(snap, dataclasses.replace(table, indexes=indexes))


@_apply.register
def _(op: o.RenameConstraint, snap):
    table = find_table(snap, op.table_name, op.schema)
    found = _named(table.constraints, op.old_name, f"constraint {op.old_name} on {table.fullname}")
    renamed = dataclasses.replace(found, name=op.new_name)
    if isinstance(found, PrimaryKey):
        return _with_table(snap, dataclasses.replace(table, primary_key=renamed))
    field = _COLLECTIONS[type(found)]
    items = tuple(renamed if c is found else c for c in getattr(table, field))
    return _with_table(snap, dataclasses.replace(table, **{field: items}))


def _named(items, name: str, label: str):
    found = next((i for i in items if i.name == name), None)
    if found is None:
        raise SchemadiffError(f"no {label} at this point of the history")
    return found


@_apply.register
def _(op: o.AddConstraint, snap):
    table = find_table(snap, op.table_name, op.schema)
    c = op.constraint
    if isinstance(c, PrimaryKey):
        if table.primary_key is not None:
            raise SchemadiffError(f"table {table.fullname} has a primary key already")
        return _with_table(snap, dataclasses.replace(table, primary_key=c))
    _refuse_taken_name(table, c, (*table.constraints, *(table.indexes if isinstance(c, UniqueConstraint) else ())))
    field = _COLLECTIONS[type(c)]
    return _with_table(snap, dataclasses.replace(table, **{field: getattr(table, field) + (c,)}))


@_apply.register
def _(op: o.DropConstraint, snap):
    table = find_table(snap, op.table_name, op.schema)
    c = op.constraint
    if isinstance(c, PrimaryKey):
        return _with_table(snap, dataclasses.replace(table, primary_key=None))
    field = _COLLECTIONS[type(c)]
    kind = o.CONSTRAINT_KINDS[type(c)]
    kept = _remove(getattr(table, field), c, f"{kind} constraint {c.name or ''} on {table.fullname}")
    return _with_table(snap, dataclasses.replace(table, **{field: kept}))


@_apply.register
def _(op: o.CreateEnum, snap):
    return dataclasses.replace(snap, enums=snap.enums + (op.enum,))


@_apply.register
def _(op: o.DropEnum, snap):
    return dataclasses.replace(snap, enums=tuple(e for e in snap.enums if e.key != op.enum.key))


@_apply.register
def _(op: o.AlterEnum, snap):
    return dataclasses.replace(
        snap, enums=tuple(op.new if e.key == op.existing.key else e for e in snap.enums)
    )


@_apply.register
def _(op: o.CreateDomain, snap):
    return dataclasses.replace(snap, domains=snap.domains + (op.domain,))


@_apply.register
def _(op: o.DropDomain, snap):
    return dataclasses.replace(snap, domains=tuple(d for d in snap.domains if d.key != op.domain.key))


@_apply.register
def _(op: o.AlterDomain, snap):
    return dataclasses.replace(
        snap, domains=tuple(op.new if d.key == op.existing.key else d for d in snap.domains)
    )


@_apply.register
def _(op: o.Execute, snap):
    return snap  # hand-written SQL: its effect on the schema is unknown here


def _refuse_taken_name(table: Table, item, others) -> None:
    """A second constraint or index under a name the table has: the database would refuse it
    (or, for MySQL's FK indexes, quietly keep one), so the history is wrong here."""
    taken = next((o for o in others if item.name is not None and o.name == item.name), None)
    if taken is not None:
        kind = "an index" if isinstance(taken, Index) else "a constraint"
        raise SchemadiffError(f"table {table.fullname} has {kind} named {item.name!r} already")


def _remove(items: tuple, item, label: str) -> tuple:
    for i, existing in enumerate(items):
        if same_object(existing, item):
            return items[:i] + items[i + 1 :]
    raise MissingObject(f"no {label} at this point of the history")
