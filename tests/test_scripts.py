"""`schemadiff init` and `schemadiff generate`, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import DIALECTS
from models import load_fixture
from schemadiff.config import load_config
from schemadiff.scripts import file_name, slugify
from test_cli import MODELS, MODELS_WITH_COLUMN, assert_one_line_error, run


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "models.py").write_text(MODELS)
    return tmp_path


def test_init_lays_out_the_folder_and_refuses_a_second_time(project):
    first = run(project, "init")
    assert first.returncode == 0, first.stderr
    assert (project / "migrations" / "versions").is_dir()
    assert "${upgrades}" in (project / "migrations" / "script.py.tmpl").read_text()
    assert "[tool.schemadiff]" in (project / "pyproject.toml").read_text()
    before = tree(project)
    assert_one_line_error(run(project, "init"), "migrations exists already")
    assert tree(project) == before


def test_init_keeps_an_existing_config_section(project):
    section = '[tool.schemadiff]\nurl = "sqlite:///app.db"\ndir = "db"\n'
    (project / "pyproject.toml").write_text(section)
    assert run(project, "init").returncode == 0
    assert (project / "pyproject.toml").read_text() == section
    assert (project / "db" / "versions").is_dir()


def test_generate_before_init(project):
    result = run(project, "generate", "-m", "x", "--url", "sqlite:///app.db", "--metadata", "models:metadata")
    assert_one_line_error(result, "run `schemadiff init` first")


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_generate_writes_a_child_of_head_then_nothing_when_clean(db, project):
    assert run(project, "init").returncode == 0
    args = ("--url", db.url, "--metadata", "models:metadata")
    first = run(project, "generate", "-m", "create account", "--rev-id", "aaa111", *args)
    assert first.returncode == 0, first.stderr
    assert "+ table account (id, name)" in first.stdout
    assert "Generated migrations/versions/aaa111_create_account.py" in first.stdout

    refused = run(project, "generate", "-m", "again", *args)
    assert_one_line_error(refused, "database is at base, head is aaa111: run `schemadiff upgrade` first")

    # Stand in for `upgrade` (the runtime issue): create the schema and stamp the version table.
    db.create_all(load_fixture("models", project).metadata)
    with db.engine().begin() as conn:
        conn.exec_driver_sql("CREATE TABLE schemadiff_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO schemadiff_version VALUES ('aaa111')")
    clean = run(project, "generate", "-m", "nothing", *args)
    assert clean.returncode == 0, clean.stderr
    assert "No changes" in clean.stdout
    assert sorted(p.name for p in (project / "migrations" / "versions").iterdir()) == ["aaa111_create_account.py"]

    (project / "models2.py").write_text(MODELS_WITH_COLUMN)
    second = run(project, "generate", "-m", "add created_at", "--rev-id", "bbb222", "--url", db.url, "--metadata", "models2:metadata")
    assert second.returncode == 0, second.stderr
    script = (project / "migrations" / "versions" / "bbb222_add_created_at.py").read_text()
    assert 'down_revision = "aaa111"' in script
    hazard = "# hazard(may-fail/not-null-no-default): adds NOT NULL column account.created_at without a default"
    assert (hazard in script) == (db.dialect != "mysql")  # MySQL fills the rows with an implicit value
    assert "op.add_column(" in script and 'op.drop_column("account", "created_at")' in script


def test_empty_script_needs_no_database(project):
    run(project, "init")
    result = run(project, "generate", "--empty", "-m", "Empty Init", "--rev-id", "6b9cb35ba46e")
    assert result.returncode == 0, result.stderr
    script = (project / "migrations" / "versions" / "6b9cb35ba46e_empty_init.py").read_text()
    assert "def upgrade() -> None:\n    pass" in script
    assert "down_revision = None" in script


def test_duplicate_rev_id(project):
    run(project, "init")
    run(project, "generate", "--empty", "-m", "one", "--rev-id", "abc")
    assert_one_line_error(run(project, "generate", "--empty", "-m", "two", "--rev-id", "abc"), "exists already")


def test_broken_script_is_named(project):
    run(project, "init")
    broken = project / "migrations" / "versions" / "abc_broken.py"
    broken.write_text('revision = "abc"\ndown_revision = None\ndef upgrade(:\n')
    assert_one_line_error(run(project, "generate", "--empty", "-m", "x"), "abc_broken.py")


@contextmanager
def unwritable(folder: Path):
    """A folder nobody may write into, root included (root ignores mode bits, so make it immutable)."""
    folder.chmod(0o555)
    immutable = os.geteuid() == 0 and subprocess.run(["chattr", "+i", str(folder)]).returncode == 0
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_unwritable_versions_folder(project):
    run(project, "init")
    versions = project / "migrations" / "versions"
    with unwritable(versions):
        result = run(project, "generate", "--empty", "-m", "x")
    assert_one_line_error(result, "cannot write", "versions")
    assert list(versions.iterdir()) == []


def test_file_template_tokens_and_slug(project):
    now = datetime(2026, 11, 25, 9, 5, 7, tzinfo=timezone.utc)
    template = "%(year)d%(month).2d%(day).2d-%(hour).2d%(minute).2d_%(slug)s"
    assert file_name(template, "abc", "Added columns.", now) == "20261125-0905_added_columns"
    assert file_name("%(epoch)s_%(rev)s", "abc", "x", now) == f"{int(now.timestamp())}_abc"
    assert slugify("Add username constraint on user, because the tutorial says so") == "add_username_constraint_on_user_because"
    (project / "pyproject.toml").write_text('[tool.schemadiff]\nfile_template = "%(nope)s"\n')
    run(project, "init")
    assert_one_line_error(run(project, "generate", "--empty", "-m", "x"), "file_template")
    assert load_config(project, env={}).file_template == "%(nope)s"
