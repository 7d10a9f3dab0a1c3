"""SQLite checks foreign keys after each revision; a key that SQLite cannot check gets a warning.

A foreign key whose target columns have no unique constraint or index is accepted by CREATE
TABLE (and create_all), but makes `PRAGMA foreign_key_check` fail as a whole with "foreign key
mismatch". The upgrade goes on, warns once about that key, and still fails on real violations.
"""

from __future__ import annotations

import pytest

from conftest import make_database
from test_cli import run
from test_runtime import new_project, ok, one_line_error, version_rows, write_revision

TABLES = """
op.create_table(
    "parent",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(10)),
)
op.create_table(
    "child",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id")),
    sa.Column("parent_code", sa.String(10), sa.ForeignKey("parent.code")),
)
op.create_table(
    "other",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id")),
)
op.execute("INSERT INTO parent (id, code) VALUES (1, 'a'), (2, 'a')")
op.execute("INSERT INTO child (id, parent_id, parent_code) VALUES (1, 1, 'a'), (2, NULL, 'zz')")
"""


@pytest.fixture
def project(tmp_path):
    database = make_database("sqlite", tmp_path)
    folder = new_project(tmp_path / "fk", database)
    write_revision(folder, "r1", None, "tables", TABLES)
    yield folder, database
    database.close()


def test_a_key_sqlite_cannot_check_is_a_warning_naming_it(project):
    folder, db = project
    write_revision(folder, "r2", "r1", "more rows", "op.execute(\"INSERT INTO other (id, parent_id) VALUES (1, 2)\")")
    result = run(folder, "upgrade", "head")
    assert ok(result) == "Running upgrade  -> r1, tables\nRunning upgrade r1 -> r2, more rows\n"
    # One line for the one key, though both revisions found it.
    assert result.stderr.splitlines() == [
        "schemadiff: warning: foreign key child(parent_code) -> parent(code) targets columns with no unique "
        "constraint or index: SQLite cannot enforce it, and its rows were not checked"
    ]
    assert version_rows(db) == ["r2"]


@pytest.mark.parametrize(
    "row",
    [
        "INSERT INTO child (id, parent_id, parent_code) VALUES (3, 99, 'a')",  # beside the unchecked key
        "INSERT INTO other (id, parent_id) VALUES (1, 99)",  # in another table
    ],
)
def test_real_violations_still_fail_the_revision(project, row):
    folder, db = project
    ok(run(folder, "upgrade", "r1"))
    write_revision(folder, "r2", "r1", "orphan", f"op.execute({row!r})")
    one_line_error(
        run(folder, "upgrade", "head"),
        "upgrade r2 (orphan) failed",
        "1 row(s) break foreign keys",
        "-> parent",
        "it was rolled back",
    )
    assert version_rows(db) == ["r1"]
