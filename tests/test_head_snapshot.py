"""The head snapshot and the offline check, on every dialect.

- `schemadiff snapshot` (a replay on a scratch database) writes the very bytes that `generate`
  wrote (a replay through the scripts' ops alone);
- the offline check of models B against the snapshot of A reports exactly what the online check
  reports against a database at A: for every fixture set, and for random pairs (A, B).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from conftest import DIALECTS, server_url
from models import fixture_cases, fixture_dialects, fixture_metadata, fixture_names
from schemadiff.api import diff
from schemadiff.config import Config, load_config
from schemadiff.head_snapshot import offline_changes
from schemadiff.report import as_text
from schemadiff.runtime import migrate
from schemadiff.scratch import rebuild_head_snapshot
from schemadiff.scripts import generate_revision, init_project, update_head_snapshot
from strategies import build, schema_specs
from test_cli import MODELS, MODELS_WITH_COLUMN, assert_one_line_error, run


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


FIXTURE_CASES = fixture_cases()


@pytest.mark.parametrize("db,fixture", FIXTURE_CASES, indirect=["db"])
def test_fixture_snapshot_rebuilds_identically_and_checks_offline_as_online(db, fixture, tmp_path):
    config = project_at(db, tmp_path, fixture_metadata(fixture))
    assert_rebuild_is_identical(db, config)
    assert offline_changes(config, fixture_metadata(fixture)) == []
    # Models that moved on: every table dropped for a new one, and another fixture set instead.
    moved_on = sa.MetaData()
    sa.Table("replacement", moved_on, sa.Column("id", sa.Integer, primary_key=True))
    assert_offline_matches_online(db, config, moved_on)
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


# -- the offline check as a process: no connection, no driver, no black ---------------------------

PROBE = """
import json, sys
from schemadiff.cli import main
try:
    main(["check", "--offline"])
except SystemExit as e:
    code = e.code
loaded = sorted({m.split(".")[0] for m in sys.modules} & {%s})
print(json.dumps({"code": code, "loaded": loaded}))
"""
DRIVERS = ("psycopg", "psycopg2", "asyncpg", "pg8000", "pymysql", "MySQLdb", "mysql", "sqlite3", "_sqlite3", "black")


def models_module(root: Path, source: str) -> sa.MetaData:
    (root / "models.py").write_text(source)
    namespace: dict = {}
    exec(source, namespace)
    return namespace["metadata"]


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_offline_check_process_loads_no_driver_and_no_black(db, tmp_path):
    config = project_at(db, tmp_path, models_module(tmp_path, MODELS))
    # An unreachable server proves that nothing connects.
    unreachable = sa.engine.make_url(db.url).set(host="192.0.2.1", port=1).render_as_string(False)
    url = unreachable if db.dialect != "sqlite" else "sqlite:////nonexistent/dir/app.db"
    (tmp_path / "pyproject.toml").write_text(f'[tool.schemadiff]\nurl = "{url}"\nmetadata = "models:metadata"\n')
    (tmp_path / "models.py").write_text(MODELS_WITH_COLUMN)
    probe = PROBE % ", ".join(repr(d) for d in DRIVERS)
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.stderr == ""
    *shown, report = result.stdout.splitlines()
    assert json.loads(report) == {"code": 1, "loaded": []}
    assert any(line.startswith("  + column account.created_at") for line in shown), shown
    assert shown[-1] == "The models are ahead of the revisions: run schemadiff generate"
    assert config.migrations_dir.joinpath(f"schema.{db.dialect}.json").exists()


# -- the ways a head snapshot can be unfit: one line, exit 2 ---------------------------------------


@pytest.fixture
def sqlite_project(tmp_path) -> Path:
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "pyproject.toml").write_text('[tool.schemadiff]\nurl = "sqlite:///app.db"\nmetadata = "models:metadata"\n')
    assert run(tmp_path, "init").returncode == 0
    generated = run(tmp_path, "generate", "-m", "create account", "--rev-id", "aaa111")
    assert "Wrote migrations/schema.sqlite.json" in generated.stdout, generated.stderr
    assert run(tmp_path, "check", "--offline").returncode == 0
    return tmp_path


def test_no_snapshot(sqlite_project):
    (sqlite_project / "migrations" / "schema.sqlite.json").unlink()
    assert_one_line_error(
        run(sqlite_project, "check", "--offline"),
        "no head snapshot at migrations/schema.sqlite.json: run schemadiff snapshot",
    )


@pytest.mark.parametrize("text", ["{not json", '{"format": 1}', "[]", '{"format": 1, "head": null, "scripts": {}, "server": "sqlite", "schemadiff": "0.1.0", "snapshot": {"tables": [{"nme": 1}]}}'])
def test_corrupt_snapshot(sqlite_project, text):
    (sqlite_project / "migrations" / "schema.sqlite.json").write_text(text)
    assert_one_line_error(
        run(sqlite_project, "check", "--offline"), "migrations/schema.sqlite.json is corrupt", "run schemadiff snapshot"
    )


def test_snapshot_from_a_newer_schemadiff(sqlite_project):
    path = sqlite_project / "migrations" / "schema.sqlite.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "format": 99, "schemadiff": "9.0.0"}))
    assert_one_line_error(
        run(sqlite_project, "check", "--offline"),
        "migrations/schema.sqlite.json was written by a newer schemadiff (9.0.0, format 99): upgrade schemadiff",
    )


def test_snapshot_of_another_head(sqlite_project):
    path = sqlite_project / "migrations" / "schema.sqlite.json"
    before = path.read_text()
    assert run(sqlite_project, "upgrade").returncode == 0
    assert run(sqlite_project, "generate", "--empty", "-m", "later", "--rev-id", "bbb222").returncode == 0
    path.write_text(before)
    assert_one_line_error(
        run(sqlite_project, "check", "--offline"),
        "migrations/schema.sqlite.json was written at revision aaa111, but the head is now bbb222: run schemadiff snapshot",
    )


def test_dialect_key_without_url_and_no_dialect_at_all(sqlite_project):
    (sqlite_project / "pyproject.toml").write_text('[tool.schemadiff]\ndialect = "sqlite"\nmetadata = "models:metadata"\n')
    assert run(sqlite_project, "check", "--offline").returncode == 0
    (sqlite_project / "pyproject.toml").write_text('[tool.schemadiff]\nmetadata = "models:metadata"\n')
    assert_one_line_error(run(sqlite_project, "check", "--offline"), "no dialect")


def test_snapshot_without_a_scratch_server(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.schemadiff]\ndialect = "postgresql"\n')
    assert run(tmp_path, "init").returncode == 0
    no_docker = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    assert_one_line_error(
        run(tmp_path, "snapshot", env=no_docker), "a postgresql snapshot needs a scratch server: pass --dev-url"
    )


def test_dialect_and_dev_url_come_from_the_config_and_the_environment(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schemadiff]\ndialect = "postgresql"\ndev_url = "postgresql://file@localhost/postgres"\n'
    )
    config = load_config(tmp_path, env={})
    assert (config.dialect, config.dev_url) == ("postgresql", "postgresql://file@localhost/postgres")
    from_env = load_config(tmp_path, env={"SCHEMADIFF_DEV_URL": "postgresql://env@localhost/postgres"})
    assert from_env.dev_url == "postgresql://env@localhost/postgres"
    assert load_config(tmp_path, env={}, dev_url="postgresql://flag@localhost/x").dev_url == "postgresql://flag@localhost/x"


def test_a_script_broken_after_the_snapshot_is_named_with_its_line(sqlite_project):
    script = sqlite_project / "migrations" / "versions" / "aaa111_create_account.py"
    script.write_text(script.read_text().replace("def downgrade() -> None:", "def downgrade(:"))
    line = next(n for n, text in enumerate(script.read_text().splitlines(), 1) if "def downgrade(:" in text)
    assert_one_line_error(
        run(sqlite_project, "check", "--offline"), f"aaa111_create_account.py: syntax error at line {line}"
    )
