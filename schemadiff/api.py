"""The library's front door: connect, snapshot both sides, compare. The CLI only calls these."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .config import mask_url
from .dialects import for_sa_dialect
from .drivers import missing_driver, require_supported
from .empty_models import refuse_empty_models
from .errors import SchemadiffError
from .execute import script_sql
from .from_metadata import snapshot_metadata
from .hazards import Hazard, assess
from .ops import Op
from .reflect import reflect
from .rename_answers import Ask, require_known, settle
from .renames import Renames, hinted
from .scope import Scope, gc_paused
from .snapshot import Snapshot


@contextmanager
def connect(url: str, migrating: bool = False, lock_timeout: float = 60) -> Iterator[Connection]:
    """A connection to `url`; every way of failing becomes one SchemadiffError line, password masked.

    `migrating` prepares the engine for running revisions (transactions, locks) on its database.
    """
    masked = mask_url(url)
    try:
        parsed = sa.engine.make_url(url)
        require_supported(parsed, masked)
        engine = sa.create_engine(parsed)
    except sa.exc.NoSuchModuleError:
        raise SchemadiffError(f"unknown database dialect or driver in {masked}") from None
    except sa.exc.ArgumentError as e:
        raise SchemadiffError(f"invalid database URL {masked}: {e}") from None
    except ImportError as e:
        raise missing_driver(parsed, masked, e.name or str(e)) from None
    if migrating:
        for_sa_dialect(engine.dialect).prepare_migration_engine(engine, lock_timeout)
    try:
        conn = engine.connect()
    except sa.exc.DBAPIError as e:
        raise SchemadiffError(f"cannot connect to {masked}: {_driver_message(e, url)}") from None
    try:
        yield conn
    finally:
        conn.close()
        engine.dispose()


def _driver_message(error: sa.exc.DBAPIError, url: str) -> str:
    message = " ".join(str(error.orig).split()) or type(error.orig).__name__
    password = sa.engine.make_url(url).password
    return message.replace(password, "***") if password else message


def snapshots(conn: Connection, metadata: sa.MetaData, scope: Scope = Scope()) -> tuple[Snapshot, Snapshot]:
    """(database snapshot, model snapshot), both restricted to `scope`.

    Schemas that the models use are read too, so a model table never looks missing just
    because its schema was not listed.
    """
    dialect = for_sa_dialect(conn.dialect)
    default = dialect.default_schema(conn)
    model_schemas = {t.schema for t in metadata.tables.values() if t.schema}
    with gc_paused():
        database = reflect(conn, schemas=[*scope.schemas, *model_schemas], dialect=dialect)
        models = snapshot_metadata(metadata, dialect, default)
    return (
        scope.filter(database, default, compare_to=models, reflected=True),
        scope.filter(models, default, compare_to=database),
    )


def changes(
    conn: Connection,
    metadata: sa.MetaData,
    scope: Scope = Scope(),
    renames: Renames = Renames(),
    ask: Optional[Ask] = None,
) -> tuple[Snapshot, list[Op]]:
    """(database snapshot, the ops that bring it in line with `metadata`).

    Renames that the models declare (`info={"renamed_from": ...}`), and `renames` besides, are
    renamed instead of dropped and created. `renames` must name tables and columns that exist;
    `ask` is asked about each drop left that looks like a rename (see rename_answers.settle).
    """
    database, models = snapshots(conn, metadata, scope)
    refuse_empty_models(models, database, "the database")
    hints = declared_renames(conn, metadata)
    require_known(renames, database, models, hints)
    return database, settle(database, models, hints | renames, ask)


def declared_renames(conn: Connection, metadata: sa.MetaData, renames: Renames = Renames()) -> Renames:
    """The renames that the models declare, keyed as the database's snapshot keys them, and `renames`."""
    return hinted(metadata, for_sa_dialect(conn.dialect).default_schema(conn)) | renames


def diff(conn: Connection, metadata: sa.MetaData, scope: Scope = Scope(), renames: Renames = Renames()) -> list[Op]:
    """Ops that bring the database behind `conn` in line with `metadata`."""
    return changes(conn, metadata, scope, renames)[1]


def assessed_diff(
    conn: Connection, metadata: sa.MetaData, scope: Scope = Scope(), renames: Renames = Renames()
) -> tuple[list[Op], list[tuple[Hazard, ...]]]:
    """(the ops of `diff`, the hazards of each op on this database)."""
    database, ops = changes(conn, metadata, scope, renames)
    return ops, assess(ops, for_sa_dialect(conn.dialect), database)


def diff_sql(conn: Connection, metadata: sa.MetaData, scope: Scope = Scope(), renames: Renames = Renames()) -> list[str]:
    """The SQL that would bring the database in line with `metadata`, as `--sql` prints it."""
    database, ops = changes(conn, metadata, scope, renames)
    return script_sql(ops, database, for_sa_dialect(conn.dialect))
