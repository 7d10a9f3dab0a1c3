"""Renames without a hint in the models, through the CLI on real databases: the possible-rename
hazard and the gate on it, the prompt of `generate` in a pseudo-terminal, and --rename /
--rename-table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import DIALECTS
from test_cli import assert_one_line_error, run
from test_hazard_policy import git
from test_terminal import ESCAPE, in_terminal

BEFORE = """
import sqlalchemy as sa
metadata = sa.MetaData()
account = sa.Table(
    "account", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50)),
    sa.Column("email", sa.String(100)),
)
note = sa.Table(
    "note", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(50)),
    sa.Column("body", sa.Text),
)
"""
# account.name is full_name now, account.email is email_address, and note is memo.
AFTER = (
    BEFORE.replace('"name"', '"full_name"')
    .replace('"email"', '"email_address"')
    .replace('"note", metadata', '"memo", metadata')
)

NAME = "account.name may be renamed to full_name"
EMAIL = "account.email may be renamed to email_address"
NOTE = "table note may be renamed to memo"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "before.py").write_text(BEFORE)
    (tmp_path / "after.py").write_text(AFTER)
    (tmp_path / ".gitignore").write_text("*.db\n__pycache__/\n")
    assert run(tmp_path, "init").returncode == 0
    return tmp_path


def generate(project: Path, url: str, models: str, rev_id: str, *flags: str):
    result = run(
        project,
        "generate",
        "-m",
        rev_id,
        "--rev-id",
        rev_id,
        "--url",
        url,
        "--metadata",
        f"{models}:metadata",
        *flags,
    )
    assert result.returncode == 0, result.stderr
    return result


def at_before_with_rows(project: Path, url: str) -> None:
    """The database at aaa111 (the BEFORE models), a row in each table."""
    generate(project, url, "before", "aaa111")
    assert run(project, "upgrade", "--url", url).returncode == 0
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO account (id, name, email) VALUES (1, 'Ada', 'ada@example.com')"
        )
        conn.exec_driver_sql("INSERT INTO note (id, title, body) VALUES (7, 'Hi', 'Hello')")
    engine.dispose()


def rows(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.exec_driver_sql(sql)]
    engine.dispose()
    return found


def script(project: Path, rev_id: str) -> str:
    return next((project / "migrations" / "versions").glob(f"{rev_id}_*.py")).read_text()


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_possible_renames_are_hazards_that_check_gates(db, project):
    at_before_with_rows(project, db.url)
    after = ("--url", db.url, "--metadata", "after:metadata")

    diff = run(project, "diff", *after)
    assert diff.returncode == 0, diff.stderr
    for message in (NAME, EMAIL, NOTE):
        assert f"! hazard(data-loss/possible-rename): {message}" in diff.stdout
    assert (
        "to keep its values, pass --rename account.name=full_name or set "
        'info={"renamed_from": "name"} on full_name' in diff.stdout
    )
    assert "pass --rename-table note=memo or set" in diff.stdout
    as_json = json.loads(run(project, "diff", "--format", "json", *after).stdout)
    codes = [h["code"] for c in as_json["changes"] for h in c["hazards"]]
    assert codes.count("possible-rename") == 3
    markdown = run(project, "diff", "--format", "markdown", *after).stdout
    assert f"**data-loss** `possible-rename`: {NOTE}" in markdown
    sql = run(project, "diff", "--format", "sql", *after).stdout
    assert f"-- hazard(data-loss/possible-rename): {NAME}" in sql

    drift = run(project, "check", *after)
    assert drift.returncode == 1 and f"hazard(data-loss/possible-rename): {EMAIL}" in drift.stdout

    # Not in a terminal and without hints or flags: drop + add, the hazards above each drop.
    generate(project, db.url, "after", "bbb222")
    written = script(project, "bbb222")
    assert "op.rename_table" not in written and 'op.drop_column("account", "name")' in written
    assert f"    # hazard(data-loss/possible-rename): {NAME}" in written
    assert f"    # hazard(data-loss/possible-rename): {NOTE}" in written
    # the downgrade undoes drop + add with drop + add: the same pairs, the other way round
    assert "account.full_name may be renamed to name" in written
    offline_sql = run(project, "upgrade", "aaa111:bbb222", "--sql", "--url", db.url).stdout
    assert f"-- hazard(data-loss/possible-rename): {NOTE}" in offline_sql

    gated = ("check", "--url", db.url, "--metadata", "before:metadata")  # no drift: the gate only
    tripped = run(project, *gated, "--fail-on", "data-loss")
    assert tripped.returncode == 1, tripped.stdout + tripped.stderr
    assert "in 1 revision pending: bbb222" in tripped.stdout
    assert (
        f"bbb222 (bbb222): - table note (id, title, body): hazard(data-loss/possible-rename): {NOTE}"
        in tripped.stdout
    )
    by_code = run(project, *gated, "--fail-on", "possible-rename", "--format", "json")
    assert by_code.returncode == 1
    gate = json.loads(by_code.stdout)["gate"]
    assert sorted(t["message"].split(":")[0] for t in gate["tripped"]) == sorted(
        [EMAIL, NAME, NOTE]
    )


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_possible_renames_gate_the_scripts_new_against_a_git_base(db, project):
    url = db.url
    at_before_with_rows(project, url)
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-qm", "start")
    git(project, "checkout", "-qb", "feature")
    generate(project, url, "after", "bbb222")
    git(project, "add", ".")
    git(project, "commit", "-qm", "rename, as drop + add")

    # the database is at aaa111 and matches the BEFORE models: only the gate can fail
    args = ("check", "--url", url, "--metadata", "before:metadata", "--base", "main")
    tripped = run(project, *args, "--fail-on", "possible-rename")
    assert tripped.returncode == 1, tripped.stdout + tripped.stderr
    assert (
        "fail_on possible-rename: 3 hazards trip it in 1 revision new against main: bbb222"
        in tripped.stdout
    )
    assert run(project, *args, "--fail-on", "data-loss").returncode == 1
    assert run(project, *args, "--fail-on", "may-fail").returncode == 0
    assert run(project, *args[:-1], "feature", "--fail-on", "possible-rename").returncode == 0
