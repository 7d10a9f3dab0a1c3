"""Neutral DDL: the SQL for each op that most databases share, compiled by SQLAlchemy.

Statements come from SQLAlchemy's DDL constructs where it has one (CREATE TABLE, CREATE INDEX,
ADD/DROP CONSTRAINT, comments); elsewhere they are assembled from its compiled pieces (quoted
names, column specifications), never from raw names. Dialect modules subclass DDL for their own
syntax: PostgreSQL's ALTER COLUMN, MySQL's MODIFY, SQLite's table rebuild.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy import schema as ddl

from .. import ops as o
from .. import snapshot as s
from ..errors import SchemadiffError
from ..state import find_table
from ..to_metadata import to_constraint, to_table

if TYPE_CHECKING:
    from .base import Dialect


class DDL:
    def __init__(self, dialect: "Dialect"):
        self.dialect = dialect
        self.sa_dialect = dialect.sa_dialect
        self.preparer = dialect.sa_dialect.identifier_preparer

    def statements(self, op: o.Op, before: s.Snapshot, after: s.Snapshot) -> list:
        return getattr(self, "_" + type(op).__name__)(op, before, after)

    # -- table rebuilds (for databases whose ALTER TABLE falls short) --------------------------
    def rebuilds(self, op: o.Op, before: s.Snapshot) -> bool:
        """Whether `op` takes a rebuild of its table, so that later ops on it can share that rebuild."""
        return False

    def rebuild(self, ops: list, before: s.Snapshot, after: s.Snapshot) -> list:
        """The statements of one rebuild that performs `ops`, all on one table, from `before` to `after`."""
        raise NotImplementedError  # only called where rebuilds() says True

    # -- building blocks ----------------------------------------------------------------------
    def sa_table(self, snap: s.Snapshot, name: str, schema: Optional[str]) -> sa.Table:
        """The table as SQLAlchemy objects, with the tables its foreign keys name beside it."""
        metadata = sa.MetaData()
        table = find_table(snap, name, schema)
        targets = {(fk.ref_schema or "", fk.ref_table) for fk in table.foreign_keys} - {table.key}
        for ref_schema, ref_table in sorted(targets):
            target = snap.table(ref_table, ref_schema or None)
            if target is not None:
                to_table(target, metadata, self.dialect)
        return to_table(table, metadata, self.dialect)

    def table_name(self, name: str, schema: Optional[str]) -> str:
        quoted = self.preparer.quote(name)
        return f"{self.preparer.quote_schema(schema)}.{quoted}" if schema else quoted

    def column_spec(self, table: sa.Table, column_name: str) -> str:
        compiler = self.sa_dialect.ddl_compiler(self.sa_dialect, None)
        return compiler.get_column_specification(table.c[column_name])

    def comments(self, table: sa.Table) -> list:
        """COMMENT statements for databases that cannot put comments inside CREATE TABLE."""
        if not self.sa_dialect.supports_comments or self.sa_dialect.inline_comments:
            return []
        found = [ddl.SetTableComment(table)] if table.comment else []
        return found + [ddl.SetColumnComment(c) for c in table.columns if c.comment]

    def index(self, snap: s.Snapshot, table_name: str, schema: Optional[str], index: s.Index) -> sa.Index:
        table = self.sa_table(snap, table_name, schema)
        return next(i for i in table.indexes if i.name == index.name)

    def constraint(self, snap: s.Snapshot, table_name: str, schema: Optional[str], constraint) -> sa.Constraint:
        """The SQLAlchemy constraint on the table in `snap` that `constraint` describes."""
        table = self.sa_table(snap, table_name, schema)
        if isinstance(constraint, s.PrimaryKey):
            return table.primary_key
        # Built afresh and attached: the table's own copy of an unnamed one has nothing to find it by.
        fresh = to_constraint(constraint)
        table.append_constraint(fresh)
        return fresh

    def droppable(self, snap: s.Snapshot, table_name: str, schema: Optional[str], constraint) -> sa.Constraint:
        found = self.constraint(snap, table_name, schema, constraint)
        if found.name is None:
            raise SchemadiffError(
                f"{o.CONSTRAINT_KINDS[type(constraint)]} constraint on {table_name} has no name: "
                f"{self.dialect.name} cannot drop it; give it a name in the model"
            )
        return found

    # -- tables ------------------------------------------------------------------------------
    def _CreateTable(self, op: o.CreateTable, before, after) -> list:
        table = self.sa_table(after, op.table.name, op.table.schema)
        indexes = [ddl.CreateIndex(i) for i in sorted(table.indexes, key=lambda i: i.name or "")]
        return [ddl.CreateTable(table), *indexes, *self.comments(table)]

    def _DropTable(self, op: o.DropTable, before, after) -> list:
        return [ddl.DropTable(self.sa_table(before, op.table.name, op.table.schema))]

    def _RenameTable(self, op: o.RenameTable, before, after) -> list:
        new = self.preparer.quote(op.new_name)
        return [f"ALTER TABLE {self.table_name(op.old_name, op.schema)} RENAME TO {new}"]

    def _SetTableComment(self, op: o.SetTableComment, before, after) -> list:
        table = self.sa_table(after, op.table_name, op.schema)
        return [ddl.SetTableComment(table) if op.comment is not None else ddl.DropTableComment(table)]

    # -- columns -----------------------------------------------------------------------------
    def _AddColumn(self, op: o.AddColumn, before, after) -> list:
        table = self.sa_table(after, op.table_name, op.schema)
        spec = self.column_spec(table, op.column.name)
        add = f"ALTER TABLE {self.table_name(op.table_name, op.schema)} ADD COLUMN {spec}"
        comment = [ddl.SetColumnComment(table.c[op.column.name])] if op.column.comment else []
        return [add, *(comment if not self.sa_dialect.inline_comments else [])]

    def _DropColumn(self, op: o.DropColumn, before, after) -> list:
        column = self.preparer.quote(op.column.name)
        return [f"ALTER TABLE {self.table_name(op.table_name, op.schema)} DROP COLUMN {column}"]

    def _AlterColumn(self, op: o.AlterColumn, before, after) -> list:
        raise NotImplementedError  # every dialect has its own ALTER COLUMN syntax

    # -- indexes and constraints -------------------------------------------------------------
    def _CreateIndex(self, op: o.CreateIndex, before, after) -> list:
        return [ddl.CreateIndex(self.index(after, op.table_name, op.schema, op.index))]

    def _DropIndex(self, op: o.DropIndex, before, after) -> list:
        return [ddl.DropIndex(self.index(before, op.table_name, op.schema, op.index))]

    def _AddConstraint(self, op: o.AddConstraint, before, after) -> list:
        return [ddl.AddConstraint(self.constraint(after, op.table_name, op.schema, op.constraint))]

    def _DropConstraint(self, op: o.DropConstraint, before, after) -> list:
        return [ddl.DropConstraint(self.droppable(before, op.table_name, op.schema, op.constraint))]

    # -- the rest ----------------------------------------------------------------------------
    def _CreateEnum(self, op, before, after) -> list:
        raise SchemadiffError(f"{self.dialect.name} has no named enum types (enum {op.target})")

    _DropEnum = _AlterEnum = _CreateEnum

    def _Execute(self, op: o.Execute, before, after) -> list:
        return [op.sql if op.statement is None else op.statement]
