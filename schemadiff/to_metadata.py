"""Snapshot values -> SQLAlchemy schema objects: the inverse of from_metadata.

The runtime compiles DDL from these objects, so quoting, types and dialect syntax all come
from SQLAlchemy itself; scripts' op calls attach to them to read what they name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

import sqlalchemy as sa

from . import snapshot as s
if TYPE_CHECKING:
    from .dialects.base import Dialect


def to_metadata(snap: s.Snapshot, dialect: Dialect) -> sa.MetaData:
    metadata = sa.MetaData()
    for table in snap.tables:
        to_table(table, metadata, dialect)
    return metadata


def to_table(table: s.Table, metadata: sa.MetaData, dialect: Dialect, declare_autoincrement: bool = True) -> sa.Table:
    """`declare_autoincrement=False` leaves autoincrement to SQLAlchemy's "auto" choice."""
    pk = table.primary_key.columns if table.primary_key else ()
    items: list = [
        to_column(c, dialect, c.autoincrement if declare_autoincrement and c.name in pk else "auto")
        for c in table.columns
    ]
    if table.primary_key:
        items.append(to_constraint(table.primary_key))
    items += [to_constraint(c) for c in (*table.uniques, *table.checks, *table.foreign_keys)]
    result = sa.Table(table.name, metadata, *items, schema=table.schema, comment=table.comment)
    for index in table.indexes:
        to_index(index, result, dialect)
    return result


def to_column(c: s.Column, dialect: Dialect, autoincrement: Union[bool, str] = "auto") -> sa.Column:
    args: list = [dialect.parse_type(c.type)]
    if c.identity:
        args.append(sa.Identity(always=c.identity.always, start=c.identity.start, increment=c.identity.increment))
    if c.computed:
        args.append(sa.Computed(sa.text(c.computed.sqltext.sql), persisted=c.computed.persisted))
    return sa.Column(
        c.name,
        *args,
        nullable=c.nullable,
        server_default=None if c.default is None else sa.text(c.default.sql),
        comment=c.comment,
        # An identity numbers itself; SQLAlchemy refuses an autoincrement flag beside one.
        autoincrement="auto" if c.identity else autoincrement,
    )


def to_constraint(c: s.Constraint) -> sa.Constraint:
    name = _name(c.name)
    if isinstance(c, s.PrimaryKey):
        return sa.PrimaryKeyConstraint(*c.columns, name=name)
    if isinstance(c, s.UniqueConstraint):
        return sa.UniqueConstraint(*c.columns, name=name)
    if isinstance(c, s.CheckConstraint):
        return sa.CheckConstraint(sa.text(c.sqltext.sql), name=name)
    prefix = f"{c.ref_schema}.{c.ref_table}" if c.ref_schema else c.ref_table
    return sa.ForeignKeyConstraint(
        list(c.columns),
        [f"{prefix}.{col}" for col in c.ref_columns],
        name=name,
        ondelete=c.ondelete,
        onupdate=c.onupdate,
        deferrable=c.deferrable,
        initially=c.initially,
    )


def to_index(index: s.Index, table: sa.Table, dialect: Dialect) -> sa.Index:
    """The index, attached to `table` (whose columns its keys name)."""
    keys = [_index_key(e, table) for e in index.elements]
    kw = index.keywords()
    if index.where is not None:
        kw[f"{dialect.sa_dialect.name}_where"] = sa.text(index.where.sql)
    return sa.Index(_name(index.name), *keys, unique=index.unique, _table=table, **kw)


def _index_key(e: s.IndexElement, table: sa.Table):
    # The functions, not the methods: an expression key is a TextClause, which has no .desc().
    key = sa.text(e.text.sql) if e.expression else table.c[e.text]
    if e.descending:
        key = sa.desc(key)
    if e.nulls:
        key = sa.nulls_first(key) if e.nulls == "first" else sa.nulls_last(key)
    return key


def _name(name: Optional[str]):
    """Names are final: conv() keeps a naming convention from renaming them again."""
    return None if name is None else sa.sql.elements.conv(name)
