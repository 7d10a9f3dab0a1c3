"""The `op` vocabulary of revision scripts, with Alembic's names and keyword signatures.

Each call turns its arguments into an Op value and hands it to a handler: the runtime executes
it, a test records it. Calls that name an existing object (drop_column, alter_column, ...) read
its full definition from `state`, the schema as it stands at this point of the history, so the
Op can be reversed exactly.
"""

from __future__ import annotations

import dataclasses
import re
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any, Callable, ContextManager, Iterator, Optional, Sequence, Union

import sqlalchemy as sa

from . import ops as o
from . import snapshot as s
from .dialects.base import Dialect
from .errors import SchemadiffError
from .compare import match_items
from .from_metadata import SnapshotBuilder
from .report import describe
from .script_context import ContextOps, written_sql
from .state import apply, find_column, find_table
from .batch import BatchOperations, BatchSettings, conventional_name
from .to_metadata import to_table

_UNSET: Any = object()
_CONSTRAINT_TYPES = {
    "primary": s.PrimaryKey,
    "unique": s.UniqueConstraint,
    "check": s.CheckConstraint,
    "foreignkey": s.ForeignKey,
    "foreign": s.ForeignKey,
}


class Operations(ContextOps):
    """One script run: `handler` receives each Op; `state` follows along.

    `flush(table_key)` (None: every table) asks the handler to run the ops it holds back for
    one rebuild per table; it is called where the script needs a table's final shape.
    """

    def __init__(
        self,
        dialect: Dialect,
        state: s.Snapshot,
        handler: Callable[[o.Op], None],
        bind: Optional[sa.engine.Connection] = None,
        flush: Callable[[Optional[tuple[str, str]]], None] = lambda table_key: None,
        autocommit: Callable[[], ContextManager[None]] = nullcontext,
        adopt: Callable[[s.Table], None] = lambda table: None,
    ):
        self.dialect = dialect
        self.state = state
        self.handler = handler
        self._bind = bind
        self.flush = flush
        self._autocommit = autocommit
        self.adopt = adopt  # the handler learns a table's definition that no DDL made (copy_from)
        self._batch: Optional[BatchSettings] = None  # of the batch_alter_table block that runs now
        # create_table's foreign keys that wait for the table they name (use_alter, cycles).
        self._waiting_keys: list[tuple[str, Optional[str], s.ForeignKey]] = []
        self._builder = SnapshotBuilder(dialect, None)

    # -- plumbing ---------------------------------------------------------------------------
    def run(self, op: o.Op) -> None:
        try:
            new_state = apply(self.state, op)
        except SchemadiffError as e:
            raise SchemadiffError(f"`{describe(op)}`: {e}") from None
        if self._batch is not None and self._batch.refuses(op, self.state, self.dialect):
            raise SchemadiffError(
                f"`{describe(op)}`: batch_alter_table(recreate='never'), and {self.dialect.name} "
                "cannot do this without rebuilding the table"
            )
        self.handler(op)
        self.state = new_state

    def _table(self, name: str, schema: Optional[str]) -> s.Table:
        return find_table(self.state, name, schema)

    def snapshot_table(self, table: sa.Table) -> s.Table:
        """`table` as the state holds it: read into a snapshot, in this dialect's canonical form."""
        return self.dialect.canonical_table(self._builder.table(table))

    def _sa_table(self, name: str, schema: Optional[str]) -> sa.Table:
        """The table as it stands, as SQLAlchemy objects that new columns and indexes attach to;
        inside a batch block with a naming convention, unnamed new ones take their names from it."""
        convention = self._batch.naming_convention if self._batch else {}
        metadata = sa.MetaData(naming_convention=convention) if convention else sa.MetaData()
        return to_table(self._table(name, schema), metadata, self.dialect)

    # -- names and SQL ----------------------------------------------------------------------
    @staticmethod
    def f(name: str) -> sa.sql.elements.conv:
        """Marks a name as final: no naming convention applies to it again."""
        return sa.sql.elements.conv(name)

    def execute(
        self,
        sqltext: Union[str, sa.sql.ClauseElement],
        undo: Optional[str] = None,
        execution_options: Optional[dict] = None,
    ) -> None:
        """A string runs as written; a SQLAlchemy statement (or a string with execution_options,
        as Alembic runs every string: sa.text()) runs with its values bound, and --sql writes them in."""
        if isinstance(sqltext, str) and not execution_options:
            self.run(o.Execute(sqltext, undo))
            return
        statement = sa.text(sqltext) if isinstance(sqltext, str) else sqltext
        if execution_options:
            statement = statement.execution_options(**execution_options)
        self.run(o.Execute(written_sql(statement, self.dialect), undo, statement))

    @contextmanager
    def autocommit_block(self) -> Iterator[None]:
        """Runs the block outside the revision's transaction (CREATE INDEX CONCURRENTLY needs it):
        online the transaction commits before and a new one begins after; --sql prints COMMIT/BEGIN."""
        self.flush(None)
        with self._autocommit():
            yield
            self.flush(None)

    # -- tables -----------------------------------------------------------------------------
    def create_table(self, table_name: str, *items: Any, schema: Optional[str] = None, comment: Optional[str] = None, **kw: Any) -> sa.Table:
        """As Alembic: named enum types the table uses are created first where missing (unless
        `create_type=False`); foreign keys with `use_alter=True` are left out where the database
        can ALTER them in (the script adds them), and kept where it cannot (SQLite). A foreign key
        to a table that does not exist yet (a cycle) is added once that table is made."""
        table = sa.Table(table_name, sa.MetaData(), *items, schema=schema, comment=comment, **kw)
        snap = self.snapshot_table(table)
        if self.dialect.leaves_out_use_alter_keys:
            snap = dataclasses.replace(snap, foreign_keys=self._without_use_alter(table, snap))
        for enum in self._missing_enums(table):
            self.run(o.CreateEnum(enum))
        later = [fk for fk in snap.foreign_keys if self._waits(fk, snap)]
        self.run(o.CreateTable(dataclasses.replace(snap, foreign_keys=tuple(f for f in snap.foreign_keys if f not in later))))
        self._waiting_keys += [(table_name, schema, fk) for fk in later]
        for waiting in list(self._waiting_keys):
            source, source_schema, fk = waiting
            if self.state.table(fk.ref_table, fk.ref_schema) is not None:
                self._waiting_keys.remove(waiting)
                self.run(o.AddConstraint(source, fk, source_schema))
        return table

    def finish(self) -> None:
        """The script has ended: a foreign key that waits for its table waits in vain."""
        if self._waiting_keys:
            source, schema, fk = self._waiting_keys[0]
            raise SchemadiffError(
                f"foreign key {fk.name or fk.columns} of {o.qualified(schema, source)} names table "
                f"{o.qualified(fk.ref_schema, fk.ref_table)}, which the script never creates"
            )

    def _missing_enums(self, table: sa.Table) -> list[s.Enum]:
        kept = {(c.type.schema or "", c.type.name) for c in table.columns if getattr(c.type, "create_type", True) is False}
        known = {e.key for e in self.state.enums}
        return [e for e in self.dialect.enums_from_tables([table]) if e.key not in known | kept]

    def _without_use_alter(self, table: sa.Table, snap: s.Table) -> tuple[s.ForeignKey, ...]:
        altered = {_fk_shape(self._builder.foreign_key(c)) for c in table.foreign_key_constraints if c.use_alter}
        return tuple(fk for fk in snap.foreign_keys if _fk_shape(fk) not in altered)

    def _waits(self, fk: s.ForeignKey, snap: s.Table) -> bool:
        return (fk.ref_schema or "", fk.ref_table) != snap.key and self.state.table(fk.ref_table, fk.ref_schema) is None

    def drop_table(self, table_name: str, schema: Optional[str] = None) -> None:
        self.run(o.DropTable(self._table(table_name, schema)))

    def rename_table(self, old_table_name: str, new_table_name: str, schema: Optional[str] = None) -> None:
        self.run(o.RenameTable(old_table_name, new_table_name, schema))

    def create_table_comment(self, table_name: str, comment: str, existing_comment: Optional[str] = None, schema: Optional[str] = None) -> None:
        existing = self._table(table_name, schema).comment
        self.run(o.SetTableComment(table_name, comment, existing, schema))

    def drop_table_comment(self, table_name: str, existing_comment: Optional[str] = None, schema: Optional[str] = None) -> None:
        existing = self._table(table_name, schema).comment
        self.run(o.SetTableComment(table_name, None, existing, schema))

    # -- columns ----------------------------------------------------------------------------
    def add_column(
        self,
        table_name: str,
        column: sa.Column,
        schema: Optional[str] = None,
        insert_before: Optional[str] = None,
        insert_after: Optional[str] = None,
    ) -> None:
        """`insert_before`/`insert_after` (batch mode) place the column where a rebuild makes the
        table (SQLite); ALTER TABLE ... ADD elsewhere appends it, as with Alembic."""
        if self._table(table_name, schema).column(column.name) is not None:
            raise SchemadiffError(f"table {table_name} has a column {column.name!r} already")
        table = self._sa_table(table_name, schema)
        table.append_column(column._copy())  # a copy: the script's column stays free (batch trial)
        snap = self.snapshot_table(table)
        add = o.AddColumn(table_name, snap.column(column.name), schema)
        before = insert_before or self._column_after(table_name, schema, insert_after)
        placed = dataclasses.replace(add, before=before)
        self.run(placed if before and self.dialect.ddl.rebuilds(placed, self.state) else add)
        # A SchemaType's CHECK (Boolean/Enum create_constraint) comes with the column, as in create_all.
        _, brought = match_items(self._table(table_name, schema).checks, snap.checks)
        for check in brought:
            self.run(o.AddConstraint(table_name, check, schema))

    def _column_after(self, table_name: str, schema: Optional[str], name: Optional[str]) -> Optional[str]:
        if name is None:
            return None
        names = [c.name for c in self._table(table_name, schema).columns]
        at = names.index(find_column(self._table(table_name, schema), name).name) + 1
        return names[at] if at < len(names) else None

    def drop_column(self, table_name: str, column_name: str, schema: Optional[str] = None, **kw: Any) -> None:
        """The column's foreign keys, CHECKs, uniques and indexes go too, so every database ends
        alike (MySQL would shrink a composite index, SQLite would refuse). Where DROP COLUMN takes
        them (PostgreSQL), the database drops them, as with Alembic, so one that the script
        dropped by its own SQL is no error; elsewhere each goes first, in an op of its own."""
        table = self._table(table_name, schema)
        column = find_column(table, column_name)
        drops = [
            *(o.DropConstraint(table_name, c, schema) for c in _on_column(table.foreign_keys, column_name)),
            *(o.DropConstraint(table_name, c, schema) for c in _checks_on(table, column_name)),
            *(o.DropConstraint(table_name, c, schema) for c in _on_column(table.uniques, column_name)),
            *(o.DropIndex(table_name, i, schema) for i in _on_column(table.indexes, column_name)),
        ]
        if self.dialect.drops_column_dependents:
            for drop in drops:
                self.state = apply(self.state, drop)
            self.adopt(self._table(table_name, schema))
        else:
            for drop in drops:
                self.run(drop)
        self.run(o.DropColumn(table_name, column, schema))

    def alter_column(
        self,
        table_name: str,
        column_name: str,
        nullable: Optional[bool] = None,
        comment: Any = _UNSET,
        server_default: Any = _UNSET,
        new_column_name: Optional[str] = None,
        type_: Any = None,
        autoincrement: Optional[bool] = None,
        identity: Any = _UNSET,
        schema: Optional[str] = None,
        **existing: Any,  # existing_type=, existing_nullable=, ...: for readers; state knows them
    ) -> None:
        """`identity=sa.Identity(...)` adds or changes a column's identity, `identity=None` drops it.

        Alembic spells the same as `server_default=sa.Identity(...)`, which is accepted too.
        """
        table = self._table(table_name, schema)
        old = find_column(table, column_name)
        changes: dict = {}
        if nullable is not None:
            changes["nullable"] = nullable
        if comment is not _UNSET:
            changes["comment"] = comment or None
        if isinstance(server_default, sa.Identity):
            server_default, identity = _UNSET, server_default
        if server_default is not _UNSET:
            changes["default"] = self._default(server_default)
        if identity is not _UNSET:
            changes["identity"] = _identity(identity)
        if new_column_name is not None:
            changes["name"] = new_column_name
        old_checks: list = []
        new_checks: list = []
        if type_ is not None:
            type_ = type_() if isinstance(type_, type) else type_
            changes["type"] = self.dialect.type_string(type_)
            new_checks = self._type_checks(table, column_name, type_)
            old_checks = self._replaced_checks(table, column_name, existing.get("existing_type"), new_checks)
        if autoincrement is not None:
            changes["autoincrement"] = autoincrement
        new = self._canonical_column(table, old, dataclasses.replace(old, **changes))
        for check in old_checks:
            self.run(o.DropConstraint(table_name, check, schema))
        self.run(o.AlterColumn(table_name, old, new, schema))
        _, added = match_items(self._table(table_name, schema).checks, new_checks)
        for check in added:
            self.run(o.AddConstraint(table_name, check, schema))

    def _type_checks(self, table: s.Table, column_name: str, type_: Any) -> list[s.CheckConstraint]:
        """The CHECKs that a column of `type_` brings on this dialect (Boolean/Enum create_constraint)."""
        type_ = type_() if isinstance(type_, type) else type_
        alone = sa.Table(table.name, sa.MetaData(), sa.Column(column_name, type_), schema=table.schema)
        return list(self.snapshot_table(alone).checks)

    def _replaced_checks(self, table: s.Table, column_name: str, existing_type: Any, new_checks: list) -> list:
        """The CHECKs of the column's old type, which a type change takes away.

        `existing_type` names them exactly (Alembic's contract). Without it, a check that has the
        shape of the new type's CHECK on the same column (`status IN (...)`) is the old type's.
        """
        if existing_type is not None:
            unmatched, _ = match_items(table.checks, self._type_checks(table, column_name, existing_type))
            return [c for c in table.checks if c not in unmatched]
        shapes = {_check_shape(c.sqltext) for c in new_checks}
        return [c for c in table.checks if _check_shape(c.sqltext) in shapes]

    def _default(self, server_default: Any) -> Optional[s.Expression]:
        if server_default is None or server_default is False:
            return None
        column = sa.Column("x", sa.Integer, server_default=server_default)
        return self._builder.default(column)

    def _canonical_column(self, table: s.Table, old: s.Column, new: s.Column) -> s.Column:
        """The column as the dialect's canonical form has it, within its table."""
        columns = tuple(new if c.name == old.name else c for c in table.columns)
        canonical = self.dialect.canonical_table(dataclasses.replace(table, columns=columns))
        return canonical.column(new.name)

    # -- indexes ----------------------------------------------------------------------------
    def create_index(
        self,
        index_name: Optional[str],
        table_name: str,
        columns: Sequence[Any],
        schema: Optional[str] = None,
        unique: bool = False,
        postgresql_concurrently: bool = False,
        **kw: Any,
    ) -> None:
        """`postgresql_concurrently=True` builds it CONCURRENTLY (inside `autocommit_block()`)."""
        table = self._sa_table(table_name, schema)
        keys = [table.c[c] if isinstance(c, str) and c in table.c else c for c in columns]
        index = sa.Index(index_name, *keys, unique=unique, _table=table, **kw)
        self.run(o.CreateIndex(table_name, self._builder.index(index), schema, postgresql_concurrently))

    def drop_index(
        self,
        index_name: str,
        table_name: Optional[str] = None,
        schema: Optional[str] = None,
        postgresql_concurrently: bool = False,
        **kw: Any,
    ) -> None:
        """A unique constraint of that name is dropped as one: MySQL keeps unique keys as indexes."""
        unique = self._unique_named(index_name, table_name, schema)
        if unique is not None:
            self.run(o.DropConstraint(table_name, unique, schema))
            return
        table = self._index_table(index_name, table_name, schema)
        index = next(i for i in table.indexes if i.name == index_name)
        self.run(o.DropIndex(table.name, index, schema, postgresql_concurrently))

    def _unique_named(self, name: str, table_name: Optional[str], schema: Optional[str]) -> Optional[s.UniqueConstraint]:
        if table_name is None or any(i.name == name for i in self._table(table_name, schema).indexes):
            return None
        return next((u for u in self._table(table_name, schema).uniques if u.name == name), None)

    def rename_index(self, old_index_name: str, new_index_name: str, table_name: str, schema: Optional[str] = None) -> None:
        self.run(o.RenameIndex(table_name, str(old_index_name), str(new_index_name), schema))

    def _index_table(self, index_name: str, table_name: Optional[str], schema: Optional[str]) -> s.Table:
        tables = [self._table(table_name, schema)] if table_name else [t for t in self.state.tables if t.schema == schema]
        for table in tables:
            if any(i.name == index_name for i in table.indexes):
                return table
        where = f" on {o.qualified(schema, table_name)}" if table_name else ""
        raise SchemadiffError(f"no index {index_name!r}{where} at this point of the history")

    # -- constraints ------------------------------------------------------------------------
    def _add_constraint(self, table_name: str, schema: Optional[str], constraint: sa.Constraint) -> None:
        table = self._sa_table(table_name, schema)
        before = self.snapshot_table(table).constraints
        table.append_constraint(constraint)
        after = self.snapshot_table(table).constraints
        _, added = match_items(before, after)
        if len(added) != 1:
            raise SchemadiffError(f"{type(constraint).__name__} on {table_name} adds nothing new")
        self.run(o.AddConstraint(table_name, added[0], schema))

    def create_primary_key(self, constraint_name: Optional[str], table_name: str, columns: Sequence[str], schema: Optional[str] = None) -> None:
        self._add_constraint(table_name, schema, sa.PrimaryKeyConstraint(*columns, name=constraint_name))

    def create_unique_constraint(self, constraint_name: Optional[str], table_name: str, columns: Sequence[str], schema: Optional[str] = None, **kw: Any) -> None:
        self._add_constraint(table_name, schema, sa.UniqueConstraint(*columns, name=constraint_name, **kw))

    def create_check_constraint(self, constraint_name: Optional[str], table_name: str, condition: Any, schema: Optional[str] = None, **kw: Any) -> None:
        condition = sa.text(condition) if isinstance(condition, str) else condition
        self._add_constraint(table_name, schema, sa.CheckConstraint(condition, name=constraint_name, **kw))

    def create_foreign_key(
        self,
        constraint_name: Optional[str],
        source_table: str,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        onupdate: Optional[str] = None,
        ondelete: Optional[str] = None,
        deferrable: Optional[bool] = None,
        initially: Optional[str] = None,
        source_schema: Optional[str] = None,
        referent_schema: Optional[str] = None,
        **kw: Any,
    ) -> None:
        prefix = f"{referent_schema}.{referent_table}" if referent_schema else referent_table
        fk = sa.ForeignKeyConstraint(
            list(local_cols),
            [f"{prefix}.{c}" for c in remote_cols],
            name=constraint_name,
            onupdate=onupdate,
            ondelete=ondelete,
            deferrable=deferrable,
            initially=initially,
        )
        self._add_constraint(source_table, source_schema, fk)

    def drop_constraint(
        self,
        constraint_name: Optional[str],
        table_name: str,
        type_: Optional[str] = None,
        schema: Optional[str] = None,
        columns: Optional[Sequence[str]] = None,
        condition: Optional[str] = None,
    ) -> None:
        """Drops a constraint by name; an unnamed one (SQLite) is named by `columns` or `condition`.

        As Alembic: `type_="primary"` drops the primary key whatever its name (MySQL calls every
        one PRIMARY), and `type_="unique"` drops a unique index of that name (MySQL's unique keys).
        """
        table = self._table(table_name, schema)
        if type_ == "primary" and table.primary_key is not None:
            self.run(o.DropConstraint(table_name, table.primary_key, schema))
            return
        if type_ in (None, "unique") and not any(c.name == constraint_name for c in table.constraints):
            index = next((i for i in table.indexes if i.unique and i.name == constraint_name), None)
            if index is not None:
                self.run(o.DropIndex(table_name, index, schema))
                return
        candidates = [c for c in table.constraints if type_ is None or isinstance(c, _CONSTRAINT_TYPES[type_])]
        found = [c for c in candidates if _matches(c, constraint_name, columns, condition, self.dialect)]
        if not found and self._batch and self._batch.naming_convention:
            found = [c for c in candidates if c.name is None and conventional_name(self, table, c) == constraint_name]
        if len(found) != 1:
            what = constraint_name or columns or condition
            problem = "no" if not found else "more than one"
            raise SchemadiffError(f"{problem} constraint {what!r} on {table.fullname} at this point of the history")
        self.run(o.DropConstraint(table_name, found[0], schema))

    def rename_constraint(self, old_constraint_name: str, new_constraint_name: str, table_name: str, schema: Optional[str] = None) -> None:
        self.run(o.RenameConstraint(table_name, str(old_constraint_name), str(new_constraint_name), schema))

    # -- batch ----------------------------------------------------------------------------------
    @contextmanager
    def batch_alter_table(
        self,
        table_name: str,
        schema: Optional[str] = None,
        recreate: str = "auto",
        partial_reordering: Optional[Sequence[Sequence[str]]] = None,
        copy_from: Optional[sa.Table] = None,
        table_args: Sequence[Any] = (),
        table_kwargs: Optional[dict] = None,
        naming_convention: Optional[dict] = None,
        **kw: Any,  # reflect_args, reflect_kwargs: the schema state replaces reflection
    ) -> Iterator[BatchOperations]:
        """Alembic's batch mode (see schemadiff.batch): the block's ops apply together at its end.

        `copy_from` is the table's definition where the history does not know the table (made
        by SQL of its own; offline), with `table_args`/`table_kwargs` added to it.
        `naming_convention` names the block's unnamed new constraints and finds unnamed ones to
        drop by their conventional names. `recreate="always"` rebuilds the table where the
        dialect rebuilds tables (SQLite) even if no op needs it; `"never"` refuses an op that needs it.
        """
        batch = BatchOperations(table_name, schema, recreate)
        yield batch
        batch.run(self, copy_from, table_args, table_kwargs or {}, naming_convention or {}, partial_reordering)
        self.flush((schema or "", table_name))

    # -- enums (PostgreSQL) -----------------------------------------------------------------
    def create_enum(self, name: str, values: Sequence[str], schema: Optional[str] = None) -> None:
        self.run(o.CreateEnum(s.Enum(name, tuple(values), schema)))

    def drop_enum(self, name: str, schema: Optional[str] = None) -> None:
        self.run(o.DropEnum(self._enum(name, schema)))

    def alter_enum(self, name: str, values: Sequence[str], schema: Optional[str] = None, **existing: Any) -> None:
        old = self._enum(name, schema)
        self.run(o.AlterEnum(old, dataclasses.replace(old, values=tuple(values))))

    def add_enum_value(self, name: str, value: str, before: Optional[str] = None, after: Optional[str] = None, schema: Optional[str] = None) -> None:
        values = list(self._enum(name, schema).values)
        anchor = before or after
        at = len(values) if anchor is None else values.index(anchor) + (1 if after else 0)
        self.alter_enum(name, values[:at] + [value] + values[at:], schema)

    def _enum(self, name: str, schema: Optional[str]) -> s.Enum:
        for enum in self.state.enums:
            if enum.key == (schema or "", name):
                return enum
        raise SchemadiffError(f"no enum {o.qualified(schema, name)} at this point of the history")


    # -- domains (PostgreSQL) ---------------------------------------------------------------
    def create_domain(
        self,
        name: str,
        type_: Any,
        nullable: bool = True,
        server_default: Any = None,
        checks: Optional[dict[str, str]] = None,
        schema: Optional[str] = None,
    ) -> None:
        """A domain over `type_`; `checks` maps each check's name to its SQL (which says VALUE)."""
        type_ = type_() if isinstance(type_, type) else type_
        domain = s.Domain(
            name,
            self.dialect.type_string(type_),
            nullable,
            self._default(server_default),
            self._domain_checks(checks or {}),
            schema,
        )
        self.run(o.CreateDomain(self.dialect.canonical_domain(domain)))

    def drop_domain(self, name: str, schema: Optional[str] = None) -> None:
        self.run(o.DropDomain(self._domain(name, schema)))

    def alter_domain(
        self,
        name: str,
        type_: Any = None,
        nullable: Optional[bool] = None,
        server_default: Any = _UNSET,
        checks: Optional[dict[str, str]] = None,
        schema: Optional[str] = None,
    ) -> None:
        """Changes what is given; `checks` is the domain's whole new set of checks."""
        old = self._domain(name, schema)
        changes: dict = {}
        if type_ is not None:
            changes["type"] = self.dialect.type_string(type_() if isinstance(type_, type) else type_)
        if nullable is not None:
            changes["nullable"] = nullable
        if server_default is not _UNSET:
            changes["default"] = self._default(server_default)
        if checks is not None:
            changes["checks"] = self._domain_checks(checks)
        new = self.dialect.canonical_domain(dataclasses.replace(old, **changes))
        self.run(o.AlterDomain(old, new))

    def _domain_checks(self, checks: dict[str, str]) -> tuple[s.CheckConstraint, ...]:
        return tuple(
            s.CheckConstraint(name, self.dialect.normalize_expression(sql)) for name, sql in checks.items()
        )

    def _domain(self, name: str, schema: Optional[str]) -> s.Domain:
        for domain in self.state.domains:
            if domain.key == (schema or "", name):
                return domain
        raise SchemadiffError(f"no domain {o.qualified(schema, name)} at this point of the history")


def _fk_shape(fk: s.ForeignKey) -> tuple:
    return fk.columns, fk.ref_table, fk.ref_schema


def _checks_on(table: s.Table, column_name: str) -> list[s.CheckConstraint]:
    """The table's CHECKs whose expression uses `column_name` and no other column."""
    names = {c.name.lower() for c in table.columns}
    return [c for c in table.checks if {t for t in c.sqltext.split() if t in names} == {column_name.lower()}]


def _on_column(items: tuple, column_name: str) -> list:
    """The keys or indexes among `items` that have `column_name` among their columns."""
    return [i for i in items if column_name in i.columns]


def _check_shape(key: str) -> str:
    """A check's canonical key with its list of literals folded: `status in ?` for any values."""
    shape = re.sub(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b", "?", key)
    return re.sub(r"\?(?: , \?)+", "?", shape)


def _identity(identity: Optional[sa.Identity]) -> Optional[s.Identity]:
    if identity is None:
        return None
    return s.Identity(bool(identity.always), identity.start, identity.increment)


def _matches(c, name, columns, condition, dialect: Dialect) -> bool:
    if name is not None:
        return c.name == name
    if columns is not None:
        return tuple(getattr(c, "columns", ())) == tuple(columns)
    if condition is not None:
        return isinstance(c, s.CheckConstraint) and c.sqltext == dialect.normalize_expression(condition)
    return False


# -- the `op` module's current Operations ----------------------------------------------------------

_current: ContextVar[Optional[Operations]] = ContextVar("schemadiff_operations", default=None)


def current() -> Operations:
    operations = _current.get()
    if operations is None:
        raise SchemadiffError("`op` is only usable while schemadiff runs a revision script")
    return operations


@contextmanager
def using(operations: Operations) -> Iterator[Operations]:
    """Makes `from schemadiff import op` act through `operations` inside the block."""
    token = _current.set(operations)
    try:
        yield operations
    finally:
        _current.reset(token)
