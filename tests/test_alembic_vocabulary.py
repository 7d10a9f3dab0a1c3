"""The op vocabulary that real Alembic histories use, with Alembic's signatures and semantics.

Each case is a hand-written history run online on SQLite, PostgreSQL and MariaDB, printed with
`--sql`, and replayed without a database; the replay must know the schema the database has.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from schemadiff.compare import compare
from schemadiff.config import load_config
from schemadiff.dialects import for_sa_dialect
from schemadiff.head_snapshot import revision_map
from schemadiff.reflect import reflect
from schemadiff.replay_start import BASE
from schemadiff.runtime import migrate, offline_sql
from test_cli import run
from test_runtime import new_project, ok, one_line_error, write_revision
from test_sqlite_rebuild import (
    STAGED,
    rows,
    sqlite_db,
    staged_tables_online,
)  # noqa: F401 (a fixture)

VERSION_TABLE = "schemadiff_version"


def history(tmp_path: Path, db, *revisions: tuple[str, str]) -> Path:
    """A project whose revisions r1, r2, ... have these (upgrade, downgrade) bodies."""
    project = new_project(tmp_path / "project", db)
    down = None
    for number, (upgrade, downgrade) in enumerate(revisions, 1):
        write_revision(project, f"r{number}", down, f"step {number}", upgrade, downgrade)
        down = f"r{number}"
    return project


def migrate_to(project: Path, direction: str, target: str) -> list[str]:
    """Runs as the CLI does, in this process; the tables SQLite rebuilt meanwhile."""
    with staged_tables_online() as rebuilt:
        migrate(load_config(project, env={}), direction, target, echo=lambda line: None)
    return rebuilt


def offline(project: Path, direction: str, target: str) -> str:
    printed: list[str] = []
    offline_sql(load_config(project, env={}), direction, target, printed.append)
    return "".join(printed)


def reflected(db):
    with db.engine().connect() as conn:
        snap = reflect(conn, (), for_sa_dialect(conn.dialect))
    return snap.__class__(
        tuple(t for t in snap.tables if t.name != VERSION_TABLE),
        snap.enums,
        snap.dialect,
        snap.domains,
    )


def assert_replay_knows_the_database(project: Path, db) -> None:
    """The offline replay of the whole history ends where the database is."""
    config = load_config(project, env={})
    revisions = revision_map(config)
    with db.engine().connect() as conn:
        dialect = for_sa_dialect(conn.dialect)
    replayed = BASE.replay(revisions, revisions.resolve("heads", ()), dialect)
    assert compare(reflected(db), replayed) == []


def table(db, name: str):
    return next(t for t in reflected(db).tables if t.name == name)


# -- batch_alter_table ---------------------------------------------------------------------------

ACCOUNT = """
op.create_table(
    "account",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20)),
    sa.Column("legacy", sa.String(10)),
    sa.Column("email", sa.String(50)),
)
op.create_index("ix_account_legacy", "account", ["legacy"])
op.execute("INSERT INTO account (id, name, legacy, email) VALUES (1, 'ann', 'x', 'ann@example.com')")
"""

# Written out of order on purpose: the index names a column that the block adds after it.
BATCH_UP = """
convention = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
with op.batch_alter_table("account", naming_convention=convention) as batch_op:
    batch_op.create_index(batch_op.f("ix_account_nick"), ["nick"])
    batch_op.add_column(sa.Column("nick", sa.String(20)), insert_after="name")
    batch_op.drop_column("legacy")
    batch_op.alter_column("name", existing_type=sa.String(20), type_=sa.String(80), nullable=False)
    batch_op.create_unique_constraint(None, ["email"])
    batch_op.execute("UPDATE account SET nick = name")
"""

BATCH_DOWN = """
with op.batch_alter_table("account") as batch_op:
    batch_op.drop_column("nick")
    batch_op.add_column(sa.Column("legacy", sa.String(10)))
    batch_op.create_index("ix_account_legacy", ["legacy"])
    batch_op.alter_column("name", existing_type=sa.String(80), type_=sa.String(20), nullable=True)
    batch_op.drop_constraint("uq_account_email", type_="unique")
"""


def test_batch_alter_table_applies_its_ops_together_in_any_order(db, tmp_path):
    project = history(tmp_path, db, (ACCOUNT, 'op.drop_table("account")'), (BATCH_UP, BATCH_DOWN))
    migrate_to(project, "upgrade", "r1")
    rebuilt = migrate_to(project, "upgrade", "head")

    account = table(db, "account")
    assert rows(db, "SELECT id, name, nick FROM account") == [(1, "ann", "ann")]
    assert [i.name for i in account.indexes] == ["ix_account_nick"]
    assert [u.name for u in account.uniques] == ["uq_account_email"]
    assert not account.column("name").nullable
    if db.dialect == "sqlite":
        assert rebuilt == ["account"]  # one rebuild for the whole block, the new column in place
        assert [c.name for c in account.columns] == ["id", "name", "nick", "email"]
        assert STAGED.findall(offline(project, "upgrade", "r1:r2")) == ["account"]
    else:
        assert [c.name for c in account.columns] == ["id", "name", "email", "nick"]
    assert_replay_knows_the_database(project, db)

    migrate_to(project, "downgrade", "r1")
    assert sorted(c.name for c in table(db, "account").columns) == ["email", "id", "legacy", "name"]
    migrate_to(project, "downgrade", "base")
    migrate_to(project, "upgrade", "head")
    assert_replay_knows_the_database(project, db)


RECREATE_UP = """
with op.batch_alter_table("account", recreate="always", partial_reordering=[("email", "name")]) as batch_op:
    batch_op.add_column(sa.Column("nick", sa.String(20)))
"""


def test_batch_recreate_always_rebuilds_and_reorders_where_tables_are_rebuilt(db, tmp_path):
    project = history(
        tmp_path,
        db,
        (ACCOUNT, 'op.drop_table("account")'),
        (RECREATE_UP, 'op.drop_column("account", "nick")'),
    )
    migrate_to(project, "upgrade", "r1")
    rebuilt = migrate_to(project, "upgrade", "head")
    names = [c.name for c in table(db, "account").columns]
    if db.dialect == "sqlite":
        assert rebuilt == ["account"]  # ADD COLUMN alone would do: the block asked for a rebuild
        assert names == ["id", "email", "legacy", "name", "nick"]
    else:
        assert names == [
            "id",
            "name",
            "legacy",
            "email",
            "nick",
        ]  # ALTER keeps the order, as Alembic
    assert rows(db, "SELECT name, email FROM account") == [("ann", "ann@example.com")]
    assert_replay_knows_the_database(project, db)


TABLE_ARGS_UP = """
checks = (sa.CheckConstraint("length(name) > 0", name="ck_account_name"),)
with op.batch_alter_table("account", table_args=checks) as batch_op:
    batch_op.alter_column("name", existing_type=sa.String(20), type_=sa.String(80))
"""

TABLE_ARGS_DOWN = """
with op.batch_alter_table("account") as batch_op:
    batch_op.alter_column("name", existing_type=sa.String(80), type_=sa.String(20))
"""


def test_batch_table_args_join_the_rebuilt_table_only(db, tmp_path):
    """As in Alembic: `table_args` go into the table that a rebuild makes (a CHECK that an older
    reflection missed), and do nothing where the table is altered in place."""
    project = history(
        tmp_path, db, (ACCOUNT, 'op.drop_table("account")'), (TABLE_ARGS_UP, TABLE_ARGS_DOWN)
    )
    migrate_to(project, "upgrade", "head")
    checks = [c.name for c in table(db, "account").checks]
    assert checks == (["ck_account_name"] if db.dialect == "sqlite" else [])
    assert rows(db, "SELECT name, email FROM account") == [("ann", "ann@example.com")]
    assert_replay_knows_the_database(project, db)


def test_batch_recreate_never_refuses_what_needs_a_rebuild(db, tmp_path):
    up = """
    with op.batch_alter_table("account", recreate="never") as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(20), nullable=False)
    """
    project = history(tmp_path, db, (ACCOUNT, 'op.drop_table("account")'), (up, "pass"))
    migrate_to(project, "upgrade", "r1")
    if db.dialect == "sqlite":
        one_line_error(run(project, "upgrade", "head"), "recreate='never'", "rebuilding", "account")
        one_line_error(
            run(project, "upgrade", "r1:r2", "--sql"), "recreate='never'", "r2_step_2.py"
        )
    else:
        ok(run(project, "upgrade", "head"))
        assert not table(db, "account").column("name").nullable


LEGACY_TABLE = 'op.execute("CREATE TABLE legacy_notes (id INTEGER PRIMARY KEY, note VARCHAR(20))")'

COPY_FROM_UP = """
known = sa.Table(
    "legacy_notes",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("note", sa.String(20)),
)
with op.batch_alter_table("legacy_notes", copy_from=known) as batch_op:
    batch_op.add_column(sa.Column("author", sa.String(20), nullable=False, server_default="anon"))
    batch_op.create_index("ix_legacy_notes_note", ["note"])
"""


def test_batch_copy_from_knows_a_table_the_history_made_with_sql(db, tmp_path):
    project = history(
        tmp_path,
        db,
        (LEGACY_TABLE, 'op.execute("DROP TABLE legacy_notes")'),
        (COPY_FROM_UP, "pass"),
    )
    sql = offline(project, "upgrade", "head")  # the replay knows no legacy_notes but by copy_from
    assert "ix_legacy_notes_note" in sql
    migrate_to(project, "upgrade", "head")
    notes = table(db, "legacy_notes")
    assert [c.name for c in notes.columns] == ["id", "note", "author"]
    assert [i.name for i in notes.indexes] == ["ix_legacy_notes_note"]

    without = COPY_FROM_UP.replace(", copy_from=known", "")
    write_revision(project, "r2", "r1", "step 2", without)
    one_line_error(
        run(project, "upgrade", "head", "--sql"), "r2_step_2.py", "no table legacy_notes"
    )


# -- CONCURRENTLY in an autocommit block ---------------------------------------------------------


def test_concurrent_indexes_run_in_an_autocommit_block(db, tmp_path):
    own_sql = (
        'op.execute("CREATE INDEX CONCURRENTLY ix_scratch ON account (name)")\n        '
        'op.execute("DROP INDEX CONCURRENTLY ix_scratch")'
        if db.dialect == "postgresql"
        else "pass"
    )
    up = f"""
    op.execute("UPDATE account SET name = 'bob'")
    with op.autocommit_block():
        op.create_index("ix_account_email", "account", ["email"], postgresql_concurrently=True)
        {own_sql}
    op.execute("UPDATE account SET legacy = 'y'")
    """
    down = """
    with op.autocommit_block():
        op.drop_index("ix_account_email", "account", postgresql_concurrently=True)
    """
    project = history(tmp_path, db, (ACCOUNT, 'op.drop_table("account")'), (up, down))
    migrate_to(project, "upgrade", "head")
    assert [i.name for i in table(db, "account").indexes] == [
        "ix_account_email",
        "ix_account_legacy",
    ]
    assert rows(db, "SELECT name, legacy FROM account") == [("bob", "y")]
    assert ok(run(project, "current")) == "r2 (head)\n"
    assert_replay_knows_the_database(project, db)
    migrate_to(project, "downgrade", "r1")
    assert [i.name for i in table(db, "account").indexes] == ["ix_account_legacy"]

    sql = offline(project, "upgrade", "r1:r2")
    if db.dialect == "postgresql":
        block = sql[sql.index("UPDATE account SET name") : sql.index("UPDATE account SET legacy")]
        assert block.split(";\n")[1:-1] == [
            "COMMIT",
            "CREATE INDEX CONCURRENTLY ix_account_email ON account (email)",
            "CREATE INDEX CONCURRENTLY ix_scratch ON account (name)",
            "DROP INDEX CONCURRENTLY ix_scratch",
            "BEGIN",
        ]
        assert sql.rstrip().endswith("COMMIT;")
    else:
        assert "CONCURRENTLY" not in sql


# -- MySQL's primary and unique keys -------------------------------------------------------------

KEYS = """
op.create_table(
    "code",
    sa.Column("id", sa.Integer, nullable=False),
    sa.Column("value", sa.String(10), nullable=False),
    sa.PrimaryKeyConstraint("id", name="pk_code"),
)
op.create_index("ix_code_value", "code", ["value"], unique=True)
op.create_unique_constraint("uq_code_id_value", "code", ["id", "value"])
"""

KEYS_UP = """
op.drop_constraint("pk_code", "code", type_="primary")
op.drop_index("uq_code_id_value", table_name="code")
op.drop_constraint("ix_code_value", "code", type_="unique")
op.create_primary_key("pk_code", "code", ["id", "value"])
"""

KEYS_DOWN = """
op.drop_constraint("pk_code", "code", type_="primary")
op.create_primary_key("pk_code", "code", ["id"])
op.create_unique_constraint("uq_code_id_value", "code", ["id", "value"])
op.create_index("ix_code_value", "code", ["value"], unique=True)
"""


def test_primary_and_unique_keys_drop_as_alembic_scripts_name_them(db, tmp_path):
    project = history(tmp_path, db, (KEYS, 'op.drop_table("code")'), (KEYS_UP, KEYS_DOWN))
    migrate_to(project, "upgrade", "head")
    code = table(db, "code")
    assert code.primary_key.columns == ("id", "value")
    assert code.uniques == () and code.indexes == ()
    assert_replay_knows_the_database(project, db)
    migrate_to(project, "downgrade", "base")
    migrate_to(project, "upgrade", "head")
    assert offline(project, "upgrade", "head")


# -- create_table: use_alter foreign keys, enum types --------------------------------------------

CYCLE = """
op.create_table(
    "author",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("favorite_book_id", sa.Integer),
    sa.ForeignKeyConstraint(["favorite_book_id"], ["book.id"], name="fk_author_book", use_alter=True),
)
op.create_table(
    "book",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("author.id", name="fk_book_author")),
    sa.Column("editor_id", sa.Integer),
    sa.ForeignKeyConstraint(["editor_id"], ["author.id"], name="fk_book_editor", use_alter=True),
)
"""

CYCLE_DOWN = """
op.drop_constraint("fk_author_book", "author", type_="foreignkey")
op.drop_table("book")
op.drop_table("author")
"""


# As in real histories (Prefect's): where CREATE TABLE leaves the use_alter keys out, the script
# adds them itself; SQLite keeps them in its CREATE TABLE, and cannot ALTER them in.
CYCLE_KEYS = """
if op.get_context().dialect.name != "sqlite":
    op.create_foreign_key("fk_author_book", "author", "book", ["favorite_book_id"], ["id"])
    op.create_foreign_key("fk_book_editor", "book", "author", ["editor_id"], ["id"])
"""


def test_create_table_leaves_use_alter_foreign_keys_to_the_script_where_it_can_alter(db, tmp_path):
    project = history(tmp_path, db, (CYCLE + CYCLE_KEYS, CYCLE_DOWN))
    sql = offline(project, "upgrade", "head")
    migrate_to(project, "upgrade", "head")
    assert [f.name for f in table(db, "author").foreign_keys] == ["fk_author_book"]
    assert sorted(f.name for f in table(db, "book").foreign_keys) == [
        "fk_book_author",
        "fk_book_editor",
    ]
    assert_replay_knows_the_database(project, db)
    migrate_to(project, "downgrade", "base")
    migrate_to(project, "upgrade", "head")
    if db.dialect != "sqlite":  # SQLite has no ADD CONSTRAINT: its rebuild puts the key in
        assert sql.count("ADD CONSTRAINT fk_author_book") == 1
        assert sql.count("ADD CONSTRAINT fk_book_editor") == 1


MOODS = """
op.create_table(
    "diary",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
)
op.create_table(
    "weather",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
    sa.Column("sky", postgresql.ENUM("clear", "cloudy", name="sky", create_type=False)),
)
"""


def test_create_table_creates_missing_enum_types_once(db, tmp_path):
    sky = (
        "op.execute(\"CREATE TYPE sky AS ENUM ('clear', 'cloudy')\")\n"
        if db.dialect == "postgresql"
        else ""
    )
    drop = (
        'op.execute("DROP TYPE mood")\nop.execute("DROP TYPE sky")'
        if db.dialect == "postgresql"
        else "pass"
    )
    up = "from sqlalchemy.dialects import postgresql\n" + sky + MOODS
    project = history(
        tmp_path, db, (up, 'op.drop_table("weather")\nop.drop_table("diary")\n' + drop)
    )
    sql = offline(project, "upgrade", "head")
    migrate_to(project, "upgrade", "head")
    if db.dialect == "postgresql":
        assert sql.count("CREATE TYPE mood") == 1
        assert sorted(e.name for e in reflected(db).enums) == ["mood", "sky"]
    migrate_to(project, "downgrade", "base")
    if db.dialect == "postgresql":  # a type that is there already is not created again
        with db.engine().begin() as conn:
            conn.exec_driver_sql("CREATE TYPE mood AS ENUM ('happy', 'sad')")
    migrate_to(project, "upgrade", "head")
    assert [c.name for c in table(db, "weather").columns] == ["id", "mood", "sky"]


# -- drop_column takes its keys and indexes ------------------------------------------------------

PARTS = """
op.create_table("parent", sa.Column("id", sa.Integer, primary_key=True))
op.create_table(
    "part",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20)),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id", name="fk_part_parent")),
    sa.UniqueConstraint("name", "parent_id", name="uq_part_name_parent"),
    sa.CheckConstraint("parent_id > 0", name="ck_part_parent"),
)
op.create_index("ix_part_parent", "part", ["parent_id"])
op.create_index("ix_part_name_parent", "part", ["name", "parent_id"])
op.execute("INSERT INTO parent (id) VALUES (1)")
op.execute("INSERT INTO part (id, name, parent_id) VALUES (1, 'bolt', 1)")
"""


def test_drop_column_takes_the_columns_keys_and_indexes_with_it(db, tmp_path):
    down = """
    op.add_column("part", sa.Column("parent_id", sa.Integer))
    op.create_foreign_key("fk_part_parent", "part", "parent", ["parent_id"], ["id"])
    """
    project = history(
        tmp_path,
        db,
        (PARTS, 'op.drop_table("part")\nop.drop_table("parent")'),
        ('op.drop_column("part", "parent_id")', down),
    )
    migrate_to(project, "upgrade", "r1")
    rebuilt = migrate_to(project, "upgrade", "head")
    part = table(db, "part")
    assert [c.name for c in part.columns] == ["id", "name"]
    assert (part.foreign_keys, part.uniques, part.checks, part.indexes) == ((), (), (), ())
    assert rows(db, "SELECT id, name FROM part") == [(1, "bolt")]
    if db.dialect == "sqlite":
        assert rebuilt == ["part"]
        assert STAGED.findall(offline(project, "upgrade", "r1:r2")) == ["part"]
    assert_replay_knows_the_database(project, db)
    migrate_to(project, "downgrade", "r1")
    assert [f.name for f in table(db, "part").foreign_keys] == ["fk_part_parent"]


# As Prefect's history does: its own SQL drops an index that DROP COLUMN would take anyway.
DROPPED_BY_SQL = """
if op.get_context().dialect.name == "postgresql":
    op.execute("DROP INDEX ix_part_parent")
op.drop_column("part", "parent_id")
"""


def test_drop_column_leaves_to_postgresql_the_keys_and_indexes_it_takes(db, tmp_path):
    project = history(
        tmp_path,
        db,
        (PARTS, 'op.drop_table("part")\nop.drop_table("parent")'),
        (DROPPED_BY_SQL, 'op.add_column("part", sa.Column("parent_id", sa.Integer))'),
    )
    migrate_to(project, "upgrade", "r1")
    sql = offline(project, "upgrade", "r1:r2")
    migrate_to(project, "upgrade", "head")
    part = table(db, "part")
    assert [c.name for c in part.columns] == ["id", "name"]
    assert (part.foreign_keys, part.uniques, part.checks, part.indexes) == ((), (), (), ())
    if db.dialect == "postgresql":  # the script's own DROP INDEX, then DROP COLUMN alone
        assert sql.count("DROP INDEX") == 1 and "DROP CONSTRAINT" not in sql
    assert_replay_knows_the_database(project, db)
    migrate_to(project, "downgrade", "base")


# -- alter_column replaces a SchemaType's CHECK --------------------------------------------------

FLAGS = """
op.create_table(
    "ticket",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("status", sa.Enum("open", "closed", name="ck_ticket_status", native_enum=False, create_constraint=True)),
    sa.Column("urgent", sa.Boolean(create_constraint=True, name="ck_ticket_urgent")),
)
"""

FLAGS_UP = """
op.alter_column(
    "ticket",
    "status",
    existing_type=sa.Enum("open", "closed", name="ck_ticket_status", native_enum=False, create_constraint=True),
    type_=sa.Enum("open", "closed", "stale", name="ck_ticket_status", native_enum=False, create_constraint=True),
)
op.alter_column("ticket", "urgent", existing_type=sa.Boolean(create_constraint=True, name="ck_ticket_urgent"), type_=sa.Integer())
"""


def test_alter_column_replaces_the_check_of_an_enum_or_boolean(db, tmp_path):
    project = history(tmp_path, db, (FLAGS, 'op.drop_table("ticket")'), (FLAGS_UP, "pass"))
    migrate_to(project, "upgrade", "head")
    with db.engine().begin() as conn:
        conn.exec_driver_sql("INSERT INTO ticket (id, status, urgent) VALUES (1, 'stale', 5)")
    with pytest.raises(sa.exc.DBAPIError), db.engine().begin() as conn:
        conn.exec_driver_sql("INSERT INTO ticket (id, status, urgent) VALUES (2, 'lost', 0)")
    assert [c.name for c in table(db, "ticket").checks] == ["ck_ticket_status"]
    assert_replay_knows_the_database(project, db)


# -- a name taken twice ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "second, label",
    [
        ('op.create_unique_constraint("uq_account_name", "account", ["email"])', "uq_account_name"),
        ('op.create_index("ix_account_legacy", "account", ["email"])', "ix_account_legacy"),
        ('op.create_check_constraint("uq_account_name", "account", "id > 0")', "uq_account_name"),
    ],
)
def test_a_second_constraint_under_a_taken_name_is_an_error(db, tmp_path, second, label):
    up = f'op.create_unique_constraint("uq_account_name", "account", ["name"])\n{second}'
    project = history(tmp_path, db, (ACCOUNT, 'op.drop_table("account")'), (up, "pass"))
    migrate_to(project, "upgrade", "r1")
    line = one_line_error(run(project, "upgrade", "head"), second, f"named {label!r} already")
    assert "upgrade r2" in line
    one_line_error(
        run(project, "upgrade", "r1:r2", "--sql"), "r2_step_2.py", f"named {label!r} already"
    )
    assert ok(run(project, "current")) == "r1\n"


def test_a_failure_after_an_autocommit_block_says_what_it_committed(db, tmp_path):
    up = """
    with op.autocommit_block():
        op.create_index("ix_account_email", "account", ["email"], postgresql_concurrently=True)
    op.execute("UPDATE no_such_table SET x = 1")
    """
    project = history(tmp_path, db, (ACCOUNT, 'op.drop_table("account")'), (up, "pass"))
    migrate_to(project, "upgrade", "r1")
    line = one_line_error(run(project, "upgrade", "head"), "upgrade r2", "no_such_table")
    assert "1 of its ops ran and stay" in line and "ix_account_email" in line
    assert [i.name for i in table(db, "account").indexes] == [
        "ix_account_email",
        "ix_account_legacy",
    ]
    assert ok(run(project, "current")) == "r1\n"


RENAME_AND_ADD = """
with op.batch_alter_table("account") as batch_op:
    batch_op.alter_column("nick", existing_type=sa.String(20), nullable=False)
    batch_op.add_column(sa.Column("name", sa.String(40)))
    batch_op.alter_column("name", new_column_name="full_name", existing_type=sa.String(20))
    batch_op.add_column(sa.Column("nick", sa.String(20), nullable=False, server_default="n"))
"""


def test_a_batch_block_alters_old_columns_before_it_adds_and_new_ones_after(db, tmp_path):
    project = history(tmp_path, db, (ACCOUNT, 'op.drop_table("account")'), (RENAME_AND_ADD, "pass"))
    migrate_to(project, "upgrade", "head")
    account = table(db, "account")
    assert sorted(c.name for c in account.columns) == [
        "email",
        "full_name",
        "id",
        "legacy",
        "name",
        "nick",
    ]
    assert rows(db, "SELECT full_name, name, nick FROM account") == [("ann", None, "n")]
    assert_replay_knows_the_database(project, db)


UNNAMED = """
op.create_table(
    "member",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(50)),
    sa.Column("team_id", sa.Integer),
    sa.UniqueConstraint("email"),
    sa.ForeignKeyConstraint(["team_id"], ["member.id"]),
)
"""

BY_CONVENTION = """
convention = {
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}
with op.batch_alter_table("member", naming_convention=convention) as batch_op:
    batch_op.drop_constraint("uq_member_email", type_="unique")
    batch_op.drop_constraint("fk_member_team_id_member", type_="foreignkey")
"""


def test_naming_convention_finds_unnamed_sqlite_constraints(sqlite_db, tmp_path):
    project = history(
        tmp_path, sqlite_db, (UNNAMED, 'op.drop_table("member")'), (BY_CONVENTION, "pass")
    )
    assert STAGED.findall(offline(project, "upgrade", "head")) == ["member"]
    migrate_to(project, "upgrade", "head")
    member = table(sqlite_db, "member")
    assert (member.uniques, member.foreign_keys) == ((), ())
    assert_replay_knows_the_database(project, sqlite_db)


def test_a_key_to_a_table_the_script_never_makes_is_an_error(db, tmp_path):
    up = """
    op.create_table(
        "author",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("book_id", sa.Integer),
        sa.ForeignKeyConstraint(["book_id"], ["book.id"], name="fk_author_book"),
    )
    """
    project = history(tmp_path, db, (up, 'op.drop_table("author")'))
    one_line_error(
        run(project, "upgrade", "head", "--sql"), "fk_author_book", "book", "never creates"
    )
    one_line_error(run(project, "upgrade", "head"), "upgrade r1", "fk_author_book", "never creates")
    assert ok(run(project, "current")).startswith("<base>")  # MySQL keeps the table: it says so


KEYED = """
op.create_table("owner", sa.Column("id", sa.Integer, primary_key=True))
op.create_table(
    "pet",
    sa.Column("id", sa.Integer),
    sa.Column("owner_id", sa.Integer),
    sa.PrimaryKeyConstraint("id", name="pk_pet"),
    sa.ForeignKeyConstraint(["owner_id"], ["owner.id"], name="fk_pet_owner"),
)
"""

REKEYED = """
with op.batch_alter_table("pet") as batch_op:
    batch_op.create_primary_key("pk_pet_v2", ["id"])
    batch_op.create_foreign_key("fk_pet_owner", "owner", ["owner_id"], ["id"], ondelete="CASCADE")
"""


def test_a_batch_rebuild_replaces_the_primary_key_and_a_constraint_of_the_same_name(db, tmp_path):
    project = history(
        tmp_path, db, (KEYED, 'op.drop_table("pet")\nop.drop_table("owner")'), (REKEYED, "pass")
    )
    migrate_to(project, "upgrade", "r1")
    if db.dialect != "sqlite":  # ALTER TABLE adds a second key, which the database refuses
        one_line_error(run(project, "upgrade", "head"), "upgrade r2", 'batch_alter_table("pet")')
        return
    migrate_to(project, "upgrade", "head")
    pet = table(db, "pet")
    assert (pet.primary_key.name, pet.primary_key.columns) == ("pk_pet_v2", ("id",))
    assert [(f.name, f.ondelete) for f in pet.foreign_keys] == [("fk_pet_owner", "CASCADE")]
    assert_replay_knows_the_database(project, db)
