"""Offline SQL over a history whose tables the scripts' ops do not show: a table made by DDL in
`op.execute`, then altered by ops. The replay gets past it by starting from the committed head
snapshot, a snapshot file (`--start-from SNAPSHOT.json`) or a database (`--start-from URL`); without
one, the first op on that table is one clear error line that names the script, its line and the way out.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import DIALECTS, server_url
from test_cli import run
from test_runtime import in_order, new_project, ok, one_line_error, write_revision

pytestmark = pytest.mark.parametrize("db", DIALECTS, indirect=True)

RAW_TABLE = 'op.execute("CREATE TABLE legacy (id INTEGER PRIMARY KEY, name VARCHAR(20))")'


def legacy_history(project: Path) -> None:
    """r1 makes `legacy` in raw SQL; r2 and r3 alter it with ops."""
    write_revision(
        project, "r1", None, "raw legacy table", RAW_TABLE, 'op.execute("DROP TABLE legacy")'
    )
    write_revision(
        project,
        "r2",
        "r1",
        "legacy note",
        'op.add_column("legacy", sa.Column("note", sa.String(30)))',
        'op.drop_column("legacy", "note")',
    )
    write_revision(
        project,
        "r3",
        "r2",
        "legacy name index",
        'op.create_index("ix_legacy_name", "legacy", ["name"])',
        'op.drop_index("ix_legacy_name", table_name="legacy")',
    )


def snapshot(project: Path, db) -> Path:
    """`schemadiff snapshot`: the scripts replayed on a scratch database, and read back."""
    dev = [] if db.dialect == "sqlite" else ["--dev-url", server_url(db.dialect)]
    ok(run(project, "snapshot", *dev))
    return project / "migrations" / f"schema.{db.dialect}.json"


def test_an_op_on_a_table_made_in_raw_sql_is_one_line_naming_the_script_line(db, tmp_path):
    project = new_project(tmp_path / "app", db)
    legacy_history(project)
    source = (project / "migrations" / "versions" / "r2_legacy_note.py").read_text().splitlines()
    call = next(i for i, text in enumerate(source, 1) if text.strip().startswith("op.add_column("))
    line = one_line_error(
        run(project, "upgrade", "head", "--sql"),
        f"r2_legacy_note.py, line {call}:",
        "no table legacy at this point of the history",
        "op.execute()",
        "--start-from SNAPSHOT.json",
        "--start-from URL",
    )
    assert "since base" in line


def test_start_from_a_database_at_a_revision(db, tmp_path):
    project = new_project(tmp_path / "app", db)
    legacy_history(project)
    ok(run(project, "upgrade", "r1"))
    sql = ok(run(project, "upgrade", "r1:head", "--sql", "--start-from", db.url))
    in_order(
        sql,
        "-- Running upgrade r1 -> r2",
        "ADD COLUMN note VARCHAR(30)",
        "-- Running upgrade r2 -> r3",
    )
    in_order(sql, "CREATE INDEX ix_legacy_name ON legacy (name)")
    assert "CREATE TABLE legacy" not in sql
    # The database at r1 cannot start a replay to a point before it.
    one_line_error(
        run(project, "upgrade", "base:r1", "--sql", "--start-from", db.url),
        "is at r1, which is not at or before base",
    )


def test_start_from_a_snapshot_file_written_at_an_older_head(db, tmp_path):
    project = new_project(tmp_path / "app", db)
    write_revision(
        project, "r1", None, "raw legacy table", RAW_TABLE, 'op.execute("DROP TABLE legacy")'
    )
    at_r1 = tmp_path / "at_r1.json"
    shutil.copy(snapshot(project, db), at_r1)
    legacy_history(project)
    sql = ok(run(project, "upgrade", "r1:head", "--sql", "--start-from", str(at_r1)))
    in_order(sql, "ADD COLUMN note VARCHAR(30)", "CREATE INDEX ix_legacy_name ON legacy (name)")
    # Its scripts must be the ones the snapshot was made from.
    (project / "migrations" / "versions" / "r1_raw_legacy_table.py").write_text(
        (project / "migrations" / "versions" / "r1_raw_legacy_table.py")
        .read_text()
        .replace("(20)", "(40)")
    )
    one_line_error(
        run(project, "upgrade", "r1:head", "--sql", "--start-from", str(at_r1)),
        "r1_raw_legacy_table.py changed after",
    )


def test_the_committed_head_snapshot_starts_the_replay_by_itself(db, tmp_path):
    project = new_project(tmp_path / "app", db)
    legacy_history(project)
    snapshot(project, db)
    sql = ok(run(project, "downgrade", "head:r1", "--sql"))
    in_order(sql, "-- Running downgrade r3 -> r2", "DROP INDEX", "-- Running downgrade r2 -> r1")
    assert "note" in sql.split("-- Running downgrade r2 -> r1")[1]
    # Before the snapshot's revision it is no help, and the replay from base says why it stops.
    one_line_error(run(project, "upgrade", "r1:r2", "--sql"), "no table legacy", "--start-from")


def test_start_from_needs_sql(db, tmp_path):
    project = new_project(tmp_path / "app", db)
    legacy_history(project)
    one_line_error(
        run(project, "upgrade", "head", "--start-from", db.url),
        "--start-from works with --sql only",
    )


def test_check_tells_the_cause_from_a_head_snapshot_one_revision_old(db, tmp_path):
    project = new_project(tmp_path / "app", db)
    write_revision(
        project, "r1", None, "raw legacy table", RAW_TABLE, 'op.execute("DROP TABLE legacy")'
    )
    snapshot(project, db)
    legacy_history(project)  # r2 and r3 come after the snapshot, as after `generate`
    ok(run(project, "upgrade", "head"))
    (project / "models.py").write_text(
        "import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n"
        'sa.Table("legacy", metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),\n'
        '    sa.Column("name", sa.String(20)), sa.Column("note", sa.String(30)), sa.Column("extra", sa.String(10)),\n'
        '    sa.Index("ix_legacy_name", "name"))\n'
    )
    result = run(project, "check", "--metadata", "models:metadata")
    assert result.returncode == 1, result.stderr
    assert "The models are ahead of the revisions: run schemadiff generate" in result.stdout
    assert "cause is unknown" not in result.stdout


LEGACY_AT_R3 = """\
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table(
    "legacy", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(20)),
    sa.Column("note", sa.String(30)),
    sa.Index("ix_legacy_name", "name"),
)
"""


def test_the_online_hazard_gate_replays_from_the_database(db, tmp_path):
    project = new_project(tmp_path / "app", db)
    legacy_history(project)
    write_revision(project, "r4", "r3", "drop note", 'op.drop_column("legacy", "note")')
    ok(run(project, "upgrade", "r3"))
    (project / "models.py").write_text(LEGACY_AT_R3)
    result = run(project, "check", "--metadata", "models:metadata", "--fail-on", "data-loss")
    assert result.returncode == 1, result.stderr
    assert "fail_on data-loss: 1 hazard trips it in 1 revision pending: r4" in result.stdout
    assert "r4 (drop note): - column legacy.note VARCHAR(30)" in result.stdout


# As mlflow's history: its first revision alters tables that the project's create_all made.
MADE_BEFORE = (
    "CREATE TABLE legacy (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20), "
    "active BOOLEAN DEFAULT FALSE NOT NULL, CONSTRAINT ck_legacy_name CHECK (name <> ''))"
)
BEFORE_HISTORY = LEGACY_AT_R3.replace(
    '    sa.Column("note", sa.String(30)),\n    sa.Index("ix_legacy_name", "name"),\n',
    '    sa.Column("active", sa.Boolean, server_default=sa.false(), nullable=False),\n'
    '    sa.CheckConstraint("name <> \'\'", name="ck_legacy_name"),\n',
)


def test_snapshot_starts_from_a_database_for_a_history_that_begins_on_tables_made_before_it(
    db, tmp_path
):
    """The whole history cannot be replayed from base; `snapshot --start-from URL` reads the
    database at head instead, and from then on `generate` moves the snapshot along by itself
    (no scratch database), so that `check --offline` works."""
    project = new_project(tmp_path / "app", db)
    write_revision(
        project, "r1", None, "widen name",
        'op.alter_column("legacy", "name", existing_type=sa.String(20), type_=sa.String(40))',
        'op.alter_column("legacy", "name", existing_type=sa.String(40), type_=sa.String(20))',
    )
    with db.engine().begin() as conn:
        conn.exec_driver_sql(MADE_BEFORE)
    ok(run(project, "upgrade", "head"))
    one_line_error(
        run(project, "snapshot", *_dev_url(db)),
        "the replay from base on a scratch database stopped: upgrade r1 (widen name) failed",
        "no table legacy",
        "schemadiff snapshot --start-from URL",
    )
    ok(run(project, "snapshot", "--start-from", db.url))
    (project / "models.py").write_text(
        BEFORE_HISTORY.replace("String(20)", "String(40)").replace(
            "metadata,\n", 'metadata,\n    sa.Column("extra", sa.Integer, server_default="7"),\n'
        )
    )
    generated = ok(run(project, "generate", "-m", "extra", "--rev-id", "r2", "--metadata", "models:metadata"))
    assert f"Wrote migrations/schema.{db.dialect}.json" in generated
    offline = run(project, "check", "--offline", "--metadata", "models:metadata")
    assert offline.returncode == 0, offline.stderr + offline.stdout
    # The replay from the snapshot alters a table whose texts (defaults, CHECKs) it read from JSON.
    write_revision(
        project, "r3", "r2", "widen again",
        'op.alter_column("legacy", "name", existing_type=sa.String(40), type_=sa.String(60))',
    )
    assert "60" in ok(run(project, "upgrade", "r2:r3", "--sql"))
    ok(run(project, "upgrade", "head"))


def _dev_url(db) -> list:
    return [] if db.dialect == "sqlite" else ["--dev-url", server_url(db.dialect)]
