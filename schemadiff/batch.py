"""Alembic's batch mode: `with op.batch_alter_table("account") as batch_op: ...`.

The ops of a block are collected and applied together when it ends, so they may come in any
order: a new index may name a column that a later `add_column` of the block brings. They are
applied by kind, drops first, then columns, then new constraints and indexes, each kind in the
order written; `batch_op.execute` SQL runs last, on the table's final shape. Where the dialect
rebuilds a table (SQLite), the whole block is one rebuild; elsewhere each op is a plain ALTER.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

import sqlalchemy as sa

from .errors import SchemadiffError

if TYPE_CHECKING:
    from .operations import Operations

RECREATE = ("auto", "always", "never")

# The order in which a block applies its ops, by kind.
_DROP_KEY, _DROP_COLUMN, _ADD_COLUMN, _ALTER_COLUMN, _CREATE_KEY, _EXECUTE = range(6)


class BatchOperations:
    """`batch_op`: the op vocabulary with the table implied, collected until the block ends."""

    def __init__(
        self, operations: "Operations", table_name: str, schema: Optional[str], recreate: str
    ):
        if recreate not in RECREATE:
            raise SchemadiffError(
                f"batch_alter_table: recreate must be one of {', '.join(RECREATE)}, not {recreate!r}"
            )
        self._ops, self._table, self._schema = operations, table_name, schema
        self.recreate = recreate
        self._calls: list[tuple[int, Callable[[], None]]] = []

    def apply(self) -> None:
        """Runs the collected ops, by kind (sorted() is stable: each kind keeps its order)."""
        for _, call in sorted(self._calls, key=lambda c: c[0]):
            call()

    def _later(self, kind: int, method: Callable, *args: Any, **kw: Any) -> None:
        self._calls.append((kind, lambda: method(*args, **kw)))

    # -- the vocabulary ---------------------------------------------------------------------------
    @staticmethod
    def f(name: str) -> sa.sql.elements.conv:
        return sa.sql.elements.conv(name)

    def execute(self, sqltext: Any, *args: Any, **kw: Any) -> None:
        self._later(_EXECUTE, self._ops.execute, sqltext, *args, **kw)

    def add_column(
        self,
        column: sa.Column,
        insert_before: Optional[str] = None,
        insert_after: Optional[str] = None,
    ) -> None:
        self._later(
            _ADD_COLUMN,
            self._ops.add_column,
            self._table,
            column,
            schema=self._schema,
            insert_before=insert_before,
            insert_after=insert_after,
        )

    def drop_column(self, column_name: str, **kw: Any) -> None:
        self._later(
            _DROP_COLUMN, self._ops.drop_column, self._table, column_name, schema=self._schema
        )

    def alter_column(self, column_name: str, **kw: Any) -> None:
        self._later(
            _ALTER_COLUMN,
            self._ops.alter_column,
            self._table,
            column_name,
            schema=self._schema,
            **kw,
        )

    def create_index(self, index_name: Optional[str], columns: Sequence[Any], **kw: Any) -> None:
        self._later(
            _CREATE_KEY,
            self._ops.create_index,
            index_name,
            self._table,
            columns,
            schema=self._schema,
            **kw,
        )

    def drop_index(self, index_name: str, **kw: Any) -> None:
        self._later(
            _DROP_KEY, self._ops.drop_index, index_name, self._table, schema=self._schema, **kw
        )

    def create_primary_key(self, constraint_name: Optional[str], columns: Sequence[str]) -> None:
        self._later(
            _CREATE_KEY,
            self._ops.create_primary_key,
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
            self._ops.create_unique_constraint,
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
            self._ops.create_check_constraint,
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
            self._ops.create_foreign_key,
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
            self._ops.drop_constraint,
            constraint_name,
            self._table,
            type_=type_,
            schema=self._schema,
            **kw,
        )
