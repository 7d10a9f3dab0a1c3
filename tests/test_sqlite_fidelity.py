"""SQLite fidelity: the database that a generated script makes is the one create_all makes, and
spellings that SQLite stores alike compare alike.

- `DECIMAL` and `server_default=text('NULL')` reach the script, and the database, as spelled.
- A numeric-affinity column stores the default `'0'` as the number 0: `0` and `'0'` are equal.
- A UNIQUE on exactly the primary key's columns is folded into the key, as SQLite reports it.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from conftest import make_database
from schemadiff import compare
from test_cli import run
from test_runtime import new_project, ok


@pytest.fixture
def sqlite_db(tmp_path):
    database = make_database("sqlite", tmp_path)
    yield database
    database.close()


def diff(db, metadata: sa.MetaData) -> list:
    return compare(*db.snapshots(metadata))


def table_info(db, table: str) -> list[tuple]:
    with db.engine().connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f"PRAGMA table_info({table})")]


FIDELITY_MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()
prices = sa.Table(
    "prices", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("amount", sa.DECIMAL(10, 2), server_default=sa.text("NULL")),
    sa.Column("rate", sa.DECIMAL),
    sa.Column("plain", sa.Numeric(8, 3)),
    sa.Column("note", sa.String(20), server_default=sa.text("NULL")),
)
"""


def test_decimal_and_default_null_come_out_as_the_model_spells_them(sqlite_db, tmp_path):
    project = new_project(tmp_path / "fidelity", sqlite_db)
    (project / "models.py").write_text(FIDELITY_MODELS)
    ok(run(project, "generate", "-m", "prices", "--rev-id", "r1", "--metadata", "models:metadata"))
    script = (project / "migrations" / "versions" / "r1_prices.py").read_text()
    assert 'sa.Column(\n            "amount", sa.DECIMAL(precision=10, scale=2), server_default=sa.text("NULL")\n        )' in script
    assert 'sa.Column("rate", sa.DECIMAL())' in script
    assert 'sa.Column("plain", sa.Numeric(precision=8, scale=3))' in script
    assert 'sa.Column("note", sa.String(length=20), server_default=sa.text("NULL"))' in script
    ok(run(project, "upgrade", "head"))

    reference = make_database("sqlite", tmp_path)
    namespace: dict = {}
    exec(FIDELITY_MODELS, namespace)
    reference.create_all(namespace["metadata"])
    try:
        assert table_info(sqlite_db, "prices") == table_info(reference, "prices")
    finally:
        reference.close()
    assert ok(run(project, "check", "--metadata", "models:metadata")).startswith("No differences")


def test_default_null_is_a_default_that_check_notices(sqlite_db):
    with sqlite_db.engine().begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, a VARCHAR(10) DEFAULT NULL, b VARCHAR(10))")
    metadata = sa.MetaData()
    sa.Table(
        "t",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.String(10), server_default=sa.text("NULL")),
        sa.Column("b", sa.String(10), server_default=sa.text("NULL")),
    )
    (op,) = diff(sqlite_db, metadata)
    assert (op.existing.name, op.existing.default, op.new.default, op.new.default.sql) == ("b", None, "NULL", "NULL")


def test_numeric_affinity_defaults_compare_by_the_value_stored(sqlite_db):
    with sqlite_db.engine().begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, qty INTEGER DEFAULT '0', price NUMERIC(8, 2) DEFAULT '1.50',"
            " ratio FLOAT DEFAULT 2, flag BOOLEAN DEFAULT 0, code VARCHAR(5) DEFAULT '0', other INTEGER DEFAULT '7')"
        )
        conn.exec_driver_sql("INSERT INTO t (id) VALUES (1)")
        stored = conn.exec_driver_sql("SELECT typeof(qty), typeof(price), typeof(flag) FROM t").one()
    assert tuple(stored) == ("integer", "real", "integer")  # what makes the spellings one value
    metadata = sa.MetaData()
    sa.Table(
        "t",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("qty", sa.Integer, server_default=sa.text("0")),
        sa.Column("price", sa.Numeric(8, 2), server_default=sa.text("1.5")),
        sa.Column("ratio", sa.Float, server_default="2.0"),
        sa.Column("flag", sa.Boolean, server_default=sa.false()),
        sa.Column("code", sa.String(5), server_default="0"),
        sa.Column("other", sa.Integer, server_default=sa.text("8")),
    )
    # Only the default that stores another value differs.
    (op,) = diff(sqlite_db, metadata)
    assert (op.existing.name, op.existing.default.sql, op.new.default.sql) == ("other", "'7'", "8")


def test_a_unique_on_the_primary_key_columns_is_no_difference(sqlite_db):
    metadata = sa.MetaData()
    sa.Table(
        "pairs",
        metadata,
        sa.Column("p", sa.Integer, primary_key=True),
        sa.Column("q", sa.String(5), primary_key=True),
        sa.UniqueConstraint("p", "q", name="uq_pairs_pq"),
        sa.UniqueConstraint("q", "p", name="uq_pairs_qp"),
    )
    sa.Table(
        "rowid_keyed",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.UniqueConstraint("id", name="uq_rowid_keyed_id"),
    )
    sqlite_db.create_all(metadata)
    with sqlite_db.engine().connect() as conn:
        origins = conn.exec_driver_sql("SELECT origin FROM pragma_index_list('pairs') ORDER BY origin").scalars().all()
    assert origins == ["pk", "u"]  # SQLite kept the (q, p) UNIQUE and folded (p, q) into the key
    assert diff(sqlite_db, metadata) == []
    database, _ = sqlite_db.snapshots(metadata)
    assert [u.columns for u in database.table("pairs").uniques] == [("q", "p")]
