"""Live database -> Snapshot. The dialect module does the catalog queries, in batches."""

from __future__ import annotations

from typing import Optional, Sequence

from sqlalchemy.engine import Connection

from .dialects import Dialect, for_sa_dialect
from .snapshot import Snapshot


def reflect(
    conn: Connection, schemas: Sequence[str] = (), dialect: Optional[Dialect] = None
) -> Snapshot:
    """Snapshot of the default schema plus `schemas`; tables of the default schema have schema None."""
    dialect = dialect or for_sa_dialect(conn.dialect)
    default = dialect.default_schema(conn)
    scope = [None, *sorted({s for s in schemas if s and s != default})]
    domains = dialect.reflect_domains(conn, scope)
    tables, enums = dialect.reflect(conn, scope)
    return Snapshot(
        tuple(dialect.canonical_table(t) for t in tables),
        tuple(enums),
        dialect=dialect.name,
        domains=tuple(domains),
    )
