"""SQLite: pragma table-valued functions joined to sqlite_master, one query per kind of object.

SQLite keeps each table's CREATE statement as written, so constraint names, check clauses and
generated-column expressions are read from that text; the pragmas give the rest.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal
from typing import Iterator, Optional

import sqlalchemy as sa
from sqlalchemy import schema as ddl
from sqlalchemy.engine import Connection

from .. import snapshot as s
from ..snapshot import Expression
from .. import ops as o
from ..errors import SchemadiffError
from ..state import find_table
from .base import Dialect, boolean_default, replace_changed, strip_outer_parens
from .ddl import DDL

#: An execution option: the connection runs a script's autocommit_block() now.
_AUTOCOMMIT = "schemadiff_autocommit"

TABLES = """
SELECT name, sql FROM "{schema}".sqlite_master
WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY name
"""

COLUMNS = """
SELECT m.name, c.name, c.type, c."notnull", c.dflt_value, c.pk, c.hidden
FROM "{schema}".sqlite_master AS m JOIN pragma_table_xinfo(m.name, '{schema}') AS c
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY m.name, c.cid
"""

INDEXES = """
SELECT m.name, il.name, il."unique", il.origin, k.name, k."desc", ix.sql
FROM "{schema}".sqlite_master AS m
JOIN pragma_index_list(m.name, '{schema}') AS il
JOIN pragma_index_xinfo(il.name, '{schema}') AS k
LEFT JOIN "{schema}".sqlite_master AS ix ON ix.type = 'index' AND ix.name = il.name
WHERE m.type = 'table' AND k.key = 1 AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY m.name, il.name, k.seqno
"""

TRIGGERS = """
SELECT tbl_name, sql FROM "{schema}".sqlite_master WHERE type = 'trigger' ORDER BY name
"""

FOREIGN_KEYS = """
SELECT m.name, f.id, f."table", f."from", f."to", f.on_update, f.on_delete
FROM "{schema}".sqlite_master AS m JOIN pragma_foreign_key_list(m.name, '{schema}') AS f
WHERE m.type = 'table'
ORDER BY m.name, f.id, f.seq
"""


_CONSTANT = re.compile(r"-?\d+(\.\d+)?|'(?:[^']|'')*'|NULL|TRUE|FALSE", re.IGNORECASE)


class SqliteDDL(DDL):
    """SQLite's ALTER TABLE renames and adds; anything more rebuilds the table.

    A rebuild creates the new table beside the old one, copies the rows, drops the old table
    and renames the new one into place, then recreates the indexes and triggers. The runtime keeps foreign
    keys off meanwhile and runs `PRAGMA foreign_key_check` afterwards.
    """

    def statements(self, op: o.Op, before, after) -> list:
        if self.rebuilds(op, before):
            return self.rebuild([op], before, after)
        return super().statements(op, before, after)

    def rebuilds(self, op: o.Op, before: s.Snapshot) -> bool:
        """Whether `op` on schema `before` needs a rebuild: SQLite's ALTER TABLE cannot do it."""
        if isinstance(op, o.AlterColumn):
            return op.changes != ("name",)
        if isinstance(op, o.AddColumn):
            if op.before is not None:
                return True  # ADD COLUMN only appends
            c = op.column
            default_ok = c.default is None or _CONSTANT.fullmatch(c.default.sql.strip())
            return not ((c.nullable or c.default is not None) and default_ok and not (c.computed and c.computed.persisted))
        if isinstance(op, o.DropColumn):
            table = before.table(op.table_name, op.schema)
            return table is None or _mentioned(table, op.column.name)  # an unknown table fails in the rebuild
        return isinstance(op, (o.AddConstraint, o.DropConstraint, o.RenameConstraint))

    def _AlterColumn(self, op: o.AlterColumn, before, after) -> list:
        old, new = (self.preparer.quote(n) for n in (op.existing.name, op.new.name))
        return [f"ALTER TABLE {self.table_name(op.table_name, op.schema)} RENAME COLUMN {old} TO {new}"]

    def _SetTableComment(self, op, before, after) -> list:
        return []  # SQLite keeps no comments

    def _RenameIndex(self, op: o.RenameIndex, before, after) -> list:
        """SQLite renames no index: it is built again under the new name (the rows stay)."""
        old = next(i for i in find_table(before, op.table_name, op.schema).indexes if i.name == op.old_name)
        new = dataclasses.replace(old, name=op.new_name)
        return [
            *self._DropIndex(o.DropIndex(op.table_name, old, op.schema), before, after),
            *self._CreateIndex(o.CreateIndex(op.table_name, new, op.schema), before, after),
        ]

    def rebuild(self, ops: list, before, after) -> list:
        """Statements that rebuild the table of `ops` from its `before` shape into its `after` shape."""
        table_name, schema = ops[0].table_name, ops[0].schema
        old, new = find_table(before, table_name, schema), find_table(after, table_name, schema)
        temporary = f"_schemadiff_tmp_{table_name}"
        staged = dataclasses.replace(new, name=temporary, indexes=())
        staged_sa = self.sa_table(_with(after, staged), temporary, schema)
        sources = _sources(ops, old)
        copied = [c for c in new.columns if not c.computed and c.name in sources]
        target_columns = ", ".join(self.preparer.quote(c.name) for c in copied)
        source_columns = ", ".join(self.preparer.quote(sources[c.name]) for c in copied)
        final = self.sa_table(after, table_name, schema)
        return [
            ddl.CreateTable(staged_sa),
            f"INSERT INTO {self.table_name(temporary, schema)} ({target_columns}) "
            f"SELECT {source_columns} FROM {self.table_name(table_name, schema)}",
            ddl.DropTable(self.sa_table(before, table_name, schema)),
            # Legacy mode renames without re-checking views and triggers that name the old table.
            "PRAGMA legacy_alter_table = ON",
            f"ALTER TABLE {self.table_name(temporary, schema)} RENAME TO {self.preparer.quote(table_name)}",
            "PRAGMA legacy_alter_table = OFF",
            *[ddl.CreateIndex(i) for i in sorted(final.indexes, key=lambda i: i.name or "")],
            *new.triggers,  # dropped with the old table
        ]


def _sources(ops: list, old: s.Table) -> dict[str, str]:
    """The old column whose rows each column of the rebuilt table takes, followed through `ops`.

    A column dropped and added again within the same rebuild starts empty, as it would have
    with one rebuild per op.
    """
    sources: dict = {c.name: c.name for c in old.columns if not c.computed}
    for op in ops:
        if isinstance(op, (o.AddColumn, o.DropColumn)):
            sources.pop(op.column.name, None)
        elif isinstance(op, o.AlterColumn) and op.new.name != op.existing.name:
            origin = sources.pop(op.existing.name, None)
            if origin is not None:
                sources[op.new.name] = origin
    return sources


def _with(snap: s.Snapshot, table: s.Table) -> s.Snapshot:
    return dataclasses.replace(snap, tables=snap.tables + (table,))


def _mentioned(table: s.Table, column: str) -> bool:
    """Whether a key, index or constraint of `table` uses `column` (SQLite then cannot drop it)."""
    groups = [table.primary_key.columns if table.primary_key else ()]
    groups += [u.columns for u in table.uniques] + [f.columns for f in table.foreign_keys]
    groups += [i.columns for i in table.indexes]
    return any(column in g for g in groups) or any(column in c.sqltext for c in table.checks)


class SqliteDialect(Dialect):
    name = "sqlite"
    nominal_default_schema = "main"
    ddl_class = SqliteDDL

    def clean_type(self, compiled: str) -> str:
        # Both spellings have the same NUMERIC affinity: they compare equal, and the spelling
        # stays for DDL and scripts (an Expression compares by its key, keeps the text as .sql).
        folded = re.sub(r"^DECIMAL\b", "NUMERIC", compiled)
        return Expression(folded, compiled) if folded != compiled else compiled

    def parse_type(self, text: str) -> sa.types.TypeEngine:
        return self.sa_dialect._resolve_type_affinity(getattr(text, "sql", text))

    def default_key(self, sql: str) -> Optional[str]:
        # SQLite keeps `DEFAULT NULL` as written and reports it, as SQLAlchemy's Inspector does:
        # here it is a default like any other, so that the database gets what the model says.
        if strip_outer_parens(sql).upper() == "NULL":
            return "NULL"
        return super().default_key(sql)

    def canonical_table(self, table: s.Table) -> s.Table:
        table = super().canonical_table(table)
        columns = tuple(
            replace_changed(
                c,
                {
                    # Only INTEGER PRIMARY KEY numbers itself (it is the rowid), whatever the
                    # model says: the primary key and the type decide, and both are compared.
                    "autoincrement": False,
                    # BOOLEAN has NUMERIC affinity: '0', 0 and FALSE all store 0.
                    "default": boolean_default(c.default) if c.type == "BOOLEAN" else c.default,
                    "computed": c.computed
                    and replace_changed(c.computed, {"persisted": bool(c.computed.persisted)}),
                },
            )
            for c in table.columns
        )
        columns = tuple(replace_changed(c, {"default": _affinity_default(c)}) for c in columns)
        fks = _one_per_definition(
            tuple(replace_changed(fk, {"deferrable": None, "initially": None}) for fk in table.foreign_keys)
        )
        return replace_changed(
            table, {"columns": columns, "foreign_keys": fks, "uniques": _without_primary_key(table)}
        )

    def prepare_migration_engine(self, engine: sa.Engine, lock_timeout: float) -> None:
        # pysqlite opens transactions lazily and never before DDL; take control of BEGIN, and
        # make it IMMEDIATE so that a second migrating process waits for the first one.
        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection, record):
            dbapi_connection.isolation_level = None
            dbapi_connection.execute(f"PRAGMA busy_timeout = {int(lock_timeout * 1000)}")
            # A table rebuild drops the old table: with foreign keys on, that would cascade.
            dbapi_connection.execute("PRAGMA foreign_keys = OFF")

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            if not conn.get_execution_options().get(_AUTOCOMMIT):
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        from .sqlite_interrupt import interrupt_statements_on_ctrl_c  # signals and threads: migrations only

        interrupt_statements_on_ctrl_c(engine)

    @contextmanager
    def autocommit(self, conn: Connection) -> Iterator[None]:
        # pysqlite's isolation levels would undo prepare_migration_engine's own BEGIN; since the
        # driver never begins by itself there, leaving out that BEGIN is autocommit.
        conn.commit()
        conn.execution_options(**{_AUTOCOMMIT: True})
        try:
            yield
        finally:
            conn.commit()
            conn.execution_options(**{_AUTOCOMMIT: False})
            conn.begin()

    # Type affinity: a column keeps any value, whatever its declared type or length.
    enforces_column_types = False

    def table_rewrite(self, op: o.Op, before: s.Snapshot) -> Optional[str]:
        return "sqlite-rebuild" if self.ddl.rebuilds(op, before) else None

    def check_integrity(self, conn: Connection) -> list[str]:
        try:
            broken, warnings = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall(), []
        except sa.exc.OperationalError as e:
            if "foreign key mismatch" not in str(e.orig):
                raise
            broken, warnings = _foreign_key_check_by_table(conn)
        if broken:
            table, rowid, parent = broken[0][:3]
            raise SchemadiffError(
                f"{len(broken)} row(s) break foreign keys, e.g. {table} rowid {rowid} -> {parent}"
            )
        return warnings

    def index_where(self, index: sa.Index):
        return index.dialect_options["sqlite"]["where"]

    def default_schema(self, conn: Connection) -> Optional[str]:
        return "main"

    def reflect(self, conn, schemas):
        tables = []
        for schema in schemas:
            tables += _SchemaReader(self, conn, schema).tables()
        return tables, []


# -- foreign key check -----------------------------------------------------------------------------


def _foreign_key_check_by_table(conn: Connection) -> tuple[list, list[str]]:
    """PRAGMA foreign_key_check, table by table, when some foreign key targets columns with no
    unique constraint or index: SQLite then refuses to check the whole database ("foreign key
    mismatch"), though it accepts such a key in CREATE TABLE, as create_all does. Such a key
    gets a warning; the other keys of its table are checked by a query of their own."""
    broken, warnings = [], []
    tables = conn.exec_driver_sql(TABLES.format(schema="main")).scalars().all()
    for table in tables:
        try:
            broken += conn.exec_driver_sql(f"PRAGMA foreign_key_check({_quote(table)})").fetchall()
        except sa.exc.OperationalError as e:
            if "foreign key mismatch" not in str(e.orig):
                raise
            for fk in _foreign_keys(conn, table):
                if _targets_a_key(conn, fk):
                    broken += _orphans(conn, table, fk)
                else:
                    warnings.append(
                        f"foreign key {table}({', '.join(fk.columns)}) -> {fk.ref_table}({', '.join(fk.ref_columns)}) "
                        "targets columns with no unique constraint or index: SQLite cannot enforce it, "
                        "and its rows were not checked"
                    )
    return broken, warnings


@dataclasses.dataclass
class _ForeignKey:
    columns: list
    ref_table: str
    ref_columns: list


def _foreign_keys(conn: Connection, table: str) -> list[_ForeignKey]:
    rows = conn.exec_driver_sql(
        'SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq', (table,)
    ).fetchall()
    grouped: dict = defaultdict(list)
    for fk_id, ref_table, column, ref_column in rows:
        grouped[(fk_id, ref_table)].append((column, ref_column))
    result = []
    for (_, ref_table), pairs in grouped.items():
        ref_columns = [r for _, r in pairs] if pairs[0][1] else _primary_key(conn, ref_table)
        result.append(_ForeignKey([c for c, _ in pairs], ref_table, ref_columns))
    return result


def _primary_key(conn: Connection, table: str) -> list[str]:
    rows = conn.exec_driver_sql("SELECT pk, name FROM pragma_table_info(?) WHERE pk > 0", (table,)).fetchall()
    return [name for _, name in sorted(rows)]


def _targets_a_key(conn: Connection, fk: _ForeignKey) -> bool:
    """Whether the referenced columns are the primary key or have a full unique index."""
    keys = [set(_primary_key(conn, fk.ref_table))]
    for (index,) in conn.exec_driver_sql(
        'SELECT name FROM pragma_index_list(?) WHERE "unique" AND NOT partial', (fk.ref_table,)
    ):
        keys.append(set(conn.exec_driver_sql("SELECT name FROM pragma_index_info(?)", (index,)).scalars()))
    return set(fk.ref_columns) in keys


def _orphans(conn: Connection, table: str, fk: _ForeignKey) -> list:
    """(table, rowid, parent) for each row whose key, all set, has no parent row."""
    set_ = " AND ".join(f"c.{_quote(c)} IS NOT NULL" for c in fk.columns)
    match = " AND ".join(f"p.{_quote(r)} = c.{_quote(c)}" for c, r in zip(fk.columns, fk.ref_columns))
    sql = (
        f"SELECT ?, c.rowid, ? FROM {_quote(table)} AS c WHERE {set_} "
        f"AND NOT EXISTS (SELECT 1 FROM {_quote(fk.ref_table)} AS p WHERE {match})"
    )
    return conn.exec_driver_sql(sql, (table, fk.ref_table)).fetchall()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _affinity(type_: str) -> str:
    """A column's type affinity, by SQLite's rules for its declared type (datatype3.html, 3.1)."""
    declared = type_.upper()
    if "INT" in declared:
        return "INTEGER"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in declared or not declared:
        return "BLOB"
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_BOOLEAN_KEYWORDS = {"TRUE": "1", "FALSE": "0"}


def _affinity_default(c: s.Column) -> Optional[Expression]:
    """The default keyed by the value it stores: a numeric-affinity column turns `'0'`, `0`,
    `0.0` and FALSE alike into the number 0, so they are one default there."""
    if c.default is None or _affinity(c.type) not in ("INTEGER", "REAL", "NUMERIC"):
        return c.default
    text = strip_outer_parens(c.default.sql)
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1]
    if text.upper() in _BOOLEAN_KEYWORDS:
        return c.default.rekey(_BOOLEAN_KEYWORDS[text.upper()])
    if not _NUMBER.fullmatch(text):
        return c.default
    value = Decimal(text)
    key = str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
    return c.default.rekey(key)


def _one_per_definition(fks: tuple) -> tuple:
    """SQLite's reflection reports one foreign key per definition (it pairs names with keys by
    their columns and target), so a table that declares the same key twice, named and unnamed,
    reads as one: the models' repeats fold alike, into the named one where there is one."""
    kept: dict = {}
    for fk in fks:
        key = s.definition_key(fk)
        if key not in kept or (kept[key].name is None and fk.name is not None):
            kept[key] = fk
    return tuple(kept.values()) if len(kept) < len(fks) else fks


def _without_primary_key(table: s.Table) -> tuple:
    """The uniques, less those on exactly the primary key's columns: SQLite folds such a UNIQUE
    into the primary key's own index and reports only the key (a rowid key has no index, and
    the UNIQUE adds nothing to it)."""
    pk = table.primary_key.columns if table.primary_key else None
    return tuple(u for u in table.uniques if u.columns != pk)


class _SchemaReader:
    def __init__(self, dialect: SqliteDialect, conn: Connection, schema: Optional[str]):
        self.dialect, self.conn, self.schema = dialect, conn, schema

    def rows(self, query: str):
        return self.conn.exec_driver_sql(query.format(schema=self.schema or "main")).fetchall()

    def tables(self) -> list[s.Table]:
        sources = {name: parse_create_table(sql or "") for name, sql in self.rows(TABLES)}
        columns, pks = self.columns(sources)
        indexes, uniques = self.indexes(sources)
        fks = self.foreign_keys(sources, pks)
        triggers = defaultdict(list)
        for table, sql in self.rows(TRIGGERS):
            triggers[table].append(sql)
        return [
            s.Table(
                name=name,
                schema=self.schema,
                columns=tuple(columns[name]),
                primary_key=self.primary_key(source, pks.get(name, ())),
                uniques=tuple(uniques[name]),
                checks=tuple(
                    s.CheckConstraint(n, self.dialect.normalize_expression(text))
                    for n, text in source.checks
                ),
                foreign_keys=tuple(fks[name]),
                indexes=tuple(indexes[name]),
                triggers=tuple(triggers[name]),
            )
            for name, source in sources.items()
        ]

    def columns(self, sources):
        columns, pks = defaultdict(list), defaultdict(list)
        for table, name, type_, notnull, default, pk, hidden in self.rows(COLUMNS):
            if pk:
                pks[table].append((pk, name))
            expression = sources[table].generated.get(name.lower())
            computed = None
            if hidden in (2, 3) and expression is not None:
                computed = s.Computed(self.dialect.normalize_expression(expression), hidden == 3)
            columns[table].append(
                s.Column(
                    name=name,
                    type=self.dialect.canonical_type(type_ or ""),
                    nullable=not notnull and not pk,
                    default=self.dialect.normalize_default(default),
                    computed=computed,
                )
            )
        return columns, {t: tuple(n for _, n in sorted(v)) for t, v in pks.items()}

    def primary_key(self, source, columns) -> Optional[s.PrimaryKey]:
        return s.PrimaryKey(source.pk_name, columns) if columns else None

    def indexes(self, sources):
        grouped = defaultdict(list)
        for table, index, unique, origin, column, desc, sql in self.rows(INDEXES):
            grouped[(table, index, unique, origin, sql)].append((column, desc))
        indexes, uniques = defaultdict(list), defaultdict(list)
        for (table, index, unique, origin, sql), keys in grouped.items():
            if origin == "pk":
                continue
            if origin == "u":
                cols = tuple(c for c, _ in keys)
                uniques[table].append(s.UniqueConstraint(sources[table].unique_names.get(cols), cols))
                continue
            indexes[table].append(self.index(index, bool(unique), keys, sql or ""))
        return indexes, uniques

    def index(self, name: str, unique: bool, keys, sql: str) -> s.Index:
        parts, where = parse_create_index(sql)
        elements = []
        for i, (column, desc) in enumerate(keys):
            if column is None:
                text = self.dialect.normalize_expression(_strip_order(parts[i]))
                elements.append(s.IndexElement(text, expression=True, descending=bool(desc)))
            else:
                elements.append(s.IndexElement(column, descending=bool(desc)))
        where = self.dialect.normalize_expression(where) if where else None
        return s.Index(name, tuple(elements), unique, where)

    def foreign_keys(self, sources, pks):
        grouped = defaultdict(list)
        for table, fk_id, ref, col, ref_col, on_update, on_delete in self.rows(FOREIGN_KEYS):
            grouped[(table, fk_id, ref, on_update, on_delete)].append((col, ref_col))
        fks = defaultdict(list)
        for (table, _, ref, on_update, on_delete), pairs in sorted(grouped.items()):
            cols = tuple(c for c, _ in pairs)
            # A REFERENCES clause without columns points at the target's primary key.
            ref_cols = tuple(r for _, r in pairs) if pairs[0][1] else pks.get(ref, ())
            fks[table].append(
                s.ForeignKey(
                    name=sources[table].fk_names.get(cols),
                    columns=cols,
                    ref_table=ref,
                    ref_columns=ref_cols,
                    ref_schema=self.schema,
                    ondelete=on_delete,
                    onupdate=on_update,
                )
            )
        return fks


def _strip_order(text: str) -> str:
    return re.sub(r"\s+(ASC|DESC)\s*$", "", text.strip(), flags=re.IGNORECASE)


# -- CREATE statement parsing ---------------------------------------------------------------------


@dataclasses.dataclass
class TableSource:
    """What only the CREATE TABLE text tells: constraint names, check clauses, generated columns."""

    pk_name: Optional[str] = None
    unique_names: dict = dataclasses.field(default_factory=dict)
    fk_names: dict = dataclasses.field(default_factory=dict)
    checks: list = dataclasses.field(default_factory=list)
    generated: dict = dataclasses.field(default_factory=dict)


_IDENT = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[\w$]+)'
_NAMED = re.compile(rf"^\s*CONSTRAINT\s+({_IDENT})\s+(.*)$", re.IGNORECASE | re.DOTALL)
_CHECK = re.compile(rf"(?:CONSTRAINT\s+({_IDENT})\s+)?CHECK\s*\(", re.IGNORECASE)
_GENERATED = re.compile(r"(?:GENERATED\s+ALWAYS\s+)?\bAS\s*\(", re.IGNORECASE)


def unquote(name: str) -> str:
    name = name.strip()
    if name[:1] in "\"`[":
        return name[1:-1].replace('""', '"')
    return name


# Quoted text is skipped whole; only parentheses and commas outside it matter.
_STRUCTURE = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|[(),]")


def split_top_level(text: str) -> list[str]:
    """Splits on commas that are not inside parentheses or quotes."""
    parts, depth, start = [], 0, 0
    for m in _STRUCTURE.finditer(text):
        token = m.group()
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif token == "," and depth == 0:
            parts.append(text[start : m.start()])
            start = m.end()
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def balanced(text: str, open_at: int) -> str:
    """The text inside the parenthesis that opens at `open_at`."""
    depth = 0
    for m in _STRUCTURE.finditer(text, open_at):
        token = m.group()
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
            if depth == 0:
                return text[open_at + 1 : m.start()]
    return text[open_at + 1 :]


def _column_list(text: str) -> tuple[str, ...]:
    return tuple(unquote(_strip_order(c)) for c in split_top_level(text))


def parse_create_table(sql: str) -> TableSource:
    source = TableSource()
    start = sql.find("(")
    if start < 0:
        return source
    for item in split_top_level(balanced(sql, start)):
        named = _NAMED.match(item)
        name, body = (unquote(named.group(1)), named.group(2)) if named else (None, item)
        keyword = body.split(None, 1)[0].upper() if body.split() else ""
        if keyword in ("PRIMARY", "UNIQUE", "FOREIGN", "CHECK"):
            _table_constraint(source, keyword, name, body)
        else:
            _column_definition(source, item)
    return source


def _table_constraint(source: TableSource, keyword: str, name: Optional[str], body: str) -> None:
    paren = body.find("(")
    inside = balanced(body, paren)
    if keyword == "PRIMARY":
        source.pk_name = name
    elif keyword == "UNIQUE":
        source.unique_names[_column_list(inside)] = name
    elif keyword == "FOREIGN":
        source.fk_names[_column_list(inside)] = name
    else:
        source.checks.append((name, inside))


def _column_definition(source: TableSource, item: str) -> None:
    upper = item.upper()
    if "CHECK" not in upper and "AS" not in upper:
        return  # the common case: nothing here that the pragmas do not already tell
    column = unquote(re.match(_IDENT, item).group(0)) if re.match(_IDENT, item) else ""
    for m in _CHECK.finditer(item):
        name = unquote(m.group(1)) if m.group(1) else None
        source.checks.append((name, balanced(item, m.end() - 1)))
    generated = _GENERATED.search(item)
    if generated:
        source.generated[column.lower()] = balanced(item, generated.end() - 1)


def parse_create_index(sql: str) -> tuple[list[str], Optional[str]]:
    """(key expressions, WHERE clause) of a CREATE INDEX statement."""
    on = re.search(r"\bON\s+" + _IDENT + r"(?:\s*\.\s*" + _IDENT + r")?\s*\(", sql, re.IGNORECASE)
    if not on:
        return [], None
    inside = balanced(sql, on.end() - 1)
    rest = sql[on.end() + len(inside) :]
    where = re.search(r"\bWHERE\b(.*)$", rest, re.IGNORECASE | re.DOTALL)
    return split_top_level(inside), (strip_outer_parens(where.group(1)) if where else None)
