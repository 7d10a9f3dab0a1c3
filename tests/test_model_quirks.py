"""What real models do that toy ones do not: type-bound CHECKs (Boolean and Enum with
create_constraint), indexes and FKs declared twice, dialect-only indexes, text index elements,
boolean default spellings, a version table with another name, tables in another schema.
Each case runs on every dialect where it applies, against a real database."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import DIALECTS
from schemadiff import compare
from schemadiff.config import Config
from schemadiff.report import as_text
from schemadiff.runtime import migrate
from schemadiff.scripts import generate_revision, init_project


# -- helpers ---------------------------------------------------------------------------------------


def assert_clean(db, metadata: sa.MetaData, **scope) -> None:
    ops = compare(*db.snapshots(metadata, **scope))
    assert ops == [], as_text(ops)


def project(db, root: Path, **settings) -> Config:
    config = Config(root=root, url=db.url, **settings)
    init_project(config)
    return config


def generate(db, config: Config, metadata: sa.MetaData, rev: str):
    with db.engine().connect() as conn:
        return generate_revision(config, f"to {rev}", conn, metadata, rev_id=rev)


def write_revision(config: Config, rev: str, down, upgrade: str, downgrade: str) -> None:
    """A hand-written revision script."""

    def body(code: str) -> str:
        return textwrap.indent(textwrap.dedent(code).strip(), "    ")

    source = (
        "from schemadiff import op\nimport sqlalchemy as sa\n\n"
        f"revision = {rev!r}\ndown_revision = {down!r}\n\n\n"
        f"def upgrade():\n{body(upgrade)}\n\n\ndef downgrade():\n{body(downgrade)}\n"
    )
    (config.versions_dir / f"{rev}_hand_written.py").write_text(source)


def execute(db, sql: str, **params) -> None:
    with db.engine().begin() as conn:
        conn.execute(sa.text(sql), params)


def rejects(db, sql: str, **params) -> bool:
    try:
        execute(db, sql, **params)
    except sa.exc.DBAPIError:
        return True
    return False


def upgrade(config: Config) -> None:
    migrate(config, "upgrade", "head", lambda line: None)


def downgrade(config: Config) -> None:
    migrate(config, "downgrade", "base", lambda line: None)


# -- 1. type-bound CHECKs --------------------------------------------------------------------------


def status_table(values, *, native: bool = False, flag: bool = False) -> sa.MetaData:
    md = sa.MetaData()
    columns = [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("status", sa.Enum(*values, name="status", native_enum=native, create_constraint=True, length=10)),
    ]
    if flag:
        columns.append(sa.Column("flag", sa.Boolean(create_constraint=True)))
    sa.Table("item", md, *columns)
    return md


def check_count(db, metadata: sa.MetaData) -> int:
    database, _ = db.snapshots(metadata)
    return len(database.table("item").checks)


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_type_checks_follow_generated_enum_values_and_new_boolean_column(db, tmp_path):
    before, after = status_table(["a", "b"]), status_table(["a", "b", "c"], flag=True)
    db.create_all(before)
    config = project(db, tmp_path)
    generate(db, config, after, "b0b0")

    upgrade(config)
    assert_clean(db, after)
    execute(db, "INSERT INTO item (id, status) VALUES (1, 'c')")
    assert rejects(db, "INSERT INTO item (id, status) VALUES (2, 'z')")
    if db.dialect != "postgresql":  # a native BOOLEAN has no CHECK to test
        assert rejects(db, "INSERT INTO item (id, flag) VALUES (3, 2)")

    execute(db, "DELETE FROM item")
    downgrade(config)
    assert_clean(db, before)
    assert rejects(db, "INSERT INTO item (id, status) VALUES (1, 'c')")


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_hand_written_add_and_alter_column_bring_and_replace_type_checks(db, tmp_path):
    before, after = status_table(["a", "b"]), status_table(["a", "b", "c"], flag=True)
    db.create_all(before)
    config = project(db, tmp_path)
    new_enum = 'sa.Enum("a", "b", "c", name="status", native_enum=False, create_constraint=True, length=10)'
    old_enum = 'sa.Enum("a", "b", name="status", native_enum=False, create_constraint=True, length=10)'
    write_revision(
        config,
        "c0c0",
        None,
        # No existing_type: the old CHECK is found by its shape.
        f"""
        op.add_column("item", sa.Column("flag", sa.Boolean(create_constraint=True)))
        op.alter_column("item", "status", type_={new_enum})
        """,
        # existing_type names the CHECK that goes, as in Alembic.
        f"""
        op.alter_column("item", "status", type_={old_enum}, existing_type={new_enum})
        op.drop_column("item", "flag")
        """,
    )
    upgrade(config)
    assert_clean(db, after)
    execute(db, "INSERT INTO item (id, status) VALUES (1, 'c')")
    assert rejects(db, "INSERT INTO item (id, status) VALUES (2, 'z')")

    execute(db, "DELETE FROM item")
    downgrade(config)
    assert_clean(db, before)


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_native_enums_have_no_check_and_take_new_values(db, tmp_path):
    before, after = status_table(["a", "b"], native=True), status_table(["a", "b", "c"], native=True)
    db.create_all(before)
    # Only SQLite has no ENUM type of its own, so only there does the Enum need a CHECK.
    assert check_count(db, before) == (1 if db.dialect == "sqlite" else 0)
    assert_clean(db, before)
    config = project(db, tmp_path)
    generate(db, config, after, "d0d0")
    upgrade(config)
    assert_clean(db, after)
    execute(db, "INSERT INTO item (id, status) VALUES (1, 'c')")
    execute(db, "DELETE FROM item")
    downgrade(config)
    assert_clean(db, before)


# -- 3. boolean default spellings --------------------------------------------------------------------

FALSE_SPELLINGS = {"'0'": "0", "false()": sa.false(), "0": sa.text("0"), "FALSE": sa.text("FALSE")}
TRUE_SPELLINGS = {"'1'": "1", "true()": sa.true(), "1": sa.text("1"), "true": sa.text("true")}


def flag_table(default) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("flags", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("on", sa.Boolean, server_default=default))
    return md


@pytest.mark.parametrize("db", ["sqlite", "mysql"], indirect=True)
@pytest.mark.parametrize("spellings", [FALSE_SPELLINGS, TRUE_SPELLINGS], ids=["false", "true"])
def test_boolean_default_spellings_compare_equal(db, spellings):
    for created in spellings.values():
        db.reset()
        db.create_all(flag_table(created))
        for modelled in spellings.values():
            assert_clean(db, flag_table(modelled))
    opposite = (TRUE_SPELLINGS if spellings is FALSE_SPELLINGS else FALSE_SPELLINGS)["'0'" if spellings is TRUE_SPELLINGS else "'1'"]
    ops = compare(*db.snapshots(flag_table(opposite)))
    assert len(ops) == 1, as_text(ops)


# -- 4. the version table ------------------------------------------------------------------------------


def book_table(md: sa.MetaData) -> sa.MetaData:
    sa.Table("book", md, sa.Column("id", sa.Integer, primary_key=True))
    return md


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
@pytest.mark.parametrize("explicit_schema", [False, True], ids=["default-schema", "named-schema"])
def test_a_version_table_of_any_name_is_never_reported(db, tmp_path, explicit_schema):
    models = book_table(sa.MetaData())
    with db.engine().connect() as conn:
        schema = sa.inspect(conn).default_schema_name if explicit_schema else None
    config = project(db, tmp_path, version_table="alembic_version", version_table_schema=schema)
    generated = generate(db, config, models, "a1a1")
    assert [type(op).__name__ for op in generated.ops] == ["CreateTable"]
    upgrade(config)
    assert generate(db, config, models, "a2a2").path is None
    assert [op.table.name for op in generate(db, config, sa.MetaData(), "a3a3").ops] == ["book"]
