"""Alembic-built databases are adopted: real Alembic and schemadiff take turns on one database.

Alembic upgrades the project in fixtures/alembic_project to a mid-point, then `schemadiff init
--from-alembic` and `schemadiff upgrade head` finish; and the reverse. Both tools read the same
revision each time, and `schemadiff check` reports nothing that Alembic's own compare does not.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import DIALECTS, FIXTURES
from test_alembic_scripts import HEAD as HISTORY_HEAD
from test_alembic_scripts import assert_history_data, assert_invoices, ok
from test_alembic_scripts import schemadiff as run_history
from test_alembic_scripts import tables as history_tables
from test_cli import run

pytest.importorskip("alembic")

MID_POINT, HEAD = "2b3c4d5e6f7a", "4d5e6f7a8b9c"
# The models are one column ahead of the scripts: both tools must see it.
DRIFT = ("add", "column", "author", "email")

# Alembic's compare on the project's models, each difference as (verb, kind, table, name).
ALEMBIC_COMPARE = """
import json, sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from adopt_app.models import Base

VERBS = {"add": "add", "remove": "remove", "modify": "alter"}
KINDS = {"table": "table", "column": "column", "index": "index", "constraint": "unique", "fk": "foreign key"}

def key(diff):
    if isinstance(diff, list):  # the modify_* changes of one column
        return ["alter", "column", diff[0][2], diff[0][3]]
    verb, _, kind = diff[0].partition("_")
    thing = diff[-1]
    if kind == "column":
        return [VERBS[verb], "column", diff[2], thing.name]
    if kind == "table":
        return [VERBS[verb], "table", thing.name, None]
    table = thing.parent.name if kind == "fk" else thing.table.name
    return [VERBS[verb], KINDS[kind], table, thing.name]

engine = sa.create_engine(URL, poolclass=sa.pool.NullPool)
with engine.connect() as conn:
    diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
print(json.dumps([key(d) for d in diffs]))
"""

_VERBS = {"create": "add", "add": "add", "drop": "remove", "alter": "alter"}


@pytest.fixture
def project(db, tmp_path) -> Path:
    """A copy of the Alembic project whose alembic.ini names this test's database."""
    folder = tmp_path / "project"
    shutil.copytree(
        FIXTURES / "alembic_project", folder, ignore=shutil.ignore_patterns("__pycache__", "*.db")
    )
    ini = folder / "alembic.ini"
    url = db.url.replace("%", "%%")  # an ini escape: PostgreSQL's search_path option is %-encoded
    ini.write_text(ini.read_text().replace("sqlite:///%(here)s/app.db", url))
    return folder


def alembic(project: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def schemadiff(project: Path, *args: str) -> str:
    result = run(project, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def adopt(project: Path) -> None:
    schemadiff(project, "init", "--from-alembic")


def assert_same_current(project: Path, expected: str) -> None:
    assert (
        alembic(project, "current")
        == schemadiff(project, "current")
        == f"{expected}" + (" (head)\n" if expected == HEAD else "\n")
    )


def schemadiff_differences(project: Path) -> set[tuple]:
    result = run(project, "check", "--format", "json")
    assert result.returncode == 1, result.stderr  # the models are ahead
    return {_key(change) for change in json.loads(result.stdout)["changes"]}


def _key(change: dict) -> tuple:
    verb, _, kind = change["op"].partition("_")
    detail = change["detail"]
    if kind == "table":
        return (_VERBS[verb], "table", detail["table"]["name"], None)
    if kind == "column":
        column = detail["column"] if "column" in detail else detail["new"]
        return (_VERBS[verb], "column", detail["table_name"], column["name"])
    if kind == "index":
        return (_VERBS[verb], "index", detail["table_name"], detail["index"]["name"])
    constraint = detail["constraint"]
    return (_VERBS[verb], constraint["kind"], detail["table_name"], constraint["name"])


def alembic_differences(project: Path, url: str) -> set[tuple]:
    code = f"URL = {url!r}\n{ALEMBIC_COMPARE}"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return {tuple(key) for key in json.loads(result.stdout)}


def assert_check_agrees_with_alembic(project: Path, url: str) -> None:
    ours, theirs = schemadiff_differences(project), alembic_differences(project, url)
    assert DRIFT in ours and DRIFT in theirs
    assert ours <= theirs, f"schemadiff alone reports {sorted(ours - theirs)}"


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_alembic_to_the_mid_point_then_schemadiff_to_head(db, project):
    alembic(project, "upgrade", MID_POINT)
    adopt(project)
    assert_same_current(project, MID_POINT)
    schemadiff(project, "upgrade", "head")
    assert_same_current(project, HEAD)
    assert_check_agrees_with_alembic(project, db.url)


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_schemadiff_to_the_mid_point_then_alembic_to_head(db, project):
    adopt(project)
    schemadiff(project, "upgrade", MID_POINT)
    assert_same_current(project, MID_POINT)
    alembic(project, "upgrade", "head")
    assert_same_current(project, HEAD)
    assert_check_agrees_with_alembic(project, db.url)
    # And back down: each tool undoes what the other did.
    schemadiff(project, "downgrade", MID_POINT)
    assert_same_current(project, MID_POINT)
    alembic(project, "downgrade", "base")
    assert schemadiff(project, "current") == "<base>: no revision is applied to this database yet\n"


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_the_version_table_is_made_as_alembic_makes_it(db, project):
    def definition() -> tuple:
        inspector = sa.inspect(db.engine())
        columns = [
            (c["name"], str(c["type"]), c["nullable"])
            for c in inspector.get_columns("alembic_version")
        ]
        return columns, inspector.get_pk_constraint("alembic_version")

    alembic(project, "stamp", MID_POINT)
    by_alembic = definition()
    with db.engine().begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))
    adopt(project)
    schemadiff(project, "stamp", MID_POINT)
    assert definition() == by_alembic
    assert_same_current(project, MID_POINT)


@pytest.mark.parametrize("alembic_installed", [True, False], ids=["with alembic", "without"])
@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_the_alembic_style_history_runs_after_init_from_alembic_alone(
    db, tmp_path, alembic_installed
):
    """fixtures/alembic_style, whose scripts use the whole vocabulary of Alembic histories (batch
    blocks, CONCURRENTLY, keys by name, enum types, ...): adopted with no edit but its URL, then
    up, down and up again, with Alembic installed and with `import alembic` failing."""
    folder = tmp_path / "style"
    shutil.copytree(
        FIXTURES / "alembic_style", folder, ignore=shutil.ignore_patterns("__pycache__", "*.db")
    )
    ini = folder / "alembic.ini"
    ini.write_text(ini.read_text().replace("sqlite:///alembic_style.db", db.url.replace("%", "%%")))

    def cli(*args: str) -> str:
        return ok(run_history(folder, alembic_installed, *args))

    cli("init", "--from-alembic")
    cli("upgrade", "head")
    assert_history_data(db)
    assert_invoices(db)
    cli("downgrade", "base")
    # Every downgrade() undid its upgrade(): the hand-made tables and PostgreSQL's enum type too.
    assert history_tables(db) == {"alembic_version"}
    if db.dialect == "postgresql":
        assert sa.inspect(db.engine()).get_enums() == []
    cli("upgrade", "head")
    assert_history_data(db)
    assert_invoices(db)
    current = cli("current")
    assert current == f"{HISTORY_HEAD} (head)\n"
    if alembic_installed:
        assert alembic(folder, "current") == current
    assert cli("check") == "No differences: the database matches the models.\n"
