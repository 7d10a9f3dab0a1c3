"""Runs revision scripts: upgrade, downgrade and stamp, online or as SQL text (--sql).

Online, each revision runs in its own transaction with its version-table update, under a
migration lock, and re-reads the version table first, so a second process that waited for the
lock finds the work done. Offline, the schema at the start of the range comes from replaying the
earlier scripts without a database, and the same DDL that would run is printed instead.
"""

from __future__ import annotations

import traceback
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import ops as o
from .api import connect
from .config import Config
from .dialects import Dialect, for_sa_dialect
from .errors import SchemadiffError
from .head_snapshot import revision_map
from .execute import run_op, sql_text, statements
from .operations import Operations, using
from .reflect import reflect
from .replay import load_module, replay, run_script
from .report import describe
from .revisions import Revision, RevisionMap
from .snapshot import Snapshot
from .version_table import read_versions, version_table

Echo = Callable[[str], None]


def running_line(direction: str, revision: Revision) -> str:
    """Alembic's familiar progress line: `Running upgrade d6695a405895 -> fb6192cd49e8, message`."""
    parents = ", ".join(revision.down_revisions)
    if direction == "upgrade":
        return f"Running upgrade {parents} -> {revision.id}, {revision.message}"
    return f"Running downgrade {revision.id} -> {parents}, {revision.message}"


@dataclass
class _Progress:
    """Where a revision got to, for the message when it fails."""

    done: list = field(default_factory=list)
    current: Optional[o.Op] = None


class Runner:
    """Moves one database through its history."""

    def __init__(self, conn: Connection, config: Config, revisions: RevisionMap, echo: Echo):
        self.conn = conn
        self.config = config
        self.revisions = revisions
        self.echo = echo
        self.dialect = for_sa_dialect(conn.dialect)
        self.table = version_table(config.version_table, config.version_table_schema)
        self.applied: list[str] = []

    def current(self) -> tuple[str, ...]:
        return read_versions(self.conn, self.config.version_table, self.config.version_table_schema)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self.conn.in_transaction():
            yield
        else:
            with self.conn.begin():
                yield

    def migrate(self, direction: str, target: str, transaction_per_run: bool = False) -> None:
        with self.dialect.migration_lock(self.conn, self.config.lock_timeout):
            with self.transaction():
                self.table.create(self.conn, checkfirst=True)  # under the lock: no race to create it
                current = self._checked_current()
                target_ids = self._target(direction, target, current)
            with self.transaction() if transaction_per_run else nullcontext():
                while self._step(direction, target_ids):
                    pass

    def _checked_current(self) -> tuple[str, ...]:
        current = self.current()
        unknown = [r for r in current if r not in self.revisions]
        if unknown:
            raise SchemadiffError(
                f"the database is stamped with {', '.join(unknown)}, which no script in "
                f"{self.config.dir}/versions has: use `schemadiff stamp` to fix the version table"
            )
        return current

    def _target(self, direction: str, target: str, current: tuple[str, ...]) -> tuple[str, ...]:
        if direction == "upgrade":
            self.revisions.upgrade_path(current, target)  # validates the direction
        else:
            self.revisions.downgrade_path(current, target)
        return self.revisions.resolve(target, current)

    def _step(self, direction: str, target_ids: tuple[str, ...]) -> bool:
        """Applies the next revision towards the target in its own transaction; False when there."""
        with self.transaction():
            current = self._checked_current()
            if direction == "upgrade":
                path = self.revisions.upgrade_path(current, target_ids)
            else:
                path = self.revisions.downgrade_path(current, target_ids)
            if not path:
                return False
            revision = path[0]
            self.echo(running_line(direction, revision))
            self._run(revision, direction)
            if direction == "upgrade":
                new = self.revisions.heads_after_upgrade(current, revision)
            else:
                new = self.revisions.heads_after_downgrade(current, revision)
            for statement in version_statements(self.table, current, new):
                self.conn.execute(statement)
        self.applied.append(revision.id)
        return True

    def _run(self, revision: Revision, direction: str) -> None:
        module = load_module(revision)
        progress = _Progress()
        state = reflect(self.conn, self.config.schemas, self.dialect)

        def execute(op: o.Op) -> None:
            progress.current = op
            run_op(self.conn, op, operations.state, self.dialect)
            progress.done.append(op)
            progress.current = None

        operations = Operations(self.dialect, state, execute, bind=self.conn)
        try:
            with using(operations):
                getattr(module, direction)()
            self.dialect.check_integrity(self.conn)
        except Exception as e:
            raise SchemadiffError(self._failure(revision, direction, progress, e)) from e

    def _failure(self, revision: Revision, direction: str, progress: _Progress, error: Exception) -> str:
        if progress.current is not None:
            where = f" at `{describe(progress.current)}`"
        else:  # the script failed between ops, e.g. while building the next one
            line = _script_line(error, revision)
            where = f" at `{line}`" if line else ""
            where += f" after `{describe(progress.done[-1])}`" if progress.done else ""
        reason = " ".join(str(getattr(error, "orig", None) or error).split())
        kept = self.dialect.transactional_ddl or not progress.done
        undone = (
            "it was rolled back"
            if kept
            else f"{len(progress.done)} of its ops ran and stay ({self.dialect.name} commits DDL at once)"
        )
        before = f"; applied before it: {', '.join(self.applied)}" if self.applied else ""
        return f"{direction} {revision.id} ({revision.message}) failed{where}: {reason}; {undone}{before}"


def _script_line(error: Exception, revision: Revision) -> Optional[str]:
    """The line of the revision script where `error` came from, e.g. `line 24: op.create_index(...)`."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(revision.path)]
    return f"line {frames[-1].lineno}: {frames[-1].line}" if frames else None


def version_statements(table: sa.Table, old: Sequence[str], new: Sequence[str]) -> list:
    """Version-table rows from `old` heads to `new` heads: an UPDATE when one replaces one."""
    gone = [r for r in old if r not in new]
    added = [r for r in new if r not in old]
    if len(gone) == 1 and len(added) == 1:
        return [table.update().where(table.c.version_num == gone[0]).values(version_num=added[0])]
    result: list = [table.delete().where(table.c.version_num == r) for r in gone]
    return result + [table.insert().values(version_num=r) for r in added]


# -- commands ------------------------------------------------------------------------------------


def migrate(config: Config, direction: str, target: str, echo: Echo, transaction_per_run: bool = False) -> None:
    revisions = revision_map(config)
    with connect(config.require_url(), migrating=True, lock_timeout=config.lock_timeout) as conn:
        Runner(conn, config, revisions, echo).migrate(direction, target, transaction_per_run)


def stamp(config: Config, target: str, purge: bool, echo: Echo) -> None:
    """Sets the version table to `target` without running any script."""
    revisions = revision_map(config)
    with connect(config.require_url(), migrating=True, lock_timeout=config.lock_timeout) as conn:
        runner = Runner(conn, config, revisions, echo)
        with runner.dialect.migration_lock(conn, config.lock_timeout), runner.transaction():
            runner.table.create(conn, checkfirst=True)
            current = runner.current() if not purge else ()
            if purge:
                conn.execute(runner.table.delete())
            elif any(r not in revisions for r in current):
                raise SchemadiffError("the version table names unknown revisions: use `stamp --purge`")
            new = revisions.resolve(target, current)
            for statement in version_statements(runner.table, current, new):
                conn.execute(statement)
        echo(f"Stamped {', '.join(new) or 'base'}")


def current_versions(config: Config) -> tuple[str, ...]:
    with connect(config.require_url()) as conn:
        return read_versions(conn, config.version_table, config.version_table_schema)


# -- offline SQL ---------------------------------------------------------------------------------


def offline_sql(config: Config, direction: str, target: str, echo: Echo) -> None:
    """Prints the SQL of an upgrade or downgrade, with no connection: `start:end` or a target."""
    revisions = revision_map(config)
    dialect = for_sa_dialect(_offline_dialect(config.require_url()))
    start, end = _offline_range(revisions, direction, target)
    if direction == "upgrade":
        path = revisions.upgrade_path(start, end)
    else:
        path = revisions.downgrade_path(start, end)
    state = replay(revisions, start, dialect)
    table = version_table(config.version_table, config.version_table_schema)
    current = start
    if direction == "upgrade" and not start:
        _print(echo, dialect, [sa.schema.CreateTable(table)])
    # Each revision commits with its version row, as online; MySQL would commit DDL anyway.
    begin, commit = (["BEGIN"], ["COMMIT"]) if dialect.transactional_ddl else ([], [])
    for revision in path:
        echo(f"-- {running_line(direction, revision)}\n")
        state, sql = _revision_sql(revision, direction, state, dialect)
        new = (
            revisions.heads_after_upgrade(current, revision)
            if direction == "upgrade"
            else revisions.heads_after_downgrade(current, revision)
        )
        _print(echo, dialect, begin + sql + version_statements(table, current, new) + commit)
        current = new
    if direction == "downgrade" and not current:
        _print(echo, dialect, [sa.schema.DropTable(table)])


def _offline_dialect(url: str):
    try:
        return sa.engine.make_url(url).get_dialect()()
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as e:
        raise SchemadiffError(f"cannot tell the database dialect from the URL: {e}") from None


def _offline_range(revisions: RevisionMap, direction: str, target: str):
    if ":" not in target:
        if direction == "downgrade":
            raise SchemadiffError("downgrade --sql needs a range, e.g. `downgrade head:base --sql`")
        return (), revisions.resolve(target, ())
    start, end = revisions.resolve_range(target)
    return start or (), end if end is not None else revisions.resolve("heads", ())


def _revision_sql(revision: Revision, direction: str, state: Snapshot, dialect: Dialect):
    sql: list = []
    state = run_script(revision, direction, state, dialect, lambda op, before: sql.extend(statements(op, before, dialect)))
    return state, sql


def _print(echo: Echo, dialect: Dialect, sql: list) -> None:
    for statement in sql:
        echo(f"{sql_text(statement, dialect)};\n")
