"""SQLAlchemy MetaData -> Snapshot, as the target database would see it once created.

Names come from SQLAlchemy's own naming-convention machinery (the same call its DDL compiler
makes), and types, defaults and expressions go through the dialect's canonical forms.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from . import snapshot as s
from .dialects.base import Dialect, quote_literal
from .errors import SchemadiffError


def snapshot_metadata(
    metadata: sa.MetaData, dialect: Dialect, default_schema: Optional[str] = None
) -> s.Snapshot:
    """The Snapshot that `metadata.create_all()` would produce on `dialect`'s database."""
    builder = SnapshotBuilder(dialect, default_schema)
    tables = [dialect.canonical_table(builder.table(t)) for t in metadata.tables.values()]
    enums = dialect.enums_from_tables(list(metadata.tables.values()))
    enums = [e if e.schema != default_schema else _unschema(e) for e in enums]
    domains = dialect.domains_from_tables(list(metadata.tables.values()))
    domains = [d if d.schema != default_schema else _unschema(d) for d in domains]
    return s.Snapshot(tuple(tables), tuple(enums), dialect=dialect.name, domains=tuple(domains))


def _unschema(named):
    return dataclasses.replace(named, schema=None)


class SnapshotBuilder:
    def __init__(self, dialect: Dialect, default_schema: Optional[str]):
        self.dialect = dialect
        self.default_schema = default_schema
        # What create_all asks when it decides whether to emit a constraint or an index.
        self._ddl_compiler = dialect.sa_dialect.ddl_compiler(dialect.sa_dialect, None)

    def schema(self, name: Optional[str]) -> Optional[str]:
        return None if name == self.default_schema else name

    def name(self, item) -> Optional[str]:
        if item.name is None:
            return None
        try:
            name = self.dialect.preparer.format_constraint(item, _alembic_quote=False)
        except sa_exc.InvalidRequestError as e:
            raise SchemadiffError(f"table {item.table.name}: {e}") from None
        return s.ConventionName(name) if isinstance(item.name, sa.sql.elements.conv) else name

    def sql(self, clause) -> str:
        if isinstance(clause, str):
            return clause
        if isinstance(clause, sa.sql.elements.TextClause) and not clause._bindparams:
            return clause.text  # as written; compiling it would only cost time
        compiled = clause.compile(
            dialect=self.dialect.sa_dialect,
            # As the DDL compiler writes them: literal values, columns without table prefixes.
            compile_kwargs={"literal_binds": True, "include_table": False},
        )
        text = str(compiled)
        # Drivers with format/pyformat parameters (psycopg, pymysql) get % doubled; the
        # database stores one.
        if self.dialect.preparer._double_percents:
            text = text.replace("%%", "%")
        return text

    def table(self, table: sa.Table) -> s.Table:
        pk = table.primary_key
        return s.Table(
            name=table.name,
            schema=self.schema(table.schema),
            columns=tuple(self.column(table, c) for c in table.columns),
            primary_key=(
                s.PrimaryKey(self.name(pk), tuple(c.name for c in pk.columns))
                if pk is not None and len(pk.columns)
                else None
            ),
            uniques=tuple(
                s.UniqueConstraint(self.name(c), tuple(col.name for col in c.columns))
                for c in table.constraints
                if isinstance(c, sa.UniqueConstraint) and self._creates(c)
            ),
            checks=tuple(
                s.CheckConstraint(self.name(c), self.dialect.normalize_expression(self.sql(c.sqltext)))
                for c in table.constraints
                if isinstance(c, sa.CheckConstraint) and self._creates(c)
            ),
            foreign_keys=tuple(
                self.foreign_key(fk) for fk in table.foreign_key_constraints if self._creates(fk)
            ),
            indexes=tuple(self.index(i) for i in table.indexes if self._creates_index(i)),
            comment=table.comment,
        )

    def _creates(self, constraint: sa.Constraint) -> bool:
        """Whether create_all makes `constraint` on this dialect: type-bound ones (Boolean/Enum)
        and `.ddl_if(...)` decide per dialect."""
        return bool(constraint._should_create_for_compiler(self._ddl_compiler))

    def _creates_index(self, index: sa.Index) -> bool:
        rule = index._ddl_if
        return rule is None or bool(
            rule._should_execute(
                sa.schema.CreateIndex(index), index, None, compiler=self._ddl_compiler, checkfirst=False
            )
        )

    def column(self, table: sa.Table, col: sa.Column) -> s.Column:
        computed = identity = None
        if isinstance(col.computed, sa.Computed):
            computed = s.Computed(
                self.dialect.normalize_expression(self.sql(col.computed.sqltext)),
                col.computed.persisted,
            )
        if isinstance(col.identity, sa.Identity) and self.dialect.has_identity_columns:
            identity = s.Identity(
                always=bool(col.identity.always),
                start=col.identity.start,
                increment=col.identity.increment,
            )
        return s.Column(
            name=col.name,
            type=self.column_type(table, col),
            nullable=bool(col.nullable) and identity is None,
            default=self.default(col),
            autoincrement=self.dialect.column_autoincrement(col) and identity is None,
            identity=identity,
            computed=computed,
            comment=col.comment,
        )

    def column_type(self, table: sa.Table, col: sa.Column) -> str:
        try:
            return self.dialect.column_type(col)
        except sa_exc.CompileError as e:  # "VARCHAR requires a length on dialect mysql", ...
            where = f"{table.schema}.{table.name}" if table.schema else table.name
            hint = _LENGTH_HINT if "requires a length" in str(e) else ""
            raise SchemadiffError(f"column {where}.{col.name}: {e}{hint}") from None

    def default(self, col: sa.Column) -> Optional[str]:
        server_default = col.server_default
        if not isinstance(server_default, sa.DefaultClause):
            return None
        arg = server_default.arg
        text = quote_literal(arg) if isinstance(arg, str) else self.sql(arg)
        return self.dialect.normalize_default(text)

    def foreign_key(self, fk: sa.ForeignKeyConstraint) -> s.ForeignKey:
        # Read the target from the FK's own spec: the referenced table need not be loaded.
        targets = [e._column_tokens for e in fk.elements]
        return s.ForeignKey(
            name=self.name(fk),
            columns=tuple(c.name for c in fk.columns),
            ref_table=targets[0].table_name,
            ref_columns=tuple(t.column_name for t in targets),
            ref_schema=self.schema(targets[0].schema),
            ondelete=fk.ondelete,
            onupdate=fk.onupdate,
            deferrable=fk.deferrable,
            initially=fk.initially,
        )

    def index(self, index: sa.Index) -> s.Index:
        where = self.dialect.index_where(index)
        return s.Index(
            name=self.name(index),
            elements=tuple(self.index_element(e, index.table) for e in index.expressions),
            unique=bool(index.unique),
            where=None if where is None else self.dialect.normalize_expression(self.sql(where)),
            options=self.dialect.index_options(index),
        )

    def index_element(self, expr, table: sa.Table) -> s.IndexElement:
        descending, nulls = False, None
        while isinstance(expr, sa.sql.elements.UnaryExpression) and expr.modifier in _ORDER_MODIFIERS:
            word = _ORDER_MODIFIERS[expr.modifier]
            if word in ("first", "last"):
                nulls = word
            else:
                descending = word == "desc"
            expr = expr.element
        if isinstance(expr, sa.Column):
            return s.IndexElement(expr.name, descending=descending, nulls=nulls)
        sql = self.sql(expr)
        if isinstance(expr, sa.sql.elements.TextClause):
            # sa.text("name DESC"): the order words are the index's, not the expression's.
            sql, descending, nulls = _split_order(sql, descending, nulls)
        text = self.dialect.normalize_expression(sql)
        # A bare column named as text (Index("ix", desc("name"))) is still a plain column key.
        column = next(
            (c for c in table.columns if text == self.dialect.normalize_expression(c.name)), None
        )
        if column is not None:
            return s.IndexElement(column.name, descending=descending, nulls=nulls)
        return s.IndexElement(text, expression=True, descending=descending, nulls=nulls)


_LENGTH_HINT = "; give the column's type a length, such as String(255)"

_ORDER_MODIFIERS = {
    sa.sql.operators.desc_op: "desc",
    sa.sql.operators.asc_op: "asc",
    sa.sql.operators.nulls_first_op: "first",
    sa.sql.operators.nulls_last_op: "last",
}


_ORDER_SUFFIX = re.compile(
    r"^(?P<sql>.*?)(?:\s+(?P<direction>ASC|DESC))?(?:\s+NULLS\s+(?P<nulls>FIRST|LAST))?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def _split_order(sql: str, descending: bool, nulls: Optional[str]) -> tuple[str, bool, Optional[str]]:
    """'name DESC NULLS LAST' -> ('name', True, 'last'): the order words that end an index key."""
    m = _ORDER_SUFFIX.match(sql)
    direction, nulls_word = m.group("direction"), m.group("nulls")
    if direction:
        descending = direction.lower() == "desc"
    return m.group("sql"), descending, nulls_word.lower() if nulls_word else nulls
