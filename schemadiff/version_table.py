"""The version table: which revisions a database is at (one row per applied head)."""

from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def version_table(name: str, schema: Optional[str] = None) -> sa.Table:
    """The table as Alembic makes it too, key name included: either tool may carry on from the other."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name=f"{name}_pkc"),
        schema=schema,
    )


def read_versions(conn: Connection, name: str, schema: Optional[str] = None) -> tuple[str, ...]:
    """The revision ids recorded in the database, sorted; () when it has no version table (base)."""
    if not sa.inspect(conn).has_table(name, schema=schema):
        return ()
    table = version_table(name, schema)
    return tuple(sorted(conn.execute(sa.select(table.c.version_num)).scalars()))
