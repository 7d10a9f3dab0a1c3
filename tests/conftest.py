"""Real databases for the tests: SQLite always, PostgreSQL and MySQL/MariaDB from env or Docker.

SCHEMADIFF_TEST_POSTGRESQL_URL / SCHEMADIFF_TEST_MYSQL_URL name a server. Without one, a Docker
engine (if reachable) runs a container through testcontainers; otherwise the tests skip and say
why. Under CI=true a missing server fails instead. Every test gets a namespace of its own (a
PostgreSQL schema, a MySQL database, a SQLite file) that is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pytest
import sqlalchemy as sa

from schemadiff.api import Scope, snapshots

DIALECTS = ("sqlite", "postgresql", "mysql")
ENV = {"postgresql": "SCHEMADIFF_TEST_POSTGRESQL_URL", "mysql": "SCHEMADIFF_TEST_MYSQL_URL"}
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _docker_url(kind: str) -> Optional[str]:
    """Starts a server with testcontainers when a Docker engine answers; None when none does."""
    try:
        import docker

        docker.from_env().ping()
    except Exception:
        return None
    if kind == "postgresql":
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16", driver="psycopg")
    else:
        from testcontainers.mysql import MySqlContainer

        container = MySqlContainer("mariadb:11", dialect="pymysql")
    container.start()
    _CONTAINERS.append(container)
    return container.get_connection_url()


_CONTAINERS: list = []
_SERVERS: dict[str, Optional[str]] = {}


def server_url(kind: str) -> str:
    if kind not in _SERVERS:
        _SERVERS[kind] = os.environ.get(ENV[kind]) or _docker_url(kind)
    url = _SERVERS[kind]
    if url is None:
        reason = f"{ENV[kind]} is not set and no Docker engine is reachable"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{kind} server required under CI=true: {reason}")
        pytest.skip(reason)
    return url


def pytest_sessionfinish(session, exitstatus):
    for container in _CONTAINERS:
        container.stop()


@dataclass
class ScratchDatabase:
    """One test's own namespace on one database server."""

    dialect: str
    url: str
    _drop: Callable[[], None]
    _create: Callable[[], None]
    _engine: Optional[sa.Engine] = None

    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        return self._engine

    def create_all(self, metadata: sa.MetaData) -> None:
        with self.engine().begin() as conn:
            metadata.create_all(conn)

    def snapshots(self, metadata: sa.MetaData, scope: Scope = Scope()):
        with self.engine().connect() as conn:
            return snapshots(conn, metadata, scope)

    def reset(self) -> None:
        """Empties the namespace: drops it and makes it again."""
        if self._engine is not None:
            self._engine.dispose()
        self._drop()
        self._create()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._drop()


def _admin(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def make_database(kind: str, tmp_path: Path) -> ScratchDatabase:
    name = f"sd_{uuid.uuid4().hex[:12]}"
    if kind == "sqlite":
        path = tmp_path / f"{name}.db"
        return ScratchDatabase(kind, f"sqlite:///{path}", lambda: path.unlink(missing_ok=True), lambda: None)
    server = sa.engine.make_url(server_url(kind))
    if kind == "postgresql":
        url = server.update_query_dict({"options": f"-csearch_path={name}"})
        create, drop = f'CREATE SCHEMA "{name}"', f'DROP SCHEMA IF EXISTS "{name}" CASCADE'
    else:
        url = server.set(database=name)
        create, drop = f"CREATE DATABASE `{name}`", f"DROP DATABASE IF EXISTS `{name}`"
    admin = server.render_as_string(hide_password=False)
    _admin(admin, create)
    return ScratchDatabase(
        kind,
        url.render_as_string(hide_password=False),
        lambda: _admin(admin, drop),
        lambda: _admin(admin, create),
    )


@pytest.fixture(params=DIALECTS)
def db(request, tmp_path) -> ScratchDatabase:
    """A fresh, empty database namespace on each of the three dialects."""
    database = make_database(request.param, tmp_path)
    yield database
    database.close()
