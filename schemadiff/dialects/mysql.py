"""MySQL and MariaDB: information_schema reflection in batches, and the canonical forms of types,
defaults and expressions.

SQLAlchemy reflects MySQL with one SHOW CREATE TABLE per table; here every kind of object is one
information_schema query for all tables of all schemas in scope. Types are parsed with
SQLAlchemy's own MySQL machinery and compiled back, so that model and database meet on one text.

Where the two servers differ:
- COLUMN_DEFAULT: MariaDB gives SQL text ('x', 0, current_timestamp(), 'NULL' for none); MySQL 8
  gives a literal's bare value and marks expressions with DEFAULT_GENERATED in EXTRA.
- JSON: MariaDB stores it as LONGTEXT plus a CHECK (json_valid(col)); MySQL 8 has a JSON type.
- CHECK_CONSTRAINTS: MariaDB has TABLE_NAME; MySQL 8 needs TABLE_CONSTRAINTS to find the table.
- Stored expressions: MariaDB escapes quotes in literals with a backslash; MySQL 8 adds charset
  introducers (_utf8mb4'a').

Migrations run with MysqlDDL (ALTER TABLE ... MODIFY, and the index behind each foreign key kept
where the snapshots say it is), outside transactions (MySQL commits each DDL statement at once),
under a GET_LOCK named after the database.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import defaultdict
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy import schema as ddl
from sqlalchemy.dialects.mysql.reflection import ReflectedState
from sqlalchemy.engine import Connection

from .. import ops as o
from .. import snapshot as s
from ..errors import SchemadiffError
from ..state import apply, find_table
from ..to_metadata import to_constraint, to_index
from .base import Dialect, NamedType, quote_literal, replace_changed, strip_outer_parens, tokenize
from .ddl import DDL

# -- catalog queries: one per kind of object, for every table of every schema in scope ---------


def _query(sql: str) -> sa.TextClause:
    return sa.text(sql).bindparams(sa.bindparam("schemas", expanding=True))


TABLES_SQL = _query("""
SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_COMMENT
FROM information_schema.TABLES
WHERE TABLE_SCHEMA IN :schemas AND TABLE_TYPE = 'BASE TABLE'
""")

# COLUMNS and STATISTICS hold most rows: one row per table, its rows packed as JSON, spares the
# driver most of its per-field work. MySQL cannot order inside JSON_ARRAYAGG: each packed row
# starts with its position, and Python sorts. Rows of views come along and are dropped.
COLUMNS_SQL = _query("""
SELECT TABLE_SCHEMA, TABLE_NAME, JSON_ARRAYAGG(JSON_ARRAY(
    ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA,
    GENERATION_EXPRESSION, COLUMN_COMMENT, COLLATION_NAME))
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA IN :schemas
GROUP BY TABLE_SCHEMA, TABLE_NAME
""")

# The default collation of each character set, to tell `CHARACTER SET x` from `COLLATE y`, and
# the current database's, which tables take when they say none.
COLLATIONS_SQL = sa.text("""
SELECT COLLATION_NAME, CHARACTER_SET_NAME, IS_DEFAULT FROM information_schema.COLLATIONS
""")
DATABASE_COLLATION_SQL = sa.text("SELECT @@collation_database")

# EXPRESSION (functional key parts) exists from MySQL 8.0.13 on, never on MariaDB. SUB_PART is
# a key's prefix length; INDEX_TYPE says FULLTEXT and SPATIAL.
_STATISTICS = """
SELECT TABLE_SCHEMA, TABLE_NAME, JSON_ARRAYAGG(JSON_ARRAY(
    INDEX_NAME, SEQ_IN_INDEX, NON_UNIQUE, COLUMN_NAME, COLLATION, {expression},
    SUB_PART, INDEX_TYPE))
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA IN :schemas
GROUP BY TABLE_SCHEMA, TABLE_NAME
"""
STATISTICS_SQL = _query(_STATISTICS.format(expression="NULL"))
STATISTICS_WITH_EXPRESSIONS_SQL = _query(_STATISTICS.format(expression="EXPRESSION"))

# Two plain queries merged in Python: joining the two views costs MariaDB ten times as much.
FOREIGN_KEY_COLUMNS_SQL = _query("""
SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME,
    REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA IN :schemas AND REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION
""")

FOREIGN_KEY_RULES_SQL = _query("""
SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE
FROM information_schema.REFERENTIAL_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA IN :schemas
""")

# MariaDB names checks per table (CONSTRAINT_1 in many tables), so it must not join by name.
MARIADB_CHECKS_SQL = _query("""
SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA IN :schemas
""")

MYSQL_CHECKS_SQL = _query("""
SELECT tc.TABLE_SCHEMA, tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE
FROM information_schema.TABLE_CONSTRAINTS tc
JOIN information_schema.CHECK_CONSTRAINTS cc
    ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE tc.TABLE_SCHEMA IN :schemas AND tc.CONSTRAINT_TYPE = 'CHECK'
""")


# -- DDL -----------------------------------------------------------------------------------------


class MysqlDDL(DDL):
    """MySQL's ALTER TABLE: MODIFY and CHANGE restate a whole column; keys follow two rules.

    AUTO_INCREMENT needs a key: it comes off before its primary key goes, and goes back on with
    the new one. A foreign key needs an index that starts with its columns: MySQL makes one when
    no key does (reflection folds it away) and drops it once another key covers the foreign key,
    but keeps it when the foreign key goes, refuses to drop the last covering key, and never drops
    an index it did not make itself. So every op that changes keys states that implicit index's
    fate itself, as the snapshots on either side of the op imply (see _implicit_indexes).
    """

    def _CreateTable(self, op: o.CreateTable, before, after) -> list:
        """A foreign key under a generated name (a table made again as it was reflected) gets
        its index under the name MySQL gives an unnamed key's, as _implicit_indexes expects;
        MySQL drops the index it named after the key as soon as this one covers the key."""
        table = self.sa_table(after, op.table.name, op.table.schema)
        renamed = [
            to_index(_plain_index(name, fk.columns), table, self.dialect)
            for name, fk in _implicit_indexes(op.table).items()
            if fk.name not in (None, name)
        ]
        return super()._CreateTable(op, before, after) + [ddl.CreateIndex(i) for i in renamed]

    def _AlterColumn(self, op: o.AlterColumn, before, after) -> list:
        change = self._column_change(op, before, after)
        if not change or op.existing.type == op.new.type:
            return change
        drops, adds = self.foreign_keys_around(op, before, after)
        return drops + change + adds

    def foreign_keys_around(self, op: o.AlterColumn, before, after) -> tuple[list, list]:
        """MySQL changes no type of a column that a foreign key uses (errors 1832, 1833): the
        keys come off before and go back on after. A key is on exactly while the types of its two
        sides match, so when both sides change in one revision it comes off with the first
        change and goes back on with the second."""
        drops = [
            f"ALTER TABLE {self.table_name(table.name, table.schema)} "
            f"DROP FOREIGN KEY {self.preparer.quote(self.named(table, fk).name)}"
            for table, fk in _foreign_keys_using(before, op.table_name, op.schema, op.existing.name)
            if _foreign_key_types_match(before, table, fk)
        ]
        adds = []
        for table, fk in _foreign_keys_using(after, op.table_name, op.schema, op.new.name):
            if _foreign_key_types_match(after, table, fk):
                constraint = to_constraint(self.named(table, fk))
                self.sa_table(after, table.name, table.schema).append_constraint(constraint)
                compiler = self.sa_dialect.ddl_compiler(self.sa_dialect, None)
                adds.append(
                    f"ALTER TABLE {self.table_name(table.name, table.schema)} "
                    f"ADD {compiler.process(constraint)}"
                )
        return drops, adds

    def _column_change(self, op: o.AlterColumn, before, after) -> list:
        spec = self.column_spec(self.sa_table(after, op.table_name, op.schema), op.new.name)
        if op.new.name != op.existing.name:
            return [self.alter(op, f"CHANGE {self.preparer.quote(op.existing.name)} {spec}")]
        old_table = self.sa_table(before, op.table_name, op.schema)
        if spec == self.column_spec(old_table, op.existing.name):
            return []  # AUTO_INCREMENT alone, which follows the primary key: see auto_increment()
        return [*self._via_text(op), self.alter(op, f"MODIFY {spec}")]

    def _via_text(self, op: o.AlterColumn) -> list:
        """MariaDB casts its UUID type to and from strings only: other type changes pass through one."""
        types = (op.existing.type, op.new.type)
        if types[0] == types[1] or not any(t.startswith("UUID") for t in types):
            return []
        if any(t.startswith(("CHAR", "VARCHAR", "TEXT")) for t in types):
            return []
        column = self.preparer.quote(op.existing.name)
        return [self.alter(op, f"MODIFY {column} VARCHAR(36)")]

    def _CreateIndex(self, op: o.CreateIndex, before, after) -> list:
        implicit = self.implicit_index_changes(op, before, after)
        if not implicit:
            return super()._CreateIndex(op, before, after)
        return [self.alter(op, f"ADD {self.index_definition(op.index)}", *implicit)]

    def _DropIndex(self, op: o.DropIndex, before, after) -> list:
        drop = f"DROP INDEX {self.preparer.quote(op.index.name)}"
        return [self.alter(op, drop, *self.implicit_index_changes(op, before, after))]

    def _AddConstraint(self, op: o.AddConstraint, before, after) -> list:
        # Built afresh from the op: to_table's copy of an unnamed constraint cannot be told by name.
        constraint = to_constraint(op.constraint)
        self.sa_table(after, op.table_name, op.schema).append_constraint(constraint)
        compiler = self.sa_dialect.ddl_compiler(self.sa_dialect, None)
        add = f"ADD {compiler.process(constraint)}"
        implicit = self.implicit_index_changes(op, before, after)
        return [self.alter(op, add, *self.auto_increment(op, before, after), *implicit)]

    def _DropConstraint(self, op: o.DropConstraint, before, after) -> list:
        constraint = self.named(find_table(before, op.table_name, op.schema), op.constraint)
        if isinstance(constraint, s.CheckConstraint):
            named = dataclasses.replace(op, constraint=constraint)
            return super()._DropConstraint(named, before, after)
        if isinstance(constraint, s.PrimaryKey):
            drop = "DROP PRIMARY KEY"
        elif isinstance(constraint, s.ForeignKey):
            drop = f"DROP FOREIGN KEY {self.preparer.quote(constraint.name)}"
        else:
            drop = f"DROP INDEX {self.preparer.quote(constraint.name)}"
        implicit = self.implicit_index_changes(op, before, after)
        return [self.alter(op, *self.auto_increment(op, before, after), drop, *implicit)]

    def _RenameIndex(self, op: o.RenameIndex, before, after) -> list:
        return [self.alter(op, f"RENAME INDEX {self.preparer.quote(op.old_name)} TO {self.preparer.quote(op.new_name)}")]

    def _RenameConstraint(self, op: o.RenameConstraint, before, after) -> list:
        """A unique key is an index here. A foreign key or check is dropped and added again under
        the new name (see MysqlDialect.rename_rechecks): the rows stay, and are checked again."""
        constraint = self.dialect.rename_rechecks(op, before)
        if constraint is None:
            return self._RenameIndex(op, before, after)
        drop = o.DropConstraint(op.table_name, constraint, op.schema)
        add = o.AddConstraint(op.table_name, dataclasses.replace(constraint, name=op.new_name), op.schema)
        between = apply(before, drop)
        return self._DropConstraint(drop, before, between) + self._AddConstraint(add, between, after)

    # -- building blocks ----------------------------------------------------------------------
    def alter(self, op, *clauses: str) -> str:
        return f"ALTER TABLE {self.table_name(op.table_name, op.schema)} {', '.join(clauses)}"

    def index_definition(self, index: s.Index) -> str:
        """`[UNIQUE|FULLTEXT|SPATIAL] INDEX name (keys)`, as ALTER TABLE ... ADD takes it."""
        options = index.keywords()
        lengths = options.get("mysql_length", {})
        keys = []
        for e in index.elements:
            key = f"({e.text.sql})" if e.expression else self.preparer.quote(e.text)
            key += f"({lengths[e.text]})" if e.text in lengths else ""
            keys.append(f"{key} DESC" if e.descending else key)
        prefix = options.get("mysql_prefix") or ("UNIQUE" if index.unique else "")
        kind = f"{prefix} INDEX" if prefix else "INDEX"
        return f"{kind} {self.preparer.quote(index.name)} ({', '.join(keys)})"

    def named(self, table: s.Table, constraint: s.Constraint) -> s.Constraint:
        """`constraint` under the name MySQL gave it, found by definition when the op has none.

        A reflected state knows that name; the runtime reflects before each revision.
        """
        if constraint.name is not None or isinstance(constraint, s.PrimaryKey):
            return constraint
        key = s.definition_key(constraint)
        kin = getattr(table, _CONSTRAINT_COLLECTIONS[type(constraint)])
        found = next((c for c in kin if c.name is not None and s.definition_key(c) == key), None)
        if found is None:
            raise SchemadiffError(
                f"{o.CONSTRAINT_KINDS[type(constraint)]} constraint on {table.fullname} has no "
                "name here: only the database knows the one MySQL gave it, and online runs read "
                "it before each revision; name the constraint (a naming convention names all)"
            )
        return found

    def auto_increment(self, op, before, after) -> list[str]:
        """MODIFY clauses for the column that gains or loses AUTO_INCREMENT as the primary key
        changes: MySQL allows it only on a key column (error 1075)."""
        if not isinstance(op.constraint, s.PrimaryKey):
            return []
        old = self.sa_table(before, op.table_name, op.schema).autoincrement_column
        table = self.sa_table(after, op.table_name, op.schema)
        new = table.autoincrement_column
        if old is not None and new is not None and old.name == new.name:
            return []
        names = sorted({c.name for c in (old, new) if c is not None})
        return [f"MODIFY {self.column_spec(table, name)}" for name in names]

    def implicit_index_changes(self, op, before, after) -> list[str]:
        """Clauses that drop the implicit indexes the op makes needless and add those it makes
        needed, but for the one MySQL makes itself as a foreign key is added."""
        old = _implicit_indexes(find_table(before, op.table_name, op.schema))
        new = _implicit_indexes(find_table(after, op.table_name, op.schema))
        adds_key = isinstance(op, o.AddConstraint) and isinstance(op.constraint, s.ForeignKey)
        drops = [f"DROP INDEX {self.preparer.quote(name)}" for name in old if name not in new]
        adds = [
            f"ADD {self.index_definition(_plain_index(name, fk.columns))}"
            for name, fk in new.items()
            if name not in old and not (adds_key and fk.name in (None, name))
        ]
        return drops + adds


def _foreign_keys_using(snap: s.Snapshot, table_name: str, schema: Optional[str], column: str):
    """(table, foreign key) for each foreign key that `column` of the table is a side of."""
    key = (schema or "", table_name)
    for table in snap.tables:
        for fk in table.foreign_keys:
            referencing = table.key == key and column in fk.columns
            referenced = (fk.ref_schema or "", fk.ref_table) == key and column in fk.ref_columns
            if referencing or referenced:
                yield table, fk


def _foreign_key_types_match(snap: s.Snapshot, table: s.Table, fk: s.ForeignKey) -> bool:
    """Whether MySQL takes the key between the two sides' current types: the same type, but
    for the lengths of strings."""
    target = snap.table(fk.ref_table, fk.ref_schema)
    if target is None:
        return False
    pairs = zip(fk.columns, fk.ref_columns)
    types = [(table.column(a), target.column(b)) for a, b in pairs]
    return all(
        a is not None and b is not None and _LENGTH.sub(r"\1", a.type) == _LENGTH.sub(r"\1", b.type)
        for a, b in types
    )


_LENGTH = re.compile(r"^((?:VAR)?(?:CHAR|BINARY))\(\d+\)")


_CONSTRAINT_COLLECTIONS = {
    s.UniqueConstraint: "uniques",
    s.CheckConstraint: "checks",
    s.ForeignKey: "foreign_keys",
}

# The name MySQL gives a foreign key that CREATE or ALTER TABLE left unnamed.
_GENERATED_FOREIGN_KEY_NAME = re.compile(r".+_ibfk_\d+")


def _implicit_indexes(table: s.Table) -> dict[str, s.ForeignKey]:
    """The indexes behind the foreign keys of `table` that no key of the table starts with, by
    name: the ones reflection folds away.

    MySQL names such an index after its foreign key, or after the key's first column when the key
    has no name; a generated key name stands for no name (MysqlDDL._CreateTable sees to that).
    """
    keys = [k.columns for k in (table.primary_key, *table.uniques, *table.indexes) if k]
    found: dict[str, s.ForeignKey] = {}
    for fk in table.foreign_keys:
        if any(k[: len(fk.columns)] == fk.columns for k in keys):
            continue
        generated = fk.name is None or _GENERATED_FOREIGN_KEY_NAME.fullmatch(fk.name)
        found.setdefault(fk.columns[0] if generated else fk.name, fk)
    return found


def _plain_index(name: str, columns: tuple[str, ...]) -> s.Index:
    return s.Index(name, tuple(s.IndexElement(c) for c in columns))


@dataclass(frozen=True)
class Collations:
    """Which collation each character set defaults to on the server, and the database's own.

    A column's character set and collation are compared as the one collation they make, said
    relative to the database's (see clause): `CHARACTER SET utf8mb3` and `COLLATE
    utf8mb3_general_ci` are the same column, and so is a collation that restates the database's.
    Snapshots keep no table collation, so a table's own default is said on its columns, and a
    table that schemadiff creates gets its columns' collations that way.
    """

    charset_of: dict = field(default_factory=dict)  # collation -> its character set
    defaults: dict = field(default_factory=dict)  # character set -> its default collation
    database: Optional[str] = None

    @classmethod
    def from_rows(cls, rows, database: Optional[str]) -> "Collations":
        return cls(
            {r[0]: r[1] for r in rows}, {r[1]: r[0] for r in rows if r[2] == "Yes"}, database
        )

    @classmethod
    def offline(cls, mariadb: bool) -> "Collations":
        """Without a server: the defaults that MySQL 8 and MariaDB share, utf8mb4's per server."""
        utf8mb4 = "utf8mb4_general_ci" if mariadb else "utf8mb4_0900_ai_ci"
        defaults = {**_SHARED_DEFAULT_COLLATIONS, "utf8mb4": utf8mb4}
        return cls({c: cs for cs, c in defaults.items()}, defaults, None)

    def charset(self, collation: Optional[str]) -> Optional[str]:
        if collation is None:
            return None
        return self.charset_of.get(collation, collation.split("_")[0])

    def clause(self, collation: Optional[str], reference: Optional[str]) -> str:
        """What a type says to get `collation` where `reference` is the default: nothing when it
        is that, the character set when it is that set's default."""
        if collation is None or collation == reference:
            return ""
        charset = self.charset(collation)
        if self.defaults.get(charset) == collation and charset != self.charset(reference):
            return f" CHARACTER SET {charset}"
        return f" COLLATE {collation}"

    def of_table(self, table: sa.Table) -> Optional[str]:
        """The collation a model table gets: its own options', else the database's."""
        options = {k.lower(): str(v).lower() for k, v in table.dialect_kwargs.items()}
        collation = options.get("mysql_collate") or options.get("mysql_default_collate")
        charset = options.get("mysql_charset") or options.get("mysql_default_charset")
        if collation is None and charset is not None:
            collation = self.defaults.get(charset)
        return collation or self.database


_SHARED_DEFAULT_COLLATIONS = {
    "ascii": "ascii_general_ci",
    "binary": "binary",
    "latin1": "latin1_swedish_ci",
    "latin2": "latin2_general_ci",
    "ucs2": "ucs2_general_ci",
    "utf16": "utf16_general_ci",
    "utf32": "utf32_general_ci",
    "utf8mb3": "utf8mb3_general_ci",
}

# The character set and collation at the end of a canonical type (CHARACTER SET goes when a
# COLLATE follows: see _TYPE_ALIASES).
_CHARSET_TAIL = re.compile(r"(?: CHARACTER SET (\w+))?(?: COLLATE (\w+))?$")
# Types that have a collation.
_TEXT_TYPE = re.compile(r"^(VARCHAR|CHAR|TINYTEXT|TEXT|MEDIUMTEXT|LONGTEXT|ENUM|SET)\b")


class MysqlDialect(Dialect):
    name = "mysql"
    # An unspecified action is stored as RESTRICT (MariaDB) or NO ACTION (MySQL): same behaviour.
    default_referential_actions = frozenset({"NO ACTION", "RESTRICT"})
    # The primary key is always called PRIMARY, whatever CREATE TABLE said.
    keeps_primary_key_names = False
    ddl_class = MysqlDDL
    # Each DDL statement commits at once, whatever transaction it runs in.
    transactional_ddl = False
    schemas_are_databases = True

    def __init__(self, sa_dialect):
        super().__init__(sa_dialect)
        # Replaced by the server's own as soon as reflect() reads them.
        self.collations = Collations.offline(self._mariadb)

    def commits_at_once(self, op: o.Op) -> bool:
        # DDL commits (and commits what ran before it); hand-written DML stays in the transaction.
        if isinstance(op, o.Execute):
            return _first_keyword(op.sql) not in _DML_KEYWORDS
        return True

    def refuses_foreign_key(self, fk: s.ForeignKey, target: s.Table) -> Optional[str]:
        # InnoDB looks the referenced columns up in an index that starts with them, in order.
        wanted = tuple(fk.ref_columns)
        leading = [target.primary_key.columns] if target.primary_key else []
        leading += [u.columns for u in target.uniques]
        leading += [i.columns for i in target.indexes if not any(e.expression for e in i.elements)]
        if any(tuple(columns[: len(wanted)]) == wanted for columns in leading):
            return None
        return f"{self.server} needs an index that starts with {target.name} ({', '.join(wanted)})"

    # -- server features ---------------------------------------------------------------
    @property
    def _mariadb(self) -> bool:
        return bool(self.sa_dialect.is_mariadb)

    @property
    def server(self) -> str:
        return "mariadb" if self._mariadb else "mysql"

    def _mysql_at_least(self, *version: int) -> bool:
        # A dialect that never connected (offline scripts) stands for a current server.
        known = self.sa_dialect.server_version_info
        return not self._mariadb and (known is None or known >= version)

    @property
    def _enforces_checks(self) -> bool:
        # MySQL before 8.0.16 parses CHECK and throws it away.
        return self._mariadb or self._mysql_at_least(8, 0, 16)

    # -- hazards -------------------------------------------------------------------------
    # ADD COLUMN ... NOT NULL gives the rows there the type's implicit default (0, '').
    rejects_not_null_without_default = False

    def table_rewrite(self, op: o.Op, before: s.Snapshot) -> Optional[str]:
        if isinstance(op, o.AlterColumn) and "type" in op.changes:
            old, new = self.parse_type(op.existing.type), self.parse_type(op.new.type)
            return None if _changes_in_place(old, new) else "type-rewrite"
        return None

    def blocks_writes(self, op: o.Op) -> bool:
        # ADD FOREIGN KEY (with foreign_key_checks on) and ADD CHECK copy the table; indexes and
        # NOT NULL are built in place with writes going on.
        return isinstance(op, o.AddConstraint) and isinstance(op.constraint, (s.ForeignKey, s.CheckConstraint))

    def rename_rechecks(self, op: o.RenameConstraint, before: s.Snapshot) -> Optional[s.Constraint]:
        # MySQL renames no foreign key or check: MysqlDDL drops and adds it again.
        table = find_table(before, op.table_name, op.schema)
        found = next((c for c in table.constraints if c.name == op.old_name), None)
        return found if isinstance(found, (s.ForeignKey, s.CheckConstraint)) else None

    # -- types ---------------------------------------------------------------------------
    def parse_type(self, text: str) -> sa.types.TypeEngine:
        """COLUMN_TYPE text (plus CHARACTER SET / COLLATE), or a canonical type string, through
        SQLAlchemy's MySQL column parser."""
        m = _TYPE_TEXT.match(text)
        name, args, rest = m.group(1).lower(), m.group(2) or "", m.group(3)
        if name not in self.sa_dialect.ischema_names:
            return NamedType(text.upper())  # INET6, GEOMETRY, ...: kept as written
        if name == "tinyint" and args == "(1)" and not rest.strip():
            return sa.Boolean()  # what MySQL makes of BOOL, and what models write
        state = ReflectedState()
        column = f"{self.preparer.quote_identifier('x')} {name}{args.replace(', ', ',')}{rest}"
        self.sa_dialect._tabledef_parser._parse_column("  " + column, state)
        return state.columns[0]["type"] if state.columns else NamedType(text.upper())

    def _compile_type(self, type_: sa.types.TypeEngine) -> str:
        # As base, but ENUM and SET values keep their case and spacing: 'a' and 'A' differ.
        compiled = self.sa_dialect.type_compiler_instance.process(type_)
        return self.clean_type(_upper_outside_quotes(compiled))

    def clean_type(self, compiled: str) -> str:
        for pattern, replace in _TYPE_ALIASES:
            compiled = pattern.sub(replace, compiled)
        return compiled

    def column_type(self, col: sa.Column) -> str:
        """The type with the collation it gets, said relative to the database's, as reflection
        says it (see Collations)."""
        text = self.type_string(col.type)
        tail = _CHARSET_TAIL.search(text)
        charset, collation = (g.lower() if g else None for g in tail.groups())
        if not isinstance(col.table, sa.Table) or (
            collation is None and charset is None and not _TEXT_TYPE.match(text)
        ):
            return text
        collation = (
            collation
            or self.collations.defaults.get(charset)
            or self.collations.of_table(col.table)
        )
        clause = self.collations.clause(collation, self.collations.database)
        return self.canonical_type(text[: tail.start()] + clause)

    # -- defaults and expressions -----------------------------------------------------
    def default_key(self, sql: str) -> Optional[str]:
        tokens = _tokens(strip_outer_parens(sql))
        if len(tokens) == 1 and _QUOTED_NUMBER.fullmatch(tokens[0]):
            # MySQL stores a constant as the column's type: '0' on an INT column is 0.
            tokens = _tokens(tokens[0][1:-1])
        tokens = [_DEFAULT_SYNONYMS.get(t, _canonical_number(t)) for t in tokens]
        text = " ".join(tokens)
        return None if text in ("", "null") else text

    def expression_key(self, sql: str) -> str:
        return " ".join(_tokens(sql))

    # -- symmetric canonical form -----------------------------------------------------
    def canonical_table(self, table: s.Table) -> s.Table:
        # One replace for all folds: rebuilding a Table re-sorts its parts, which adds up.
        columns, checks = table.columns, table.checks
        if self._mariadb:
            columns, checks = _fold_mariadb_json(columns, checks)
        uniques, indexes = _unique_indexes_as_constraints(table.uniques, table.indexes)
        changes = {
            "columns": tuple(_canonical_column(table.name, c) for c in columns),
            "checks": (
                tuple(_canonical_check(table.name, c) for c in checks)
                if self._enforces_checks
                else ()
            ),
            "uniques": uniques,
            "indexes": tuple(
                i for i in indexes if not _implicit_foreign_key_index(i, table.foreign_keys)
            ),
            "foreign_keys": tuple(self.canonical_foreign_key(fk) for fk in table.foreign_keys),
            "comment": table.comment or None,
        }
        return super().canonical_table(replace_changed(table, changes))

    def canonical_foreign_key(self, fk: s.ForeignKey) -> s.ForeignKey:
        # MySQL has no deferrable constraints (and SQLAlchemy users strip the keywords for it).
        fk = super().canonical_foreign_key(fk)
        return replace_changed(fk, {"deferrable": None, "initially": None})

    def index_options(self, index: sa.Index) -> tuple:
        options = index.dialect_options["mysql"]
        length = options["length"]
        columns = [e.name for e in index.expressions if isinstance(e, sa.Column)]
        if isinstance(length, dict):
            lengths = {c: length[c] for c in columns if c in length}
        else:
            lengths = dict.fromkeys(columns, length) if length is not None else {}
        return index_options(options["prefix"], lengths)

    # -- running migrations --------------------------------------------------------------
    @contextmanager
    def migration_lock(self, conn: Connection, timeout: float) -> Iterator[None]:
        """A named lock of the server session, waited for up to `timeout` seconds."""
        database = _session_scalar(conn, "SELECT DATABASE()")
        name = f"schemadiff:{database}"[:_LOCK_NAME_LIMIT]
        got = _session_scalar(conn, "SELECT GET_LOCK(:name, :timeout)", name=name, timeout=timeout)
        if got != 1:
            raise SchemadiffError(
                f"another schemadiff migration holds the lock on {database} (waited {timeout:g} s)"
            )
        try:
            yield
        finally:
            # A lost session took the lock with it.
            with suppress(sa.exc.SQLAlchemyError):
                _session_scalar(conn, "SELECT RELEASE_LOCK(:name)", name=name)

    # -- reflection --------------------------------------------------------------------
    def default_schema(self, conn: Connection) -> Optional[str]:
        # The dialect's default_schema_name is the database at connect time; USE may change it.
        return conn.exec_driver_sql("SELECT DATABASE()").scalar()

    def reflect(
        self, conn: Connection, schemas: Sequence[Optional[str]]
    ) -> tuple[list[s.Table], list[s.Enum]]:
        current = self.default_schema(conn)
        names = sorted({current if name is None else name for name in schemas} - {None})
        if not names:
            return [], []
        params = {"schemas": names}
        self.collations = Collations.from_rows(
            conn.execute(COLLATIONS_SQL).all(), conn.execute(DATABASE_COLLATION_SQL).scalar()
        )
        reader = _CatalogReader(self, current)
        tables = reader.tables(conn.execute(TABLES_SQL, params))
        reader.columns(tables, conn.execute(COLUMNS_SQL, params))
        reader.indexes(tables, conn.execute(self._statistics_sql(), params))
        reader.foreign_keys(
            tables,
            conn.execute(FOREIGN_KEY_COLUMNS_SQL, params),
            conn.execute(FOREIGN_KEY_RULES_SQL, params),
        )
        if self._enforces_checks:
            checks_sql = MARIADB_CHECKS_SQL if self._mariadb else MYSQL_CHECKS_SQL
            reader.checks(tables, conn.execute(checks_sql, params))
        return [t.build(self._mariadb) for t in tables.values()], []

    def _statistics_sql(self) -> sa.TextClause:
        if self._mysql_at_least(8, 0, 13):
            return STATISTICS_WITH_EXPRESSIONS_SQL
        return STATISTICS_SQL


# MySQL refuses longer lock names.
_LOCK_NAME_LIMIT = 64

# Statements that MySQL runs inside the transaction (every other one commits it implicitly).
_DML_KEYWORDS = frozenset({"insert", "update", "delete", "replace", "select", "with"})


def _first_keyword(sql: str) -> str:
    word = re.search(r"[A-Za-z]+", sql)
    return word.group().lower() if word else ""


def _session_scalar(conn: Connection, sql: str, **params):
    """Runs a query without leaving open a transaction that the caller did not have: the runtime
    begins its own on this connection, and the named lock belongs to the session anyway."""
    had_transaction = conn.in_transaction()
    value = conn.execute(sa.text(sql), params).scalar()
    if not had_transaction:
        conn.commit()
    return value


def _changes_in_place(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> bool:
    """Whether InnoDB changes the type without copying the table: a VARCHAR that grows and keeps
    its length prefix (one byte up to 255 bytes, at 4 bytes a character), or an ENUM that gains
    values at its end."""
    if isinstance(old, sa.Enum) and isinstance(new, sa.Enum):
        return tuple(new.enums[: len(old.enums)]) == tuple(old.enums)
    if isinstance(old, sa.VARCHAR) and isinstance(new, sa.VARCHAR):
        return new.length >= old.length and (old.length * 4 <= 255) == (new.length * 4 <= 255)
    return False


# -- reflection: catalog rows -> snapshot Tables (no SQL here) ----------------------------------


@dataclass
class _TableParts:
    """One table's objects while the catalog rows come in, query by query."""

    name: str
    schema: Optional[str]
    comment: Optional[str]
    columns: list = field(default_factory=list)
    primary_key: Optional[s.PrimaryKey] = None
    indexes: dict = field(default_factory=lambda: defaultdict(list))
    foreign_keys: dict = field(default_factory=lambda: defaultdict(list))
    fk_rules: dict = field(default_factory=dict)
    checks: list = field(default_factory=list)
    #: Per index, (column, SUB_PART, INDEX_TYPE) of each key.
    index_kinds: dict = field(default_factory=lambda: defaultdict(list))

    def build(self, mariadb: bool) -> s.Table:
        """The Table, folded as canonical_table folds it: building a Table sorts its parts,
        so building it once instead of twice counts on a thousand tables."""
        columns, checks = tuple(self.columns), tuple(self.checks)
        if mariadb:
            columns, checks = _fold_mariadb_json(columns, checks)
        foreign_keys = tuple(self._foreign_key(n, rows) for n, rows in self.foreign_keys.items())
        uniques, indexes = _unique_indexes_as_constraints(
            (),
            tuple(
                self._index(name, rows, self.index_kinds[name])
                for name, rows in self.indexes.items()
            ),
        )
        return s.Table(
            name=self.name,
            schema=self.schema,
            columns=columns,
            primary_key=self.primary_key,
            uniques=uniques,
            checks=checks,
            foreign_keys=foreign_keys,
            indexes=tuple(i for i in indexes if not _implicit_foreign_key_index(i, foreign_keys)),
            comment=self.comment or None,
        )

    def _foreign_key(self, name: str, rows: list) -> s.ForeignKey:
        update_rule, delete_rule = self.fk_rules.get(name, (None, None))
        ref_schema, ref_table = rows[0][1], rows[0][2]
        return s.ForeignKey(
            name=name,
            columns=tuple(r[0] for r in rows),
            ref_table=ref_table,
            ref_columns=tuple(r[3] for r in rows),
            ref_schema=ref_schema,
            ondelete=delete_rule,
            onupdate=update_rule,
        )

    @staticmethod
    def _index(name: str, rows: list, kinds: list) -> s.Index:
        index_type = kinds[0][2]
        # A SPATIAL key reports a SUB_PART of its own, which no model states.
        lengths = {} if index_type == "SPATIAL" else {c: n for c, n, _ in kinds if n is not None}
        return s.Index(
            name=name,
            elements=tuple(e for e, _ in rows),
            unique=rows[0][1],
            options=index_options(index_type, lengths),
        )


class _CatalogReader:
    def __init__(self, dialect: MysqlDialect, current: Optional[str]):
        self.dialect = dialect
        self.current = current
        self._defaults: dict[tuple, Optional[s.Expression]] = {}

    def schema(self, name: str) -> Optional[str]:
        return None if name == self.current else name

    def tables(self, rows) -> dict[tuple, _TableParts]:
        return {
            (schema, name): _TableParts(name, self.schema(schema), comment)
            for schema, name, comment in rows
        }

    def columns(self, tables: dict, rows) -> None:
        for table, packed in _packed_rows(tables, rows):
            table.columns = [self.column(table, *row[1:]) for row in packed]

    def column(self, table, name, type_, nullable, default, extra, generated, comment, collation):
        extra = extra or ""
        computed = None
        kind = extra and _GENERATED.search(extra)
        if kind:
            computed = s.Computed(
                self.expression(generated), persisted=kind.group(1).upper() == "STORED"
            )
        return s.Column(
            name=name,
            type=self.dialect.canonical_type(
                type_ + self.dialect.collations.clause(collation, self.dialect.collations.database)
            ),
            nullable=nullable == "YES",
            default=self.default(default, extra),
            autoincrement="auto_increment" in extra.lower(),
            computed=computed,
            comment=comment or None,
        )

    def default(self, default: Optional[str], extra: str) -> Optional[s.Expression]:
        # Thousands of columns share a handful of defaults: read each once.
        key = (default, extra)
        if key not in self._defaults:
            self._defaults[key] = self.read_default(default, extra)
        return self._defaults[key]

    def read_default(self, default: Optional[str], extra: str) -> Optional[s.Expression]:
        """COLUMN_DEFAULT, with ON UPDATE from EXTRA."""
        if default is not None and not self.dialect._mariadb:
            default = _mysql_default_sql(default, extra)
        on_update = _ON_UPDATE.search(extra)
        if on_update:
            default = f"{default or 'NULL'} ON UPDATE {on_update.group(1)}"
        if default is None:
            return None
        expression = self.dialect.normalize_default(_standard_literals(default))
        if expression is None or _MYSQL_STRING.fullmatch(default):
            return expression  # a plain literal is best shown in standard SQL
        return s.Expression(expression, default)

    def expression(self, sql: str) -> s.Expression:
        """A stored expression: compared with its literals in standard SQL, as models write
        them, and kept in MySQL's own SQL."""
        if not self.dialect._mariadb:
            sql = _mysql_unescape_quotes(sql)
        return s.Expression(self.dialect.normalize_expression(_standard_literals(sql)), sql)

    def indexes(self, tables: dict, rows) -> None:
        for table, packed in _packed_rows(tables, rows):
            for index_name, _, non_unique, column, collation, expression, *kind in packed:
                self.index_row(table, index_name, non_unique, column, collation, expression)
                if index_name != "PRIMARY":
                    table.index_kinds[index_name].append((column, *kind))

    def index_row(self, table, index_name, non_unique, column, collation, expression) -> None:
        if index_name == "PRIMARY":
            columns = table.primary_key.columns if table.primary_key else ()
            table.primary_key = s.PrimaryKey(None, (*columns, column))
            return
        if column is not None:
            element = s.IndexElement(column, descending=collation == "D")
        else:
            text = self.expression(expression)
            element = s.IndexElement(text, expression=True, descending=collation == "D")
        table.indexes[index_name].append((element, not int(non_unique)))

    def foreign_keys(self, tables: dict, column_rows, rule_rows) -> None:
        for schema, table_name, name, column, ref_schema, ref_table, ref_column in column_rows:
            table = tables.get((schema, table_name))
            if table is not None:
                table.foreign_keys[name].append(
                    (column, self.schema(ref_schema), ref_table, ref_column)
                )
        for schema, table_name, name, update_rule, delete_rule in rule_rows:
            table = tables.get((schema, table_name))
            if table is not None:
                action = self.dialect.referential_action
                table.fk_rules[name] = (action(update_rule), action(delete_rule))

    def checks(self, tables: dict, rows) -> None:
        for schema, table_name, name, clause in rows:
            table = tables.get((schema, table_name))
            if table is not None:
                table.checks.append(s.CheckConstraint(name, self.expression(clause)))


def _packed_rows(tables: dict, rows):
    """(table, its rows in order) from (schema, table, JSON array of rows) result rows."""
    for schema, table_name, packed in rows:
        table = tables.get((schema, table_name))
        if table is None:
            continue
        try:
            unpacked = json.loads(packed)
        except json.JSONDecodeError:
            # MariaDB cuts JSON_ARRAYAGG at group_concat_max_len (1 MB by default).
            raise SchemadiffError(
                f"table {schema}.{table_name}: its catalog rows exceed group_concat_max_len"
            ) from None
        yield table, sorted(unpacked, key=lambda row: row[:2])


def _mysql_default_sql(default: str, extra: str) -> str:
    """MySQL 8 shows a literal default as its bare value; expressions carry DEFAULT_GENERATED."""
    if "DEFAULT_GENERATED" in extra.upper() or _CURRENT_TIMESTAMP.fullmatch(default):
        return _mysql_unescape_quotes(default)
    return "'" + default.replace("\\", "\\\\").replace("'", "''") + "'"


def _mysql_unescape_quotes(sql: str) -> str:
    """MySQL 8 shows the quotes of literals in expression text escaped: concat(_utf8mb4\\'a\\')."""
    return sql.replace("\\'", "'")


# EXTRA of a generated column; MySQL 8 also says DEFAULT_GENERATED for expression defaults.
_GENERATED = re.compile(r"\b(STORED|VIRTUAL) GENERATED\b", re.IGNORECASE)
_ON_UPDATE = re.compile(r"\bon update (.+)$", re.IGNORECASE)
_CURRENT_TIMESTAMP = re.compile(r"current_timestamp(\(\d*\))?", re.IGNORECASE)

# -- stored SQL text ------------------------------------------------------------------------------

# A backquoted identifier (left alone) or a string literal in MySQL syntax: backslash escapes,
# and an optional charset introducer in front (_utf8mb4'a').
_MYSQL_LITERAL = re.compile(
    r"`(?:[^`]|``)*`|(?<![\w$])(?:_[A-Za-z0-9]+\s*)?'((?:[^'\\]|\\.|'')*)'", re.DOTALL
)
_ESCAPES = {
    "0": "\0",
    "b": "\b",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "Z": "\x1a",
    "%": "\\%",
    "_": "\\_",
}
_ESCAPE = re.compile(r"\\(.)|''", re.DOTALL)
_MYSQL_STRING = re.compile(r"'(?:[^'\\]|\\.|'')*'", re.DOTALL)


def _standard_literals(sql: str) -> str:
    """MySQL string literals rewritten in standard SQL, as model text and quote_literal write them."""

    def literal(m: re.Match) -> str:
        if m.group(1) is None:
            return m.group()
        value = _ESCAPE.sub(
            lambda e: _ESCAPES.get(e.group(1), e.group(1)) if e.group(1) else "'", m.group(1)
        )
        return quote_literal(value)

    return _MYSQL_LITERAL.sub(literal, sql)


def _tokens(sql: str) -> list[str]:
    """Tokens in the spelling MariaDB stores; parentheses and quoting dropped (see base)."""
    tokens = _single_value_in(_unescape_percents(tokenize(sql)))
    spelled = []
    for i, token in enumerate(tokens):
        if tokens[i + 1 : i + 2] == ["("]:
            token = _FUNCTION_SYNONYMS.get(token, token)
        spelled.append(_WORD_SYNONYMS.get(token, token))
    return [t for t in spelled if t not in ("(", ")")]


def _unescape_percents(tokens: list[str]) -> list[str]:
    """SQLAlchemy doubles % in text it compiles for pymysql (format paramstyle); MySQL keeps one."""
    result: list[str] = []
    for token in tokens:
        if token == "%" and result[-1:] == ["%"]:
            continue
        result.append(token.replace("%%", "%") if token.startswith("'") else token)
    return result


def _single_value_in(tokens: list[str]) -> list[str]:
    """`x IN (v)` is stored as `x = v`, and `x NOT IN (v)` as `x <> v`."""
    result = list(tokens)
    for i, token in enumerate(tokens):
        if (
            token == "in"
            and tokens[i + 1 : i + 2] == ["("]
            and not _has_top_level_comma(tokens, i + 1)
        ):
            if result[i - 1 : i] == ["not"]:
                result[i - 1], result[i] = "", "<>"
            else:
                result[i] = "="
    return [t for t in result if t]


def _has_top_level_comma(tokens: list[str], open_at: int) -> bool:
    depth = 0
    for token in tokens[open_at:]:
        depth += {"(": 1, ")": -1}.get(token, 0)
        if depth == 0:
            return False
        if token == "," and depth == 1:
            return True
    return False


# Functions MariaDB stores under another of their names (lower(a) comes back as lcase(`a`)).
_FUNCTION_SYNONYMS = {
    "lower": "lcase",
    "upper": "ucase",
    "length": "octet_length",
    "character_length": "char_length",
    "substring": "substr",
    "mid": "substr",
    "power": "pow",
    "ceil": "ceiling",
}
# Operators and constants likewise; TRUE and FALSE are 1 and 0 in MySQL.
_WORD_SYNONYMS = {"%": "mod", "rlike": "regexp", "true": "1", "false": "0"}

_QUOTED_NUMBER = re.compile(r"'-?\d+(\.\d+)?'")
_DECIMAL = re.compile(r"\d+\.\d+")

# The current-time functions, which MariaDB reports as current_timestamp() and curdate().
_DEFAULT_SYNONYMS = {
    "now": "current_timestamp",
    "localtime": "current_timestamp",
    "localtimestamp": "current_timestamp",
    "curdate": "current_date",
    "curtime": "current_time",
}


def _canonical_number(token: str) -> str:
    """1.50 -> 1.5: a DECIMAL(10,2) column reports its default padded to its scale."""
    if _DECIMAL.fullmatch(token):
        return token.rstrip("0").rstrip(".")
    return token


# -- types -------------------------------------------------------------------------------------

# A type's name, its arguments unless they are ENUM or SET values, and the rest (UNSIGNED, ...).
_TYPE_TEXT = re.compile(r"\s*(\w*)(\([\d, ]*\))?(.*)$", re.DOTALL)


_QUOTED = re.compile(r"('(?:[^']|'')*')")


def _upper_outside_quotes(text: str) -> str:
    parts = _QUOTED.split(text)  # odd positions hold the quoted strings
    return "".join(p if i % 2 else " ".join(p.split()).upper() for i, p in enumerate(parts))


# Spellings MySQL folds into one stored type, applied to compiled model and database types alike.
_TYPE_ALIASES = [
    # NATIONAL VARCHAR is utf8mb3; MySQL before 8.0.30 and MariaDB before 10.6 call it utf8.
    (re.compile(r"^NATIONAL (.*)$"), r"\1 CHARACTER SET UTF8MB3"),
    (re.compile(r"\bUTF8(?!MB)"), "UTF8MB3"),
    # A collation names its character set.
    (re.compile(r" CHARACTER SET \w+(?= COLLATE )"), ""),
    (re.compile(r"^BOOL(EAN)?$"), "TINYINT(1)"),
    (re.compile(r"(?<!UNSIGNED) ZEROFILL$"), " UNSIGNED ZEROFILL"),
    # Integer display widths mean nothing (and MySQL 8 drops them), except TINYINT(1) = BOOL
    # and under ZEROFILL.
    (
        re.compile(
            r"^(TINYINT(?!\(1\))|SMALLINT|MEDIUMINT|INTEGER|BIGINT|YEAR)\(\d+\)(?!.*ZEROFILL)"
        ),
        r"\1",
    ),
    (re.compile(r"^NUMERIC\b"), "DECIMAL"),
    (re.compile(r"^DECIMAL(?!\()"), "DECIMAL(10, 0)"),
    (re.compile(r"^DECIMAL\((\d+)\)"), r"DECIMAL(\1, 0)"),
    (re.compile(r"^FLOAT\(([1-9]|1\d|2[0-4])\)"), "FLOAT"),
    (re.compile(r"^FLOAT\(\d+\)"), "DOUBLE"),
    (re.compile(r"^(REAL|DOUBLE PRECISION)\b"), "DOUBLE"),
    (re.compile(r"^(CHAR|BINARY|BIT)(?!\()"), r"\1(1)"),
]


# -- canonical tables ------------------------------------------------------------------------------


def _canonical_column(table_name: str, col: s.Column) -> s.Column:
    if col.computed is None and col.comment != "" and not (col.autoincrement and col.default):
        return col  # the common case, and a thousand tables have many columns
    computed = col.computed
    if computed is not None:
        # Generated columns are VIRTUAL unless STORED is said.
        computed = replace_changed(
            computed,
            {
                "sqltext": _unqualify(table_name, computed.sqltext),
                "persisted": bool(computed.persisted),
            },
        )
    return replace_changed(
        col,
        {
            # A column with a DEFAULT cannot be AUTO_INCREMENT (SQLAlchemy then leaves it out).
            "autoincrement": col.autoincrement and col.default is None,
            "computed": computed,
            "comment": col.comment or None,
        },
    )


def _canonical_check(table_name: str, check: s.CheckConstraint) -> s.CheckConstraint:
    return replace_changed(check, {"sqltext": _unqualify(table_name, check.sqltext)})


# A qualified column in normalized text: 'account . name' or 'shop . account . name'.
_QUALIFIED = re.compile(r"(?<!\. )(?<![\w$])(?:[\w$]+ \. )?([\w$]+) \. (?=[\w$])")


def _unqualify(table_name: str, expression: s.Expression) -> s.Expression:
    """SQLAlchemy compiles model expressions with table-qualified columns; MySQL stores a
    table's own columns bare."""
    if " . " not in expression:
        return expression
    table = table_name.lower()
    return expression.rekey(
        _QUALIFIED.sub(lambda m: "" if m.group(1) == table else m.group(), expression)
    )


def _fold_mariadb_json(columns: tuple, checks: tuple) -> tuple[tuple, tuple]:
    """MariaDB's JSON is LONGTEXT with an automatic CHECK (json_valid(col)): fold both back."""
    longtext = {c.name.lower(): c.name for c in columns if c.type.startswith("LONGTEXT")}
    json_checks = {
        check: longtext[check.sqltext[len(_JSON_VALID) :]]
        for check in checks
        if check.sqltext.startswith(_JSON_VALID) and check.sqltext[len(_JSON_VALID) :] in longtext
    }
    if not json_checks:
        return columns, checks
    json_columns = set(json_checks.values())
    return (
        tuple(
            replace_changed(c, {"type": "JSON"}) if c.name in json_columns else c for c in columns
        ),
        tuple(c for c in checks if c not in json_checks),
    )


_JSON_VALID = "json_valid "


def _unique_indexes_as_constraints(uniques: tuple, indexes: tuple) -> tuple[tuple, tuple]:
    """MySQL keeps a unique constraint as a unique index and reports the two alike; a unique
    index on plain columns is taken for the constraint (as SQLAlchemy's inspector does)."""
    as_constraint = [i for i in indexes if i.unique and _plain(i)]
    if not as_constraint:
        return uniques, indexes
    return (
        uniques + tuple(s.UniqueConstraint(i.name, i.columns) for i in as_constraint),
        tuple(i for i in indexes if i not in as_constraint),
    )


def _implicit_foreign_key_index(index: s.Index, foreign_keys: tuple) -> bool:
    """The index MySQL makes by itself for a foreign key that no index starts with.

    It covers exactly the FK's columns and is named after the constraint, or after its first
    column when the constraint has no name of its own. MySQL drops it again when a covering index
    is added; an index the models name themselves is never taken for it.
    """
    return (
        not index.unique
        and _plain(index)
        and any(
            index.columns == fk.columns and index.name in (fk.name, fk.columns[0])
            for fk in foreign_keys
        )
    )


def _plain(index: s.Index) -> bool:
    return not index.options and all(not e.expression and not e.descending for e in index.elements)


# INDEX_TYPE values that are said as a prefix (CREATE FULLTEXT INDEX); the rest are BTREE or
# HASH, and both are BTREE to InnoDB (see index_options).
_INDEX_PREFIXES = frozenset({"FULLTEXT", "SPATIAL"})


def index_options(kind: Optional[str], lengths: dict) -> tuple:
    """Index.options of a MySQL index: its FULLTEXT or SPATIAL prefix and its key prefix lengths.

    USING is left out: InnoDB builds every index as a B-tree whatever USING says (and
    information_schema reports it so), and MariaDB hashes long UNIQUE keys by itself.
    """
    kind = (kind or "").upper()
    return s.option_pairs(
        {
            "mysql_prefix": kind if kind in _INDEX_PREFIXES else None,
            "mysql_length": tuple(sorted(lengths.items())),
        }
    )
