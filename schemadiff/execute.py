"""Ops -> DDL statements for one database, compiled by SQLAlchemy's dialect.

`statements(op, before, dialect)` gives the SQL for one op, given the schema as it stands
before it (drops and table rebuilds need the full definitions). The same list is executed on a
connection or printed by `--sql`, so online and offline runs cannot drift apart.

A `Batcher` turns a run of ops into statements the way revisions run them: where the dialect
rebuilds a table for an op (SQLite), the ops on that table wait and run as one rebuild.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, Optional, Union

from sqlalchemy.engine import Connection
from sqlalchemy.sql.ddl import ExecutableDDLElement

from . import ops as o
from .dialects.base import Dialect
from .hazards import HazardTracker
from .snapshot import Snapshot, Table, TableKey
from .state import apply, find_table

Statement = Union[str, ExecutableDDLElement]


class Comment(str):
    """A line of SQL output that explains the statements after it, such as an op's hazard."""


def statements(op: o.Op, before: Snapshot, dialect: Dialect) -> list[Statement]:
    """The DDL that performs `op` on a database whose schema is `before`."""
    return dialect.ddl.statements(op, before, apply(before, op))


def sql_text(statement: Statement, dialect: Dialect) -> str:
    """A statement as SQL text, values inlined: what `--sql` prints."""
    if isinstance(statement, Comment):
        return f"-- {statement}"
    if isinstance(statement, str):
        text = statement  # written for the driver, as the compiled ones are
    else:
        compiled = statement.compile(dialect=dialect.sa_dialect, compile_kwargs={"literal_binds": True})
        text = str(compiled).strip()
    # Drivers with format/pyformat parameters (psycopg, pymysql) get `%` doubled; people do not.
    return text.replace("%%", "%") if dialect.preparer._double_percents else text


def printed(statement: Statement, dialect: Dialect) -> str:
    """A statement as `--sql` output shows it: terminated by `;` and a blank line; a comment bare."""
    text = sql_text(statement, dialect)
    return text if isinstance(statement, Comment) else f"{text};\n"


def script_sql(ops: list[o.Op], start: Snapshot, dialect: Dialect) -> list[str]:
    """The SQL of `ops` run one after another from schema `start`, as `--sql` prints it."""
    printer = SqlPrinter(dialect, start)
    for op in ops:
        printer.add(op)
    printer.flush()
    return [printed(s, dialect) for s in printer.sql]


def run_op(conn: Connection, op: o.Op, before: Snapshot, dialect: Dialect) -> None:
    run_statements(conn, statements(op, before, dialect))


def run_statements(conn: Connection, sql: list[Statement]) -> None:
    for statement in sql:
        if isinstance(statement, str):
            conn.exec_driver_sql(statement)
        else:
            conn.execute(statement)


# -- one rebuild per table ------------------------------------------------------------------------

#: Ops that change one table in place: a pending rebuild of that table can take them in.
_IN_PLACE = (
    o.AddColumn,
    o.DropColumn,
    o.AlterColumn,
    o.CreateIndex,
    o.DropIndex,
    o.RenameIndex,
    o.AddConstraint,
    o.DropConstraint,
    o.RenameConstraint,
    o.SetTableComment,
)
Emit = Callable[[tuple, list], None]


@dataclasses.dataclass
class _Pending:
    table: Table  # as it stood before the first op that waits
    ops: list


class Batcher:
    """Ops in, statements out (`emit(ops, statements)`), with one rebuild per table.

    An op that the dialect rebuilds its table for waits, and so does every later op on that
    table, until `flush()`: then one rebuild goes from the table's shape before the first of
    them to its shape after the last. Ops on other tables run meanwhile; SQLite checks foreign
    keys only when rows change, so a table's final shape matters only to SQL that reads or
    writes rows (op.execute, the bind, the end of the revision) and to renaming or dropping it.
    """

    def __init__(self, dialect: Dialect, state: Snapshot, emit: Emit):
        self.dialect, self.state, self._emit = dialect, state, emit
        self._pending: dict[TableKey, _Pending] = {}
        self._emitting = False

    def add(self, op: o.Op) -> None:
        before, after = self.state, apply(self.state, op)
        key = _in_place_key(op)
        if key in self._pending:
            self._pending[key].ops.append(op)
        elif key is not None and self.dialect.ddl.rebuilds(op, before):
            self._pending[key] = _Pending(find_table(before, op.table_name, op.schema), [op])
        else:
            self._flush(self._needs_final_shape(op))
            self._run((op,), statements(op, before, self.dialect))
        self.state = after

    def adopt(self, table: Table) -> None:
        """The table is as given from here on, with no DDL (batch copy_from, partial_reordering)."""
        others = tuple(t for t in self.state.tables if t.key != table.key)
        self.state = dataclasses.replace(self.state, tables=others + (table,))

    def flush(self, table_key: Optional[TableKey] = None) -> None:
        """Runs the waiting rebuild of one table, or of all of them.

        A no-op while the Batcher's own statements run: the runtime flushes before any SQL on
        its connection, meant for the script's own use of it (op.get_bind()).
        """
        if not self._emitting:
            self._flush(None if table_key is None else [table_key])

    def _flush(self, keys: Optional[Iterable[TableKey]]) -> None:
        for key in list(self._pending) if keys is None else keys:
            batch = self._pending.pop(key, None)
            if batch is not None:
                before = dataclasses.replace(
                    self.state, tables=tuple(batch.table if t.key == key else t for t in self.state.tables)
                )
                self._run(tuple(batch.ops), self.dialect.ddl.rebuild(batch.ops, before, self.state))

    def _run(self, ops: tuple, sql: list[Statement]) -> None:
        self._emitting = True
        try:
            self._emit(ops, sql)
        finally:
            self._emitting = False

    def _needs_final_shape(self, op: o.Op) -> Optional[list[TableKey]]:
        """The tables whose waiting rebuild must run before `op`; None means all of them.

        A table that is dropped or renamed goes first, and so do the tables whose foreign keys
        name it: their rebuild compiles those keys against it.
        """
        if isinstance(op, (*_IN_PLACE, o.CreateTable)):
            return []  # a new table is none that waits, and CREATE TABLE resolves no foreign key
        keys = _dropped_or_renamed(op)
        if not keys:
            return None  # op.execute and anything else: it may read any table
        return keys + [k for k in self._pending if _references(find_table(self.state, k[1], k[0] or None), keys)]


def _references(table: Table, keys: list[TableKey]) -> bool:
    return any((fk.ref_schema or "", fk.ref_table) in keys for fk in table.foreign_keys)


def _in_place_key(op: o.Op) -> Optional[TableKey]:
    return (op.schema or "", op.table_name) if isinstance(op, _IN_PLACE) else None


def _dropped_or_renamed(op: o.Op) -> list[TableKey]:
    if isinstance(op, o.DropTable):
        return [op.table.key]
    if isinstance(op, o.RenameTable):
        return [(op.schema or "", op.old_name), (op.schema or "", op.new_name)]
    return []


class SqlPrinter:
    """The statements of a run of ops as `--sql` shows them: batched as a revision runs them
    (one rebuild per table), each op's hazards as comments above the statements that do it."""

    def __init__(self, dialect: Dialect, start: Snapshot):
        self.sql: list[Statement] = []
        self._tracker = HazardTracker(dialect, start)
        self._hazards: dict[int, tuple] = {}
        self._batcher = Batcher(dialect, start, self._emit)

    def add(self, op: o.Op) -> None:
        self._hazards[id(op)] = self._tracker.hazards(op)
        self._batcher.add(op)

    def flush(self, table_key: Optional[TableKey] = None) -> None:
        self._batcher.flush(table_key)

    def adopt(self, table: Table) -> None:
        self._batcher.adopt(table)
        self._tracker.state = self._batcher.state if self._tracker.state is not None else None

    @contextmanager
    def autocommit(self) -> Iterator[None]:
        """An autocommit block as SQL: the revision's transaction ends before it and begins again after."""
        transactional = self._batcher.dialect.transactional_ddl
        self.sql += ["COMMIT"] if transactional else []
        yield
        self.sql += ["BEGIN"] if transactional else []

    def _emit(self, ops: tuple, sql: list) -> None:
        # Once each: the ops of one rebuild share its hazard.
        self.sql += [Comment(h) for h in dict.fromkeys(h for op in ops for h in self._hazards.pop(id(op), ()))]
        self.sql += sql
