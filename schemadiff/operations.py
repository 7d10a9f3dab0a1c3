"""The `op` vocabulary of revision scripts, with Alembic's names and keyword signatures.

Each call turns its arguments into an Op value and hands it to a handler: the runtime executes
it, a test records it. Calls that name an existing object (drop_column, alter_column, ...) read
its full definition from `state`, the schema as it stands at this point of the history, so the
Op can be reversed exactly.
"""

from __future__ import annotations

import dataclasses
import re
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator, Optional, Sequence, Union

import sqlalchemy as sa

from . import ops as o
from . import snapshot as s
from .dialects.base import Dialect
from .errors import SchemadiffError
from .compare import match_items
from .from_metadata import SnapshotBuilder
from .script_context import ContextOps, written_sql
from .state import apply, find_column, find_table
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
    ):
        self.dialect = dialect
        self.state = state
        self.handler = handler
        self._bind = bind
        self.flush = flush
        self._builder = SnapshotBuilder(dialect, None)

    # -- plumbing ---------------------------------------------------------------------------
    def run(self, op: o.Op) -> None:
        new_state = apply(self.state, op)
        self.handler(op)
        self.state = new_state

    def _table(self, name: str, schema: Optional[str]) -> s.Table:
        return find_table(self.state, name, schema)

    def _sa_table(self, name: str, schema: Optional[str]) -> sa.Table:
        """The table as it stands, as SQLAlchemy objects that new columns and indexes attach to."""
        return to_table(self._table(name, schema), sa.MetaData(), self.dialect)

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

    # -- tables -----------------------------------------------------------------------------
    def create_table(self, table_name: str, *items: Any, schema: Optional[str] = None, comment: Optional[str] = None, **kw: Any) -> sa.Table:
        table = sa.Table(table_name, sa.MetaData(), *items, schema=schema, comment=comment, **kw)
        self.run(o.CreateTable(self.dialect.canonical_table(self._builder.table(table))))
        return table

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
    def add_column(self, table_name: str, column: sa.Column, schema: Optional[str] = None) -> None:
        table = self._sa_table(table_name, schema)
        table.append_column(column)
        snap = self.dialect.canonical_table(self._builder.table(table))
        self.run(o.AddColumn(table_name, snap.column(column.name), schema))
        # A SchemaType's CHECK (Boolean/Enum create_constraint) comes with the column, as in create_all.
        _, brought = match_items(self._table(table_name, schema).checks, snap.checks)
        for check in brought:
            self.run(o.AddConstraint(table_name, check, schema))

    def drop_column(self, table_name: str, column_name: str, schema: Optional[str] = None, **kw: Any) -> None:
        table = self._table(table_name, schema)
        column = find_column(table, column_name)
        # A CHECK on this column alone (a Boolean/Enum's) goes with it, so the reverse restores both.
        for check in _checks_on(table, column_name):
            self.run(o.DropConstraint(table_name, check, schema))
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
        return list(self.dialect.canonical_table(self._builder.table(alone)).checks)

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
        **kw: Any,
    ) -> None:
        table = self._sa_table(table_name, schema)
        keys = [table.c[c] if isinstance(c, str) and c in table.c else c for c in columns]
        index = sa.Index(index_name, *keys, unique=unique, _table=table, **kw)
        self.run(o.CreateIndex(table_name, self._builder.index(index), schema))

    def drop_index(self, index_name: str, table_name: Optional[str] = None, schema: Optional[str] = None, **kw: Any) -> None:
        table = self._index_table(index_name, table_name, schema)
        index = next(i for i in table.indexes if i.name == index_name)
        self.run(o.DropIndex(table.name, index, schema))

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
        before = self.dialect.canonical_table(self._builder.table(table)).constraints
        table.append_constraint(constraint)
        after = self.dialect.canonical_table(self._builder.table(table)).constraints
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
        """Drops a constraint by name; an unnamed one (SQLite) is named by `columns` or `condition`."""
        table = self._table(table_name, schema)
        candidates = [c for c in table.constraints if type_ is None or isinstance(c, _CONSTRAINT_TYPES[type_])]
        found = [c for c in candidates if _matches(c, constraint_name, columns, condition, self.dialect)]
        if len(found) != 1:
            what = constraint_name or columns or condition
            problem = "no" if not found else "more than one"
            raise SchemadiffError(f"{problem} constraint {what!r} on {table.fullname} at this point of the history")
        self.run(o.DropConstraint(table_name, found[0], schema))

    # -- batch ----------------------------------------------------------------------------------
    @contextmanager
    def batch_alter_table(self, table_name: str, schema: Optional[str] = None, **kw: Any) -> Iterator["BatchOperations"]:
        """Alembic's batch mode, for scripts written by hand.

        Every revision already collects the ops on a table into one rebuild where SQLite's ALTER
        falls short; the block only makes that rebuild run at its end. `copy_from` and the other
        batch options are accepted and not needed.
        """
        yield BatchOperations(self, table_name, schema)
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


class BatchOperations:
    """`batch_op` inside `with op.batch_alter_table(name) as batch_op:`: the table is implied."""

    def __init__(self, operations: Operations, table_name: str, schema: Optional[str]):
        self._ops, self._table, self._schema = operations, table_name, schema

    def add_column(self, column: sa.Column, **kw: Any) -> None:
        self._ops.add_column(self._table, column, schema=self._schema)

    def drop_column(self, column_name: str, **kw: Any) -> None:
        self._ops.drop_column(self._table, column_name, schema=self._schema)

    def alter_column(self, column_name: str, **kw: Any) -> None:
        self._ops.alter_column(self._table, column_name, schema=self._schema, **kw)

    def create_index(self, index_name: Optional[str], columns: Sequence[Any], **kw: Any) -> None:
        self._ops.create_index(index_name, self._table, columns, schema=self._schema, **kw)

    def drop_index(self, index_name: str, **kw: Any) -> None:
        self._ops.drop_index(index_name, self._table, schema=self._schema)

    def create_primary_key(self, constraint_name: Optional[str], columns: Sequence[str]) -> None:
        self._ops.create_primary_key(constraint_name, self._table, columns, schema=self._schema)

    def create_unique_constraint(self, constraint_name: Optional[str], columns: Sequence[str], **kw: Any) -> None:
        self._ops.create_unique_constraint(constraint_name, self._table, columns, schema=self._schema, **kw)

    def create_check_constraint(self, constraint_name: Optional[str], condition: Any, **kw: Any) -> None:
        self._ops.create_check_constraint(constraint_name, self._table, condition, schema=self._schema, **kw)

    def create_foreign_key(self, constraint_name: Optional[str], referent_table: str, local_cols: Sequence[str], remote_cols: Sequence[str], **kw: Any) -> None:
        self._ops.create_foreign_key(constraint_name, self._table, referent_table, local_cols, remote_cols, source_schema=self._schema, **kw)

    def drop_constraint(self, constraint_name: Optional[str], type_: Optional[str] = None, **kw: Any) -> None:
        self._ops.drop_constraint(constraint_name, self._table, type_=type_, schema=self._schema, **kw)


def _checks_on(table: s.Table, column_name: str) -> list[s.CheckConstraint]:
    """The table's CHECKs whose expression uses `column_name` and no other column."""
    names = {c.name.lower() for c in table.columns}
    return [c for c in table.checks if {t for t in c.sqltext.split() if t in names} == {column_name.lower()}]


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
