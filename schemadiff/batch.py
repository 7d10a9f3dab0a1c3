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

from .errors import SchemadiffError

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

    def apply(self, operations: "Operations") -> None:
        """Runs the collected ops through `operations`, by kind (sorted() is stable: each kind
        keeps its order)."""
        table = operations.state.table(self._table, self._schema)
        existing = {c.name for c in table.columns} if table is not None else set()

        def kind(call: _Call) -> int:
            new = call.kind == _ALTER_COLUMN and call.column not in existing
            return _ALTER_NEW if new else call.kind

        for call in sorted(self._calls, key=kind):
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
