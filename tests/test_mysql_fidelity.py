"""What real MySQL/MariaDB models trip over: Identity columns, charsets with their default
collations, type changes of foreign key columns, and String() without a length."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from conftest import DIALECTS
from schemadiff import compare
from schemadiff.config import Config
from schemadiff.report import as_text
from schemadiff.runtime import migrate
from schemadiff.scripts import init_project
from test_cli import assert_one_line_error, run
from test_roundtrip import round_trip


def check_clean(db, models: sa.MetaData) -> None:
    database, target = db.snapshots(models)
    assert compare(database, target) == [], as_text(compare(database, target))


# -- Identity where the database has none ---------------------------------------------------------


def ledger(identity: bool) -> sa.MetaData:
    md = sa.MetaData()
    numbering = [sa.Identity(start=100, increment=5)] if identity else []
    sa.Table(
        "ledger",
        md,
        sa.Column("id", sa.BigInteger, *numbering, primary_key=True),
        sa.Column("note", sa.String(40)),
    )
    return md


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_identity_models_match_what_create_all_made(db):
    """MySQL makes an Identity key AUTO_INCREMENT and SQLite a rowid key: no identity to report."""
    models = ledger(identity=True)
    db.create_all(models)
    check_clean(db, models)


@pytest.mark.parametrize("db", ["sqlite", "mysql"], indirect=True)
def test_identity_compares_as_the_autoincrement_an_existing_database_has(db):
    """An existing AUTO_INCREMENT (or rowid) key is what a model's Identity makes there."""
    db.create_all(ledger(identity=False))
    check_clean(db, ledger(identity=True))


# PostgreSQL's ALTER of identity columns belongs to the PostgreSQL identity work (issue 8).
@pytest.mark.parametrize("db", ["sqlite", "mysql"], indirect=True)
def test_identity_round_trips_and_its_drift_ends(db, tmp_path):
    before = sa.MetaData()
    sa.Table(
        "ledger", before, sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False)
    )
    round_trip(db, tmp_path, before, ledger(identity=True))


# -- charsets and collations ----------------------------------------------------------------------


def charsets() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table(
        "person",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("by_charset", mysql.VARCHAR(160, charset="utf8mb3")),
        sa.Column("by_collation", mysql.VARCHAR(160, collation="utf8mb3_general_ci")),
        sa.Column("by_both", mysql.VARCHAR(160, charset="utf8mb3", collation="utf8mb3_general_ci")),
        sa.Column("table_collation", sa.String(50, collation="utf8mb4_general_ci")),
        sa.Column("table_charset", mysql.VARCHAR(50, charset="utf8mb4")),
        sa.Column("own_collation", sa.String(50, collation="utf8mb4_bin")),
        sa.Column("latin", mysql.TEXT(charset="latin1")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_general_ci",
    )
    sa.Table(
        "legacy",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plain", sa.String(10)),
        sa.Column("wide", mysql.VARCHAR(10, charset="utf8mb4")),
        sa.Column("exact", mysql.VARCHAR(10, collation="utf8mb3_bin")),
        mysql_charset="utf8mb3",
    )
    return md


@pytest.mark.parametrize("db", ["mysql"], indirect=True)
def test_charset_and_its_default_collation_compare_equal(db):
    models = charsets()
    db.create_all(models)
    check_clean(db, models)


@pytest.mark.parametrize("db", ["mysql"], indirect=True)
def test_charsets_are_clean_right_after_schemadiffs_own_upgrade(db, tmp_path):
    round_trip(db, tmp_path, sa.MetaData(), charsets())


@pytest.mark.parametrize("db", ["mysql"], indirect=True)
def test_a_collation_that_is_not_the_charsets_default_is_drift(db):
    db.create_all(charsets())
    changed = charsets()
    changed.tables["person"].c.by_collation.type = mysql.VARCHAR(160, collation="utf8mb3_bin")
    database, target = db.snapshots(changed)
    assert [op.new.name for op in compare(database, target)] == ["by_collation"]


# -- type changes of foreign key columns ----------------------------------------------------------


def shop(key_type) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("customer", md, sa.Column("id", key_type, primary_key=True, autoincrement=False))
    sa.Table(
        "purchase",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "customer_id", key_type, sa.ForeignKey("customer.id", name="fk_purchase_customer")
        ),
    )
    return md


def add_rows(db, md: sa.MetaData) -> None:
    with db.engine().begin() as conn:
        conn.execute(md.tables["customer"].insert(), [{"id": 1}, {"id": 2}])
        conn.execute(
            md.tables["purchase"].insert(),
            [{"id": 1, "customer_id": 2}, {"id": 2, "customer_id": 1}],
        )


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_both_sides_of_a_foreign_key_change_type_with_rows(db, tmp_path):
    """The key comes off with the first change and back on with the second (MySQL errors
    1832/1833 before), and the rows and the key hold afterwards."""
    before, after = shop(sa.Integer), shop(sa.BigInteger)
    original = db.create_all

    def create_with_rows(md):
        original(md)
        add_rows(db, md)

    db.create_all = create_with_rows
    round_trip(db, tmp_path, before, after)
    with db.engine().connect() as conn:
        assert conn.execute(
            sa.text("SELECT customer_id FROM purchase ORDER BY id")
        ).scalars().all() == [2, 1]
        if db.dialect != "sqlite":  # SQLite enforces keys only where a connection asks it to
            with pytest.raises(sa.exc.IntegrityError):
                conn.execute(sa.text("INSERT INTO purchase (id, customer_id) VALUES (3, 99)"))


@pytest.mark.parametrize("db", ["mysql"], indirect=True)
def test_hand_written_alter_column_of_a_foreign_key_column(db, tmp_path):
    """One side alone, written by hand: the key comes off and goes back on where the types
    match again (a string key whose length grows)."""
    before, after = shop(sa.String(10)), shop(sa.String(40))
    db.create_all(before)
    add_rows(db, before)
    config = Config(root=tmp_path, url=db.url)
    init_project(config)
    (tmp_path / "migrations" / "versions" / "aaaa_widen.py").write_text("""
import sqlalchemy as sa
from schemadiff import op

revision = "aaaa"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("customer", "id", type_=sa.String(40))
    op.alter_column("purchase", "customer_id", type_=sa.String(40))


def downgrade():
    op.alter_column("purchase", "customer_id", type_=sa.String(10))
    op.alter_column("customer", "id", type_=sa.String(10))
""")
    migrate(config, "upgrade", "head", lambda line: None)
    check_clean(db, after)
    migrate(config, "downgrade", "base", lambda line: None)
    check_clean(db, before)


# -- String() without a length ----------------------------------------------------------------------


@pytest.mark.parametrize("db", ["mysql"], indirect=True)
def test_string_without_a_length_is_one_clear_line(db, tmp_path):
    (tmp_path / "models.py").write_text(
        "import sqlalchemy as sa\n"
        "metadata = sa.MetaData()\n"
        "sa.Table('account', metadata, sa.Column('id', sa.Integer, primary_key=True), sa.Column('email', sa.String()))\n"
    )
    result = run(tmp_path, "check", "--url", db.url, "--metadata", "models:metadata")
    assert_one_line_error(result, "account.email", "length")
