"""The neutral dialect: what every database shares, and the hooks a dialect module overrides.

A dialect turns types, server defaults and SQL expressions into canonical strings, so that the
model side (from_metadata) and the database side (reflect) meet on equal values. Whatever one
database does differently lives in its own module, never in compare or render.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import Dialect as SADialect

from ..snapshot import Constraint, Domain, Enum, Expression, ForeignKey, Snapshot, Table
from .ddl import DDL

if TYPE_CHECKING:
    from .. import ops as o

def token_pattern(quoted: str) -> re.Pattern:
    """A tokenizer pattern whose quoted identifiers are `quoted` (a regex)."""
    return re.compile(
        rf"""
          (?P<string>'(?:[^']|'')*')
        | (?P<quoted>{quoted})
        | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
        | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
        | (?P<op><=|>=|<>|!=|\|\||::|[-+*/%=<>(),.;\[\]:])
        | (?P<space>\s+)
        | (?P<other>.)
        """,
        re.VERBOSE,
    )


_TOKEN = token_pattern(r'"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]')


def tokenize(sql: str, pattern: re.Pattern = _TOKEN) -> list[str]:
    """SQL text as tokens: identifiers unquoted and lower-cased, literals kept as written."""
    tokens = []
    for m in pattern.finditer(sql):
        kind, text = m.lastgroup, m.group()
        if kind == "space":
            continue
        if kind == "quoted":
            text = text[1:-1].lower()
        elif kind == "word":
            text = text.lower()
        elif text == "!=":
            text = "<>"
        tokens.append(text)
    return tokens


class NamedType(sa.types.UserDefinedType):
    """A type SQLAlchemy does not know (INET6, geometry(point,4326)), kept as written."""

    cache_ok = True

    def __init__(self, name: str):
        self.name = name

    def get_col_spec(self, **kw) -> str:
        return self.name


def strip_outer_parens(sql: str) -> str:
    """'((a > 1))' -> 'a > 1': removes parentheses that wrap the whole text."""
    text = sql.strip()
    while text.startswith("(") and text.endswith(")") and _closes_at_end(text):
        text = text[1:-1].strip()
    return text


def _closes_at_end(text: str) -> bool:
    depth, quote = 0, None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
    return depth == 0


def replace_changed(item, changes: dict):
    """dataclasses.replace, skipped when nothing would change (replace is slow on big schemas)."""
    changes = {k: v for k, v in changes.items() if getattr(item, k) != v}
    return dataclasses.replace(item, **changes) if changes else item


def _type_key(type_: sa.types.TypeEngine):
    """A hashable key for a type's settings, or None when some setting is unhashable."""
    try:
        key = (type(type_), tuple(sorted(vars(type_).items())))
        hash(key)
        return key
    except TypeError:
        return None


_BOOLEAN_DEFAULT_KEYS = {"0": "false", "'0'": "false", "false": "false", "1": "true", "'1'": "true", "true": "true"}


def boolean_default(default: Optional[Expression]) -> Optional[Expression]:
    """A boolean column's default keyed false/true, however it is spelled: 0, '0' and FALSE are one value."""
    key = None if default is None else _BOOLEAN_DEFAULT_KEYS.get(str(default))
    return default if key is None else default.rekey(key)


def _without_repeats(items: tuple) -> tuple:
    """One of each named object a model declares twice (Column(index=True) and an Index of the
    same name): a database holds one object per name. Unnamed repeats are separate objects."""
    if len(items) < 2:
        return items
    seen: set = set()
    kept = []
    for item in items:
        if item.name is None or item not in seen:
            kept.append(item)
            seen.add(item)
    return tuple(kept)


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Dialect:
    """Base for one database's rules. `sa_dialect` is SQLAlchemy's dialect for it."""

    name = "default"
    #: Referential actions that mean "the database default" and so equal no action at all.
    default_referential_actions = frozenset({"NO ACTION"})
    #: Whether the database keeps the names given to primary keys.
    keeps_primary_key_names = True
    #: Whether DROP COLUMN drops the table's indexes and constraints on the column with it.
    drops_column_dependents = False

    #: The DDL class that writes this database's statements (see dialects/ddl.py).
    ddl_class: type = DDL
    #: The schema a new database puts tables in, known without connecting; None where each
    #: database is its own schema (MySQL).
    nominal_default_schema: Optional[str] = None

    def __init__(self, sa_dialect: SADialect):
        self.sa_dialect = sa_dialect
        #: CREATE TABLE leaves out a foreign key with `use_alter=True` where the database can
        #: add it by ALTER (SQLAlchemy's rule, so Alembic's create_table's): the script adds it.
        self.leaves_out_use_alter_keys = sa_dialect.supports_alter
        self.preparer = sa_dialect.identifier_preparer
        self.ddl = self.ddl_class(self)
        # Schemas repeat the same few types thousands of times; compiling each once is enough.
        self._type_strings: dict = {}
        self._canonical_types: dict[str, str] = {}
        # The same defaults and expressions recur across tables; normalize each text once.
        self.normalize_default = functools.lru_cache(maxsize=None)(self.normalize_default)
        self.normalize_expression = functools.lru_cache(maxsize=None)(self.normalize_expression)

    # -- types ---------------------------------------------------------------------------
    def type_string(self, type_: sa.types.TypeEngine) -> str:
        """Canonical text of a SQLAlchemy type, as this database would store it."""
        key = _type_key(type_)
        if key is None:
            return self._compile_type(type_)
        if key not in self._type_strings:
            self._type_strings[key] = self._compile_type(type_)
        return self._type_strings[key]

    def _compile_type(self, type_: sa.types.TypeEngine) -> str:
        compiled = self.sa_dialect.type_compiler_instance.process(type_)
        return self.clean_type(" ".join(compiled.split()).upper())

    def column_type(self, col: sa.Column) -> str:
        """The canonical type of a model column, within its table."""
        return self.type_string(col.type)

    def clean_type(self, compiled: str) -> str:
        """Per-dialect touch-ups of compiled type text (aliases that the database folds)."""
        return compiled

    def parse_type(self, text: str) -> sa.types.TypeEngine:
        """A reflected type name turned back into a SQLAlchemy type."""
        raise NotImplementedError

    def canonical_type(self, text: str) -> str:
        if text not in self._canonical_types:
            self._canonical_types[text] = self.type_string(self.parse_type(text))
        return self._canonical_types[text]

    # -- defaults and expressions -----------------------------------------------------
    def normalize_default(self, sql: Optional[str]) -> Optional[Expression]:
        """A server default as an Expression, or None for no default."""
        if sql is None:
            return None
        key = self.default_key(sql)
        return None if key is None else Expression(key, strip_outer_parens(sql))

    def normalize_expression(self, sql: str) -> Expression:
        """A check, computed column, index expression or WHERE clause as an Expression."""
        return Expression(self.expression_key(sql), sql.strip())

    def default_key(self, sql: str) -> Optional[str]:
        """Canonical text of a server default; None when it means no default."""
        text = strip_outer_parens(sql)
        if text.upper() == "NULL" or text == "":
            return None
        return self.expression_key(text)

    def expression_key(self, sql: str) -> str:
        """Canonical text of an SQL expression.

        Parentheses and identifier quoting are dropped: databases add and remove both when they
        store an expression, and neither changes what a schema means in practice.
        """
        return " ".join(t for t in tokenize(sql) if t not in ("(", ")"))

    def referential_action(self, action: Optional[str]) -> Optional[str]:
        if action is None:
            return None
        action = " ".join(action.upper().split())
        return None if action in self.default_referential_actions else action

    # -- symmetric canonical form -----------------------------------------------------
    def canonical_table(self, table: Table) -> Table:
        """Applied to model and reflected tables alike: folds what this database cannot tell apart."""
        changes: dict = {}
        if not self.sa_dialect.supports_comments:
            changes["comment"] = None
            changes["columns"] = tuple(
                dataclasses.replace(c, comment=None) if c.comment else c for c in table.columns
            )
        if not self.keeps_primary_key_names and table.primary_key and table.primary_key.name:
            changes["primary_key"] = dataclasses.replace(table.primary_key, name=None)
        fks = _without_repeats(tuple(self.canonical_foreign_key(fk) for fk in table.foreign_keys))
        if fks != table.foreign_keys:
            changes["foreign_keys"] = fks
        for attr in ("uniques", "indexes"):
            items = getattr(table, attr)
            if len(_without_repeats(items)) != len(items):
                changes[attr] = _without_repeats(items)
        return replace_changed(table, changes)

    def canonical_foreign_key(self, fk: ForeignKey) -> ForeignKey:
        changes = dict(
            ondelete=self.referential_action(fk.ondelete),
            onupdate=self.referential_action(fk.onupdate),
            deferrable=fk.deferrable or None,
            initially=(fk.initially or "IMMEDIATE").upper() if fk.deferrable else None,
        )
        return replace_changed(fk, changes)

    def enums_from_tables(self, tables: Sequence[sa.Table]) -> list[Enum]:
        """Named enum types the models need as separate schema objects (PostgreSQL only)."""
        return []

    def domains_from_tables(self, tables: Sequence[sa.Table]) -> list[Domain]:
        """Domains the models' column types name (PostgreSQL only)."""
        return []

    def canonical_domain(self, domain: Domain) -> Domain:
        """Applied to model and reflected domains alike."""
        return domain

    @property
    def has_identity_columns(self) -> bool:
        """Whether the database keeps IDENTITY; where it does not, create_all leaves a model's
        Identity out and the column numbers itself as column_autoincrement says, or not at all."""
        return bool(self.sa_dialect.supports_identity_columns)

    def column_autoincrement(self, col: sa.Column) -> bool:
        """Whether create_all() makes `col` generate its own values (SERIAL, AUTO_INCREMENT)."""
        return col is col.table.autoincrement_column

    def index_where(self, index: sa.Index) -> Optional[sa.sql.ClauseElement]:
        """The WHERE clause of a partial index, for databases that have them."""
        return None

    def index_options(self, index: sa.Index) -> tuple:
        """The index's options that this database keeps (Index.options), in canonical form;
        options of other databases are not created here, so they are left out."""
        return ()

    # -- running migrations --------------------------------------------------------------
    #: Whether DDL runs inside transactions (so a failed revision rolls back entirely).
    transactional_ddl = True

    def prepare_migration_engine(self, engine: sa.Engine, lock_timeout: float) -> None:
        """Engine settings a migration run needs on this database."""

    @contextmanager
    def autocommit(self, conn: Connection) -> Iterator[None]:
        """Runs the block outside a transaction (a script's autocommit_block()): the transaction
        under way commits first, and a new one begins after the block."""
        conn.commit()
        level = conn.get_isolation_level()
        conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            yield
        finally:
            conn.commit()  # ends the block's own (autocommit) transaction
            conn.execution_options(isolation_level=level)
            conn.begin()

    @contextmanager
    def migration_lock(self, conn: Connection, timeout: float) -> Iterator[None]:
        """Holds off other schemadiff processes migrating the same database meanwhile."""
        yield

    def refuses_foreign_key(self, fk: ForeignKey, target: Table) -> Optional[str]:
        """Why this database refuses `fk` to `target` as the schema will be; None where it takes it."""
        return None

    def prepare_scratch_database(self, conn: Connection) -> None:
        """Readies a new, empty database for the settings that the project's URL carries, so that
        a replay there runs as on the real database."""

    #: Whether a schema is a database of the server (MySQL), so that a scratch database beside
    #: the real one cannot hold a history's other schemas apart from the real ones.
    schemas_are_databases = False

    def check_integrity(self, conn: Connection) -> list[str]:
        """Raises when a revision left the data inconsistent in a way the database did not catch;
        returns warnings about what it could not check."""
        return []

    # -- hazards (named and explained in hazards.py) ------------------------------------
    #: Whether column values are held to their declared type and size (SQLite keeps any value).
    enforces_column_types = True
    #: Whether a new NOT NULL column without a default fails on existing rows (rather than
    #: giving them an implicit value).
    rejects_not_null_without_default = True

    def table_rewrite(self, op, before: Snapshot) -> Optional[str]:
        """The hazard code when `op`, run on schema `before`, rewrites its whole table here; else None."""
        return None

    def blocks_writes(self, op) -> bool:
        """Whether `op` on a table that has rows blocks writes to it while it scans or builds.

        Asked of index builds, SET NOT NULL, and new foreign keys and checks.
        """
        return False

    def rename_rechecks(self, op: "o.RenameConstraint", before: Snapshot) -> Optional[Constraint]:
        """The constraint that renaming it here drops and adds again, which checks every row;
        None where the database renames it in place."""
        return None

    def commits_at_once(self, op: "o.Op") -> bool:
        """Whether running `op` commits, so that a failure later in the revision cannot undo it."""
        return not self.transactional_ddl

    # -- reflection --------------------------------------------------------------------
    def default_schema(self, conn: Connection) -> Optional[str]:
        return self.sa_dialect.default_schema_name

    def reflect_domains(self, conn: Connection, schemas: Sequence[Optional[str]]) -> list[Domain]:
        """The domains of `schemas` (PostgreSQL only). Read before the tables, whose column
        types name them."""
        return []

    @property
    def server(self) -> str:
        """The kind of server, as `dialects.offline_dialect` takes it back."""
        return self.name

    def reflect(
        self, conn: Connection, schemas: Sequence[Optional[str]]
    ) -> tuple[list[Table], list[Enum]]:
        """Every table (and enum) of `schemas`, None being the default schema, read in batches."""
        raise NotImplementedError
