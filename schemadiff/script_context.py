"""What a revision script may ask of the run beyond schema ops, in Alembic's words.

`op.get_context()` gives a `MigrationContext` (the dialect, offline or not, the connection,
`autocommit_block()`, the version table); `alembic.context` in a script is an
`EnvironmentContext` (`is_offline_mode()`, `get_x_argument()`, `config.get_main_option()`, ...).
`ContextOps` adds the matching op calls: get_context, get_bind, bulk_insert, inline_literal.

A run is offline when it has no connection: `upgrade --sql`, and the replay of scripts that
builds a head snapshot or the schema at the start of a `--sql` range.

The project's settings that scripts read come from script_settings.py.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence, Union

import sqlalchemy as sa

from .config import mask_url
from .errors import SchemadiffError
from .execute import sql_text
from .script_settings import ScriptSettings, current_settings

if TYPE_CHECKING:
    from .dialects.base import Dialect


class ScriptConfig:
    """`context.config` in a script: the few things scripts read from Alembic's Config."""

    config_file_name = None
    config_ini_section = "alembic"
    cmd_opts = None

    def __init__(self, settings: ScriptSettings):
        self._main = {"sqlalchemy.url": settings.url, "script_location": settings.script_location}
        self.attributes: dict = {}

    def get_main_option(self, name: str, default: Optional[str] = None) -> Optional[str]:
        value = self._main.get(name)
        return default if value is None else value

    def get_section_option(
        self, section: str, name: str, default: Optional[str] = None
    ) -> Optional[str]:
        return (
            self.get_main_option(name, default) if section == self.config_ini_section else default
        )

    def get_section(self, name: str, default: Optional[dict] = None) -> Optional[dict]:
        if name != self.config_ini_section:
            return default
        return {k: v for k, v in self._main.items() if v is not None}

    def __repr__(self) -> str:
        url = self._main["sqlalchemy.url"]
        return f"<schemadiff script config url={mask_url(url) if url else None}>"


class MigrationContext:
    """`op.get_context()`: the run a script is part of."""

    def __init__(self, operations: "ContextOps"):
        self._operations = operations
        settings = current_settings()
        self.dialect: sa.engine.Dialect = operations.dialect.sa_dialect
        self.as_sql: bool = operations._bind is None
        self.bind: Union[sa.engine.Connection, OfflineBind] = (
            OfflineBind(self.dialect) if self.as_sql else operations._bind
        )
        self.connection = self.bind
        self.version_table: str = settings.version_table
        self.version_table_schema: Optional[str] = settings.version_table_schema
        self.opts: dict = {"as_sql": self.as_sql, "version_table": self.version_table}
        self.environment = EnvironmentContext(self, settings)

    @contextmanager
    def autocommit_block(self) -> Iterator[None]:
        """The block runs outside the revision's transaction (CREATE INDEX CONCURRENTLY, ALTER TYPE
        ... ADD VALUE): what ran before it commits first, and a new transaction begins after it.
        Offline, where the dialect's SQL has transactions, COMMIT and BEGIN are printed around it.
        """
        operations = self._operations
        operations.flush(None)
        if not self.as_sql:
            with operations.dialect.autocommit(self.bind):
                yield
                operations.flush(None)
            return
        transactional = operations.dialect.transactional_ddl
        if transactional:
            operations.execute("COMMIT")
        yield
        operations.flush(None)
        if transactional:
            operations.execute("BEGIN")


class OfflineBind:
    """What op.get_bind() gives where there is no connection (--sql, the offline replay): the
    dialect, which scripts read to choose their SQL as they do under Alembic's --sql, and a
    one-line error for any use of the connection itself (the replay adds the script's line)."""

    def __init__(self, dialect: sa.engine.Dialect):
        self.dialect = dialect
        self.name = dialect.name  # as Engine.name, for `op.get_bind().engine.name`
        self.engine = self

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise SchemadiffError(
            f"op.get_bind() has no live database connection under --sql or in the offline replay, "
            f"so .{name} cannot work: use op.execute(), or test context.is_offline_mode()"
        )

    def __repr__(self) -> str:
        return f"<no connection: {self.dialect.name}, offline>"


class EnvironmentContext:
    """`alembic.context` in a script: Alembic's environment, as far as a revision script uses it."""

    def __init__(self, context: MigrationContext, settings: ScriptSettings):
        self._context = context
        self.config = ScriptConfig(settings)

    def get_context(self) -> MigrationContext:
        return self._context

    def is_offline_mode(self) -> bool:
        return self._context.as_sql

    def is_transactional_ddl(self) -> bool:
        return self._context._operations.dialect.transactional_ddl

    def get_x_argument(self, as_dictionary: bool = False) -> Union[list, dict]:
        """schemadiff has no `-x`: always empty."""
        return {} if as_dictionary else []

    def get_tag_argument(self) -> None:
        return None

    def get_bind(self) -> Union[sa.engine.Connection, OfflineBind]:
        return self._context.bind

    def execute(self, sql: Any, execution_options: Optional[dict] = None) -> None:
        self._context._operations.execute(sql, execution_options=execution_options)


class ContextOps:
    """The op calls about the run rather than the schema; mixed into Operations, whose
    `dialect`, `_bind`, `flush` and `execute` they use."""

    dialect: "Dialect"
    _bind: Optional[sa.engine.Connection]

    def get_context(self) -> MigrationContext:
        return self._migration_context

    @functools.cached_property
    def _migration_context(self) -> MigrationContext:
        return MigrationContext(self)

    def get_bind(self) -> Union[sa.engine.Connection, "OfflineBind"]:
        """The live connection, each table in its final shape; offline, an OfflineBind."""
        if self._bind is None:
            return self.get_context().bind
        self.flush(None)
        return self._bind

    @staticmethod
    def inline_literal(value: Any, type_: Any = None) -> sa.sql.ColumnElement:
        """A value written into the SQL itself, not sent as a parameter: for op.execute() statements
        that must print whole under --sql."""
        return sa.literal(value, type_, literal_execute=True)

    def bulk_insert(
        self,
        table: Union[sa.Table, sa.sql.TableClause],
        rows: Sequence[dict],
        multiinsert: bool = True,
    ) -> None:
        """Inserts `rows` into `table` (a sa.Table, or sa.table() with its columns), values bound
        online and written out under --sql. With `multiinsert`, rows that name the same columns
        go as multi-row INSERTs of up to _PARAMETERS values each; else one INSERT per row."""
        rows = list(rows)
        if not multiinsert or len({tuple(row) for row in rows}) > 1:
            for row in rows:
                self.execute(table.insert().values(**row))
            return
        size = _PARAMETERS // max(1, len(rows[0])) if rows else 1
        for start in range(0, len(rows), size):
            self.execute(table.insert().values(rows[start : start + size]))


#: The most bound values in one multi-row INSERT: SQLite's oldest limit, below every other's.
_PARAMETERS = 999


def written_sql(statement: Any, dialect: "Dialect") -> str:
    """A statement's SQL with its values written in; as compiled (with placeholders) where a
    value has no literal form, which only --sql needs and reports when it prints it."""
    try:
        return sql_text(statement, dialect)
    except (sa.exc.CompileError, NotImplementedError):
        return str(statement.compile(dialect=dialect.sa_dialect)).strip()
