"""Ops -> DDL statements for one database, compiled by SQLAlchemy's dialect.

`statements(op, before, dialect)` gives the SQL for one op, given the schema as it stands
before it (drops and table rebuilds need the full definitions). The same list is executed on a
connection or printed by `--sql`, so online and offline runs cannot drift apart.
"""

from __future__ import annotations

from typing import Union

from sqlalchemy.engine import Connection
from sqlalchemy.sql.ddl import ExecutableDDLElement

from . import ops as o
from .dialects.base import Dialect
from .snapshot import Snapshot
from .state import apply

Statement = Union[str, ExecutableDDLElement]


def statements(op: o.Op, before: Snapshot, dialect: Dialect) -> list[Statement]:
    """The DDL that performs `op` on a database whose schema is `before`."""
    return dialect.ddl.statements(op, before, apply(before, op))


def run_op(conn: Connection, op: o.Op, before: Snapshot, dialect: Dialect) -> None:
    for statement in statements(op, before, dialect):
        if isinstance(statement, str):
            conn.exec_driver_sql(statement)
        else:
            conn.execute(statement)
