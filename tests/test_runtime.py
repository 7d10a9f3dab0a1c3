"""Running revisions for real: the Alembic tutorial, a stairway of model versions, data that must
survive, failures, bad targets and two processes migrating at once. Every test drives the
`schemadiff` command in a subprocess against a real database, as a user would."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Union

import pytest
import sqlalchemy as sa

from conftest import DIALECTS
from test_cli import run

pytestmark = pytest.mark.parametrize("db", DIALECTS, indirect=True)


# -- helpers ---------------------------------------------------------------------------------------


def ok(result: subprocess.CompletedProcess) -> str:
    """The stdout of a command that must succeed."""
    assert (
        result.returncode == 0
    ), f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2 with a single stderr line holding every fragment; stdout may show progress made."""
    assert (
        result.returncode == 2
    ), f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def new_project(root: Path, db) -> Path:
    """A project folder whose pyproject.toml points at `db`, after `schemadiff init`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f'[tool.schemadiff]\nurl = "{db.url}"\n')
    ok(run(root, "init"))
    return root


def _body(code: str) -> str:
    return textwrap.indent(textwrap.dedent(code).strip(), "    ")


def write_revision(
    project: Path,
    rev: str,
    down: Union[None, str, tuple[str, ...]],
    message: str,
    upgrade: str,
    downgrade: str = "pass",
) -> Path:
    """A hand-written revision script, as people write them for what generate cannot know."""
    source = (
        f'"""{message}\n\nRevision ID: {rev}\n"""\n'
        "from schemadiff import op\n"
        "import sqlalchemy as sa\n\n"
        f"revision = {rev!r}\n"
        f"down_revision = {down!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        f"def upgrade():\n{_body(upgrade)}\n\n\n"
        f"def downgrade():\n{_body(downgrade)}\n"
    )
    path = project / "migrations" / "versions" / f"{rev}_{message.replace(' ', '_')}.py"
    path.write_text(source)
    return path


def fill_in(script: Path, upgrade: str, downgrade: str) -> None:
    """Edits a script that `generate --empty` wrote, as the tutorial does by hand."""
    source = script.read_text()
    for needle in (
        "from schemadiff import op\n",
        "def upgrade() -> None:\n    pass",
        "def downgrade() -> None:\n    pass",
    ):
        assert needle in source, source
    source = source.replace(
        "from schemadiff import op\n", "from schemadiff import op\nimport sqlalchemy as sa\n"
    )
    source = source.replace(
        "def upgrade() -> None:\n    pass", f"def upgrade() -> None:\n{_body(upgrade)}"
    )
    source = source.replace(
        "def downgrade() -> None:\n    pass", f"def downgrade() -> None:\n{_body(downgrade)}"
    )
    script.write_text(source)


def version_rows(db) -> list[str]:
    with db.engine().connect() as conn:
        if not sa.inspect(conn).has_table("schemadiff_version"):
            return []
        return sorted(conn.exec_driver_sql("SELECT version_num FROM schemadiff_version").scalars())


def column_names(db, table: str) -> list[str]:
    with db.engine().connect() as conn:
        return [c["name"] for c in sa.inspect(conn).get_columns(table)]


def table_names(db) -> set[str]:
    with db.engine().connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def in_order(text: str, *parts: str) -> None:
    """Each part occurs in `text`, after the one before it."""
    at = 0
    for part in parts:
        found = text.find(part, at)
        assert found >= 0, f"{part!r} missing (after offset {at}) in:\n{text}"
        at = found + len(part)


# -- 1. the seed tutorial, transcript for transcript -------------------------------------------------


def user_table(string: str, check: bool = False) -> str:
    constraint = (
        '\n    sa.CheckConstraint("length(username) <= 10", name="ck_user_username_len"),'
        if check
        else ""
    )
    return f"""
table = sa.Table(
    "user",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", {string}, nullable=False),
    sa.Column("email", {string}, nullable=False),{constraint}
)
"""


def test_tutorial_transcript(db, tmp_path):
    project = new_project(tmp_path / "tutorial", db)
    # MySQL's VARCHAR needs a length.
    string = "sa.String(50)" if db.dialect == "mysql" else "sa.String()"
    versions = project / "migrations" / "versions"

    out = ok(
        run(project, "generate", "--empty", "-m", "create user table", "--rev-id", "d6695a405895")
    )
    assert out.splitlines()[0] == "Generated migrations/versions/d6695a405895_create_user_table.py"
    fill_in(
        versions / "d6695a405895_create_user_table.py",
        upgrade=f"""
            op.create_table(
                "user",
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("username", {string}, nullable=False),
                sa.Column("email", {string}, nullable=False),
            )
        """,
        downgrade='op.drop_table("user")',
    )
    assert ok(run(project, "current")) == "<base>: no revision is applied to this database yet\n"
    assert ok(run(project, "history")) == "<base> -> d6695a405895 (head), create user table\n"
    assert (
        ok(run(project, "upgrade", "head"))
        == "Running upgrade  -> d6695a405895, create user table\n"
    )
    assert ok(run(project, "current")) == "d6695a405895 (head)\n"
    assert column_names(db, "user") == ["id", "username", "email"]

    out = ok(
        run(
            project,
            "generate",
            "--empty",
            "-m",
            "add username constraint on user",
            "--rev-id",
            "fb6192cd49e8",
        )
    )
    assert out.splitlines()[0] == "Generated migrations/versions/fb6192cd49e8_add_username_constraint_on_user.py"
    fill_in(
        versions / "fb6192cd49e8_add_username_constraint_on_user.py",
        upgrade=user_table(string) + """
with op.batch_alter_table("user", copy_from=table) as batch_op:
    batch_op.create_check_constraint("ck_user_username_len", "length(username) <= 10")
""",
        downgrade=user_table(string, check=True) + """
with op.batch_alter_table("user", copy_from=table) as batch_op:
    batch_op.drop_constraint("ck_user_username_len")
""",
    )
    assert ok(run(project, "history")) == (
        "d6695a405895 -> fb6192cd49e8 (head), add username constraint on user\n"
        "<base> -> d6695a405895, create user table\n"
    )
    shown = ok(run(project, "show", "fb619"))
    assert shown.startswith("Rev: fb6192cd49e8 (head)\nParent: d6695a405895\nPath: ")
    assert "fb6192cd49e8_add_username_constraint_on_user.py" in shown
    assert "    add username constraint on user" in shown

    assert ok(run(project, "upgrade", "+1")) == (
        "Running upgrade d6695a405895 -> fb6192cd49e8, add username constraint on user\n"
    )
    assert ok(run(project, "current")) == "fb6192cd49e8 (head)\n"
    user = sa.table("user", sa.column("id"), sa.column("username"), sa.column("email"))
    with (
        pytest.raises(sa.exc.DBAPIError, match="ck_user_username_len"),
        db.engine().begin() as conn,
    ):
        conn.execute(user.insert().values(id=0, username="abcdefghabcdefgh", email="abc"))

    assert ok(run(project, "downgrade", "base")) == (
        "Running downgrade fb6192cd49e8 -> d6695a405895, add username constraint on user\n"
        "Running downgrade d6695a405895 -> , create user table\n"
    )
    assert "user" not in table_names(db)
    assert ok(run(project, "current")) == "<base>: no revision is applied to this database yet\n"

    assert ok(run(project, "upgrade", "fb61")) == (
        "Running upgrade  -> d6695a405895, create user table\n"
        "Running upgrade d6695a405895 -> fb6192cd49e8, add username constraint on user\n"
    )
    assert ok(run(project, "downgrade", "d6695")) == (
        "Running downgrade fb6192cd49e8 -> d6695a405895, add username constraint on user\n"
    )
    assert ok(run(project, "current")) == "d6695a405895\n"

    # Offline mode prints what would run, and runs nothing.
    upgrade_sql = ok(run(project, "upgrade", "d66:fb6", "--sql"))
    assert "create user table" not in upgrade_sql
    in_order(
        upgrade_sql,
        "-- Running upgrade d6695a405895 -> fb6192cd49e8, add username constraint on user",
    )
    if db.dialect == "sqlite":
        in_order(
            upgrade_sql,
            "CREATE TABLE _schemadiff_tmp_user (",
            "CONSTRAINT ck_user_username_len CHECK (length(username) <= 10)",
            "INSERT INTO _schemadiff_tmp_user (id, username, email) SELECT id, username, email FROM user;",
            "DROP TABLE user;",
            "ALTER TABLE _schemadiff_tmp_user RENAME TO user;",
        )
    else:
        quoted = '"user"' if db.dialect == "postgresql" else "user"
        in_order(
            upgrade_sql,
            f"ALTER TABLE {quoted} ADD CONSTRAINT ck_user_username_len CHECK (length(username) <= 10);",
        )
    in_order(
        upgrade_sql,
        "UPDATE schemadiff_version SET version_num='fb6192cd49e8' "
        "WHERE schemadiff_version.version_num = 'd6695a405895';",
    )

    downgrade_sql = ok(run(project, "downgrade", "d66:base", "--sql"))
    quoted = '"user"' if db.dialect == "postgresql" else "user"  # a reserved word only there
    in_order(
        downgrade_sql,
        "-- Running downgrade d6695a405895 -> , create user table",
        f"DROP TABLE {quoted};",
        "DELETE FROM schemadiff_version WHERE schemadiff_version.version_num = 'd6695a405895';",
        "DROP TABLE schemadiff_version;",
    )
    assert "fb6192cd49e8" not in downgrade_sql
    assert ok(run(project, "current")) == "d6695a405895\n"
    assert "user" in table_names(db)


# -- 2. the stairway: every step up and down leaves `check` clean ------------------------------------

MODELS_HEADER = "import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n"

ITEM_V1 = """
item = sa.Table(
    "item", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20), nullable=False),
)
"""
ITEM_V2 = """
item = sa.Table(
    "item", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20), nullable=False),
    sa.Column("note", sa.String(100)),
)
"""
ITEM_V3 = """
item = sa.Table(
    "item", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20), nullable=False),
    sa.Column("note", sa.String(100)),
    sa.Index("ix_item_note", "note"),
    sa.UniqueConstraint("name", name="uq_item_name"),
)
"""
CATEGORY = """
category = sa.Table(
    "category", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(30), nullable=False),
)
"""
ITEM_V4 = """
item = sa.Table(
    "item", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("note", sa.String(100)),
    sa.Column("category_id", sa.Integer, sa.ForeignKey("category.id")),
    sa.Index("ix_item_note", "note"),
    sa.UniqueConstraint("name", name="uq_item_name"),
)
"""
ITEM_V5 = """
item = sa.Table(
    "item", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("category_id", sa.Integer, sa.ForeignKey("category.id")),
    sa.UniqueConstraint("name", name="uq_item_name"),
)
"""
STAIRWAY = [
    "",  # models0: nothing, as at base
    ITEM_V1,
    ITEM_V2,
    ITEM_V3,
    CATEGORY + ITEM_V4,
    CATEGORY + ITEM_V5,
]


def assert_check_clean(project: Path, step: int) -> None:
    result = run(project, "check", "--metadata", f"models{step}:metadata")
    assert result.returncode == 0, f"drift against models{step}:\n{result.stdout}{result.stderr}"


def test_stairway_up_down_and_up_again(db, tmp_path):
    project = new_project(tmp_path / "stairway", db)
    for step, models in enumerate(STAIRWAY):
        (project / f"models{step}.py").write_text(MODELS_HEADER + models)

    def running(direction: str, step: int) -> str:
        """The progress line of revision step{step} (v{step}), whose parent is the step before."""
        parent = f"step{step - 1}" if step > 1 else ""
        if direction == "upgrade":
            return f"Running upgrade {parent} -> step{step}, v{step}\n"
        return f"Running downgrade step{step} -> {parent}, v{step}\n"

    for step in range(1, 6):
        models = f"models{step}:metadata"
        out = ok(
            run(
                project,
                "generate",
                "-m",
                f"v{step}",
                "--rev-id",
                f"step{step}",
                "--metadata",
                models,
            )
        )
        assert f"Generated migrations/versions/step{step}_v{step}.py" in out
        assert ok(run(project, "upgrade", "head")) == running("upgrade", step)
        assert_check_clean(project, step)

    for step in range(4, -1, -1):
        assert ok(run(project, "downgrade", "-1")) == running("downgrade", step + 1)
        assert version_rows(db) == ([f"step{step}"] if step else [])
        assert_check_clean(project, step)

    for step in range(1, 6):
        assert ok(run(project, "upgrade", "+1")) == running("upgrade", step)
        assert version_rows(db) == [f"step{step}"]
        assert_check_clean(project, step)


# -- 3. rows survive the changes that rewrite a table -------------------------------------------------

ROWS_TABLES = """
op.create_table(
    "parent",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20)),
)
op.create_table(
    "child",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id", name="fk_child_parent")),
    sa.Column("a", sa.String(20)),
    sa.Index("ix_child_a", "a"),
)
"""


def child_rows(db, *columns: str) -> list[tuple]:
    with db.engine().connect() as conn:
        child = sa.table("child", *map(sa.column, columns))
        return [tuple(r) for r in conn.execute(sa.select(child).order_by(child.c.id))]


def test_rows_survive_add_widen_rename_and_rebuild(db, tmp_path):
    project = new_project(tmp_path / "rows", db)
    write_revision(
        project,
        "r1",
        None,
        "create tables",
        ROWS_TABLES,
        'op.drop_table("child")\nop.drop_table("parent")',
    )
    write_revision(
        project,
        "r2",
        "r1",
        "add column",
        'op.add_column("child", sa.Column("c", sa.Integer))',
        'op.drop_column("child", "c")',
    )
    write_revision(
        project,
        "r3",
        "r2",
        "widen a",
        'op.alter_column("child", "a", type_=sa.String(50), existing_type=sa.String(20))',
        'op.alter_column("child", "a", type_=sa.String(20), existing_type=sa.String(50))',
    )
    write_revision(
        project,
        "r4",
        "r3",
        "rename a",
        'op.alter_column("child", "a", new_column_name="b")',
        'op.alter_column("child", "b", new_column_name="a")',
    )
    # On SQLite both of these rebuild a table; `parent` is the target of child's foreign key.
    write_revision(
        project,
        "r5",
        "r4",
        "check and not null",
        """
        op.create_check_constraint("ck_child_c", "child", "c >= 0")
        op.alter_column("parent", "name", nullable=False, existing_type=sa.String(20))
        """,
        """
        op.alter_column("parent", "name", nullable=True, existing_type=sa.String(20))
        op.drop_constraint("ck_child_c", "child", type_="check")
        """,
    )

    ok(run(project, "upgrade", "r1"))
    with db.engine().begin() as conn:
        conn.execute(sa.text("INSERT INTO parent (id, name) VALUES (1, 'p1'), (2, 'p2')"))
        conn.execute(
            sa.text(
                "INSERT INTO child (id, parent_id, a) VALUES (1, 1, 'x'), (2, 2, 'y'), (3, 1, NULL)"
            )
        )
    original = [(1, 1, "x"), (2, 2, "y"), (3, 1, None)]

    ok(run(project, "upgrade", "r2"))
    assert child_rows(db, "id", "parent_id", "a", "c") == [r + (None,) for r in original]

    ok(run(project, "upgrade", "r3"))
    assert child_rows(db, "id", "parent_id", "a") == original
    with db.engine().begin() as conn:
        conn.execute(sa.text("UPDATE child SET c = 5, a = :long WHERE id = 3"), {"long": "z" * 40})
    original[2] = (3, 1, "z" * 40)

    ok(run(project, "upgrade", "r4"))
    assert "a" not in column_names(db, "child")
    assert child_rows(db, "id", "parent_id", "b") == original

    ok(run(project, "upgrade", "r5"))
    assert ok(run(project, "current")) == "r5 (head)\n"
    assert child_rows(db, "id", "parent_id", "b", "c") == [
        (1, 1, "x", None),
        (2, 2, "y", None),
        (3, 1, "z" * 40, 5),
    ]
    with db.engine().connect() as conn:
        inspector = sa.inspect(conn)
        assert [
            (r.id, r.name) for r in conn.execute(sa.text("SELECT id, name FROM parent ORDER BY id"))
        ] == [(1, "p1"), (2, "p2")]
        assert {c["name"]: c["nullable"] for c in inspector.get_columns("parent")}["name"] is False
        [fk] = inspector.get_foreign_keys("child")
        assert (
            fk["name"],
            fk["constrained_columns"],
            fk["referred_table"],
            fk["referred_columns"],
        ) == ("fk_child_parent", ["parent_id"], "parent", ["id"])
        indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("child")}
        assert indexes["ix_child_a"] == ["b"]
        assert "ck_child_c" in {c["name"] for c in inspector.get_check_constraints("child")}
        if db.dialect == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert not any(
                name.startswith("_schemadiff_tmp") for name in inspector.get_table_names()
            )
    # The foreign key and the check still hold.
    with pytest.raises(sa.exc.IntegrityError), db.engine().begin() as conn:
        if db.dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.execute(sa.text("INSERT INTO child (id, parent_id, b) VALUES (9, 99, 'orphan')"))
    with pytest.raises(sa.exc.DBAPIError, match="ck_child_c"), db.engine().begin() as conn:
        conn.execute(sa.text("INSERT INTO child (id, parent_id, b, c) VALUES (9, 1, 'neg', -1)"))

    # All the way back: the rows are still there, in their first shape (short enough for String(20)).
    with db.engine().begin() as conn:
        conn.execute(sa.text("UPDATE child SET b = 'w' WHERE id = 3"))
    original[2] = (3, 1, "w")
    ok(run(project, "downgrade", "r1"))
    assert column_names(db, "child") == ["id", "parent_id", "a"]
    assert child_rows(db, "id", "parent_id", "a") == original
    with db.engine().connect() as conn:
        indexes = {i["name"]: i["column_names"] for i in sa.inspect(conn).get_indexes("child")}
        assert indexes["ix_child_a"] == ["a"]
        assert [fk["referred_table"] for fk in sa.inspect(conn).get_foreign_keys("child")] == [
            "parent"
        ]


# -- 4. a revision that fails half-way leaves the version table telling the truth ---------------------


def test_failed_revision_names_the_op_and_leaves_version_consistent(db, tmp_path):
    project = new_project(tmp_path / "failing", db)
    write_revision(
        project,
        "aaa111",
        None,
        "create t",
        'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
        'op.drop_table("t")',
    )
    write_revision(
        project,
        "bbb222",
        "aaa111",
        "add extra then fail",
        """
        op.add_column("t", sa.Column("extra", sa.Integer))
        op.execute("SELECT * FROM no_such_table")
        """,
        'op.drop_column("t", "extra")',
    )
    result = run(project, "upgrade", "head")
    assert result.stdout == (
        "Running upgrade  -> aaa111, create t\n"
        "Running upgrade aaa111 -> bbb222, add extra then fail\n"
    )
    line = one_line_error(
        result, "bbb222", "SELECT * FROM no_such_table", "no_such_table", "aaa111"
    )
    assert ok(run(project, "current")) == "aaa111\n"
    assert version_rows(db) == ["aaa111"]
    if db.dialect == "mysql":
        # MySQL commits each DDL statement at once: the message says what stayed.
        assert "1 of its ops ran and stay" in line
    else:
        assert "rolled back" in line
        assert column_names(db, "t") == ["id"]


def test_failure_while_building_an_op_is_not_blamed_on_the_op_before(db, tmp_path):
    project = new_project(tmp_path / "failing", db)
    write_revision(
        project,
        "aaa111",
        None,
        "create t",
        'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
        'op.drop_table("t")',
    )
    write_revision(
        project,
        "ccc333",
        "aaa111",
        "index a missing column",
        """
        op.add_column("t", sa.Column("extra", sa.Integer))
        op.create_index("ix_t_nope", "t", ["nope"])
        """,
        'op.drop_column("t", "extra")',
    )
    line = one_line_error(run(project, "upgrade", "head"), "ccc333", "nope")
    assert version_rows(db) == ["aaa111"]
    # The add_column succeeded; it is the create_index that failed, and the line must say so.
    assert "failed at `+ column t.extra" not in line, line
    assert "create_index" in line or "ix_t_nope" in line, line


# -- 5. bad input: one line, exit 2 --------------------------------------------------------------------


def test_unknown_and_ambiguous_targets(db, tmp_path):
    project = new_project(tmp_path / "targets", db)
    ok(run(project, "generate", "--empty", "-m", "one", "--rev-id", "abc1"))
    ok(run(project, "generate", "--empty", "-m", "two", "--rev-id", "abc2"))
    one_line_error(run(project, "upgrade", "zzzz"), "unknown revision 'zzzz'")
    one_line_error(run(project, "upgrade", "abc"), "'abc' is ambiguous", "abc1", "abc2")
    one_line_error(run(project, "downgrade", "zzzz"), "unknown revision 'zzzz'")
    assert version_rows(db) == []
    assert ok(run(project, "upgrade", "abc1")) == "Running upgrade  -> abc1, one\n"


def test_several_heads_need_heads_or_a_merge(db, tmp_path):
    project = new_project(tmp_path / "heads", db)
    write_revision(
        project,
        "root1",
        None,
        "root",
        'op.create_table("a", sa.Column("id", sa.Integer, primary_key=True))',
        'op.drop_table("a")',
    )
    write_revision(
        project,
        "left1",
        "root1",
        "left",
        'op.create_table("l", sa.Column("id", sa.Integer, primary_key=True))',
        'op.drop_table("l")',
    )
    write_revision(
        project,
        "right1",
        "root1",
        "right",
        'op.create_table("r", sa.Column("id", sa.Integer, primary_key=True))',
        'op.drop_table("r")',
    )

    one_line_error(run(project, "upgrade", "head"), "several heads", "left1", "right1")
    assert version_rows(db) == []
    assert "a" not in table_names(db)

    out = ok(run(project, "upgrade", "heads"))
    assert sorted(out.splitlines()) == [
        "Running upgrade  -> root1, root",
        "Running upgrade root1 -> left1, left",
        "Running upgrade root1 -> right1, right",
    ]
    assert version_rows(db) == ["left1", "right1"]
    assert {"a", "l", "r"} <= table_names(db)

    assert "Generated migrations/versions/merge1_m.py" in ok(
        run(project, "merge", "-m", "m", "--rev-id", "merge1", "heads")
    )
    assert ok(run(project, "upgrade", "head")) == "Running upgrade left1, right1 -> merge1, m\n"
    assert version_rows(db) == ["merge1"]
    assert ok(run(project, "current")) == "merge1 (head) (mergepoint)\n"


def test_database_stamped_with_an_unknown_revision(db, tmp_path):
    project = new_project(tmp_path / "stamped", db)
    ok(run(project, "generate", "--empty", "-m", "one", "--rev-id", "abc1"))
    ok(run(project, "upgrade", "head"))
    with db.engine().begin() as conn:
        conn.execute(
            sa.text("INSERT INTO schemadiff_version (version_num) VALUES ('deadbeef0000')")
        )
    one_line_error(run(project, "upgrade", "head"), "deadbeef0000", "stamp")
    one_line_error(run(project, "downgrade", "base"), "deadbeef0000", "stamp")
    assert version_rows(db) == ["abc1", "deadbeef0000"]


# -- 6. two processes upgrading one database at once -----------------------------------------------

SLOW_SQL = {
    "postgresql": "SELECT pg_sleep(1)",
    "mysql": "SELECT SLEEP(1)",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500000) "
    "INSERT INTO slow (n) SELECT x FROM c",
}


def spawn(project: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "schemadiff", *args],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_two_processes_upgrading_at_once_apply_each_revision_once(db, tmp_path):
    project = new_project(tmp_path / "race", db)
    write_revision(
        project,
        "slow1",
        None,
        "slow",
        f"""
        op.create_table(
            "slow", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer)
        )
        op.execute({SLOW_SQL[db.dialect]!r})
        """,
        'op.drop_table("slow")',
    )
    write_revision(
        project,
        "next2",
        "slow1",
        "next",
        'op.add_column("slow", sa.Column("m", sa.Integer))',
        'op.drop_column("slow", "m")',
    )

    processes = [spawn(project, "upgrade", "head"), spawn(project, "upgrade", "head")]
    results = [(*p.communicate(timeout=120), p.returncode) for p in processes]
    for stdout, stderr, code in results:
        assert code == 0, f"stdout:\n{stdout}\nstderr:\n{stderr}"
    lines = [line for stdout, _, _ in results for line in stdout.splitlines()]
    # The process that waited for the lock finds both revisions done, and says so.
    assert sorted(lines) == [
        "Nothing to do: the database is at next2 already",
        "Running upgrade  -> slow1, slow",
        "Running upgrade slow1 -> next2, next",
    ]
    assert version_rows(db) == ["next2"]
    assert column_names(db, "slow") == ["id", "n", "m"]


SYNCHRONIZED_MAIN = """
import sys
from schemadiff.cli import main
print("ready", flush=True)
sys.stdin.readline()
main(sys.argv[1:])
"""


def start_together(project: Path, count: int, *args: str) -> list[subprocess.Popen]:
    """`count` schemadiff processes, each loaded and waiting, then let go at the same moment."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SYNCHRONIZED_MAIN, *args],
            cwd=project,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        for _ in range(count)
    ]
    for process in processes:
        assert process.stdout.readline() == "ready\n"
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    return processes


def test_many_migrations_starting_at_once_on_a_fresh_database(db, tmp_path):
    """No version table yet: each process must cope with the others creating it at that moment.

    The processes load first and start on the same signal, so that they truly run together."""
    project = new_project(tmp_path / "crowd", db)
    write_revision(
        project,
        "one1",
        None,
        "one",
        'op.create_table("one", sa.Column("id", sa.Integer, primary_key=True))',
        'op.drop_table("one")',
    )
    for _ in range(5):  # the window is narrow: give it several chances
        db.reset()
        processes = start_together(project, 6, "upgrade", "head")
        results = [(*p.communicate(timeout=120), p.returncode) for p in processes]
        errors = [stderr.strip() for _, stderr, code in results if code != 0]
        assert errors == []
        # One process runs the revision; the others find it done, and say so.
        assert sorted(line for stdout, _, _ in results for line in stdout.splitlines()) == [
            "Nothing to do: the database is at one1 already"
        ] * 5 + ["Running upgrade  -> one1, one"]
        assert version_rows(db) == ["one1"]


# -- tables without a primary key ---------------------------------------------------------------------


def test_revisions_on_a_table_without_primary_key(db, tmp_path):
    project = new_project(tmp_path / "keyless", db)
    write_revision(
        project,
        "log1",
        None,
        "create log",
        'op.create_table("log", sa.Column("line", sa.String(80)))',
        'op.drop_table("log")',
    )
    write_revision(
        project,
        "log2",
        "log1",
        "add at",
        'op.add_column("log", sa.Column("at", sa.Integer))',
        'op.drop_column("log", "at")',
    )
    assert ok(run(project, "upgrade", "head")) == (
        "Running upgrade  -> log1, create log\n" "Running upgrade log1 -> log2, add at\n"
    )
    assert column_names(db, "log") == ["line", "at"]
    ok(run(project, "downgrade", "base"))
    assert "log" not in table_names(db)


def test_data_migration_between_schema_steps_in_one_transaction(db, tmp_path):
    """op.execute and op.get_bind move data between two schema steps; --transaction-per-run."""
    project = new_project(tmp_path / "data", db)
    write_revision(
        project,
        "people1",
        None,
        "create person",
        """
        op.create_table("person", sa.Column("id", sa.Integer, primary_key=True), sa.Column("full_name", sa.String(80)))
        op.execute("INSERT INTO person (id, full_name) VALUES (1, 'Ada Lovelace'), (2, 'Alan Turing')")
        """,
        'op.drop_table("person")',
    )
    write_revision(
        project,
        "people2",
        "people1",
        "split names",
        """
        op.add_column("person", sa.Column("first_name", sa.String(40)))
        bind = op.get_bind()
        for id_, full in bind.execute(sa.text("SELECT id, full_name FROM person")).all():
            bind.execute(sa.text("UPDATE person SET first_name = :f WHERE id = :i"), {"f": full.split()[0], "i": id_})
        op.drop_column("person", "full_name")
        """,
        """
        op.add_column("person", sa.Column("full_name", sa.String(80)))
        op.execute("UPDATE person SET full_name = first_name")
        op.drop_column("person", "first_name")
        """,
    )
    ok(run(project, "upgrade", "head", "--transaction-per-run"))
    with db.engine().connect() as conn:
        rows = conn.execute(sa.text("SELECT id, first_name FROM person ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "Ada"), (2, "Alan")]
    assert version_rows(db) == ["people2"]
    ok(run(project, "downgrade", "-1"))
    with db.engine().connect() as conn:
        rows = conn.execute(sa.text("SELECT id, full_name FROM person ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "Ada"), (2, "Alan")]
