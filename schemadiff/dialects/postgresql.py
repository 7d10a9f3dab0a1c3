"""PostgreSQL: catalog reflection in batches, and the canonical forms of its types and expressions.

PostgreSQL stores expressions re-parsed: it adds casts (`'x'::character varying`), rewrites
`BETWEEN` and `IN (...)` into comparisons and `= ANY (ARRAY[...])`, and spells `LIKE` as `~~`.
The expression normalizer brings model text and stored text to the same token string.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import itertools
import re
import time
import warnings
from collections import defaultdict, namedtuple
from typing import Iterator, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy import schema as ddl
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Connection

from .. import ops as o
from .. import snapshot as s
from ..errors import SchemadiffError
from ..state import find_table
from ..to_metadata import to_column
from .base import Dialect, NamedType, quote_literal, replace_changed, token_pattern, tokenize
from .ddl import DDL

# -- catalog queries: one per kind of object, for every table of every schema in scope ---------

_SCOPE = """
WITH scope AS (
    SELECT c.oid, n.nspname, c.relname
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(:schemas)
)
"""

TABLES_SQL = _SCOPE + """
SELECT scope.oid, scope.nspname, scope.relname, d.description
FROM scope
LEFT JOIN pg_catalog.pg_description d
    ON d.objoid = scope.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
"""

# The collation only when it is not the type's own (looked up only when not the default, 100,
# which is cheaper than joining pg_type for every column); the sequence the column owns,
# which SERIAL makes ('a'uto dependency) and IDENTITY too ('i'nternal).
COLUMNS_SQL = _SCOPE + """
SELECT DISTINCT ON (a.attrelid, a.attnum)
    a.attrelid, a.attnum, a.attname,
    pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
    CASE WHEN a.attcollation NOT IN (0, 100) THEN (
        SELECT co.collname
        FROM pg_catalog.pg_collation co, pg_catalog.pg_type t
        WHERE co.oid = a.attcollation AND t.oid = a.atttypid AND t.typcollation <> co.oid
    ) END AS collation,
    a.attnotnull, a.attidentity, a.attgenerated,
    pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS default,
    d.description,
    seq.seqrelid::regclass::text AS seqname, seq.seqstart, seq.seqincrement
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_description d
    ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::regclass
    AND d.objsubid = a.attnum
LEFT JOIN (
    pg_catalog.pg_depend dep JOIN pg_catalog.pg_sequence seq ON seq.seqrelid = dep.objid
) ON dep.refclassid = 'pg_catalog.pg_class'::regclass AND dep.refobjid = a.attrelid
    AND dep.refobjsubid = a.attnum AND dep.classid = 'pg_catalog.pg_class'::regclass
    AND dep.deptype IN ('a', 'i')
WHERE a.attrelid IN (SELECT oid FROM scope) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

CONSTRAINTS_SQL = _SCOPE + """
SELECT
    con.conrelid, con.conname, con.contype, con.conkey, con.confrelid, con.confkey,
    -- Column numbers are named from the columns query; only a referenced table outside the
    -- scope needs its names looked up here.
    CASE WHEN con.contype = 'f' AND con.confrelid NOT IN (SELECT oid FROM scope) THEN ARRAY(
        SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
        ORDER BY k.ord
    ) END AS outside_ref_columns,
    rn.nspname AS ref_schema, rc.relname AS ref_table,
    con.confdeltype, con.confupdtype, con.condeferrable, con.condeferred,
    pg_catalog.pg_get_expr(con.conbin, con.conrelid, true) AS check_expr
FROM pg_catalog.pg_constraint con
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.conrelid IN (SELECT oid FROM scope) AND con.contype IN ('p', 'u', 'f', 'c')
"""

# One row per index key (attnum 0 is an expression); indexes that back a constraint belong
# to that constraint. Each row also carries its index's access method, INCLUDE columns (the
# keys past indnkeyatts) and storage parameters, and its key's operator class unless that is
# the default one.
INDEXES_SQL = _SCOPE + """
SELECT
    i.indrelid, ic.relname AS name, i.indisunique,
    pg_catalog.pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
    k.attnum,
    CASE WHEN k.attnum = 0
        THEN pg_catalog.pg_get_indexdef(i.indexrelid, k.ord::int, true) END AS expression,
    i.indoption[k.ord - 1] AS option,
    am.amname AS method,
    CASE WHEN NOT opc.opcdefault THEN opc.opcname END AS opclass,
    ARRAY(
        SELECT x.attnum FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS x(attnum, ord)
        WHERE x.ord > i.indnkeyatts ORDER BY x.ord
    ) AS include,
    ic.reloptions AS storage
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = i.indclass[k.ord - 1]
WHERE i.indrelid IN (SELECT oid FROM scope) AND k.ord <= i.indnkeyatts
    AND i.indexrelid NOT IN (
        SELECT con.conindid FROM pg_catalog.pg_constraint con WHERE con.contype IN ('p', 'u', 'x')
    )
ORDER BY i.indexrelid, k.ord
"""

# Every enum of the database: a column may use one from a schema outside the scope.
ENUMS_SQL = """
SELECT n.nspname, t.typname, pg_catalog.pg_type_is_visible(t.oid) AS visible,
    ARRAY(
        SELECT e.enumlabel FROM pg_catalog.pg_enum e
        WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder
    ) AS labels
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e'
"""

# Every domain of the database, as with enums: a column may use one from outside the scope.
# Extensions' domains are theirs to manage.
DOMAINS_SQL = """
SELECT n.nspname, t.typname, pg_catalog.pg_type_is_visible(t.oid) AS visible,
    pg_catalog.format_type(t.typbasetype, t.typtypmod) AS base_type,
    t.typnotnull, t.typdefault,
    ARRAY(
        SELECT c.conname FROM pg_catalog.pg_constraint c
        WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname
    ) AS check_names,
    ARRAY(
        SELECT pg_catalog.pg_get_expr(c.conbin, 0, true) FROM pg_catalog.pg_constraint c
        WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname
    ) AS check_exprs
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'd' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_depend dep
        WHERE dep.classid = 'pg_catalog.pg_type'::regclass AND dep.objid = t.oid
            AND dep.deptype = 'e'
    )
"""

_REFERENTIAL_ACTIONS = {
    "a": None,  # NO ACTION, the default
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}

_INDOPTION_DESC = 1
_INDOPTION_NULLS_FIRST = 2


# -- DDL ---------------------------------------------------------------------------------------


class PostgresqlDDL(DDL):
    """ALTER COLUMN clause by clause, enum types, SERIAL sequences, and the names PostgreSQL gives
    constraints created without one.

    Text statements reach the driver as they are, and its paramstyle makes `%` special: names
    from the preparer come escaped already, any other text goes through `escaped`.
    """

    def escaped(self, sql: str) -> str:
        return sql.replace("%", "%%") if self.preparer._double_percents else sql

    def literal(self, value: str) -> str:
        return self.escaped(quote_literal(value))

    def ddl_compiler(self):
        return self.sa_dialect.ddl_compiler(self.sa_dialect, None)

    def _CreateIndex(self, op: o.CreateIndex, before, after) -> list:
        index = self.index(after, op.table_name, op.schema, op.index)
        index.dialect_options["postgresql"]["concurrently"] = op.concurrently
        return [ddl.CreateIndex(index)]

    def _DropIndex(self, op: o.DropIndex, before, after) -> list:
        index = self.index(before, op.table_name, op.schema, op.index)
        index.dialect_options["postgresql"]["concurrently"] = op.concurrently
        return [ddl.DropIndex(index)]

    def owned_sequence(self, op: o.AlterColumn) -> str:
        """SQL for the name of the sequence behind the column's SERIAL or identity."""
        table = quote_literal(self.table_name(op.table_name, op.schema))
        return f"pg_get_serial_sequence({table}, {self.literal(op.new.name)})"

    # -- renames ------------------------------------------------------------------------------
    def _RenameTable(self, op: o.RenameTable, before, after) -> list:
        table = find_table(before, op.old_name, op.schema)
        sequences = [
            self._rename_sequence(op.schema, (op.old_name, c.name), (op.new_name, c.name))
            for c in table.columns
            if c.autoincrement or c.identity
        ]
        return super()._RenameTable(op, before, after) + sequences

    def _rename_sequence(self, schema: Optional[str], old: tuple[str, str], new: tuple[str, str]) -> str:
        """The sequence of a SERIAL or identity column is named `<table>_<column>_seq`; it takes
        the renamed table's or column's name, as create_all would have named it. A sequence under
        another name is left alone."""
        old_name = self.table_name(_object_name(*old, "seq"), schema)
        return f"ALTER SEQUENCE IF EXISTS {old_name} RENAME TO {self.preparer.quote(_object_name(*new, 'seq'))}"

    def _RenameIndex(self, op: o.RenameIndex, before, after) -> list:
        index = self.table_name(op.old_name, op.schema)
        return [f"ALTER INDEX {index} RENAME TO {self.preparer.quote(op.new_name)}"]

    def _RenameConstraint(self, op: o.RenameConstraint, before, after) -> list:
        old, new = self.preparer.quote(op.old_name), self.preparer.quote(op.new_name)
        return [f"ALTER TABLE {self.table_name(op.table_name, op.schema)} RENAME CONSTRAINT {old} TO {new}"]

    # -- columns ------------------------------------------------------------------------------
    def _AddColumn(self, op: o.AddColumn, before, after) -> list:
        if not op.column.autoincrement:
            return super()._AddColumn(op, before, after)
        # SQLAlchemy writes SERIAL for a primary key column only; this column's key, if it gets
        # one, comes in an op of its own. SERIAL numbers the rows already there.
        column = to_column(op.column, self.dialect, autoincrement=True)
        sa.Table(
            op.table_name, sa.MetaData(), column, sa.PrimaryKeyConstraint(column), schema=op.schema
        )
        spec = self.ddl_compiler().get_column_specification(column)
        add = f"ALTER TABLE {self.table_name(op.table_name, op.schema)} ADD COLUMN {spec}"
        return [add, *([ddl.SetColumnComment(column)] if op.column.comment else [])]

    def _AlterColumn(self, op: o.AlterColumn, before, after) -> list:
        """The rename comes first, so that the other clauses name the column as it ends up.

        What stands in the way of a later clause goes before it: an identity before DROP NOT
        NULL, a default before a type change (it would have to convert along).
        """
        old, new = op.existing, op.new
        table = self.table_name(op.table_name, op.schema)
        alter = f"ALTER TABLE {table} ALTER COLUMN {self.preparer.quote(new.name)} "
        reset_default = old.default is not None and ("type" in op.changes or new.default is None)
        statements: list = []
        if old.name != new.name:
            old_name, new_name = self.preparer.quote(old.name), self.preparer.quote(new.name)
            statements.append(f"ALTER TABLE {table} RENAME COLUMN {old_name} TO {new_name}")
            if old.autoincrement or old.identity:
                statements.append(self._rename_sequence(op.schema, (op.table_name, old.name), (op.table_name, new.name)))
        if old.identity and not new.identity:
            statements.append(alter + "DROP IDENTITY")
        if old.autoincrement and not new.autoincrement:
            statements += [alter + "DROP DEFAULT", self._drop_owned_sequence(op)]
        if reset_default:
            statements.append(alter + "DROP DEFAULT")
        if "type" in op.changes:
            statements.append(alter + self._type_change(old, new))
            if old.autoincrement and new.autoincrement and new.type in _SEQUENCE_TYPES:
                statements.append(self._retype_sequence(op))
        if "nullable" in op.changes:
            statements.append(alter + ("DROP NOT NULL" if new.nullable else "SET NOT NULL"))
        if new.default is not None and (reset_default or "default" in op.changes):
            statements.append(alter + "SET DEFAULT " + self.escaped(new.default.sql))
        if new.autoincrement and not old.autoincrement:
            statements += self._serial(op)
        if new.identity and new.identity != old.identity:
            statements += self._identity(op, alter)
        if "comment" in op.changes:
            column = self.sa_table(after, op.table_name, op.schema).c[new.name]
            statements.append(
                ddl.SetColumnComment(column) if new.comment else ddl.DropColumnComment(column)
            )
        return statements

    def _type_change(self, old: s.Column, new: s.Column) -> str:
        """TYPE, with USING only where PostgreSQL has no cast of its own from the old type."""
        old_type, new_type = self.dialect.parse_type(old.type), self.dialect.parse_type(new.type)
        compiled = self.sa_dialect.type_compiler_instance.process(new_type)
        if _converts_on_assignment(old_type, new_type):
            return f"TYPE {compiled}"
        column = self.preparer.quote(new.name)
        return f"TYPE {compiled} USING {column}{_through_text(old_type, new_type)}::{compiled}"

    def _serial(self, op: o.AlterColumn) -> list:
        """What SERIAL makes: a sequence that the column owns and takes its default from."""
        table = self.table_name(op.table_name, op.schema)
        column = self.preparer.quote(op.new.name)
        sequence = self.table_name(_object_name(op.table_name, op.new.name, "seq"), op.schema)
        kind = f" AS {op.new.type}" if op.new.type in _SEQUENCE_TYPES else ""
        regclass = f"{quote_literal(sequence)}::regclass"
        return [
            f"CREATE SEQUENCE IF NOT EXISTS {sequence}{kind}",
            f"ALTER SEQUENCE {sequence} OWNED BY {table}.{column}",
            f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT nextval({regclass})",
            self._continue_after_rows(op, regclass, start=1, increment=1),
        ]

    def _retype_sequence(self, op: o.AlterColumn) -> str:
        """SERIAL's sequence takes the column's new integer type: an INTEGER sequence behind a
        BIGINT column still stops at 2^31 - 1. The sequence is the one the default draws from,
        which need not be owned by the column."""
        table = quote_literal(self.table_name(op.table_name, op.schema))
        column = self.literal(op.new.name)
        sequence = (
            "SELECT dep.refobjid::regclass::text FROM pg_catalog.pg_attrdef ad "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum "
            "JOIN pg_catalog.pg_depend dep ON dep.classid = 'pg_catalog.pg_attrdef'::regclass "
            "AND dep.objid = ad.oid AND dep.refclassid = 'pg_catalog.pg_class'::regclass "
            "JOIN pg_catalog.pg_class seq ON seq.oid = dep.refobjid AND seq.relkind = 'S' "
            f"WHERE ad.adrelid = {table}::regclass AND a.attname = {column}"
        )
        return (
            f"DO $$ DECLARE seq text := ({sequence}); "
            f"BEGIN EXECUTE 'ALTER SEQUENCE ' || seq || ' AS {op.new.type}'; END $$"
        )

    def _drop_owned_sequence(self, op: o.AlterColumn) -> str:
        """SERIAL's sequence goes with it. It is found by its column: renaming the table or the
        column leaves the sequence's name as it was."""
        return (
            f"DO $$ DECLARE seq text := {self.owned_sequence(op)}; "
            "BEGIN IF seq IS NOT NULL THEN EXECUTE 'DROP SEQUENCE ' || seq; END IF; END $$"
        )

    def _identity(self, op: o.AlterColumn, alter: str) -> list:
        old, new = op.existing.identity, op.new.identity
        generated = "ALWAYS" if new.always else "BY DEFAULT"
        if old is None:
            identity = sa.Identity(start=new.start, increment=new.increment)
            options = self.ddl_compiler().get_identity_options(identity)
            add = f"ADD GENERATED {generated} AS IDENTITY" + (f" ({options})" if options else "")
            restart = self._continue_after_rows(
                op, self.owned_sequence(op), _start(new), new.increment or 1
            )
            return [alter + add, restart]
        clauses = []
        if old.always != new.always:
            clauses.append(f"SET GENERATED {generated}")
        if _start(old) != _start(new):
            clauses.append(f"SET START WITH {_start(new)}")
        if (old.increment or 1) != (new.increment or 1):
            clauses.append(f"SET INCREMENT BY {new.increment or 1}")
        return [alter + " ".join(clauses)] if clauses else []

    def _continue_after_rows(
        self, op: o.AlterColumn, sequence: str, start: int, increment: int
    ) -> str:
        """Moves a new sequence past the values the rows hold already, so that new rows do not
        collide with them."""
        table = self.table_name(op.table_name, op.schema)
        column = self.preparer.quote(op.new.name)
        last, bound = ("max", "greatest") if increment > 0 else ("min", "least")
        value = f"{bound}({last}({column}) + {increment}, {start})"
        return f"SELECT setval({sequence}, {value}, false) FROM {table}"

    # -- enums ----------------------------------------------------------------------------------
    def _CreateEnum(self, op: o.CreateEnum, before, after) -> list:
        return [pg.CreateEnumType(_sa_enum(op.enum))]

    def _DropEnum(self, op: o.DropEnum, before, after) -> list:
        return [pg.DropEnumType(_sa_enum(op.enum))]

    def _AlterEnum(self, op: o.AlterEnum, before, after) -> list:
        kept = tuple(v for v in op.new.values if v in op.existing.values)
        if kept == op.existing.values:
            return self._add_enum_values(op.existing, op.new)
        return self._replace_enum(op, before)

    def _add_enum_values(self, old: s.Enum, new: s.Enum) -> list:
        """ALTER TYPE ... ADD VALUE per new value, placed beside a value the type has by then.

        PostgreSQL 12 and later run this inside the revision's transaction, but no statement may
        use a value added there (in a row, a default or a check) before it commits: such uses
        belong in a later revision. Before version 12 it cannot run in a transaction at all.
        """
        name = self.preparer.format_type(_sa_enum(new))
        existing = set(old.values)
        statements = []
        for i, value in enumerate(new.values):
            if value in existing:
                continue
            if existing.isdisjoint(new.values[i:]):
                place = ""  # at the end
            elif i > 0:
                place = f" AFTER {self.literal(new.values[i - 1])}"
            else:
                place = f" BEFORE {self.literal(old.values[0])}"
            statements.append(f"ALTER TYPE {name} ADD VALUE {self.literal(value)}{place}")
        return statements

    def _replace_enum(self, op: o.AlterEnum, before: s.Snapshot) -> list:
        """Values removed or reordered: a new type takes the old one's place in every column.

        Rows holding a removed value make the conversion fail, and the revision with it. Checks
        and expression or partial indexes that use such a column compare it with values of the
        old type, which PostgreSQL cannot carry over: they are dropped first and made again from
        their SQL once the column has the new type (and fail then if they name a removed value).
        """
        old = dataclasses.replace(op.existing, name=f"{op.existing.name}_old")
        type_name = self.preparer.format_type(_sa_enum(op.existing))
        columns = self._columns_of_type(before, self.dialect.type_string(_sa_enum(op.existing)))
        drops, creates = self._around_retype(before, columns)
        statements = [
            *drops,
            f"ALTER TYPE {type_name} RENAME TO {self.preparer.quote(old.name)}",
            pg.CreateEnumType(_sa_enum(op.new)),
        ]
        for table, column in columns:
            statements += self._convert_column(table, column)
        return statements + [pg.DropEnumType(_sa_enum(old)), *creates]

    def _around_retype(self, snap: s.Snapshot, columns: list) -> tuple[list, list]:
        """(drops, creates) of the checks and expression or partial indexes that use `columns`."""
        drops, creates = [], []
        for table, column in columns:
            name = column.name.lower()
            for check in table.checks:
                if name in check.sqltext.split():
                    constraint = self.droppable(snap, table.name, table.schema, check)
                    drops.append(ddl.DropConstraint(constraint))
                    creates.append(ddl.AddConstraint(constraint))
            for index in table.indexes:
                if name in _index_words(index):
                    sa_index = self.index(snap, table.name, table.schema, index)
                    drops.append(ddl.DropIndex(sa_index))
                    creates.append(ddl.CreateIndex(sa_index))
        return drops, creates

    def _columns_of_type(self, snap: s.Snapshot, name: str) -> list:
        return [(t, c) for t in snap.tables for c in t.columns if c.type in (name, name + "[]")]

    def _convert_column(self, table: s.Table, column: s.Column) -> list:
        """The column onto the type now under its type's name; its default, which names the
        renamed type, is set again."""
        alter = (
            f"ALTER TABLE {self.table_name(table.name, table.schema)} "
            f"ALTER COLUMN {self.preparer.quote(column.name)} "
        )
        convert = alter + self._type_change(column, column)
        if column.default is None:
            return [convert]
        return [
            alter + "DROP DEFAULT",
            convert,
            alter + "SET DEFAULT " + self.escaped(column.default.sql),
        ]

    # -- domains ----------------------------------------------------------------------------------
    def domain_name(self, domain: s.Domain) -> str:
        return self.preparer.format_type(pg.DOMAIN(domain.name, sa.Integer, schema=domain.schema))

    def _CreateDomain(self, op: o.CreateDomain, before, after) -> list:
        d = op.domain
        base = self.sa_dialect.type_compiler_instance.process(self.dialect.parse_type(d.type))
        parts = [f"CREATE DOMAIN {self.domain_name(d)} AS {base}"]
        if d.default is not None:
            parts.append("DEFAULT " + self.escaped(d.default.sql))
        if not d.nullable:
            parts.append("NOT NULL")
        parts += [self._domain_check(c) for c in d.checks]
        return [" ".join(parts)]

    def _domain_check(self, check: s.CheckConstraint) -> str:
        return f"CONSTRAINT {self.preparer.quote(check.name)} CHECK ({self.escaped(check.sqltext.sql)})"

    def _DropDomain(self, op: o.DropDomain, before, after) -> list:
        return [f"DROP DOMAIN {self.domain_name(op.domain)}"]

    def _AlterDomain(self, op: o.AlterDomain, before, after) -> list:
        """Checks are dropped first and added last, so that no rule of both versions holds at once.
        A new base type needs a new domain, which takes the old one's place in every column."""
        old, new = op.existing, op.new
        if old.type != new.type:
            return self._replace_domain(op, before)
        alter = f"ALTER DOMAIN {self.domain_name(new)} "
        gone, added = _check_changes(old.checks, new.checks)
        statements = [alter + f"DROP CONSTRAINT {self.preparer.quote(c.name)}" for c in gone]
        if old.default != new.default:
            default = "DROP DEFAULT" if new.default is None else "SET DEFAULT " + self.escaped(new.default.sql)
            statements.append(alter + default)
        if old.nullable != new.nullable:
            statements.append(alter + ("DROP NOT NULL" if new.nullable else "SET NOT NULL"))
        return statements + [alter + "ADD " + self._domain_check(c) for c in added]

    def _replace_domain(self, op: o.AlterDomain, before: s.Snapshot) -> list:
        """As an enum's rebuild: the old domain steps aside under another name, the new one is
        made, each column converts through text, and the old one goes."""
        old = dataclasses.replace(op.existing, name=f"{op.existing.name}_old")
        columns = self._columns_of_type(before, self.dialect.type_string(_sa_domain(op.existing)))
        drops, creates = self._around_retype(before, columns)
        statements = [
            *drops,
            f"ALTER DOMAIN {self.domain_name(op.existing)} RENAME TO {self.preparer.quote(old.name)}",
            # The checks keep their names on the renamed domain; the new one takes them over.
            *[f"ALTER DOMAIN {self.domain_name(old)} DROP CONSTRAINT {self.preparer.quote(c.name)}" for c in old.checks],
            *self._CreateDomain(o.CreateDomain(op.new), before, before),
        ]
        for table, column in columns:
            statements += self._convert_column(table, column)
        return statements + [f"DROP DOMAIN {self.domain_name(old)}", *creates]

    # -- constraints ------------------------------------------------------------------------------
    def constraint(
        self, snap: s.Snapshot, table_name: str, schema: Optional[str], constraint
    ) -> sa.Constraint:
        """An unnamed constraint goes by the name the database reported for it, or else by the
        one PostgreSQL gives by default (it was created unnamed earlier in the same run).

        Creating one names it so too: the SQL then shows the name that a later drop will use.
        """
        if constraint.name is None:
            snap, constraint = self._named(snap, find_table(snap, table_name, schema), constraint)
        return super().constraint(snap, table_name, schema, constraint)

    def _named(self, snap: s.Snapshot, table: s.Table, constraint) -> tuple:
        key = s.definition_key(constraint)
        same = [
            c
            for c in table.constraints
            if type(c) is type(constraint) and s.definition_key(c) == key
        ]
        reported = next((c for c in same if c.name is not None), None)
        if reported is not None:
            return snap, reported
        named = dataclasses.replace(constraint, name=_default_name(snap, table, constraint))
        return _replace_constraint(snap, table, constraint, named), named


_SEQUENCE_TYPES = frozenset({"SMALLINT", "INTEGER", "BIGINT"})
_MAX_NAME_BYTES = 63  # NAMEDATALEN - 1


def _sa_domain(domain: s.Domain) -> pg.DOMAIN:
    """The domain as a column type: all a column needs is its name."""
    return pg.DOMAIN(domain.name, sa.Integer, schema=domain.schema, create_type=False)


def _check_changes(old: Sequence[s.CheckConstraint], new: Sequence[s.CheckConstraint]) -> tuple:
    """(checks gone, checks added): a check whose text changed is both."""
    return [c for c in old if c not in new], [c for c in new if c not in old]


def _index_words(index: s.Index) -> set[str]:
    """The words of an index's expressions and WHERE clause (plain column keys left out: a type
    change rebuilds those by itself)."""
    texts = [e.text for e in index.elements if e.expression] + [index.where or ""]
    return {word for text in texts for word in text.split()}


def _named(type_: sa.types.TypeEngine, sa_dialect, kind: type):
    """The `kind` type (ENUM, DOMAIN) a column type is or holds, if any."""
    if isinstance(type_, sa.types.TypeDecorator):
        type_ = type_.load_dialect_impl(sa_dialect)
    if isinstance(type_, sa.ARRAY):
        return _named(type_.item_type, sa_dialect, kind)
    return type_ if isinstance(type_, kind) else None


def _sql_text(clause, sa_dialect) -> str:
    if isinstance(clause, sa.sql.elements.TextClause):
        return clause.text
    return str(clause.compile(dialect=sa_dialect, compile_kwargs={"literal_binds": True}))


def _sa_enum(enum: s.Enum) -> pg.ENUM:
    return pg.ENUM(*enum.values, name=enum.name, schema=enum.schema)


def _converts_on_assignment(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> bool:
    """Whether PostgreSQL converts `old` values to `new` by itself (an implicit or assignment cast).

    Then the type change gets no USING: an explicit cast to VARCHAR(n) would silently cut longer
    strings, where the assignment cast refuses them.
    """
    if isinstance(old, sa.ARRAY) and isinstance(new, sa.ARRAY):
        return _converts_on_assignment(old.item_type, new.item_type)
    if isinstance(new, (sa.Enum, sa.types.UserDefinedType)):
        return False
    if isinstance(new, sa.String):
        return True  # everything converts to text
    if isinstance(old, (sa.Enum, sa.types.UserDefinedType)):
        return False
    return old._type_affinity is new._type_affinity


def _binary_coercible(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> bool:
    """Whether ALTER COLUMN TYPE keeps the rows as they are: VARCHAR and TEXT share a storage
    (a shorter length is only checked), and NUMERIC may grow its precision at the same scale."""
    if _plain_string(old) and _plain_string(new):
        return True
    numeric = [isinstance(t, sa.Numeric) and not isinstance(t, sa.Float) for t in (old, new)]
    if all(numeric):
        return new.precision is None or (
            old.precision is not None and old.scale == new.scale and new.precision >= old.precision
        )
    return False


def _plain_string(type_: sa.types.TypeEngine) -> bool:
    return isinstance(type_, sa.String) and not isinstance(type_, (sa.Enum, sa.CHAR))


# Families PostgreSQL casts between directly (numeric <-> integer rounds, boolean <-> integer).
_DIRECT_CASTS = [
    (sa.Integer, sa.Numeric),
    (sa.Numeric, sa.Integer),
    (sa.Boolean, sa.Integer),
    (sa.Integer, sa.Boolean),
]


def _through_text(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> str:
    """`::text` (`::text[]` for arrays) where PostgreSQL has no direct cast from `old` to `new`.

    Every type casts to text and text to every type, so going through text always compiles;
    values that do not parse still fail, which the rewrite hazard warns about.
    """
    array = isinstance(old, sa.ARRAY)
    old_item = old.item_type if array else old
    new_item = new.item_type if isinstance(new, sa.ARRAY) else new
    direct = not isinstance(old_item, sa.Enum) and any(
        isinstance(old_item, a) and isinstance(new_item, b) for a, b in _DIRECT_CASTS
    )
    if direct:
        return ""
    return "::text[]" if array else "::text"


def _start(identity: s.Identity) -> int:
    """The start value, None meaning PostgreSQL's default for the direction of the increment."""
    if identity.start is not None:
        return identity.start
    return 1 if (identity.increment or 1) > 0 else -1


_CONSTRAINT_FIELDS = {
    s.UniqueConstraint: "uniques",
    s.CheckConstraint: "checks",
    s.ForeignKey: "foreign_keys",
}
_DEFAULT_NAME_LABELS = {
    s.PrimaryKey: "pkey",
    s.UniqueConstraint: "key",
    s.ForeignKey: "fkey",
    s.CheckConstraint: "check",
}


def _replace_constraint(snap: s.Snapshot, table: s.Table, old, new) -> s.Snapshot:
    if isinstance(new, s.PrimaryKey):
        changed = dataclasses.replace(table, primary_key=new)
    else:
        field = _CONSTRAINT_FIELDS[type(new)]
        items = tuple(new if c == old else c for c in getattr(table, field))
        changed = dataclasses.replace(table, **{field: items})
    return dataclasses.replace(
        snap, tables=tuple(changed if t is table else t for t in snap.tables)
    )


def _default_name(snap: s.Snapshot, table: s.Table, constraint) -> str:
    """PostgreSQL's name for an unnamed constraint: `<table>_<columns>_key` / `_fkey`,
    `<table>_pkey`, `<table>_<column>_check` (or `<table>_check` when it uses several columns),
    numbered while the name is taken in the schema."""
    if isinstance(constraint, s.PrimaryKey):
        columns = None
    elif isinstance(constraint, s.CheckConstraint):
        columns = _check_column(table, constraint)
    else:
        columns = "_".join(constraint.columns)
    # The index behind a key needs a name that no table or index has either.
    has_index = isinstance(constraint, (s.PrimaryKey, s.UniqueConstraint))
    taken = _names_taken(snap, table.schema, relations=has_index)
    label = _DEFAULT_NAME_LABELS[type(constraint)]
    for n in itertools.count():
        name = _object_name(table.name, columns, label + (str(n) if n else ""))
        if name not in taken:
            return name


def _check_column(table: s.Table, check: s.CheckConstraint) -> Optional[str]:
    """The column a check uses, when it uses only one."""
    words = set(check.sqltext.split())
    used = [c.name for c in table.columns if c.name.lower() in words]
    return used[0] if len(used) == 1 else None


def _names_taken(snap: s.Snapshot, schema: Optional[str], relations: bool) -> set:
    """Constraint names in `schema`; with `relations`, its table and index names too."""
    tables = [t for t in snap.tables if t.schema == schema]
    names = {c.name for t in tables for c in t.constraints}
    if relations:
        names |= {t.name for t in tables} | {i.name for t in tables for i in t.indexes}
    return names


def _object_name(name1: str, name2: Optional[str], label: str) -> str:
    """PostgreSQL's makeObjectName(): `name1_name2_label` in 63 bytes, cut from the longer part."""
    first, second = name1.encode(), (name2 or "").encode()
    room = _MAX_NAME_BYTES - len(label) - (2 if name2 is not None else 1)
    keep1, keep2 = len(first), len(second)
    while keep1 + keep2 > room:
        if keep1 > keep2:
            keep1 -= 1
        else:
            keep2 -= 1
    parts = [first[:keep1], *([second[:keep2]] if name2 is not None else []), label.encode()]
    # Cut characters drop whole, as pg_mbcliplen() does.
    return b"_".join(parts).decode("utf-8", "ignore")


# -- migration lock ----------------------------------------------------------------------------

_UNLOCK = "SELECT pg_advisory_unlock(:key)"


def _lock_key(database: str) -> int:
    """A stable 64-bit advisory lock key for schemadiff on `database`."""
    digest = hashlib.sha256(f"schemadiff:{database}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _scalar(conn: Connection, sql: str, **params):
    """Runs a query without leaving a transaction open that the caller did not have: the runtime
    begins its own on this connection."""
    had_transaction = conn.in_transaction()
    value = conn.execute(sa.text(sql), params).scalar()
    if not had_transaction:
        conn.commit()
    return value


class PostgresqlDialect(Dialect):
    name = "postgresql"
    nominal_default_schema = "public"
    ddl_class = PostgresqlDDL
    drops_column_dependents = True

    def __init__(self, sa_dialect):
        super().__init__(sa_dialect)
        # Enums seen by the last reflection: SQLAlchemy's type parser needs them to tell an enum
        # name from an unknown type.
        # Domains by the name a column type gives them, as SQLAlchemy's type parser wants them:
        # those reflected last and those the models declare, so that scripts name a domain's
        # columns as postgresql.DOMAIN.
        self._domain_types: dict[tuple, dict] = {}
        self._named_types = _NamedTypes([], self._domain_types)

    # -- hazards -------------------------------------------------------------------------
    def table_rewrite(self, op: o.Op, before: s.Snapshot) -> Optional[str]:
        if isinstance(op, o.AlterColumn) and "type" in op.changes:
            old, new = self.parse_type(op.existing.type), self.parse_type(op.new.type)
            return None if _binary_coercible(old, new) else "type-rewrite"
        return None

    def blocks_writes(self, op: o.Op) -> bool:
        # Generated DDL never writes CONCURRENTLY or NOT VALID: every index build and every
        # validating scan holds a lock that stops writes until it ends; only a script's
        # create_index(postgresql_concurrently=True) does not.
        if isinstance(op, o.AlterColumn):
            return op.existing.nullable and not op.new.nullable
        if isinstance(op, o.CreateIndex):
            return not op.concurrently
        return isinstance(op, o.AddConstraint)

    # -- types ---------------------------------------------------------------------------
    def parse_type(self, text: str) -> sa.types.TypeEngine:
        """A type as format_type() shows it, or as type_string() writes it, as a SQLAlchemy type.

        Either may end in COLLATE "name". type_string() writes upper case and some SQL-standard
        spellings (VARCHAR); SQLAlchemy's parser wants PostgreSQL's own.
        """
        match = _COLLATE.fullmatch(text)
        name, collation = _pg_spelling(match["type"]), match["collation"]
        if collation is not None:
            collation = collation.replace('""', '"')
        with warnings.catch_warnings():
            # A name it does not know is handled below.
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            type_ = self.sa_dialect._reflect_type(name, self._named_types, name, collation)
        if isinstance(type_, sa.types.NullType):
            return _user_type(name)
        return type_

    def _compile_type(self, type_: sa.types.TypeEngine) -> str:
        # Upper case as the other dialects, except in quoted names: "Mood" is not "MOOD".
        compiled = " ".join(self.sa_dialect.type_compiler_instance.process(type_).split())
        return self.clean_type(
            _QUOTED_OR_NOT.sub(lambda m: m[0] if m[0].startswith('"') else m[0].upper(), compiled)
        )

    def clean_type(self, compiled: str) -> str:
        for pattern, replace in _TYPE_ALIASES:
            compiled = pattern.sub(replace, compiled)
        return compiled

    # -- defaults and expressions -----------------------------------------------------
    def default_key(self, sql: str) -> Optional[str]:
        tokens = _canonical_tokens(sql)
        # A quoted number default ('0') is stored bare (0) on a numeric column.
        text = _join([n for t in tokens for n in _number_tokens(t)])
        # 'NULL::character varying' is how PostgreSQL keeps an explicit DEFAULT NULL.
        return None if text in ("", "null") else text

    def expression_key(self, sql: str) -> str:
        return _join(_canonical_tokens(sql))

    # -- symmetric canonical form -----------------------------------------------------
    def canonical_table(self, table: s.Table) -> s.Table:
        folded = {
            "columns": tuple(self._canonical_column(c) for c in table.columns),
            "indexes": tuple(_canonical_index(table.name, i) for i in table.indexes),
            "checks": tuple(_canonical_check(table.name, c) for c in table.checks),
        }
        return super().canonical_table(replace_changed(table, folded))

    def _canonical_column(self, col: s.Column) -> s.Column:
        if col.default is not None:
            col = replace_changed(col, {"default": _typed_default(col.type, col.default)})
        if col.identity is None and col.computed is None and not col.autoincrement:
            return col  # the common case, and there are thousands of columns
        changes: dict = {}
        if col.identity is not None:
            changes["identity"] = _canonical_identity(col.identity)
        if col.computed is not None and col.computed.persisted is None:
            # What SQLAlchemy emits without a persisted flag: STORED, or VIRTUAL from version 18.
            version = self.sa_dialect.server_version_info
            stored = version is None or version < (18,)
            changes["computed"] = dataclasses.replace(col.computed, persisted=stored)
        if col.autoincrement and (col.default is not None or col.identity is not None):
            # SQLAlchemy emits SERIAL only for a column without a server default or identity.
            changes["autoincrement"] = False
        return replace_changed(col, changes)

    def enums_from_tables(self, tables: Sequence[sa.Table]) -> list[s.Enum]:
        found: dict[tuple, s.Enum] = {}
        for table in tables:
            for column in table.columns:
                enum = self._native_enum(column.type)
                if enum is not None:
                    key = (enum.schema, enum.name)
                    found.setdefault(key, s.Enum(enum.name, tuple(enum.enums), enum.schema))
        return list(found.values())

    def domains_from_tables(self, tables: Sequence[sa.Table]) -> list[s.Domain]:
        found: dict[tuple, s.Domain] = {}
        for table in tables:
            for column in table.columns:
                domain = _named(column.type, self.sa_dialect, pg.DOMAIN)
                if domain is not None and (domain.schema, domain.name) not in found:
                    found[(domain.schema, domain.name)] = self._model_domain(domain)
        for domain in found.values():
            self._know_domain(domain, domain.schema, visible=domain.schema is None)
        return list(found.values())

    def _model_domain(self, domain: pg.DOMAIN) -> s.Domain:
        """What create_all makes of a DOMAIN. SQLAlchemy writes `CONSTRAINT name` before NOT
        NULL, where it names the NOT NULL: the check then has PostgreSQL's own name."""
        checks = ()
        if domain.check is not None:
            named = domain.constraint_name is not None and not domain.not_null
            name = domain.constraint_name if named else _object_name(domain.name, None, "check")
            sql = _sql_text(domain.check, self.sa_dialect)
            checks = (s.CheckConstraint(name, self.normalize_expression(sql)),)
        default = domain.default
        if default is not None:
            default = quote_literal(default) if isinstance(default, str) else _sql_text(default, self.sa_dialect)
        return self.canonical_domain(
            s.Domain(
                name=domain.name,
                type=self.type_string(domain.data_type),
                nullable=not domain.not_null,
                default=self.normalize_default(default),
                checks=checks,
                schema=domain.schema,
            )
        )

    def canonical_domain(self, domain: s.Domain) -> s.Domain:
        if domain.default is None:
            return domain
        return replace_changed(domain, {"default": _typed_default(domain.type, domain.default)})

    def _know_domain(self, d: s.Domain, schema: Optional[str], visible: bool) -> None:
        """Lets the type parser tell this domain's name from an unknown type."""
        self._domain_types[(d.name,) if visible else (schema, d.name)] = {
            "name": d.name,
            "schema": schema,
            "visible": visible,
            "type": _pg_spelling(d.type),
            "nullable": d.nullable,
            "default": None if d.default is None else d.default.sql,
            "constraints": [{"name": c.name, "check": c.sqltext.sql} for c in d.checks],
            "collation": None,
            "collation_schema": None,
        }

    def _native_enum(self, type_: sa.types.TypeEngine) -> Optional[sa.Enum]:
        if isinstance(type_, sa.types.TypeDecorator):
            type_ = type_.load_dialect_impl(self.sa_dialect)
        if isinstance(type_, sa.ARRAY):
            return self._native_enum(type_.item_type)
        if isinstance(type_, sa.Enum) and type_.native_enum and type_.name:
            return type_
        return None

    def index_where(self, index: sa.Index) -> Optional[sa.sql.ClauseElement]:
        return index.dialect_options["postgresql"]["where"]

    def index_options(self, index: sa.Index) -> tuple:
        options = index.dialect_options["postgresql"]
        # SQLAlchemy applies an operator class to the key of that name; others it leaves out.
        keys = {getattr(e, "key", None) for e in index.expressions}
        return index_options(
            using=options["using"],
            include=[c if isinstance(c, str) else c.name for c in options["include"] or ()],
            ops={k: v for k, v in (options["ops"] or {}).items() if k in keys},
            storage=options["with"] or {},
        )

    def column_autoincrement(self, col: sa.Column) -> bool:
        # SQLAlchemy writes SERIAL only when no Python-side default or required Sequence
        # supplies the values instead.
        default = col.default
        return col is col.table.autoincrement_column and (
            default is None or (isinstance(default, sa.Sequence) and default.optional)
        )

    # -- running migrations --------------------------------------------------------------
    @contextlib.contextmanager
    def migration_lock(self, conn: Connection, timeout: float) -> Iterator[None]:
        """A session-level advisory lock on the database, tried until `timeout` seconds pass."""
        database = _scalar(conn, "SELECT current_database()")
        key = _lock_key(database)
        deadline = time.monotonic() + timeout
        while not _scalar(conn, "SELECT pg_try_advisory_lock(:key)", key=key):
            if time.monotonic() >= deadline:
                raise SchemadiffError(
                    f"another schemadiff migration holds the lock on {database} (waited {timeout:g} s)"
                )
            time.sleep(0.1)
        try:
            yield
        except BaseException:
            # A failed transaction may refuse the unlock; the session's end releases it then.
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                _scalar(conn, _UNLOCK, key=key)
            raise
        _scalar(conn, _UNLOCK, key=key)

    # -- reflection --------------------------------------------------------------------
    def refuses_foreign_key(self, fk: s.ForeignKey, target: s.Table) -> Optional[str]:
        if frozenset(fk.ref_columns) in target.unique_column_sets():
            return None
        return f"PostgreSQL needs a primary key or unique constraint on {target.name} ({', '.join(fk.ref_columns)})"

    def prepare_scratch_database(self, conn: Connection) -> None:
        # A URL with `options=-csearch_path=app` creates tables in the schema `app`, which a new
        # database lacks: CREATE TABLE would find no schema to create in.
        path = conn.exec_driver_sql("SHOW search_path").scalar()
        quote = conn.dialect.identifier_preparer.quote
        for name in (part.strip().strip('"') for part in path.split(",")):
            if name and name != "$user":
                conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quote(name)}")
        conn.commit()

    def reflect_domains(self, conn: Connection, schemas: Sequence[Optional[str]]) -> list[s.Domain]:
        default = self.default_schema(conn)
        names = [name or default for name in schemas]
        rows = _fetch(conn, DOMAINS_SQL)
        domains = [self._reflected_domain(r, default) for r in rows]
        self._domain_types.clear()
        for domain, row in zip(domains, rows):
            self._know_domain(domain, row.nspname, row.visible)
        return [d for d, r in zip(domains, rows) if r.nspname in names]

    def _reflected_domain(self, row, default_schema: str) -> s.Domain:
        checks = tuple(
            s.CheckConstraint(name, self.normalize_expression(expr))
            for name, expr in zip(row.check_names, row.check_exprs)
        )
        return self.canonical_domain(
            s.Domain(
                name=row.typname,
                type=self.canonical_type(row.base_type),
                nullable=not row.typnotnull,
                default=self.normalize_default(row.typdefault),
                checks=checks,
                schema=None if row.nspname == default_schema else row.nspname,
            )
        )

    def reflect(
        self, conn: Connection, schemas: Sequence[Optional[str]]
    ) -> tuple[list[s.Table], list[s.Enum]]:
        with _no_cyclic_gc():
            return self._reflect(conn, schemas)

    def _reflect(
        self, conn: Connection, schemas: Sequence[Optional[str]]
    ) -> tuple[list[s.Table], list[s.Enum]]:
        default = self.default_schema(conn)
        names = [name or default for name in schemas]
        enum_rows = _fetch(conn, ENUMS_SQL)
        self._named_types = _NamedTypes(enum_rows, self._domain_types)
        enums = [
            s.Enum(r.typname, tuple(r.labels), None if r.nspname == default else r.nspname)
            for r in enum_rows
            if r.nspname in names
        ]
        params = {"schemas": names}
        column_rows = _fetch(conn, COLUMNS_SQL, params)
        reader = _CatalogReader(self, default, column_rows)
        tables = reader.tables(
            _fetch(conn, TABLES_SQL, params),
            _by_table(column_rows),
            _by_table(_fetch(conn, CONSTRAINTS_SQL, params)),
            _by_table(_fetch(conn, INDEXES_SQL, params)),
        )
        return tables, enums


@contextlib.contextmanager
def _no_cyclic_gc():
    """Reading a big schema makes hundreds of thousands of small objects, and the cyclic garbage
    collector, triggered by allocation counts, then walks them all again and again: that used
    to double the time. None of them form cycles; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _fetch(conn: Connection, sql: str, params: Optional[dict] = None) -> list:
    """All rows as named tuples: their fields read ten times faster than SQLAlchemy Rows'."""
    result = conn.execute(sa.text(sql), params or {})
    row_type = namedtuple("CatalogRow", result.keys())
    return [row_type._make(row) for row in result.all()]


def _by_table(rows) -> dict[int, list]:
    """Rows grouped by the table oid in their first column."""
    groups: dict[int, list] = defaultdict(list)
    for row in rows:
        groups[row[0]].append(row)
    return groups


class _CatalogReader:
    """Turns catalog rows into snapshot Tables (no SQL here)."""

    def __init__(self, dialect: PostgresqlDialect, default_schema: str, column_rows):
        self.dialect = dialect
        self.default_schema = default_schema
        self.attnames = {(r.attrelid, r.attnum): r.attname for r in column_rows}

    def names(self, relid: int, attnums) -> tuple[str, ...]:
        return tuple(self.attnames[(relid, n)] for n in attnums)

    def schema(self, name: Optional[str]) -> Optional[str]:
        return None if name == self.default_schema else name

    def tables(self, table_rows, columns, constraints, indexes) -> list[s.Table]:
        return [
            self.table(row, columns[row.oid], constraints[row.oid], indexes[row.oid])
            for row in table_rows
        ]

    def table(self, row, column_rows, constraint_rows, index_rows) -> s.Table:
        kinds = defaultdict(list)
        for con in constraint_rows:
            kinds[con.contype].append(con)
        pk = kinds["p"][0] if kinds["p"] else None
        return s.Table(
            name=row.relname,
            schema=self.schema(row.nspname),
            columns=tuple(self.column(c, row.relname) for c in column_rows),
            primary_key=(
                s.PrimaryKey(pk.conname, self.names(pk.conrelid, pk.conkey)) if pk else None
            ),
            uniques=tuple(
                s.UniqueConstraint(c.conname, self.names(c.conrelid, c.conkey)) for c in kinds["u"]
            ),
            checks=tuple(
                s.CheckConstraint(c.conname, self.dialect.normalize_expression(c.check_expr))
                for c in kinds["c"]
            ),
            foreign_keys=tuple(self.foreign_key(c) for c in kinds["f"]),
            indexes=self.indexes(index_rows),
            comment=row.description,
        )

    def column(self, row, table_name: str) -> s.Column:
        default, computed, identity, autoincrement = row.default, None, None, False
        if row.attgenerated:
            computed = s.Computed(
                self.dialect.normalize_expression(default), persisted=row.attgenerated == "s"
            )
            default = None
        if row.attidentity:
            identity = s.Identity(
                always=row.attidentity == "a", start=row.seqstart, increment=row.seqincrement
            )
        type_text = row.type
        if row.collation is not None:
            type_text += f" COLLATE {self.dialect.preparer.quote_identifier(row.collation)}"
        type_ = self.dialect.canonical_type(type_text)
        if identity is None and _is_serial(row, table_name, type_):
            autoincrement, default = True, None
        return s.Column(
            name=row.attname,
            type=type_,
            nullable=not row.attnotnull,
            default=self.dialect.normalize_default(default),
            autoincrement=autoincrement,
            identity=identity,
            computed=computed,
            comment=row.description,
        )

    def foreign_key(self, row) -> s.ForeignKey:
        return s.ForeignKey(
            name=row.conname,
            columns=self.names(row.conrelid, row.conkey),
            ref_table=row.ref_table,
            ref_columns=(
                tuple(row.outside_ref_columns)
                if row.outside_ref_columns is not None
                else self.names(row.confrelid, row.confkey)
            ),
            ref_schema=self.schema(row.ref_schema),
            ondelete=_REFERENTIAL_ACTIONS[row.confdeltype],
            onupdate=_REFERENTIAL_ACTIONS[row.confupdtype],
            # Already in canonical form, so that canonical_table need not rebuild the table.
            deferrable=row.condeferrable or None,
            initially=(
                ("DEFERRED" if row.condeferred else "IMMEDIATE") if row.condeferrable else None
            ),
        )

    def indexes(self, rows) -> tuple[s.Index, ...]:
        keys = defaultdict(list)
        for row in rows:
            keys[row.name].append(row)
        return tuple(self.index(name, key_rows) for name, key_rows in keys.items())

    def index(self, name: str, rows) -> s.Index:
        first = rows[0]
        where = first.predicate
        return s.Index(
            name=name,
            elements=tuple(self.index_element(r) for r in rows),
            unique=first.indisunique,
            where=None if where is None else self.dialect.normalize_expression(where),
            options=self.index_options(rows),
        )

    def index_options(self, rows) -> tuple:
        first = rows[0]
        opclasses = {
            self.attnames[(r.indrelid, r.attnum)]: r.opclass
            for r in rows
            if r.opclass is not None and r.expression is None
        }
        storage = dict(option.split("=", 1) for option in first.storage or ())
        return index_options(
            using=first.method,
            include=[self.attnames[(first.indrelid, n)] for n in first.include],
            ops=opclasses,
            storage=storage,
        )

    def index_element(self, row) -> s.IndexElement:
        descending = bool(row.option & _INDOPTION_DESC)
        nulls = "first" if row.option & _INDOPTION_NULLS_FIRST else "last"
        nulls = None if nulls == _default_nulls(descending) else nulls
        if row.expression is None:
            name = self.attnames[(row.indrelid, row.attnum)]
            return s.IndexElement(name, descending=descending, nulls=nulls)
        text = self.dialect.normalize_expression(row.expression)
        return s.IndexElement(text, expression=True, descending=descending, nulls=nulls)


def _is_serial(row, table_name: str, type_: str) -> bool:
    """Whether the column is what SERIAL makes: its default draws from the sequence it owns.

    Scripts that create the sequence apart and never say OWNED BY (hand-edited pg_dump output,
    sample databases) count too when the sequence has the name SERIAL would have given it, as
    SQLAlchemy's Inspector and sqlacodegen have it. Any other sequence stays a default as
    written, so that a model sharing one sequence between tables keeps its name.
    """
    if row.default is None or type_ not in _SEQUENCE_TYPES:
        return False
    if row.seqname and row.default == f"nextval({quote_literal(row.seqname)}::regclass)":
        return True
    match = _NEXTVAL.fullmatch(row.default)
    return match is not None and _unquote_identifier(match["name"]) == _object_name(
        table_name, row.attname, "seq"
    )


# -- types -------------------------------------------------------------------------------------


class _NamedTypes:
    """What SQLAlchemy's PG `_reflect_type` asks about user-defined types, from our enum rows
    and the domains the dialect knows."""

    def __init__(self, enum_rows, domains: Optional[dict] = None):
        self.domains = {} if domains is None else domains
        self.enums = {
            (r.typname,) if r.visible else (r.nspname, r.typname): {
                "name": r.typname,
                "schema": r.nspname,
                "visible": r.visible,
                "labels": list(r.labels),
            }
            for r in enum_rows
        }


def _pg_spelling(text: str) -> str:
    """'VARCHAR(20)[]' -> 'character varying(20)[]': lower case outside quoted names."""
    text = _QUOTED_OR_NOT.sub(lambda m: m[0] if m[0].startswith('"') else m[0].lower(), text)
    text = re.sub(r"\s+\(", "(", text)  # 'INTERVAL DAY (3)'
    for standard, own in _STANDARD_SPELLINGS:
        text = standard.sub(own, text)
    return text


def _user_type(text: str) -> sa.types.TypeEngine:
    """A type SQLAlchemy does not know: an enum the database does not have yet, a domain, an
    extension's type.

    A plain name becomes ENUM(create_type=False), which renders just the name: all a column
    needs, as the enum itself has an op of its own. Anything else is kept as written.
    """
    match = _USER_TYPE.fullmatch(text)
    if match is None:
        return NamedType(text)
    schema = match["schema"] and _unquote_identifier(match["schema"])
    type_ = pg.ENUM(name=_unquote_identifier(match["name"]), schema=schema, create_type=False)
    return pg.ARRAY(type_) if match["array"] else type_


def _unquote_identifier(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


_COLLATE = re.compile(r'(?P<type>.*?)(?: COLLATE "(?P<collation>(?:[^"]|"")*)")?')
_QUOTED_OR_NOT = re.compile(r'"(?:[^"]|"")*"|[^"]+')
_STANDARD_SPELLINGS = [
    (re.compile(r"^varchar\b"), "character varying"),
    (re.compile(r"^char\b"), "character"),
]
_IDENTIFIER = r'(?:[a-z_][\w$]*|"(?:[^"]|"")+")'
_NEXTVAL = re.compile(rf"nextval\('(?:{_IDENTIFIER}\.)?(?P<name>{_IDENTIFIER})'::regclass\)")
_USER_TYPE = re.compile(
    rf"(?:(?P<schema>{_IDENTIFIER})\.)?(?P<name>{_IDENTIFIER})(?P<array>(?:\[\])+)?"
)

# Spellings PostgreSQL folds into one stored type (an array's "[]" may follow).
_TYPE_ALIASES = [
    (re.compile(r"^(FLOAT|DOUBLE)(?=\[|$)"), "DOUBLE PRECISION"),
    (re.compile(r"^FLOAT\(([1-9]|1\d|2[0-4])\)"), "REAL"),
    (re.compile(r"^FLOAT\(\d+\)"), "DOUBLE PRECISION"),
    (re.compile(r"^DECIMAL\b"), "NUMERIC"),
    (re.compile(r"^NUMERIC\((\d+)\)"), r"NUMERIC(\1, 0)"),
    (re.compile(r"^N?CHAR(?=$|\[|\s)"), "CHAR(1)"),
    (re.compile(r"^NCHAR\b"), "CHAR"),
    # Arrays keep no dimension count: INTEGER[][] is stored as integer[].
    (re.compile(r"(\[\])+"), "[]"),
]


# -- expressions -------------------------------------------------------------------------------

# As base.tokenize, but `[...]` is array syntax here, not a quoted identifier.
_TOKEN = token_pattern(r'"(?:[^"]|"")*"')

_NUMERIC_TYPES = frozenset(
    "smallint integer bigint int int2 int4 int8 numeric decimal real double float4 float8".split()
)
# Types that may prefix a string literal: interval '1 day'.
_LITERAL_TYPES = frozenset({"interval", "date", "time", "timestamp", "timestamptz"})
# Words that continue a type name after its first word ("character varying", ...).
_TYPE_TAILS = (("varying",), ("precision",), ("with", "time", "zone"), ("without", "time", "zone"))
_LIKE_OPERATORS = {
    "~~": ["like"],
    "!~~": ["not", "like"],
    "~~*": ["ilike"],
    "!~~*": ["not", "ilike"],
}
_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "||"})
# "[schema . ]table . " before a column name in normalized text.
_QUALIFIER = re.compile(r"(?<!\. )(?<!\S)(?:([\w$]+) \. )?([\w$]+) \. ")
_COLUMN_KEY = re.compile(r"([a-z_][\w$]*)(?: (asc|desc))?(?: nulls (first|last))?")
_KEYWORDS = frozenset(
    "and or not in is between like ilike any all array case when then else end select".split()
)


def _canonical_tokens(sql: str) -> list[str]:
    tokens = _like_operators(tokenize(sql, _TOKEN))
    tokens = _strip_casts(tokens)
    tokens = _now_as_current_timestamp(tokens)
    tokens = _rewrite_between(tokens)
    return _rewrite_in(tokens)


def _join(tokens: list[str]) -> str:
    return " ".join(t for t in tokens if t not in ("(", ")"))


def _number_tokens(token: str) -> list[str]:
    """A quoted number ('-1') as the tokens of the bare one (-, 1); other tokens unchanged."""
    if token.startswith("'") and _NUMBER.fullmatch(token[1:-1]):
        return tokenize(token[1:-1], _TOKEN)
    return [token]


def _like_operators(tokens: list[str]) -> list[str]:
    """PostgreSQL shows LIKE / ILIKE as ~~ / ~~*; the tokenizer splits those into characters."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and tokens[j] in ("!", "~", "*") and (j > i or tokens[j] != "*"):
            j += 1
        operator = "".join(tokens[i:j])
        if operator in _LIKE_OPERATORS:
            out += _LIKE_OPERATORS[operator]
            i = j
        else:
            out.append(tokens[i])
            i += 1
    return out


def _strip_casts(tokens: list[str]) -> list[str]:
    """Drops `::type`, `CAST(x AS type)` and `type 'literal'`: PostgreSQL adds casts the models
    never wrote, and stores `interval '1 day'` as `'1 day'::interval`.

    A quoted number cast to a numeric type ('-1'::integer) becomes the bare number.
    """
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in _LITERAL_TYPES and tokens[i + 1 : i + 2] and tokens[i + 1].startswith("'"):
            i += 1
        elif tok == "::" and i + 1 < len(tokens):
            end = _type_end(tokens, i + 1)
            if tokens[i + 1] in _NUMERIC_TYPES and out:
                out[-1:] = _number_tokens(out[-1])
            i = end
        elif tok == "cast" and tokens[i + 1 : i + 2] == ["("]:
            close = _closing(tokens, i + 1)
            inner = tokens[i + 2 : close]
            as_at = _top_level(inner, "as")
            expr = inner[: as_at[-1]] if as_at else inner
            out += ["(", *_strip_casts(expr), ")"]
            i = close + 1
        else:
            out.append(tok)
            i += 1
    return out


def _type_end(tokens: list[str], i: int) -> int:
    """Index just past the type name that starts at tokens[i]."""
    i += 1
    while tokens[i : i + 1] == ["."]:  # schema-qualified
        i += 2
    while i < len(tokens):
        if tokens[i] == "(":
            i = _closing(tokens, i) + 1
        elif tokens[i : i + 2] == ["[", "]"]:
            i += 2
        else:
            tail = next((t for t in _TYPE_TAILS if tuple(tokens[i : i + len(t)]) == t), None)
            if tail is None:
                break
            i += len(tail)
    return i


def _now_as_current_timestamp(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for tok in tokens:
        out.append(tok)
        if out[-3:] == ["now", "(", ")"]:
            out[-3:] = ["current_timestamp"]
    return out


def _rewrite_between(tokens: list[str]) -> list[str]:
    """`x BETWEEN a AND b` -> `x >= a AND x <= b`, the way PostgreSQL stores it (NOT: `<`, `OR`, `>`)."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        parsed = _between_bounds(tokens, i) if tokens[i] == "between" and out else None
        if parsed is None:
            out.append(tokens[i])
            i += 1
            continue
        low, high, i = parsed
        negate = out[-1:] == ["not"]
        if negate:
            out.pop()
        start = _operand_start(out)
        operand = out[start:]
        del out[start:]
        lo, join, hi = ("<", "or", ">") if negate else (">=", "and", "<=")
        out += ["(", *operand, lo, *low, join, *operand, hi, *high, ")"]
    return out


def _between_bounds(tokens: list[str], i: int) -> Optional[tuple[list[str], list[str], int]]:
    """(low, high, index after high) for the BETWEEN at tokens[i], or None if it does not parse."""
    low_end = _operand_end(tokens, i + 1)
    if low_end is None or tokens[low_end : low_end + 1] != ["and"]:
        return None
    high_end = _operand_end(tokens, low_end + 1)
    if high_end is None:
        return None
    return tokens[i + 1 : low_end], tokens[low_end + 1 : high_end], high_end


def _rewrite_in(tokens: list[str]) -> list[str]:
    """`x IN (a, b)` -> `x = ANY (ARRAY[a, b])` and `x IN (a)` -> `x = a`, as PostgreSQL stores them."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        is_list = tokens[i + 1 : i + 2] == ["("] and tokens[i + 2 : i + 3] != ["select"]
        if tok != "in" or not is_list:
            out.append(tok)
            i += 1
            continue
        negate = out[-1:] == ["not"]
        if negate:
            out.pop()
        close = _closing(tokens, i + 1)
        items = tokens[i + 2 : close]
        op = "<>" if negate else "="
        if _top_level(items, ","):
            out += [op, "all" if negate else "any", "(", "array", "[", *items, "]", ")"]
        else:
            out += [op, "(", *items, ")"]
        i = close + 1
    return out


# -- defaults whose meaning depends on the column's type ----------------------------------------


def _typed_default(type_: str, default: s.Expression) -> s.Expression:
    """A literal default as PostgreSQL stores it for the column's type: a model's '0' on a
    BOOLEAN is stored as false, and '0' or '1 hour' on an INTERVAL as '00:00:00' / '01:00:00'."""
    if type_ == "BOOLEAN":
        key = _BOOLEAN_LITERALS.get(default.strip("'").lower())
    elif type_.startswith("INTERVAL"):
        key = _interval_key(default.strip("'"))
    else:
        return default
    return default if key is None else default.rekey(key)


_BOOLEAN_LITERALS = {
    **dict.fromkeys(["0", "f", "false", "n", "no", "off"], "false"),
    **dict.fromkeys(["1", "t", "true", "y", "yes", "on"], "true"),
}
_INTERVAL_PART = re.compile(
    r"\s*(?:(?P<clock>(?P<h>\d+):(?P<m>\d\d)(?::(?P<s>\d\d(?:\.\d+)?))?)"
    r"|(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[a-z]*))"
)
_MICROSECONDS = {
    "microsecond": 1, "us": 1, "millisecond": 1000, "ms": 1000,
    "second": 10**6, "sec": 10**6, "s": 10**6, "": 10**6,
    "minute": 60 * 10**6, "min": 60 * 10**6, "m": 60 * 10**6,
    "hour": 3600 * 10**6, "hr": 3600 * 10**6, "h": 3600 * 10**6,
}  # fmt: skip
_DAYS = {"day": 1, "d": 1, "week": 7, "w": 7}
_MONTHS = {"month": 1, "mon": 1, "year": 12, "yr": 12, "y": 12}


def _interval_key(text: str) -> Optional[str]:
    """'2 weeks 90 minutes' -> "'14 days 01:30:00'": PostgreSQL's own output of a non-negative
    interval literal, or None when the literal is beyond this small parser (it stays as is)."""
    months = days = micros = 0
    pos, text = 0, text.lower().strip()
    while pos < len(text):
        part = _INTERVAL_PART.match(text, pos)
        if part is None or part.end() == pos:
            return None
        pos = part.end()
        if part["clock"]:
            seconds = float(part["s"] or 0)
            micros += (int(part["h"]) * 3600 + int(part["m"]) * 60) * 10**6 + round(seconds * 10**6)
            continue
        unit = part["unit"].rstrip("s") if part["unit"] not in ("s", "ms", "us") else part["unit"]
        number = float(part["number"])
        if unit in _MICROSECONDS:
            micros += round(number * _MICROSECONDS[unit])
        elif number.is_integer() and unit in _DAYS:
            days += int(number) * _DAYS[unit]
        elif number.is_integer() and unit in _MONTHS:
            months += int(number) * _MONTHS[unit]
        else:
            return None
    return "'" + _interval_text(months, days, micros) + "'"


def _interval_text(months: int, days: int, micros: int) -> str:
    def count(n: int, word: str) -> list[str]:
        return [f"{n} {word}{'s' if n != 1 else ''}"] if n else []

    parts = count(months // 12, "year") + count(months % 12, "mon") + count(days, "day")
    if micros or not parts:
        seconds, fraction = divmod(micros, 10**6)
        clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        parts.append(clock + (f".{fraction:06d}".rstrip("0") if fraction else ""))
    return " ".join(parts)


# -- token helpers -----------------------------------------------------------------------------


def _closing(tokens: list[str], i: int) -> int:
    """Index of the ')' matching the '(' at tokens[i] (the last index if unbalanced)."""
    depth = 0
    for j in range(i, len(tokens)):
        depth += {"(": 1, ")": -1}.get(tokens[j], 0)
        if depth == 0:
            return j
    return len(tokens) - 1


def _opening(tokens: list[str], i: int) -> int:
    """Index of the '(' matching the ')' at tokens[i]."""
    depth = 0
    for j in range(i, -1, -1):
        depth += {")": 1, "(": -1}.get(tokens[j], 0)
        if depth == 0:
            return j
    return 0


def _top_level(tokens: list[str], word: str) -> list[int]:
    """Positions of `word` outside any parentheses."""
    depth, found = 0, []
    for j, tok in enumerate(tokens):
        depth += {"(": 1, ")": -1}.get(tok, 0)
        if depth == 0 and tok == word:
            found.append(j)
    return found


def _is_name(token: str) -> bool:
    return (token[:1].isalpha() or token[:1] == "_") and token not in _KEYWORDS


def _primary_start(tokens: list[str], end: int) -> int:
    """Start of the operand (name, literal, call or parenthesized group) ending at tokens[end]."""
    i = end
    if tokens[i] == ")":
        i = _opening(tokens, i)
        if i > 0 and _is_name(tokens[i - 1]):
            i -= 1
    while i >= 2 and tokens[i - 1] == ".":
        i -= 2
    return i


def _operand_start(tokens: list[str]) -> int:
    """Start of the arithmetic expression at the end of `tokens` (what BETWEEN applies to)."""
    i = _primary_start(tokens, len(tokens) - 1)
    while i >= 2 and tokens[i - 1] in _ARITHMETIC:
        i = _primary_start(tokens, i - 2)
    return i


def _operand_end(tokens: list[str], i: int) -> Optional[int]:
    """Index just past the (signed) operand that starts at tokens[i], or None."""
    if tokens[i : i + 1] in (["-"], ["+"]):
        i += 1
    if i >= len(tokens):
        return None
    if _is_name(tokens[i]) and tokens[i + 1 : i + 2] == ["("]:
        i += 1
    if tokens[i] == "(":
        return _closing(tokens, i) + 1
    i += 1
    while tokens[i : i + 1] == ["."]:
        i += 2
    return i


# -- symmetric canonical forms -----------------------------------------------------------------


def _canonical_identity(identity: s.Identity) -> s.Identity:
    """Start and increment that PostgreSQL would pick anyway become None, as SQLAlchemy leaves them."""
    increment = identity.increment or 1
    default_start = 1 if increment > 0 else -1
    return dataclasses.replace(
        identity,
        start=None if identity.start in (None, default_start) else identity.start,
        increment=None if increment == 1 else increment,
    )


def _canonical_check(table_name: str, check: s.CheckConstraint) -> s.CheckConstraint:
    return replace_changed(check, {"sqltext": _unqualify(table_name, check.sqltext)})


def index_options(using: Optional[str], include, ops: dict, storage: dict) -> tuple:
    """Index.options of a PostgreSQL index: btree, the default method, is no option; storage
    parameters are kept as PostgreSQL reports them (fillfactor=70, fastupdate=off)."""
    using = (using or "").lower()
    return s.option_pairs(
        {
            "postgresql_using": None if using == "btree" else using,
            "postgresql_include": tuple(include),
            "postgresql_ops": tuple(sorted(ops.items())),
            "postgresql_with": tuple(
                sorted((str(k).lower(), str(v).lower()) for k, v in storage.items())
            ),
        }
    )


def _canonical_index(table_name: str, index: s.Index) -> s.Index:
    return replace_changed(
        index,
        {
            "elements": tuple(_canonical_element(table_name, e) for e in index.elements),
            "where": None if index.where is None else _unqualify(table_name, index.where),
        },
    )


def _canonical_element(table_name: str, element: s.IndexElement) -> s.IndexElement:
    if element.expression:
        element = _column_key(
            replace_changed(element, {"text": _unqualify(table_name, element.text)})
        )
    if element.nulls == _default_nulls(element.descending):
        element = dataclasses.replace(element, nulls=None)
    return element


def _default_nulls(descending: bool) -> str:
    """NULLS LAST for ASC and NULLS FIRST for DESC: no need to say so."""
    return "first" if descending else "last"


def _column_key(element: s.IndexElement) -> s.IndexElement:
    """A textual key such as text("name DESC NULLS LAST") is a plain column key to PostgreSQL."""
    match = _COLUMN_KEY.fullmatch(element.text)
    if match is None:
        return element
    name, order, nulls = match.groups()
    return s.IndexElement(
        name,
        descending=element.descending or order == "desc",
        nulls=nulls or element.nulls,
    )


def _unqualify(table_name: str, expression: s.Expression) -> s.Expression:
    """'account . name' (or 'schema . account . name') -> 'name' in the canonical form.

    Model SQL may name a table's own columns qualified (text("account.balance > 0")); PostgreSQL
    stores them bare.
    """
    if " . " not in expression:
        return expression
    name = table_name.lower()
    return expression.rekey(
        _QUALIFIER.sub(lambda m: "" if m.group(2) == name else m.group(0), expression)
    )
