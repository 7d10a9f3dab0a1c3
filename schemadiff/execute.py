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


def sql_text(statement: Statement, dialect: Dialect) -> str:
    """A statement as SQL text, values inlined: what `--sql` prints."""
    if isinstance(statement, str):
        text = statement  # written for the driver, as the compiled ones are
    else:
        compiled = statement.compile(dialect=dialect.sa_dialect, compile_kwargs={"literal_binds": True})
        text = str(compiled).strip()
    # Drivers with format/pyformat parameters (psycopg, pymysql) get `%` doubled; people do not.
    return text.replace("%%", "%") if dialect.preparer._double_percents else text


def script_sql(ops: list[o.Op], start: Snapshot, dialect: Dialect) -> list[str]:
    """The SQL of `ops` run one after another on a database whose schema is `start`."""
    result = []
    for op in ops:
        result += [sql_text(s, dialect) for s in statements(op, start, dialect)]
        start = apply(start, op)
    return result


def run_op(conn: Connection, op: o.Op, before: Snapshot, dialect: Dialect) -> None:
    for statement in statements(op, before, dialect):
        if isinstance(statement, str):
            conn.exec_driver_sql(statement)
        else:
            conn.execute(statement)
