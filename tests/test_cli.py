"""The command line, driven as users and outside tools drive it: a real process, real exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import DIALECTS
from models import load_fixture
from schemadiff.config import load_config

MODELS = """
import sqlalchemy as sa
metadata = sa.MetaData()
account = sa.Table(
    "account", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
)
not_metadata = 42
"""

MODELS_WITH_COLUMN = MODELS.replace(
    'nullable=False),', 'nullable=False),\n    sa.Column("created_at", sa.DateTime, nullable=False),'
)


def run(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "schemadiff", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        timeout=120,
    )


@pytest.fixture
def project(tmp_path):
    (tmp_path / "models.py").write_text(MODELS)
    return tmp_path


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_check_is_clean_then_names_the_drift(db, project):
    (project / "models2.py").write_text(MODELS_WITH_COLUMN)
    db.create_all(load_fixture("models", project).metadata)

    clean = run(project, "--url", db.url, "check", "--metadata", "models:metadata")
    assert clean.returncode == 0, clean.stderr
    assert "No differences" in clean.stdout

    drift = run(project, "check", "--url", db.url, "--metadata", "models2:metadata")
    assert drift.returncode == 1, drift.stderr
    assert "+ column account.created_at" in drift.stdout
    assert "NOT NULL" in drift.stdout
    # MySQL gives the rows there an implicit value instead of failing (see hazards.py)
    assert ("hazard(may-fail/not-null-no-default)" in drift.stdout) == (db.dialect != "mysql")

    as_json = run(project, "diff", "--format", "json", "--url", db.url, "--metadata", "models2:metadata")
    assert as_json.returncode == 0
    changes = json.loads(as_json.stdout)["changes"]
    assert [c["op"] for c in changes] == ["add_column"]
    assert changes[0]["detail"]["column"]["name"] == "created_at"

    as_sql = run(project, "diff", "--format", "sql", "--url", db.url, "--metadata", "models2:metadata")
    assert as_sql.returncode == 0, as_sql.stderr
    assert "created_at" in as_sql.stdout and as_sql.stdout.rstrip().endswith(";")


def test_flags_beat_env_and_env_beats_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.schemadiff]
            url = "sqlite:///from_file.db"
            metadata = "models:metadata"
            dir = "db/migrations"
            exclude_tables = ["audit_*"]
            """
        )
    )
    from_file = load_config(tmp_path, env={})
    assert (from_file.url, from_file.metadata, from_file.dir) == ("sqlite:///from_file.db", "models:metadata", "db/migrations")
    assert from_file.exclude_tables == ("audit_*",)
    from_env = load_config(tmp_path, env={"SCHEMADIFF_URL": "sqlite:///from_env.db"})
    assert from_env.url == "sqlite:///from_env.db"
    from_flag = load_config(tmp_path, env={"SCHEMADIFF_URL": "sqlite:///from_env.db"}, url="sqlite:///flag.db")
    assert from_flag.url == "sqlite:///flag.db"


def test_pyproject_drives_the_command(project):
    (project / "pyproject.toml").write_text('[tool.schemadiff]\nurl = "sqlite:///app.db"\nmetadata = "models:metadata"\n')
    result = run(project, "diff")
    assert result.returncode == 0, result.stderr
    assert "+ table account (id, name)" in result.stdout


def test_missing_config(project):
    assert_one_line_error(run(project, "check"), "no database URL")
    assert_one_line_error(run(project, "check", "--url", "sqlite:///x.db"), "no models")


def test_unreachable_database_masks_the_password(project):
    url = "postgresql+psycopg://someone:s3cret@127.0.0.1:1/nowhere"
    result = run(project, "check", "--url", url, "--metadata", "models:metadata")
    assert_one_line_error(result, "cannot connect to", "someone:***@127.0.0.1:1")
    assert "s3cret" not in result.stderr


def test_metadata_that_does_not_import(project):
    result = run(project, "check", "--url", "sqlite:///x.db", "--metadata", "no_such_module:metadata")
    assert_one_line_error(result, "cannot import 'no_such_module'")


def test_metadata_attribute_that_is_not_metadata(project):
    result = run(project, "check", "--url", "sqlite:///x.db", "--metadata", "models:not_metadata")
    assert_one_line_error(result, "is a int, not a MetaData")
    missing = run(project, "check", "--url", "sqlite:///x.db", "--metadata", "models:nothing_here")
    assert_one_line_error(missing, "has no attribute 'nothing_here'")


def test_unknown_dialect_driver(project):
    result = run(project, "check", "--url", "nosuchdb+nodriver://h/db", "--metadata", "models:metadata")
    assert_one_line_error(result, "unknown database dialect or driver")


def test_broken_pyproject(project):
    (project / "pyproject.toml").write_text("[tool.schemadiff]\nurl = \n")
    assert_one_line_error(run(project, "check"), "not valid TOML")
    (project / "pyproject.toml").write_text('[tool.schemadiff]\nulr = "sqlite://"\n')
    assert_one_line_error(run(project, "check"), "unknown key 'ulr'")


def test_usage_errors_exit_2(project):
    result = run(project, "diff", "--format", "yaml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
