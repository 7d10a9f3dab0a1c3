"""`schemadiff snapshot`: replays the whole history on a scratch database and stores what it reads.

SQLite replays in memory. PostgreSQL and MySQL need a server: `--dev-url` (or `dev_url` in the
config, or SCHEMADIFF_DEV_URL), where a database is created for the replay and dropped after it,
or else a container that testcontainers starts where a Docker engine answers.

A history that does not begin on an empty database (its first tables made by `create_all` or by
hand) cannot be replayed from base: `--start-from` a database at some revision, or a snapshot
file, and the scripts after it are replayed offline. `generate` moves the committed snapshot along
by its new script the same way, without a scratch database.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import sqlalchemy as sa

from . import head_snapshot
from .api import connect
from .config import Config, mask_url
from .dialects import dialect_name, for_sa_dialect, offline_dialect
from .errors import SchemadiffError
from .reflect import reflect
from .replay_start import committed, resolve_start
from .revisions import RevisionMap
from .runtime import Runner, script_schemas


def rebuild_head_snapshot(
    config: Config, dev_url: Optional[str] = None, start_from: Optional[str] = None
) -> Path:
    """Writes the head snapshot from a replay of every script on a scratch database, or from
    `start_from` (a database URL or a snapshot file) moved along by the scripts after it."""
    revisions = head_snapshot.revision_map(config)
    upto = _head(revisions)
    server = head_snapshot.configured_server(config)
    if start_from is not None:
        dialect = offline_dialect(server)
        start = resolve_start(config, revisions, dialect, start_from, upto)
        return head_snapshot.write(config, revisions, dialect, start.replay(revisions, upto, dialect))
    scratch_server = dev_url or config.dev_url
    if scratch_server == config.url:
        _require_separable(config, revisions, server)
    with scratch_database(server, scratch_server) as url, connect(url, migrating=True) as conn:
        try:
            Runner(conn, config, revisions, lambda line: None, scratch=True).migrate("upgrade", "heads")
        except SchemadiffError as e:
            raise SchemadiffError(
                f"the replay from base on a scratch database stopped: {e}; if the history begins on "
                "tables made outside it, start from a database at some revision: "
                "schemadiff snapshot --start-from URL"
            ) from None
        dialect = for_sa_dialect(conn.dialect)
        snap = reflect(conn, config.schemas, dialect)
    return head_snapshot.write(config, revisions, dialect, snap)


def advance_head_snapshot(config: Config) -> Optional[Path]:
    """The committed head snapshot moved along by the scripts after it (`generate`'s new one),
    replayed offline; None where there is no such snapshot, or the replay cannot get past them."""
    revisions = head_snapshot.revision_map(config)
    upto = _head(revisions)
    dialect = offline_dialect(head_snapshot.configured_server(config))
    start = committed(config, revisions, dialect)
    if start is None or not start.precedes(revisions, upto):
        return None
    try:
        snap = start.replay(revisions, upto, dialect)
    except SchemadiffError:
        return None
    return head_snapshot.write(config, revisions, dialect, snap)


def _head(revisions: RevisionMap) -> tuple[str, ...]:
    """The single head as replays name where they go: () for an empty history."""
    head = head_snapshot.single_head(revisions)
    return (head,) if head else ()


def _require_separable(config: Config, revisions: RevisionMap, server: str) -> None:
    """Refuses a replay beside the configured database that would reach past its scratch
    database into the server's others (the real ones)."""
    if not offline_dialect(server).schemas_are_databases:
        return
    named = {*config.schemas, *filter(None, [config.version_table_schema])}
    named |= {schema for revision in revisions for schema in script_schemas(revision)}
    if named:
        raise SchemadiffError(
            f"the history names other {server} databases ({', '.join(sorted(named))}), which a replay "
            "beside the real ones would write into: set dev_url (or --dev-url) to a server of its own"
        )


@contextmanager
def scratch_database(server: str, dev_url: Optional[str]) -> Iterator[str]:
    """The URL of an empty database that exists for the `with` block only."""
    if dialect_name(server) == "sqlite":
        yield "sqlite://"
        return
    if dev_url:
        with _database_on(dev_url) as url:
            yield url
        return
    with _container(dialect_name(server)) as url:  # a fresh server: its own database is scratch
        yield url


@contextmanager
def _database_on(server_url: str) -> Iterator[str]:
    name = f"schemadiff_scratch_{uuid.uuid4().hex[:12]}"
    with connect(server_url) as conn:
        quoted = conn.dialect.identifier_preparer.quote(name)
        admin = conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            admin.exec_driver_sql(f"CREATE DATABASE {quoted}")
        except sa.exc.DBAPIError as e:
            reason = " ".join(str(e.orig).split())
            raise SchemadiffError(f"cannot create a scratch database on {mask_url(server_url)}: {reason}") from None
        try:
            url = sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
            with connect(url) as scratch:
                for_sa_dialect(scratch.dialect).prepare_scratch_database(scratch)
            yield url
        finally:
            admin.exec_driver_sql(f"DROP DATABASE {quoted}")


@contextmanager
def _container(dialect: str) -> Iterator[str]:
    """A throwaway server in Docker; one clear error when there is no way to get one."""
    try:
        import docker

        docker.from_env().ping()
    except Exception:
        raise SchemadiffError(
            f"a {dialect} snapshot needs a scratch server: pass --dev-url (or set dev_url, or "
            "SCHEMADIFF_DEV_URL) to a server where schemadiff may create a database, or start Docker"
        ) from None
    if dialect == "postgresql":
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16", driver="psycopg")
    else:
        from testcontainers.mysql import MySqlContainer

        container = MySqlContainer("mariadb:11", dialect="pymysql")
    with container:
        yield container.get_connection_url()
