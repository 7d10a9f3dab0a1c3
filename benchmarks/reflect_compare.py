"""Benchmark: schemadiff reflect + compare against Alembic autogenerate.

Run it (Alembic is a benchmark-only dependency, in the ``bench`` extra)::

    pip install -e '.[bench,postgresql,mysql]' && python benchmarks/reflect_compare.py --tables 1000

What it does, per dialect (sqlite, postgresql, mysql):

1. builds a deterministic (seeded) schema of N realistic tables with a naming convention: 8-15
   columns of varied types with some server defaults, a primary key, 1-2 indexes, a unique and a
   check constraint, and 0-2 foreign keys to earlier tables; and creates it with ``create_all``;
2. builds the same models again with about 2% of the tables edited, and at least one edit of each
   kind (columns added, dropped, widened, made (not) nullable, defaults changed, indexes added and
   dropped, a table added);
3. times, interleaved (schemadiff, Alembic, schemadiff, Alembic, ...), after one untimed warm-up
   each, on a fresh connection every time:
   - schemadiff: ``reflect`` + ``snapshot_metadata`` + ``compare``;
   - Alembic: ``MigrationContext.configure`` (compare_type, compare_server_default) +
     ``autogenerate.compare_metadata``;
4. prints the medians, the speed-up, how many changes each tool found (and which of them touch
   tables that were not edited: false positives), edits each tool missed, and the peak of Python
   memory allocations (tracemalloc, measured in one separate untimed run per tool).

Databases: SQLite uses a temporary file. PostgreSQL and MySQL/MariaDB use the servers at
``SCHEMADIFF_TEST_POSTGRESQL_URL`` / ``SCHEMADIFF_TEST_MYSQL_URL``; the benchmark creates its own
database ``schemadiff_bench`` there and drops it afterwards. An unreachable server is skipped.
"""

from __future__ import annotations

import argparse
import copy
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import NullPool

import schemadiff
from schemadiff import ops as sd_ops
from schemadiff.dialects import for_sa_dialect

try:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
except ImportError:  # pragma: no cover - depends on the environment
    sys.exit("alembic is not installed: pip install -e '.[bench]'")

DEFAULT_URLS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/test",
}
URL_ENV = {
    "postgresql": "SCHEMADIFF_TEST_POSTGRESQL_URL",
    "mysql": "SCHEMADIFF_TEST_MYSQL_URL",
}
BENCH_DB = "schemadiff_bench"
EDIT_SHARE = 0.02

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# -- the schema, as plain data ------------------------------------------------------------------

TABLE_NOUNS = (
    "account", "order", "invoice", "product", "customer", "shipment", "payment", "review",
    "ticket", "session", "device", "report", "project", "task", "tag", "vendor",
)  # fmt: skip

# (column name, kind); kinds map to SQLAlchemy types in `sa_type`.
COLUMN_POOL = (
    ("quantity", "int"), ("position", "int"), ("attempts", "int"), ("score", "int"),
    ("priority", "int"), ("version", "int"), ("external_id", "bigint"), ("views", "bigint"),
    ("bytes_used", "bigint"), ("name", "str"), ("title", "str"), ("email", "str"),
    ("slug", "str"), ("code", "str"), ("status", "str"), ("city", "str"), ("country", "str"),
    ("phone", "str"), ("reference", "str"), ("label", "str"), ("description", "text"),
    ("notes", "text"), ("body", "text"), ("is_active", "bool"), ("is_deleted", "bool"),
    ("verified", "bool"), ("created_at", "datetime"), ("updated_at", "datetime"),
    ("published_at", "datetime"), ("expires_at", "datetime"), ("birth_date", "date"),
    ("due_date", "date"), ("start_date", "date"), ("amount", "numeric"), ("price", "numeric"),
    ("balance", "numeric"), ("tax_rate", "numeric"), ("latitude", "float"),
    ("longitude", "float"), ("weight", "float"),
)  # fmt: skip

STRING_LENGTHS = (32, 50, 64, 120, 255)
INDEXABLE = {"int", "bigint", "str", "bool", "datetime", "date", "numeric"}
CHECKABLE = {"int", "bigint", "numeric"}


@dataclass
class ColumnSpec:
    name: str
    kind: str
    length: Optional[int] = None  # str
    precision: Optional[tuple[int, int]] = None  # numeric
    nullable: bool = True
    default: Optional[str] = None  # "zero", "false", "now", or a string literal


@dataclass
class ForeignKeySpec:
    column: str
    ref_table: str
    ondelete: Optional[str] = None


@dataclass
class TableSpec:
    name: str
    pk_kind: str
    columns: list[ColumnSpec]
    indexes: list[tuple[str, ...]]
    unique: tuple[str, ...]
    check: tuple[str, str]  # (constraint name, column)
    fks: list[ForeignKeySpec] = field(default_factory=list)

    def referenced_columns(self) -> set[str]:
        """Columns some index, constraint or FK uses: edits that drop columns leave them alone."""
        used = {c for ix in self.indexes for c in ix} | set(self.unique) | {self.check[1]}
        return used | {fk.column for fk in self.fks}


@dataclass(frozen=True)
class Edit:
    """One deliberate difference between the database and the models."""

    kind: str
    table: str
    detail: str


def random_column(rng: random.Random, name: str, kind: str) -> ColumnSpec:
    col = ColumnSpec(name, kind, nullable=rng.random() < 0.6)
    if kind == "str":
        col.length = rng.choice(STRING_LENGTHS)
    elif kind == "numeric":
        col.precision = rng.choice(((10, 2), (12, 4), (8, 3)))
    if rng.random() < 0.3:
        col.default = {
            "int": "zero", "bigint": "zero", "numeric": "zero", "bool": "false",
            "datetime": "now", "str": rng.choice(("x", "new", "")),
        }.get(kind)  # fmt: skip
        if col.default is not None:
            col.nullable = rng.random() < 0.3  # columns with a default are mostly NOT NULL
    return col


def random_table(rng: random.Random, index: int, earlier: list[TableSpec]) -> TableSpec:
    name = f"{rng.choice(TABLE_NOUNS)}_{index:04d}"
    n_fks = min(len(earlier), rng.choice((0, 0, 1, 1, 1, 2)))
    fks: list[ForeignKeySpec] = []
    for ref in rng.sample(earlier, n_fks):
        column = f"{ref.name.rsplit('_', 1)[0]}_id"
        column = f"other_{column}" if any(fk.column == column for fk in fks) else column
        fks.append(ForeignKeySpec(column, ref.name, rng.choice((None, "CASCADE"))))
    n_plain = rng.randint(8, 15) - 1 - n_fks
    columns = [random_column(rng, n, k) for n, k in rng.sample(COLUMN_POOL, n_plain)]
    columns += [ColumnSpec(fk.column, _pk_kind(earlier, fk.ref_table)) for fk in fks]
    indexable = [c.name for c in columns if c.kind in INDEXABLE and c.length in (None, 32, 50, 64)]
    unique_col = rng.choice([c.name for c in columns if c.name in indexable and c.kind != "bool"])
    others = [c for c in indexable if c != unique_col]
    indexes = [tuple(rng.sample(others, rng.choice((1, 1, 2, 3))))]
    if rng.random() < 0.5:
        second = tuple(rng.sample(others, rng.choice((1, 2))))
        if second[0] != indexes[0][0]:
            indexes.append(second)
    check_col = next((c.name for c in columns if c.kind in CHECKABLE), None)
    if check_col is None:
        columns.append(ColumnSpec("quantity_total", "int", nullable=False, default="zero"))
        check_col = "quantity_total"
    pk_kind = "bigint" if rng.random() < 0.2 else "int"
    return TableSpec(
        name, pk_kind, columns, indexes, (unique_col,), (f"{check_col}_ok", check_col), fks
    )


def _pk_kind(tables: list[TableSpec], name: str) -> str:
    return next(t.pk_kind for t in tables if t.name == name)


def build_schema(n_tables: int, seed: int) -> list[TableSpec]:
    rng = random.Random(seed)
    tables: list[TableSpec] = []
    for i in range(n_tables):
        tables.append(random_table(rng, i, tables))
    return tables


# -- edits ---------------------------------------------------------------------------------------


def edit_add_column(rng, table: TableSpec, tables) -> str:
    table.columns.append(ColumnSpec("extra_note", "str", length=80))
    return "extra_note"


def edit_drop_column(rng, table: TableSpec, tables) -> Optional[str]:
    free = [c for c in table.columns if c.name not in table.referenced_columns()]
    if not free:
        return None
    table.columns.remove(victim := rng.choice(free))
    return victim.name


def edit_string_length(rng, table: TableSpec, tables) -> Optional[str]:
    strings = [c for c in table.columns if c.kind == "str"]
    if not strings:
        return None
    col = rng.choice(strings)
    col.length = {32: 40, 50: 60, 64: 100, 120: 160, 255: 200}[col.length]
    return f"{col.name} -> String({col.length})"


def edit_nullable(rng, table: TableSpec, tables) -> Optional[str]:
    free = [c for c in table.columns if c.name not in {fk.column for fk in table.fks}]
    col = rng.choice(free)
    col.nullable = not col.nullable
    return f"{col.name} nullable={col.nullable}"


def edit_default(rng, table: TableSpec, tables) -> Optional[str]:
    strings = [c for c in table.columns if c.kind == "str"]
    if not strings:
        return None
    col = rng.choice(strings)
    col.default = "changed" if col.default != "changed" else None
    return f"{col.name} default={col.default!r}"


def edit_drop_index(rng, table: TableSpec, tables) -> Optional[str]:
    fk_cols = {fk.column for fk in table.fks}
    candidates = [ix for ix in table.indexes if ix[0] not in fk_cols]
    if not candidates:
        return None
    table.indexes.remove(ix := rng.choice(candidates))
    return ",".join(ix)


def edit_add_index(rng, table: TableSpec, tables) -> Optional[str]:
    kinds = {"int", "bigint", "date", "datetime"}
    taken = {ix[0] for ix in table.indexes} | set(table.unique) | {fk.column for fk in table.fks}
    free = [c.name for c in table.columns if c.kind in kinds and c.name not in taken]
    if not free:
        return None
    table.indexes.append((col := rng.choice(free),))
    return col


def edit_add_table(rng, table: TableSpec, tables) -> str:
    new = random_table(rng, len(tables), tables)
    tables.append(new)
    return new.name


EDITS: dict[str, Callable] = {
    "add_column": edit_add_column,
    "drop_column": edit_drop_column,
    "string_length": edit_string_length,
    "nullable": edit_nullable,
    "server_default": edit_default,
    "drop_index": edit_drop_index,
    "add_index": edit_add_index,
    "add_table": edit_add_table,
}


def edit_schema(tables: list[TableSpec], seed: int) -> tuple[list[TableSpec], list[Edit]]:
    """A deep copy of `tables` with about 2% of them edited (at least one edit of each kind),
    one edit per table."""
    rng = random.Random(seed + 1)
    edited = copy.deepcopy(tables)
    n_edits = max(len(EDITS), round(len(tables) * EDIT_SHARE))
    kinds = list(EDITS)
    edits: list[Edit] = []
    for table in rng.sample(edited, len(edited)):
        if len(edits) == n_edits:
            break
        kind = kinds[len(edits) % len(kinds)]
        detail = EDITS[kind](rng, table, edited)
        if detail is not None:
            target = detail if kind == "add_table" else table.name
            edits.append(Edit(kind, target, detail))
    return edited, edits


# -- specs to SQLAlchemy ---------------------------------------------------------------------------


def sa_type(col: ColumnSpec) -> sa.types.TypeEngine:
    if col.kind == "str":
        return sa.String(col.length)
    if col.kind == "numeric":
        return sa.Numeric(*col.precision)
    return {
        "int": sa.Integer, "bigint": sa.BigInteger, "text": sa.Text, "bool": sa.Boolean,
        "datetime": sa.DateTime, "date": sa.Date, "float": sa.Float,
    }[col.kind]()  # fmt: skip


def server_default(col: ColumnSpec):
    if col.default is None:
        return None
    return {"zero": sa.text("0"), "false": sa.false(), "now": sa.func.now()}.get(
        col.default, col.default
    )


def sa_table(spec: TableSpec, metadata: sa.MetaData) -> sa.Table:
    pk_type = sa.BigInteger if spec.pk_kind == "bigint" else sa.Integer
    fk_targets = {fk.column: fk for fk in spec.fks}
    columns = [sa.Column("id", pk_type, primary_key=True)]
    for col in spec.columns:
        args = (
            [sa.ForeignKey(f"{fk.ref_table}.id", ondelete=fk.ondelete)]
            if (fk := fk_targets.get(col.name))
            else []
        )
        columns.append(
            sa.Column(
                col.name,
                sa_type(col),
                *args,
                nullable=col.nullable,
                server_default=server_default(col),
            )
        )
    check_name, check_col = spec.check
    return sa.Table(
        spec.name,
        metadata,
        *columns,
        *(sa.Index(None, *ix) for ix in spec.indexes),
        sa.UniqueConstraint(*spec.unique),
        sa.CheckConstraint(f"{check_col} >= 0", name=check_name),
    )


def build_metadata(tables: list[TableSpec]) -> sa.MetaData:
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    for spec in tables:
        sa_table(spec, metadata)
    return metadata


# -- the two tools -------------------------------------------------------------------------------


def run_schemadiff(engine: Engine, metadata: sa.MetaData) -> list:
    with engine.connect() as conn:
        dialect = for_sa_dialect(conn.dialect)
        db = schemadiff.reflect(conn, dialect=dialect)
        models = schemadiff.snapshot_metadata(metadata, dialect, dialect.default_schema(conn))
        return schemadiff.compare(db, models)


def run_alembic(engine: Engine, metadata: sa.MetaData) -> list:
    with engine.connect() as conn:
        opts = {"compare_type": True, "compare_server_default": True}
        ctx = MigrationContext.configure(conn, opts=opts)
        return compare_metadata(ctx, metadata)


def timed(fn: Callable, *args, **kwargs) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def peak_memory(fn: Callable, *args) -> float:
    """Peak of Python allocations during one call, in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# -- judging the answers ---------------------------------------------------------------------------

# Which op (schemadiff) and which diff (Alembic) each kind of edit should produce.
EXPECTED_SD = {
    "add_column": "AddColumn", "drop_column": "DropColumn", "string_length": "AlterColumn",
    "nullable": "AlterColumn", "server_default": "AlterColumn", "drop_index": "DropIndex",
    "add_index": "CreateIndex", "add_table": "CreateTable",
}  # fmt: skip
EXPECTED_ALEMBIC = {
    "add_column": "add_column", "drop_column": "remove_column", "string_length": "modify_type",
    "nullable": "modify_nullable", "server_default": "modify_default",
    "drop_index": "remove_index", "add_index": "add_index", "add_table": "add_table",
}  # fmt: skip


def sd_table(op) -> str:
    if isinstance(op, (sd_ops.CreateTable, sd_ops.DropTable)):
        return op.table.name
    return getattr(op, "table_name", getattr(op, "target", "?"))


def describe_sd(op) -> str:
    name = type(op).__name__
    if isinstance(op, sd_ops.AlterColumn):
        changes = ", ".join(
            f"{f}: {getattr(op.existing, f)!r} -> {getattr(op.new, f)!r}" for f in op.changes
        )
        return f"{name} {op.table_name}.{op.existing.name}: {changes}"
    if isinstance(op, (sd_ops.AddColumn, sd_ops.DropColumn)):
        return f"{name} {op.table_name}.{op.column.name} {op.column.type}"
    if isinstance(op, (sd_ops.CreateIndex, sd_ops.DropIndex)):
        return f"{name} {op.table_name} {op.index}"
    if isinstance(op, (sd_ops.AddConstraint, sd_ops.DropConstraint)):
        return f"{name} {op.table_name} {op.constraint}"
    return f"{name} {sd_table(op)}"


def flatten_alembic(diffs: list) -> list[tuple]:
    """Alembic groups the changes of one column in a list; one entry per change here."""
    return [d for item in diffs for d in (item if isinstance(item, list) else [item])]


def alembic_table(diff: tuple) -> str:
    obj = diff[1]
    if isinstance(obj, sa.Table):
        return obj.name
    if hasattr(obj, "table") and obj.table is not None:
        return obj.table.name
    return diff[2]


def describe_alembic(diff: tuple) -> str:
    kind = diff[0]
    if kind.startswith("modify_"):
        _, _, table, column, _, old, new = diff
        return f"{kind} {table}.{column}: {plain(old)} -> {plain(new)}"
    if kind in ("add_column", "remove_column"):
        return f"{kind} {diff[2]}.{diff[3].name} {diff[3].type}"
    obj = diff[1]
    return f"{kind} {alembic_table(diff)} {getattr(obj, 'name', obj)}"


def plain(value) -> str:
    """A reflected or model value (type, server default, ...) as short text."""
    value = getattr(value, "arg", value)  # DefaultClause
    value = getattr(value, "text", value)  # TextClause
    if isinstance(value, sa.sql.ClauseElement):
        return repr(str(value.compile(compile_kwargs={"literal_binds": True})))
    return repr(value) if value is None or isinstance(value, (str, bool)) else str(value)


def sd_label(op) -> str:
    if isinstance(op, sd_ops.AlterColumn):
        return f"AlterColumn({','.join(op.changes)})"
    return type(op).__name__


@dataclass
class Verdict:
    count: int
    unexpected: list[tuple[str, str]]  # (label, description)
    missed: list[Edit]


def judge(changes: list[tuple[str, ...]], edits: list[Edit], expected: dict) -> Verdict:
    """`changes` holds (kind, label, table, description). Anything on a table not edited is unexpected;
    on an added table everything is expected (Alembic lists its indexes separately)."""
    by_table = {e.table: e for e in edits}
    unexpected = []
    found = set()
    for kind, label, table, text in changes:
        edit = by_table.get(table)
        if edit and (edit.kind == "add_table" or expected[edit.kind] == kind):
            found.add(edit)
        else:
            unexpected.append((label, text))
    return Verdict(len(changes), unexpected, [e for e in edits if e not in found])


def judge_schemadiff(ops: list, edits: list[Edit]) -> Verdict:
    changes = [(type(op).__name__, sd_label(op), sd_table(op), describe_sd(op)) for op in ops]
    return judge(changes, edits, EXPECTED_SD)


def judge_alembic(diffs: list, edits: list[Edit]) -> Verdict:
    changes = [(d[0], d[0], alembic_table(d), describe_alembic(d)) for d in flatten_alembic(diffs)]
    return judge(changes, edits, EXPECTED_ALEMBIC)


# -- databases -----------------------------------------------------------------------------------


def make_engine(url) -> Engine:
    return sa.create_engine(url, poolclass=NullPool)


@contextmanager
def sqlite_database() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="schemadiff-bench-") as tmp:
        engine = make_engine(f"sqlite:///{os.path.join(tmp, 'bench.db')}")
        yield engine
        engine.dispose()


class Unreachable(Exception):
    pass


@contextmanager
def server_database(url: str) -> Iterator[Engine]:
    """A fresh database BENCH_DB on the server behind `url`, dropped afterwards."""
    admin = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = admin.dialect.identifier_preparer.quote(BENCH_DB)
    try:
        with admin.connect() as conn:
            drop_database(conn, name)
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as e:
        raise Unreachable(f"{masked(admin.url)}: {one_line(e.orig or e)}") from None
    engine = make_engine(sa.engine.make_url(url).set(database=BENCH_DB))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            drop_database(conn, name)
        admin.dispose()


def drop_database(conn: sa.Connection, quoted: str) -> None:
    force = ""
    if conn.dialect.name == "postgresql" and conn.dialect.server_version_info >= (13,):
        force = " WITH (FORCE)"
    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}{force}")


def database_for(dialect: str):
    if dialect == "sqlite":
        return sqlite_database()
    return server_database(os.environ.get(URL_ENV[dialect], DEFAULT_URLS[dialect]))


def masked(url: URL) -> str:
    return url.render_as_string(hide_password=True)


# -- one dialect -----------------------------------------------------------------------------------


@dataclass
class Result:
    dialect: str
    tables: int
    edits: int
    sd_times: list[float]
    al_times: list[float]
    sd: Verdict
    al: Verdict
    sd_unedited: list[str] = field(default_factory=list)  # ops against the models as created
    sd_mem: Optional[float] = None
    al_mem: Optional[float] = None

    @property
    def sd_median(self) -> float:
        return statistics.median(self.sd_times)

    @property
    def al_median(self) -> float:
        return statistics.median(self.al_times)


class Skip(Exception):
    """A stage failed: the dialect is skipped, with this one-line reason."""


@contextmanager
def stage(name: str, debug: bool) -> Iterator[None]:
    try:
        yield
    except Exception as e:
        if debug:
            raise
        raise Skip(f"{name} failed: {type(e).__name__}: {one_line(e)}") from e


def create_schema(engine: Engine, metadata: sa.MetaData, chunk: int = 100) -> None:
    """create_all, one transaction per `chunk` tables: in a single one, a busy PostgreSQL can run
    out of lock slots (max_locks_per_transaction). Tables only reference earlier ones."""
    tables = list(metadata.tables.values())
    for start in range(0, len(tables), chunk):
        with engine.begin() as conn:
            metadata.create_all(conn, tables=tables[start : start + chunk], checkfirst=False)


def benchmark(engine: Engine, dialect: str, args, db_meta, models, edits) -> Result:
    print(f"  database: {masked(engine.url)}")
    with stage("create_all", args.debug):
        elapsed, _ = timed(create_schema, engine, db_meta)
    print(f"  create_all: {elapsed:.1f}s")
    with stage("schemadiff", args.debug):  # untimed warm-ups, whose answers are judged below
        sd_ops_ = run_schemadiff(engine, models)
        unedited = [describe_sd(op) for op in run_schemadiff(engine, db_meta)]
    with stage("alembic", args.debug):
        al_diffs = run_alembic(engine, models)
    sd_times, al_times = [], []
    for i in range(args.repeat):
        sd_times.append(timed(run_schemadiff, engine, models)[0])
        al_times.append(timed(run_alembic, engine, models)[0])
        print(
            f"  round {i + 1}/{args.repeat}: schemadiff {sd_times[-1]:.3f}s  alembic {al_times[-1]:.3f}s"
        )
    result = Result(
        dialect, args.tables, len(edits), sd_times, al_times,
        judge_schemadiff(sd_ops_, edits), judge_alembic(al_diffs, edits),
    )  # fmt: skip
    result.sd_unedited = unedited
    if args.memory:
        result.sd_mem = peak_memory(run_schemadiff, engine, models)
        result.al_mem = peak_memory(run_alembic, engine, models)
    return result


def run_dialect(dialect: str, args) -> Optional[Result]:
    print(f"== {dialect} ==")
    specs = build_schema(args.tables, args.seed)
    edited, edits = edit_schema(specs, args.seed)
    db_meta, models = build_metadata(specs), build_metadata(edited)
    try:
        with database_for(dialect) as engine:
            with stage("schemadiff", args.debug):
                for_sa_dialect(engine.dialect)  # fail fast on a missing dialect module
            result = benchmark(engine, dialect, args, db_meta, models, edits)
    except Unreachable as e:
        print(f"  skipped: server unreachable: {e}")
        return None
    except Skip as e:
        print(f"  skipped: {e}")
        return None
    return report(result, edits, args.show)


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def report(r: Result, edits: list[Edit], show: int) -> Result:
    ratio = r.al_median / r.sd_median
    print(f"  edits made: {len(edits)} ({', '.join(sorted({e.kind for e in edits}))})")
    print(f"  schemadiff: median {r.sd_median:.3f}s, {r.sd.count} ops{mem(r.sd_mem)}")
    print(f"  alembic:    median {r.al_median:.3f}s, {r.al.count} diffs{mem(r.al_mem)}")
    print(f"  schemadiff is {ratio:.1f}x faster")
    print(f"  schemadiff against the unedited models: {len(r.sd_unedited)} ops (should be 0)")
    for text in r.sd_unedited[:show]:
        print(f"    {text}")
    for tool, verdict in (("schemadiff", r.sd), ("alembic", r.al)):
        report_unexpected(tool, verdict.unexpected, show)
        for edit in verdict.missed:
            print(f"  {tool} missed: {edit.kind} on {edit.table} ({edit.detail})")
    return r


def report_unexpected(tool: str, unexpected: list[tuple[str, str]], show: int) -> None:
    """Changes on tables that were not edited (false positives): counts per kind, and up to
    `show` examples, spread over the kinds."""
    if not unexpected:
        return
    groups: dict[str, list[str]] = {}
    for label, text in unexpected:
        groups.setdefault(label, []).append(text)
    counts = ", ".join(f"{label} {len(texts)}" for label, texts in sorted(groups.items()))
    print(f"  {tool}: {len(unexpected)} unexpected changes: {counts}")
    examples = [
        t for rank in range(show) for texts in groups.values() for t in texts[rank : rank + 1]
    ]
    for text in examples[:show]:
        print(f"    {text}")


def mem(mib: Optional[float]) -> str:
    return "" if mib is None else f", peak {mib:.0f} MiB"


def summary(results: list[Result]) -> None:
    head = ("dialect", "tables", "edits", "schemadiff s", "alembic s", "speed-up", "sd ops",
            "al diffs", "sd unexp.", "al unexp.", "sd MiB", "al MiB")  # fmt: skip
    rows = [
        (
            r.dialect, str(r.tables), str(r.edits), f"{r.sd_median:.3f}", f"{r.al_median:.3f}",
            f"{r.al_median / r.sd_median:.1f}x", str(r.sd.count), str(r.al.count),
            str(len(r.sd.unexpected)), str(len(r.al.unexpected)),
            "-" if r.sd_mem is None else f"{r.sd_mem:.0f}",
            "-" if r.al_mem is None else f"{r.al_mem:.0f}",
        )  # fmt: skip
        for r in results
    ]
    widths = [max(len(row[i]) for row in (head, *rows)) for i in range(len(head))]
    print()
    for row in (head, *rows):
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths)))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000, help="tables in the schema")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per tool")
    parser.add_argument(
        "--dialect", choices=("sqlite", "postgresql", "mysql", "all"), default="all"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--show", type=int, default=10, help="unexpected changes to list")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of skipping")
    parser.add_argument(
        "--no-memory", dest="memory", action="store_false", help="skip the tracemalloc runs"
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    dialects = ("sqlite", "postgresql", "mysql") if args.dialect == "all" else (args.dialect,)
    results = [r for d in dialects if (r := run_dialect(d, args)) is not None]
    if results:
        summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
