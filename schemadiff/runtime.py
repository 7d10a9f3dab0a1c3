"""Runs revision scripts: upgrade, downgrade and stamp, online or as SQL text (--sql).

Online, each revision runs in its own transaction with its version-table update, under a
migration lock, and re-reads the version table first, so a second process that waited for the
lock finds the work done. Offline, the schema at the start of the range comes from replaying the
earlier scripts without a database, and the same DDL that would run is printed instead.
"""

from __future__ import annotations

import ast
import sys
import traceback
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .alembic_shim import alembic_names
from .api import connect
from .config import Config
from .dialects import Dialect, for_sa_dialect
from .errors import SchemadiffError
from .execute import Batcher, SqlPrinter, printed, run_statements
from .head_snapshot import revision_map
from .operations import Operations, using
from .reflect import reflect
from .replay import load_module
from .replay_start import replay_script, resolve_start
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


_SCHEMA_KEYWORDS = frozenset({"schema", "source_schema", "referent_schema"})


def script_schemas(revision: Revision) -> set[str]:
    """The schemas a revision script names (`schema="other"`), which its ops may look tables up in.

    Read from the source, so tables in any schema the script touches are known before it runs,
    with no configuration and without reflecting every schema of the database.
    """
    try:
        tree = ast.parse(revision.path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()  # load_module reports what is wrong with the file
    return {
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword)
        and node.arg in _SCHEMA_KEYWORDS
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


@dataclass
class _Progress:
    """Where a revision got to, for the message when it fails."""

    done: list = field(default_factory=list)
    current: tuple = ()  # the ops whose statements run now (several: one table rebuild)
    committed: int = 0  # how many of `done` an autocommit block committed
    autocommit: bool = False  # inside an autocommit block: each op commits as it runs


class Runner:
    """Moves one database through its history."""

    def __init__(
        self, conn: Connection, config: Config, revisions: RevisionMap, echo: Echo, scratch: bool = False
    ):
        self.conn = conn
        self.scratch = scratch  # a throwaway database: a failure needs no recovery advice
        self.config = config
        self.revisions = revisions
        self.echo = echo
        self.dialect = for_sa_dialect(conn.dialect)
        self.table = version_table(config.version_table, config.version_table_schema)
        self.applied: list[str] = []
        self.warned: set[str] = set()
        self._progress = _Progress()  # the running revision's

    def current(self) -> tuple[str, ...]:
        return read_versions(self.conn, self.config.version_table, self.config.version_table_schema)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commits whichever transaction is current at the end: an autocommit block in between
        commits the first one and begins another."""
        if self.conn.in_transaction():
            yield
            return
        self.conn.begin()
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    @contextmanager
    def autocommit(self) -> Iterator[None]:
        """`op.autocommit_block()`: the work so far commits, the block runs with no transaction
        (CREATE INDEX CONCURRENTLY), and a new transaction takes the rest."""
        with self.dialect.autocommit(self.conn):
            self._progress.committed = len(self._progress.done)
            self._progress.autocommit = True
            try:
                yield
            finally:
                self._progress.autocommit = False

    def migrate(self, direction: str, target: str, transaction_per_run: bool = False) -> None:
        with self.dialect.migration_lock(self.conn, self.config.lock_timeout):
            with self.transaction():
                self.table.create(self.conn, checkfirst=True)  # under the lock: no race to create it
                current = self._checked_current()
                target_ids = self._target(direction, target, current)
            with self.transaction() if transaction_per_run else nullcontext():
                while self._step(direction, target_ids):
                    pass
        if not self.applied:  # read again: another process may have moved it meanwhile
            self.echo(f"Nothing to do: the database is at {', '.join(self.current()) or 'base'} already")

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
        progress = self._progress = _Progress()
        state = reflect(self.conn, [*self.config.schemas, *script_schemas(revision)], self.dialect)

        def execute(ops: tuple, sql: list) -> None:
            progress.current = ops
            run_statements(self.conn, sql)
            progress.done += ops
            progress.current = ()
            if progress.autocommit:
                progress.committed = len(progress.done)

        batcher = Batcher(self.dialect, state, execute)
        operations = Operations(
            self.dialect,
            state,
            batcher.add,
            bind=self.conn,
            flush=batcher.flush,
            autocommit=self.autocommit,
            adopt=batcher.adopt,
        )
        with using(operations):  # module-level code may use op too (`NAME = op.f("...")`)
            module = load_module(revision)
        # A root revision that meets tables already there: most likely a database made before
        # schemadiff managed it, which wants `stamp`, not `upgrade`.
        unmanaged = direction == "upgrade" and not revision.down_revisions and any(
            t.name != self.config.version_table for t in state.tables
        )
        try:
            with (
                using(operations),
                alembic_names(),
                _flushed_before_use(self.conn, batcher),
            ):
                getattr(module, direction)()
                operations.finish()
                batcher.flush()
            warnings = self.dialect.check_integrity(self.conn)
        except (Exception, KeyboardInterrupt) as e:  # Ctrl-C too: the user must learn what stays
            raise SchemadiffError(self._failure(revision, direction, progress, e, unmanaged)) from e
        self._warn(warnings)

    def _warn(self, warnings: list[str]) -> None:
        """Each warning once per run, on stderr: revisions after the first find the same."""
        for warning in warnings:
            if warning not in self.warned:
                self.warned.add(warning)
                print(f"schemadiff: warning: {warning}", file=sys.stderr)

    def _failure(
        self, revision: Revision, direction: str, progress: _Progress, error: BaseException, unmanaged: bool
    ) -> str:
        line = _script_line(error, revision)
        if progress.current:
            first, *others = progress.current
            where = f" at `{describe(first)}`"
            where += f" (one rebuild of {first.target} with {len(others)} more op(s))" if others else ""
        else:  # the script failed between ops, e.g. while building the next one
            where = f" at `{line}`" if line else ""
            where += f" after `{describe(progress.done[-1])}`" if progress.done else ""
        if isinstance(error, KeyboardInterrupt):
            reason = "interrupted (Ctrl-C)"
        else:
            reason = " ".join(str(getattr(error, "orig", None) or error).split())
        failed = f"{direction} {revision.id} ({revision.message}) failed{where}: {reason}"
        if self.scratch:
            return failed
        kept = self._kept(progress)
        after = revision.id if direction == "upgrade" else (", ".join(revision.down_revisions) or "base")
        if kept:
            ran = ", ".join(f"`{describe(op)}`" for op in kept)
            undone = (
                f"{len(kept)} of its ops ran and stay ({self._why_kept(progress, kept)}): {ran}"
                + ("; the rest was rolled back" if len(kept) < len(progress.done) else "")
                + f"; to recover, undo those by hand and run `schemadiff {direction}` again, "
                f"or do the rest of {revision.id} by hand and run `schemadiff stamp {after}`"
            )
        else:
            undone = "it was rolled back"
        if isinstance(error, SchemadiffError) and line and not kept:
            # The script's idea of the schema is not the database's.
            undone += "; " + self._mismatch_hint(revision, direction, after, unmanaged)
        before = f"; applied before it: {', '.join(self.applied)}" if self.applied else ""
        return f"{failed}; {undone}{before}"

    def _why_kept(self, progress: _Progress, kept: list) -> str:
        if len(kept) > progress.committed or not progress.committed:
            return f"{self.dialect.name} commits DDL at once"
        return "its autocommit_block() committed them"

    def _kept(self, progress: _Progress) -> list:
        """The ops of a failed revision that the rollback cannot undo, as the database committed them."""
        if any(self.dialect.commits_at_once(op) for op in progress.current):
            return list(progress.done)  # the failed statement committed everything before it
        last = max((i for i, op in enumerate(progress.done) if self.dialect.commits_at_once(op)), default=-1)
        return progress.done[: max(last + 1, progress.committed)]

    def _mismatch_hint(self, revision: Revision, direction: str, after: str, unmanaged: bool) -> str:
        if unmanaged:
            return (
                "the database has tables but no revision recorded: if it already has the schema of a "
                "revision, record that with `schemadiff stamp REV` (e.g. `schemadiff stamp head` when "
                "it matches the models) instead of upgrading"
            )
        halfway = (
            f" (an earlier run of {revision.id} that failed halfway leaves its DDL behind on {self.dialect.name})"
            if not self.dialect.transactional_ddl
            else ""
        )
        return (
            f"the database is not what {revision.id}'s {direction}() expects{halfway}: bring it in line "
            f"by hand and run `schemadiff {direction}` again, or, if the database already is as "
            f"{revision.id}'s {direction}() leaves it, run `schemadiff stamp {after}`"
        )


@contextmanager
def _flushed_before_use(conn: Connection, batcher: Batcher) -> Iterator[None]:
    """A script's own SQL on the connection (op.get_bind()) sees every table in its final shape."""

    def flush(*_args) -> None:
        batcher.flush()

    sa.event.listen(conn, "before_execute", flush)
    try:
        yield
    finally:
        sa.event.remove(conn, "before_execute", flush)


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


def offline_sql(config: Config, direction: str, target: str, echo: Echo, start_from: Optional[str] = None) -> None:
    """Prints the SQL of an upgrade or downgrade, with no connection: `start:end` or a target.

    The schema at `start` is replayed from `start_from` (see replay_start.resolve_start)."""
    revisions = revision_map(config)
    dialect = for_sa_dialect(_offline_dialect(config.require_url()))
    start, end = _offline_range(revisions, direction, target)
    if direction == "upgrade":
        path = revisions.upgrade_path(start, end)
    else:
        path = revisions.downgrade_path(start, end)
    origin = resolve_start(config, revisions, dialect, start_from, start)
    state = origin.replay(revisions, start, dialect)
    table = version_table(config.version_table, config.version_table_schema)
    current = start
    if direction == "upgrade" and not start:
        _print(echo, dialect, [sa.schema.CreateTable(table)])
    # Each revision commits with its version row, as online; MySQL would commit DDL anyway.
    begin, commit = (["BEGIN"], ["COMMIT"]) if dialect.transactional_ddl else ([], [])
    for revision in path:
        echo(f"-- {running_line(direction, revision)}\n")
        state, sql = _revision_sql(revision, direction, state, dialect, origin.source)
        new = (
            revisions.heads_after_upgrade(current, revision)
            if direction == "upgrade"
            else revisions.heads_after_downgrade(current, revision)
        )
        try:
            texts = [printed(s, dialect) for s in begin + sql + version_statements(table, current, new) + commit]
        except sa.exc.CompileError as e:  # a value SQL text cannot hold, e.g. a dict for JSON
            raise SchemadiffError(f"{revision.path}: --sql cannot write out its SQL: {e}") from None
        for text in texts:
            echo(text)
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


def _revision_sql(revision: Revision, direction: str, state: Snapshot, dialect: Dialect, source: str):
    printer = SqlPrinter(dialect, state)
    state = replay_script(
        revision, direction, state, dialect, source, printer.add, printer.flush, printer.autocommit, printer.adopt
    )
    return state, printer.sql


def _print(echo: Echo, dialect: Dialect, sql: list) -> None:
    for statement in sql:
        echo(printed(statement, dialect))
