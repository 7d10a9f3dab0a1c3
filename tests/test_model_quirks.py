"""What real models do that toy ones do not: type-bound CHECKs (Boolean and Enum with
create_constraint), indexes and FKs declared twice, dialect-only indexes, text index elements,
boolean default spellings, a version table with another name, tables in another schema.
Each case runs on every dialect where it applies, against a real database."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import DIALECTS, _admin, server_url
from schemadiff import compare
from schemadiff.config import Config
from schemadiff.errors import SchemadiffError
from schemadiff.report import as_text
from schemadiff.runtime import migrate, offline_sql
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
@pytest.mark.parametrize("how", ["generated", "hand-written"])
def test_a_created_table_gets_its_type_checks(db, tmp_path, how):
    models = status_table(["a", "b"], flag=True)
    config = project(db, tmp_path)
    if how == "generated":
        generate(db, config, models, "e1e1")
    else:
        write_revision(
            config,
            "e1e1",
            None,
            """
            op.create_table(
                "item",
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                sa.Column("status", sa.Enum("a", "b", name="status", native_enum=False, create_constraint=True, length=10)),
                sa.Column("flag", sa.Boolean(create_constraint=True)),
            )
            """,
            'op.drop_table("item")',
        )
    upgrade(config)
    assert_clean(db, models)
    assert rejects(db, "INSERT INTO item (id, status) VALUES (1, 'z')")
    if db.dialect != "postgresql":
        assert rejects(db, "INSERT INTO item (id, flag) VALUES (2, 2)")
    downgrade(config)
    assert_clean(db, sa.MetaData())


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
    # Models that moved on drop book alone, never the version table.
    moved_on = sa.MetaData()
    sa.Table("shelf", moved_on, sa.Column("id", sa.Integer, primary_key=True))
    dropped = [op.table.name for op in generate(db, config, moved_on, "a3a3").ops if type(op).__name__ == "DropTable"]
    assert dropped == ["book"]


# -- 2. modelling quirks -------------------------------------------------------------------------------


def owner_table(md: sa.MetaData) -> sa.Table:
    return sa.Table("owner", md, sa.Column("id", sa.Integer, primary_key=True))


def declared_once() -> sa.MetaData:
    md = sa.MetaData()
    owner_table(md)
    sa.Table(
        "pet",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), index=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("owner.id", name="fk_pet_owner")),
    )
    return md


def declared_twice() -> sa.MetaData:
    """The same index and FK twice, as sqlacodegen output edited by hand often has them."""
    md = sa.MetaData()
    owner_table(md)
    sa.Table(
        "pet",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), index=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("owner.id", name="fk_pet_owner")),
        sa.Index("ix_pet_name", "name"),
        sa.ForeignKeyConstraint(["owner_id"], ["owner.id"], name="fk_pet_owner"),
    )
    return md


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_an_index_and_a_foreign_key_declared_twice_are_one_each(db, tmp_path):
    db.create_all(declared_once())
    assert_clean(db, declared_twice())

    db.reset()
    config = project(db, tmp_path)
    generate(db, config, declared_twice(), "e0e0")
    upgrade(config)
    assert_clean(db, declared_twice())
    database, _ = db.snapshots(declared_once())
    pet = database.table("pet")
    assert [i.name for i in pet.indexes] == ["ix_pet_name"]
    assert [fk.name for fk in pet.foreign_keys] == ["fk_pet_owner"]


def keyed_twice() -> sa.MetaData:
    """As mlflow's evaluation_dataset_tags: the same key on the column and again, named, in
    __table_args__."""
    md = sa.MetaData()
    sa.Table("owner", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))
    sa.Table(
        "pet",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("owner.id", ondelete="CASCADE")),
        sa.ForeignKeyConstraint(["owner_id"], ["owner.id"], name="fk_pet_owner_id", ondelete="CASCADE"),
    )
    return md


def pet_ddl(key: str) -> tuple[str, ...]:
    return (
        "CREATE TABLE owner (id INTEGER NOT NULL PRIMARY KEY)",
        "CREATE TABLE pet (id INTEGER NOT NULL PRIMARY KEY, owner_id INTEGER, "
        f"{key} FOREIGN KEY (owner_id) REFERENCES owner (id) ON DELETE CASCADE)",
    )


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
@pytest.mark.parametrize("start", ["empty", "unnamed", "named"])
def test_a_foreign_key_declared_unnamed_and_named_settles_in_one_revision(db, tmp_path, start):
    """As in mlflow's models. Where the database has the key once, under the models' name, the
    unnamed repeat is that key (never a second one: PostgreSQL would name it as the first). SQLite's
    reflection reports one key per definition, so the models' two fold into the named one there."""
    statements = {"unnamed": pet_ddl(""), "named": pet_ddl("CONSTRAINT fk_pet_owner_id")}
    for statement in statements.get(start, ()):
        execute(db, statement)
    if start == "named":
        assert_clean(db, keyed_twice())
    config = project(db, tmp_path)
    generate(db, config, keyed_twice(), "f1f1")
    upgrade(config)
    assert_clean(db, keyed_twice())
    names = {fk.name for fk in db.snapshots(keyed_twice())[0].table("pet").foreign_keys}
    assert "fk_pet_owner_id" in names
    assert len(names) == (1 if db.dialect == "sqlite" or start == "named" else 2)


def keyed_to(target_key: bool) -> sa.MetaData:
    """As mlflow's input_tags -> inputs (input_uuid): a key to columns that hold no key."""
    md = sa.MetaData()
    inputs = sa.Table("inputs", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("uuid", sa.String(36)))
    if target_key:
        inputs.append_constraint(sa.UniqueConstraint("uuid", name="uq_inputs_uuid"))
    sa.Table(
        "input_tags",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("input_uuid", sa.String(36), sa.ForeignKey("inputs.uuid", name="fk_input_tags_inputs")),
    )
    return md


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_generate_refuses_a_foreign_key_the_database_would_refuse(db, tmp_path):
    """PostgreSQL wants a key on the referenced columns, MySQL an index that starts with them;
    SQLite takes any. The script is refused before it is written, not left to fail."""
    config = project(db, tmp_path)
    if db.dialect == "sqlite":
        assert generate(db, config, keyed_to(False), "k1").path is not None
        return
    with pytest.raises(SchemadiffError, match="foreign key fk_input_tags_inputs on input_tags .input_uuid. cannot be created"):
        generate(db, config, keyed_to(False), "k1")
    assert list(config.versions_dir.iterdir()) == []
    generate(db, config, keyed_to(True), "k1")
    upgrade(config)
    assert_clean(db, keyed_to(True))


def trace_index(columns: tuple = ("request_id",)) -> sa.MetaData:
    """With no columns, as mlflow's trace_request_metadata: `Index(name)` in __table_args__."""
    md = sa.MetaData()
    table = sa.Table("trace", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("request_id", sa.String(50)))
    table.append_constraint(sa.Index("ix_trace_request_id", *columns))
    return md


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_an_index_the_models_name_without_columns_matches_by_name(db):
    """No database can create an index without columns (Alembic writes one that fails): the
    name is all the models say, so the database's index of that name matches it."""
    db.create_all(trace_index())
    assert_clean(db, trace_index(columns=()))
    with db.engine().begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_trace_request_id" + (" ON trace" if db.dialect == "mysql" else "")))
    with pytest.raises(SchemadiffError, match="index ix_trace_request_id of table trace has no columns"):
        compare(*db.snapshots(trace_index(columns=())))


def postgresql_only_index() -> sa.MetaData:
    md = sa.MetaData()
    table = sa.Table("doc", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("title", sa.String(50)))
    sa.Index("ix_doc_title_pg", table.c.title).ddl_if(dialect="postgresql")
    sa.Index("ix_doc_title_others", table.c.title).ddl_if(dialect=("sqlite", "mysql"))
    return md


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_ddl_if_decides_which_dialects_have_an_index(db, tmp_path):
    expected = ["ix_doc_title_pg"] if db.dialect == "postgresql" else ["ix_doc_title_others"]
    db.create_all(postgresql_only_index())
    assert_clean(db, postgresql_only_index())
    database, models = db.snapshots(postgresql_only_index())
    assert [i.name for i in models.table("doc").indexes] == expected

    db.reset()
    config = project(db, tmp_path)
    generate(db, config, postgresql_only_index(), "f0f0")
    upgrade(config)
    database, _ = db.snapshots(postgresql_only_index())
    assert [i.name for i in database.table("doc").indexes] == expected
    assert_clean(db, postgresql_only_index())


def text_desc_index(expression: bool) -> sa.MetaData:
    md = sa.MetaData()
    table = sa.Table(
        "entry",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(50)),
        sa.Column("rank", sa.Integer),
    )
    sa.Index("ix_entry_rank_title", table.c.rank, sa.text("title DESC"))
    if expression:  # MariaDB has no expression indexes
        sa.Index("ix_entry_lower_title", sa.text("lower(title) DESC"), _table=table)
    return md


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_text_index_elements_with_desc_compare_equal(db, tmp_path):
    models = text_desc_index(expression=db.dialect != "mysql")
    db.create_all(models)
    assert_clean(db, models)
    _, snapshot = db.snapshots(models)
    rank_title = next(i for i in snapshot.table("entry").indexes if i.name == "ix_entry_rank_title")
    assert [(e.text, e.expression, e.descending) for e in rank_title.elements] == [
        ("rank", False, False),
        ("title", False, True),
    ]

    # From an empty database (an expression key with DESC cannot be rendered yet: issue 8,
    # "Breaks during upgrade", is another change).
    db.reset()
    models = text_desc_index(expression=False)
    config = project(db, tmp_path)
    generate(db, config, models, "a0a0")
    upgrade(config)
    assert_clean(db, models)


# -- 5. tables in another schema ---------------------------------------------------------------------


@pytest.fixture
def other_schema(db):
    """A second schema (a PostgreSQL schema, a MySQL database) beside the test's own namespace."""
    name = f"sd_other_{uuid.uuid4().hex[:12]}"
    admin = sa.engine.make_url(server_url(db.dialect)).render_as_string(hide_password=False)
    quote = '"' if db.dialect == "postgresql" else "`"
    kind = "SCHEMA" if db.dialect == "postgresql" else "DATABASE"
    drop = f"DROP {kind} IF EXISTS {quote}{name}{quote}" + (" CASCADE" if db.dialect == "postgresql" else "")
    _admin(admin, drop, f"CREATE {kind} {quote}{name}{quote}")
    yield name
    _admin(admin, drop)


def shop(dialect: str, schema: str, *, step: int) -> sa.MetaData:
    """step 0: nothing; 1: owner here, category and items in `schema`; 2: items gains a column.

    On MySQL an FK from another database into the default one needs the database named in the
    model (create_all fails without it), so there items only reference their own schema.
    """
    md = sa.MetaData()
    if step == 0:
        return md
    owner_table(md)
    sa.Table("category", md, sa.Column("id", sa.Integer, primary_key=True), schema=schema)
    columns = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("category_id", sa.Integer, sa.ForeignKey(f"{schema}.category.id"), index=True),
    ]
    if dialect == "postgresql":
        columns.append(sa.Column("owner_id", sa.Integer, sa.ForeignKey("owner.id")))
    if step == 2:
        columns.append(sa.Column("price", sa.Numeric(10, 2)))
    sa.Table("items", md, *columns, schema=schema)
    return md


def tables_in(db, schema: str) -> list[str]:
    with db.engine().connect() as conn:
        return sa.inspect(conn).get_table_names(schema=schema)


@pytest.mark.parametrize("db", ["mysql"], indirect=True)
def test_head_snapshot_replay_never_writes_into_the_real_other_databases(db, other_schema, tmp_path):
    # A MySQL schema is a database of the server: a replay on a scratch database beside the real
    # one would create `category` in the real other database. generate says why it skipped it.
    config = project(db, tmp_path)
    generated = generate(db, config, shop(db.dialect, other_schema, step=1), "b1b1")
    assert generated.snapshot_note.startswith("The head snapshot was not updated (the history names other mysql databases")
    assert other_schema in generated.snapshot_note
    assert tables_in(db, other_schema) == []


@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_tables_in_another_schema_are_in_scope_without_config(db, other_schema, tmp_path):
    config = project(db, tmp_path)
    generate(db, config, shop(db.dialect, other_schema, step=1), "b1b1")
    upgrade(config)
    assert_clean(db, shop(db.dialect, other_schema, step=1))
    execute(db, f"INSERT INTO {other_schema}.category (id) VALUES (1)")
    execute(db, f"INSERT INTO {other_schema}.items (id, category_id) VALUES (1, 1)")

    generated = generate(db, config, shop(db.dialect, other_schema, step=2), "b2b2")
    assert [type(op).__name__ for op in generated.ops] == ["AddColumn"]
    upgrade(config)
    assert_clean(db, shop(db.dialect, other_schema, step=2))

    migrate(config, "downgrade", "b1b1", lambda line: None)
    assert_clean(db, shop(db.dialect, other_schema, step=1))
    downgrade(config)
    assert tables_in(db, other_schema) == []
    assert "owner" not in tables_in(db, None)


@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_offline_sql_covers_tables_in_another_schema(db, other_schema, tmp_path):
    config = project(db, tmp_path)
    generate(db, config, shop(db.dialect, other_schema, step=1), "c1c1")
    upgrade(config)
    generate(db, config, shop(db.dialect, other_schema, step=2), "c2c2")
    lines: list[str] = []
    offline_sql(config, "upgrade", "c1c1:c2c2", lines.append)
    offline_sql(config, "downgrade", "c2c2:base", lines.append)
    sql = "".join(lines)
    assert "price" in sql and f"DROP TABLE {other_schema}.items" in sql.replace('"', "").replace("`", "")
