"""Online `check` tells why the database and the models differ, and what to run, on every dialect:
the models are ahead of the revisions, the database is behind head, or it was changed by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import DIALECTS, server_url
from schemadiff.config import Config
from schemadiff.diagnosis import Diagnosis, diagnose, explain
from schemadiff.report import describe
from schemadiff.runtime import migrate
from schemadiff.scripts import generate_revision, init_project
from test_cli import MODELS, MODELS_WITH_COLUMN, run


def metadata_of(source: str) -> sa.MetaData:
    namespace: dict = {}
    exec(source, namespace)
    return namespace["metadata"]


@pytest.fixture
def project(db, tmp_path) -> Config:
    """Models MODELS, one revision that creates them, the database upgraded to it."""
    dev_url = None if db.dialect == "sqlite" else server_url(db.dialect)
    config = Config(root=tmp_path, url=db.url, dev_url=dev_url)
    init_project(config)
    with db.engine().connect() as conn:
        generate_revision(config, "create account", conn, metadata_of(MODELS), rev_id="aaa111")
    migrate(config, "upgrade", "head", lambda line: None)
    return config


def diagnosis(db, config: Config, models: str) -> Diagnosis:
    with db.engine().connect() as conn:
        return diagnose(config, conn, metadata_of(models))


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_clean(db, project):
    assert diagnosis(db, project, MODELS) == Diagnosis(())


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_models_ahead_of_the_revisions(db, project):
    found = diagnosis(db, project, MODELS_WITH_COLUMN)
    assert found.changes and found.models_ahead == found.changes
    assert (found.pending, found.by_hand, found.unknown) == ((), (), None)
    assert explain(found) == ["The models are ahead of the revisions: run schemadiff generate"]


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_database_behind_head(db, project):
    with db.engine().connect() as conn:
        generate_revision(project, "add created_at", conn, metadata_of(MODELS_WITH_COLUMN), rev_id="bbb222")
    found = diagnosis(db, project, MODELS_WITH_COLUMN)
    assert [r.id for r in found.pending] == ["bbb222"]
    assert (found.models_ahead, found.by_hand) == ((), ())
    assert explain(found) == [
        "The database is behind head: run schemadiff upgrade. Pending revisions:",
        "  bbb222 add created_at",
    ]


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_database_changed_by_hand(db, project):
    with db.engine().begin() as conn:
        conn.exec_driver_sql("ALTER TABLE account ADD COLUMN note VARCHAR(20)")
    found = diagnosis(db, project, MODELS)
    assert [describe(op) for op in found.by_hand] == ["+ column account.note VARCHAR(20)"]
    assert [describe(op) for op in found.changes] == ["- column account.note VARCHAR(20)"]
    assert (found.pending, found.models_ahead) == ((), ())
    text = "\n".join(explain(found))
    assert "The database was changed by hand" in text
    assert "    + column account.note VARCHAR(20)" in text


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_changed_by_hand_against_the_scripts_replayed(db, project):
    """Without the committed head snapshot, head is the scripts replayed, where a key they left
    unnamed has no name: the name the database gave it is no change by hand."""
    for path in project.migrations_dir.glob("schema.*.json"):
        path.unlink()
    with db.engine().begin() as conn:
        conn.exec_driver_sql("ALTER TABLE account ADD COLUMN note VARCHAR(20)")
    found = diagnosis(db, project, MODELS)
    assert [describe(op) for op in found.by_hand] == ["+ column account.note VARCHAR(20)"]


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_check_command_says_what_to_run_and_exits_1(db, project):
    (Path(project.root) / "models.py").write_text(MODELS_WITH_COLUMN)
    result = run(project.root, "check", "--url", db.url, "--metadata", "models:metadata")
    assert result.returncode == 1, result.stderr
    assert "+ column account.created_at" in result.stdout
    assert result.stdout.rstrip().endswith("The models are ahead of the revisions: run schemadiff generate")
