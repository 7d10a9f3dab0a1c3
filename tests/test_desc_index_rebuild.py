"""A table with a descending expression index can still be altered.

Scripts' op calls and SQLite's rebuild turn the table's snapshot back into SQLAlchemy objects;
a descending expression key used to fail there with `'TextClause' object has no attribute 'desc'`.
MariaDB has no expression indexes, so there the index is a descending column.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from conftest import DIALECTS
from test_cli import run
from test_runtime import new_project, ok, write_revision

pytestmark = pytest.mark.parametrize("db", DIALECTS, indirect=True)


def models(dialect: str) -> sa.MetaData:
    metadata = sa.MetaData()
    people = sa.Table(
        "people",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40)),
    )
    key = people.c.name if dialect == "mysql" else sa.func.lower(people.c.name)
    sa.Index("ix_people_name_desc", key.desc())
    return metadata


def test_add_column_and_rebuild_keep_a_descending_expression_index(db, tmp_path):
    db.create_all(models(db.dialect))
    with db.engine().begin() as conn:
        conn.exec_driver_sql("INSERT INTO people (id, name) VALUES (1, 'Ann')")
    project = new_project(tmp_path / "desc", db)
    # add_column, then a CHECK (a rebuild on SQLite), on the table that has the index
    write_revision(
        project,
        "r1",
        None,
        "alter people",
        """
        op.add_column("people", sa.Column("nick", sa.String(20)))
        op.create_check_constraint("ck_people_name", "people", "name <> ''")
        """,
    )
    ok(run(project, "upgrade", "head"))

    with db.engine().connect() as conn:
        assert [tuple(r) for r in conn.exec_driver_sql("SELECT id, name, nick FROM people")] == [(1, "Ann", None)]
    database, _ = db.snapshots(models(db.dialect))
    (index,) = database.table("people").indexes
    assert index.name == "ix_people_name_desc"
    assert [(e.expression, e.descending) for e in index.elements] == [(db.dialect != "mysql", True)]
