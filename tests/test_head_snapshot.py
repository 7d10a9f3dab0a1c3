"""The head snapshot and the offline check, on every dialect.

- `schemadiff snapshot` (a replay on a scratch database) writes the very bytes that `generate`
  wrote (a replay through the scripts' ops alone);
- the offline check of models B against the snapshot of A reports exactly what the online check
  reports against a database at A: for every fixture set, and for random pairs (A, B).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from conftest import DIALECTS, server_url
from models import fixture_dialects, fixture_metadata, fixture_names
from schemadiff.api import diff
from schemadiff.config import Config
from schemadiff.head_snapshot import offline_changes
from schemadiff.report import as_text
from schemadiff.runtime import migrate
from schemadiff.scratch import rebuild_head_snapshot
from schemadiff.scripts import generate_revision, init_project, update_head_snapshot
from strategies import build, schema_specs


def project_at(db, root: Path, metadata: sa.MetaData) -> Config:
    """A project whose one revision creates `metadata`, its database upgraded to it."""
    dev_url = None if db.dialect == "sqlite" else server_url(db.dialect)
    config = Config(root=root, url=db.url, dev_url=dev_url)
    init_project(config)
    with db.engine().connect() as conn:
        generated = generate_revision(config, "a", conn, metadata, rev_id="a0a0a0a0a0a0")
    if generated.path is None:  # nothing to create: the snapshot of an empty history
        assert update_head_snapshot(config).startswith("Wrote")
    else:
        assert generated.snapshot_note == f"Wrote migrations/schema.{db.dialect}.json"
    migrate(config, "upgrade", "head", lambda line: None)
    return config


def snapshot_file(config: Config, dialect: str) -> Path:
    return config.migrations_dir / f"schema.{dialect}.json"


def assert_rebuild_is_identical(db, config: Config) -> None:
    written = snapshot_file(config, db.dialect).read_bytes()
    snapshot_file(config, db.dialect).unlink()
    assert rebuild_head_snapshot(config) == snapshot_file(config, db.dialect)
    assert snapshot_file(config, db.dialect).read_bytes() == written


def assert_offline_matches_online(db, config: Config, models: sa.MetaData) -> None:
    with db.engine().connect() as conn:
        online = diff(conn, models)
    offline = offline_changes(config, models)
    assert offline == online, f"offline:\n{as_text(offline)}\nonline:\n{as_text(online)}"


FIXTURE_CASES = [
    pytest.param(dialect, name, id=f"{name}-{dialect}")
    for name in fixture_names()
    for dialect in DIALECTS
    if dialect in fixture_dialects(name)
]


@pytest.mark.parametrize("db,fixture", FIXTURE_CASES, indirect=["db"])
def test_fixture_snapshot_rebuilds_identically_and_checks_offline_as_online(db, fixture, tmp_path):
    config = project_at(db, tmp_path, fixture_metadata(fixture))
    assert_rebuild_is_identical(db, config)
    assert offline_changes(config, fixture_metadata(fixture)) == []
    # Models that moved on: everything dropped, and another fixture set instead.
    assert_offline_matches_online(db, config, sa.MetaData())
    other = next(n for n in fixture_names() if n != fixture and db.dialect in fixture_dialects(n))
    assert_offline_matches_online(db, config, fixture_metadata(other))


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(a=schema_specs(), b=schema_specs())
def test_random_pairs_check_offline_as_online(db, a, b):
    db.reset()
    with tempfile.TemporaryDirectory() as root:
        config = project_at(db, Path(root), build(a))
        assert_rebuild_is_identical(db, config)
        assert_offline_matches_online(db, config, build(b))
        assert offline_changes(config, build(a)) == []
