"""SQLite rebuilds a table for what its ALTER TABLE cannot do: once per table per revision.

The ops on a table are collected while a revision runs and flushed as one rebuild, at the end
of the revision, of a `batch_alter_table` block, or before SQL of the script's own that may read
the table. Rebuilds are counted in `--sql` output and in the statements run online.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from conftest import make_database
from schemadiff.config import load_config
from schemadiff.runtime import migrate
from test_runtime import new_project, ok, one_line_error, write_revision
from test_cli import run

STAGED = re.compile(r'CREATE TABLE "?_schemadiff_tmp_(\w+)', re.IGNORECASE)

MODELS_HEADER = "import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n"

BEFORE = """
parent = sa.Table("parent", metadata, sa.Column("id", sa.Integer, primary_key=True))
items = sa.Table(
    "items", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20)),
    sa.Column("qty", sa.Integer),
    sa.Column("legacy", sa.String(10)),
    sa.Column("parent_id", sa.Integer),
    sa.Index("ix_items_legacy", "legacy"),
)
"""

# Four ways at once: NOT NULL, a wider type, a CHECK, a dropped indexed column, a FK; a new
# table references the changed one.
AFTER = """
parent = sa.Table("parent", metadata, sa.Column("id", sa.Integer, primary_key=True))
items = sa.Table(
    "items", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("qty", sa.Integer),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id", name="fk_items_parent")),
    sa.CheckConstraint("qty >= 0", name="ck_items_qty"),
)
tags = sa.Table(
    "tags", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", name="fk_tags_item")),
)
"""


@pytest.fixture
def sqlite_db(tmp_path):
    database = make_database("sqlite", tmp_path)
    yield database
    database.close()


@contextmanager
def staged_tables_online() -> Iterator[list[str]]:
    """The tables rebuilt by every statement any engine runs meanwhile, in order."""
    rebuilt: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        rebuilt.extend(STAGED.findall(statement))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        yield rebuilt
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


def upgrade_in_process(project: Path, target: str = "head") -> list[str]:
    """Runs `upgrade` as the CLI does, in this process; the tables it rebuilt, in order."""
    config = load_config(project, env={})
    with staged_tables_online() as rebuilt:
        migrate(config, "upgrade", target, echo=lambda line: None)
    return rebuilt


def staged_tables_offline(project: Path, target: str) -> list[str]:
    return STAGED.findall(ok(run(project, "upgrade", target, "--sql")))


def rows(db, sql: str) -> list[tuple]:
    with db.engine().connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def test_a_generated_revision_rebuilds_each_table_once(sqlite_db, tmp_path):
    project = new_project(tmp_path / "generated", sqlite_db)
    (project / "before.py").write_text(MODELS_HEADER + BEFORE)
    (project / "after.py").write_text(MODELS_HEADER + AFTER)
    ok(run(project, "generate", "-m", "v1", "--rev-id", "v1", "--metadata", "before:metadata"))
    ok(run(project, "upgrade", "head"))
    with sqlite_db.engine().begin() as conn:
        conn.exec_driver_sql("INSERT INTO parent (id) VALUES (1)")
        conn.exec_driver_sql(
            "INSERT INTO items (id, name, qty, legacy, parent_id) VALUES (1, 'a', 2, 'x', 1), (2, 'b', 0, 'y', NULL)"
        )
    ok(run(project, "generate", "-m", "v2", "--rev-id", "v2", "--metadata", "after:metadata"))
    script = (project / "migrations" / "versions" / "v2_v2.py").read_text()
    assert script.count('"items"') >= 4, script  # the revision does change items several ways

    assert staged_tables_offline(project, "v1:v2") == ["items"]
    assert upgrade_in_process(project) == ["items"]

    assert rows(sqlite_db, "SELECT id, name, qty, parent_id FROM items ORDER BY id") == [(1, "a", 2, 1), (2, "b", 0, None)]
    assert ok(run(project, "check", "--metadata", "after:metadata")) == "No differences: the database matches the models.\n"
    # The way back is one rebuild too, and the rows come back with it.
    config = load_config(project, env={})
    with staged_tables_online() as rebuilt:
        migrate(config, "downgrade", "v1", echo=lambda line: None)
    assert rebuilt == ["items"]
    assert rows(sqlite_db, "SELECT id, name, qty FROM items ORDER BY id") == [(1, "a", 2), (2, "b", 0)]


BATCH = """
with op.batch_alter_table("items") as batch_op:
    batch_op.alter_column("name", new_column_name="title", type_=sa.String(80), nullable=False)
    batch_op.create_check_constraint("ck_items_qty", "qty >= 0")
    batch_op.drop_index("ix_items_legacy")
    batch_op.drop_column("legacy")
op.execute("UPDATE items SET qty = qty + 10")
"""


def test_batch_alter_table_rebuilds_once_at_the_end_of_its_block(sqlite_db, tmp_path):
    project = new_project(tmp_path / "batch", sqlite_db)
    (project / "before.py").write_text(MODELS_HEADER + BEFORE)
    ok(run(project, "generate", "-m", "v1", "--rev-id", "v1", "--metadata", "before:metadata"))
    write_revision(project, "v2", "v1", "batch", BATCH)
    ok(run(project, "upgrade", "v1"))
    with sqlite_db.engine().begin() as conn:
        conn.exec_driver_sql("INSERT INTO items (id, name, qty, legacy) VALUES (1, 'a', 2, 'x')")

    assert staged_tables_offline(project, "v1:v2") == ["items"]
    sql = ok(run(project, "upgrade", "v1:v2", "--sql"))
    # The block's rebuild comes before the UPDATE that follows the block.
    assert sql.index("_schemadiff_tmp_items") < sql.index("UPDATE items SET qty = qty + 10")
    assert upgrade_in_process(project) == ["items"]
    assert rows(sqlite_db, "SELECT id, title, qty FROM items") == [(1, "a", 12)]


# A hand-written revision: the script's own SQL sees the ops before it in place, so each of
# op.execute and the bind's use takes the rebuild that the ops before it need.
HAND_WRITTEN = """
conn = op.get_bind()
op.alter_column("items", "name", new_column_name="title", type_=sa.String(80))
op.create_check_constraint("ck_items_qty", "items", "qty >= 0")
conn.execute(sa.text("UPDATE items SET title = upper(title)"))
op.alter_column("items", "qty", nullable=False, server_default="0")
op.drop_index("ix_items_legacy", "items")
op.drop_column("items", "legacy")
op.execute("UPDATE items SET qty = qty * 2")
op.create_index("ix_items_title", "items", ["title"])
op.alter_column("items", "parent_id", type_=sa.BigInteger())
"""


def test_the_scripts_own_sql_sees_the_tables_final_shape(sqlite_db, tmp_path):
    project = new_project(tmp_path / "hand", sqlite_db)
    (project / "before.py").write_text(MODELS_HEADER + BEFORE)
    ok(run(project, "generate", "-m", "v1", "--rev-id", "v1", "--metadata", "before:metadata"))
    write_revision(project, "v2", "v1", "hand written", HAND_WRITTEN)
    ok(run(project, "upgrade", "v1"))
    with sqlite_db.engine().begin() as conn:
        conn.exec_driver_sql("INSERT INTO items (id, name, qty, legacy) VALUES (1, 'a', 2, 'x'), (2, 'b', 3, 'y')")

    # Offline there is no bind: the revision needs one, and says so.
    one_line_error(run(project, "upgrade", "v1:v2", "--sql"), "op.get_bind()", "--sql")
    assert upgrade_in_process(project) == ["items", "items", "items"]
    assert rows(sqlite_db, "SELECT id, title, qty, parent_id FROM items ORDER BY id") == [(1, "A", 4, None), (2, "B", 6, None)]
    with sqlite_db.engine().connect() as conn:
        inspector = sa.inspect(conn)
        assert [c["name"] for c in inspector.get_columns("items")] == ["id", "title", "qty", "parent_id"]
        assert [i["name"] for i in inspector.get_indexes("items")] == ["ix_items_title"]
        assert [c["name"] for c in inspector.get_check_constraints("items")] == ["ck_items_qty"]


def test_a_failed_rebuild_names_the_ops_it_held(sqlite_db, tmp_path):
    project = new_project(tmp_path / "failed", sqlite_db)
    (project / "before.py").write_text(MODELS_HEADER + BEFORE)
    ok(run(project, "generate", "-m", "v1", "--rev-id", "v1", "--metadata", "before:metadata"))
    write_revision(
        project,
        "v2",
        "v1",
        "failing",
        """
        op.alter_column("items", "name", nullable=False)
        op.create_check_constraint("ck_items_qty", "items", "qty >= 0")
        """,
    )
    ok(run(project, "upgrade", "v1"))
    with sqlite_db.engine().begin() as conn:
        conn.exec_driver_sql("INSERT INTO items (id, name, qty) VALUES (1, NULL, 2)")
    one_line_error(
        run(project, "upgrade", "head"),
        "upgrade v2 (failing) failed at `~ column items.name",
        "(one rebuild of items with 1 more op(s))",
        "NOT NULL constraint failed",
        "it was rolled back",
    )
    assert rows(sqlite_db, "SELECT version_num FROM schemadiff_version") == [("v1",)]


def test_a_waiting_table_is_rebuilt_before_the_table_its_key_names_is_renamed(sqlite_db, tmp_path):
    project = new_project(tmp_path / "rename", sqlite_db)
    write_revision(
        project,
        "v1",
        None,
        "tables",
        """
        op.create_table("parent", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table(
            "child",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id", name="fk_child_parent")),
            sa.Column("note", sa.String(10)),
        )
        op.execute("INSERT INTO parent (id) VALUES (1)")
        op.execute("INSERT INTO child (id, parent_id, note) VALUES (1, 1, 'x')")
        """,
    )
    write_revision(
        project,
        "v2",
        "v1",
        "rename parent",
        """
        op.alter_column("child", "note", nullable=False)
        op.rename_table("parent", "owner")
        """,
    )
    ok(run(project, "upgrade", "v1"))
    sql = ok(run(project, "upgrade", "v1:v2", "--sql"))
    assert STAGED.findall(sql) == ["child"]
    assert sql.index("_schemadiff_tmp_child") < sql.index("ALTER TABLE parent RENAME TO owner")
    assert upgrade_in_process(project) == ["child"]
    assert rows(sqlite_db, "SELECT id, parent_id, note FROM child") == [(1, 1, "x")]
