"""Alembic's batch mode: `with op.batch_alter_table("account") as batch_op: ...`.

The ops of a block are collected and applied together when it ends, so they may come in any
order: a new index may name a column that a later `add_column` of the block brings. They are
applied by kind, each kind in the order written: dropped keys and indexes, dropped columns,
altered columns, new columns, new keys and indexes; `batch_op.execute` SQL runs last, on the table's final shape. Where the dialect
rebuilds a table (SQLite), the whole block is one rebuild; elsewhere each op is a plain ALTER.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Optional, Sequence

import sqlalchemy as sa

from . import ops as o
from . import snapshot as s
from .dialects.base import Dialect
from .compare import match_items
from .errors import SchemadiffError
from .state import apply
from .to_metadata import to_constraint, to_table

if TYPE_CHECKING:
    from .operations import Operations

RECREATE = ("auto", "always", "never")

# The order in which a block applies its ops, by kind. A column the table has is altered before
# the block's new columns come (one may take its old name); a column the block adds, after.
_DROP_KEY, _DROP_COLUMN, _ALTER_COLUMN, _ADD_COLUMN, _ALTER_NEW, _CREATE_KEY, _EXECUTE = range(7)


@dataclasses.dataclass(frozen=True)
class _Call:
    kind: int
    column: Optional[str]  # the column an alter_column names
    method: str  # of Operations
    args: tuple
    kw: dict


@dataclasses.dataclass(frozen=True)
class BatchSettings:
    """What the running block asks of every op on its table."""

    key: s.TableKey
    recreate: str
    naming_convention: dict

    def refuses(self, op: o.Op, before: s.Snapshot, dialect: Dialect) -> bool:
        """`recreate="never"` and an op on the table that the dialect rebuilds it for."""
        on_table = (getattr(op, "schema", None) or "", getattr(op, "table_name", None)) == self.key
        return self.recreate == "never" and on_table and dialect.ddl.rebuilds(op, before)


class BatchOperations:
    """`batch_op`: the op vocabulary with the table implied, collected until the block ends."""

    def __init__(self, table_name: str, schema: Optional[str], recreate: str):
        if recreate not in RECREATE:
            raise SchemadiffError(
                f"batch_alter_table: recreate must be one of {', '.join(RECREATE)}, not {recreate!r}"
            )
        self._table, self._schema = table_name, schema
        self.recreate = recreate
        self._calls: list[_Call] = []

    def run(
        self,
        operations: "Operations",
        copy_from: Optional[sa.Table],
        table_args: Sequence[Any],
        table_kwargs: dict,
        naming_convention: dict,
        partial_reordering: Optional[Sequence[Sequence[str]]],
    ) -> None:
        """The block has ended: its ops run, after one rebuild of the table where they take one."""
        if copy_from is not None and operations.state.table(self._table, self._schema) is None:
            _adopt(operations, copy_from, table_kwargs)
        operations._batch = BatchSettings(
            (self._schema or "", self._table), self.recreate, naming_convention
        )
        try:
            rebuild = _unchanged(operations, self._table, self._schema)
            if rebuild is not None and (
                self.recreate == "always"
                or (self.recreate == "auto" and self._rebuilds(operations))
            ):
                operations.run(rebuild)  # first: every op of the block waits for this one rebuild
                self.apply(operations, rebuilding=True)
                _add_table_args(operations, self._table, self._schema, table_args)
            else:
                self.apply(operations, rebuilding=False)
            if partial_reordering and rebuild is not None:
                _reorder(operations, self._table, self._schema, partial_reordering)
                operations.run(rebuild)
        finally:
            operations._batch = None

    def _rebuilds(self, operations: "Operations") -> bool:
        """Whether some op of the block takes a rebuild of its table, on a trial run."""
        trial_ops: list[o.Op] = []
        trial = type(operations)(operations.dialect, operations.state, trial_ops.append)
        trial._batch = operations._batch
        self.apply(trial, rebuilding=True)
        state = operations.state
        for op in trial_ops:
            if operations.dialect.ddl.rebuilds(op, state):
                return True
            state = apply(state, op)
        return False

    def apply(self, operations: "Operations", rebuilding: bool) -> None:
        """Runs the collected ops through `operations`, by kind (sorted() is stable: each kind
        keeps its order). In a rebuild, a new constraint takes the place of the table's one of the
        same name, and a new primary key that of the table's own, as in Alembic's rebuilt table;
        an ALTER elsewhere adds it next to the other, which the database refuses."""
        table = operations.state.table(self._table, self._schema)
        existing = {c.name for c in table.columns} if table is not None else set()

        def kind(call: _Call) -> int:
            new = call.kind == _ALTER_COLUMN and call.column not in existing
            return _ALTER_NEW if new else call.kind

        for call in sorted(self._calls, key=kind):
            if rebuilding and call.method in _CREATE_CONSTRAINT:
                _drop_replaced(operations, self._table, self._schema, call)
            getattr(operations, call.method)(*call.args, **call.kw)

    def _later(
        self, kind: int, method: str, *args: Any, column: Optional[str] = None, **kw: Any
    ) -> None:
        self._calls.append(_Call(kind, column, method, args, kw))

    # -- the vocabulary ---------------------------------------------------------------------------
    @staticmethod
    def f(name: str) -> sa.sql.elements.conv:
        return sa.sql.elements.conv(name)

    def execute(self, sqltext: Any, *args: Any, **kw: Any) -> None:
        self._later(_EXECUTE, "execute", sqltext, *args, **kw)

    def add_column(
        self,
        column: sa.Column,
        insert_before: Optional[str] = None,
        insert_after: Optional[str] = None,
    ) -> None:
        self._later(
            _ADD_COLUMN,
            "add_column",
            self._table,
            column,
            schema=self._schema,
            insert_before=insert_before,
            insert_after=insert_after,
        )

    def drop_column(self, column_name: str, **kw: Any) -> None:
        self._later(_DROP_COLUMN, "drop_column", self._table, column_name, schema=self._schema)

    def alter_column(self, column_name: str, **kw: Any) -> None:
        self._later(
            _ALTER_COLUMN,
            "alter_column",
            self._table,
            column_name,
            schema=self._schema,
            column=column_name,
            **kw,
        )

    def create_index(self, index_name: Optional[str], columns: Sequence[Any], **kw: Any) -> None:
        self._later(
            _CREATE_KEY,
            "create_index",
            index_name,
            self._table,
            columns,
            schema=self._schema,
            **kw,
        )

    def drop_index(self, index_name: str, **kw: Any) -> None:
        self._later(_DROP_KEY, "drop_index", index_name, self._table, schema=self._schema, **kw)

    def create_primary_key(self, constraint_name: Optional[str], columns: Sequence[str]) -> None:
        self._later(
            _CREATE_KEY,
            "create_primary_key",
            constraint_name,
            self._table,
            columns,
            schema=self._schema,
        )

    def create_unique_constraint(
        self, constraint_name: Optional[str], columns: Sequence[str], **kw: Any
    ) -> None:
        self._later(
            _CREATE_KEY,
            "create_unique_constraint",
            constraint_name,
            self._table,
            columns,
            schema=self._schema,
            **kw,
        )

    def create_check_constraint(
        self, constraint_name: Optional[str], condition: Any, **kw: Any
    ) -> None:
        self._later(
            _CREATE_KEY,
            "create_check_constraint",
            constraint_name,
            self._table,
            condition,
            schema=self._schema,
            **kw,
        )

    def create_foreign_key(
        self,
        constraint_name: Optional[str],
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        **kw: Any,
    ) -> None:
        self._later(
            _CREATE_KEY,
            "create_foreign_key",
            constraint_name,
            self._table,
            referent_table,
            local_cols,
            remote_cols,
            source_schema=self._schema,
            **kw,
        )

    def drop_constraint(
        self, constraint_name: Optional[str], type_: Optional[str] = None, **kw: Any
    ) -> None:
        self._later(
            _DROP_KEY,
            "drop_constraint",
            constraint_name,
            self._table,
            type_=type_,
            schema=self._schema,
            **kw,
        )

    def create_table_comment(self, comment: str, **kw: Any) -> None:
        self._later(
            _ALTER_COLUMN, "create_table_comment", self._table, comment, schema=self._schema
        )

    def drop_table_comment(self, **kw: Any) -> None:
        self._later(_ALTER_COLUMN, "drop_table_comment", self._table, schema=self._schema)


def conventional_name(operations: "Operations", table: s.Table, constraint) -> Optional[str]:
    """The name the running block's naming convention gives an unnamed constraint of `table`."""
    convention = operations._batch.naming_convention
    named = to_table(table, sa.MetaData(naming_convention=convention), operations.dialect)
    fresh = to_constraint(constraint)
    named.append_constraint(fresh)
    return operations._builder.name(fresh)


_CREATE_CONSTRAINT = (
    "create_primary_key",
    "create_unique_constraint",
    "create_check_constraint",
    "create_foreign_key",
)


def _drop_replaced(
    operations: "Operations", table_name: str, schema: Optional[str], call: _Call
) -> None:
    """The table's constraint that the new one of `call` replaces in a rebuild, dropped."""
    table = operations._table(table_name, schema)
    name = call.args[0]
    replaced = next((c for c in table.constraints if name is not None and c.name == name), None)
    if call.method == "create_primary_key":
        replaced = table.primary_key
    if replaced is not None:
        operations.run(o.DropConstraint(table_name, replaced, schema))


def _add_table_args(
    operations: "Operations", table_name: str, schema: Optional[str], table_args: Sequence[Any]
) -> None:
    """The constraints of `table_args` that the table lacks, added in its rebuild: Alembic builds
    the rebuilt table with them (CHECKs that an older reflection missed). Without a rebuild,
    Alembic builds no table, and `table_args` does nothing."""
    constraints = [arg for arg in table_args if isinstance(arg, sa.Constraint)]
    if not constraints:
        return
    current = operations._table(table_name, schema)
    table = to_table(current, sa.MetaData(), operations.dialect)
    for constraint in constraints:
        table.append_constraint(constraint._copy())
    wanted = operations.snapshot_table(table)
    for kind in ("uniques", "checks", "foreign_keys"):
        _, missing = match_items(getattr(current, kind), getattr(wanted, kind))
        for constraint in missing:
            operations.run(o.AddConstraint(table_name, constraint, schema))


def _adopt(operations: "Operations", copy_from: sa.Table, table_kwargs: dict) -> None:
    """`copy_from` becomes the table's definition, with no DDL: the history did not know it.
    (`table_args` are for the rebuilt table: see _add_table_args.)"""
    columns = [c._copy() for c in copy_from.columns]
    constraints = [
        c._copy() for c in copy_from.constraints if not isinstance(c, sa.PrimaryKeyConstraint)
    ]
    indexes = [
        sa.Index(i.name, *[c.name for c in i.columns], unique=i.unique) for i in copy_from.indexes
    ]
    table = sa.Table(
        copy_from.name,
        sa.MetaData(),
        *columns,
        *constraints,
        *indexes,
        schema=copy_from.schema,
        **table_kwargs,
    )
    known = operations.snapshot_table(table)
    operations.state = dataclasses.replace(
        operations.state, tables=operations.state.tables + (known,)
    )
    operations.adopt(known)


def _unchanged(
    operations: "Operations", table_name: str, schema: Optional[str]
) -> Optional[o.AlterColumn]:
    """An op that changes nothing, where the dialect would rebuild the table for it (SQLite):
    what makes the table be rebuilt; None where the dialect alters tables in place."""
    table = operations._table(table_name, schema)
    unchanged = o.AlterColumn(table_name, table.columns[0], table.columns[0], schema)
    return unchanged if operations.dialect.ddl.rebuilds(unchanged, operations.state) else None


def _reorder(
    operations: "Operations",
    table_name: str,
    schema: Optional[str],
    orders: Sequence[Sequence[str]],
) -> None:
    """`partial_reordering`: each tuple's columns take the places they hold, in its order. As
    with Alembic, only a rebuild (SQLite) reorders; ALTER TABLE elsewhere keeps the order."""
    table = operations._table(table_name, schema)
    names = [c.name for c in table.columns]
    for order in orders:
        for place, name in zip(sorted(names.index(n) for n in order), order):
            names[place] = name
    reordered = dataclasses.replace(table, columns=tuple(table.column(n) for n in names))
    tables = tuple(reordered if t.key == table.key else t for t in operations.state.tables)
    operations.state = dataclasses.replace(operations.state, tables=tables)
    operations.adopt(reordered)
