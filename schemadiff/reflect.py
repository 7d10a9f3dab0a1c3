"""Live database -> Snapshot. The dialect module does the catalog queries, in batches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

from .snapshot import Snapshot

if TYPE_CHECKING:  # kept out of the import: `import schemadiff` must stay light
    from sqlalchemy.engine import Connection

    from .dialects import Dialect


def reflect(
    conn: "Connection", schemas: Sequence[str] = (), dialect: Optional["Dialect"] = None
) -> Snapshot:
    """Snapshot of the default schema plus `schemas`; tables of the default schema have schema None."""
    from .dialects import for_sa_dialect

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
