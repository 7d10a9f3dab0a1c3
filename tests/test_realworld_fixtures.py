"""Schemas loaded from SQL DDL as a dump writes it (not from create_all), against their models
as sqlacodegen writes them: check is clean, and a from-empty round trip reproduces them."""

from __future__ import annotations

import re

import pytest

from conftest import FIXTURES
from models import fixture_metadata
from schemadiff import compare, reflect
from schemadiff.api import Scope
from schemadiff.config import Config
from schemadiff.report import as_text
from schemadiff.runtime import migrate
from schemadiff.scripts import generate_revision, init_project

# Statements end a line with `;`; mysqldump's /*!...*/ lines are statements too.
_STATEMENT_END = re.compile(r";\s*$", re.MULTILINE)


def load_ddl(db, name: str) -> None:
    text = "\n".join(
        line
        for line in (FIXTURES / f"{name}.sql").read_text().splitlines()
        if not line.startswith("--")
    )
    with db.engine().begin() as conn:
        for statement in _STATEMENT_END.split(text):
            if statement.strip():
                conn.exec_driver_sql(statement)


def reflected(db):
    """The database as reflection reads it, the version table left out."""
    with db.engine().connect() as conn:
        return Scope().filter(reflect(conn))


@pytest.mark.parametrize("db", ["mysql"], indirect=True)
def test_mysql_dump_matches_its_sqlacodegen_models_and_round_trips(db, tmp_path):
    models = fixture_metadata("realworld_mysql")
    load_ddl(db, "realworld_mysql")
    database, target = db.snapshots(models)
    assert compare(database, target) == [], as_text(compare(database, target))
    loaded = reflected(db)

    db.reset()
    config = Config(root=tmp_path, url=db.url)
    init_project(config)
    with db.engine().connect() as conn:
        generate_revision(config, "from empty", conn, models, rev_id="1d1d1d1d1d1d")
    migrate(config, "upgrade", "head", lambda line: None)
    database, target = db.snapshots(models)
    assert compare(database, target) == [], as_text(compare(database, target))
    assert reflected(db) == loaded
