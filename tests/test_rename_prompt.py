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
    drift_markdown = run(project, "check", "--format", "markdown", *after).stdout
    assert f"**data-loss** `possible-rename`: {NAME}" in drift_markdown

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


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_generate_in_a_terminal_asks_about_each_possible_rename(db, project):
    at_before_with_rows(project, db.url)
    code, shown, asked = in_terminal(
        project,
        *("generate", "-m", "renames", "--rev-id", "bbb222"),
        *("--url", db.url, "--metadata", "after:metadata"),
        answers={"account.name": "y", "account.email": "n", "table note": "y"},
    )
    assert code == 0, shown
    assert asked == [
        "Rename account.name -> account.full_name? [y/N]:",
        "Rename account.email -> account.email_address? [y/N]:",
        "Rename table note -> memo? [y/N]:",
    ]
    written = script(project, "bbb222")
    upgrade = written[written.index("def upgrade") : written.index("def downgrade")]
    assert 'op.rename_table("note", "memo")' in upgrade
    assert 'new_column_name="full_name"' in upgrade
    assert 'op.drop_column("account", "email")' in upgrade  # the no: drop + add, and its hazard
    assert f"# hazard(data-loss/possible-rename): {EMAIL}" in upgrade
    assert NAME not in written and NOTE not in written

    assert run(project, "upgrade", "--url", db.url).returncode == 0
    assert rows(db.url, "SELECT id, full_name, email_address FROM account") == [(1, "Ada", None)]
    assert rows(db.url, "SELECT id, title, body FROM memo") == [(7, "Hi", "Hello")]
    assert run(project, "downgrade", "aaa111", "--url", db.url).returncode == 0
    assert rows(db.url, "SELECT id, name FROM account") == [(1, "Ada")]
    assert rows(db.url, "SELECT id, title, body FROM note") == [(7, "Hi", "Hello")]


def test_a_renamed_table_is_asked_about_its_renamed_columns_next(project):
    url = f"sqlite:///{project / 'app.db'}"
    at_before_with_rows(project, url)
    (project / "after.py").write_text(AFTER.replace('"title"', '"heading"'))
    code, shown, asked = in_terminal(
        project,
        *("generate", "-m", "renames", "--rev-id", "bbb222", "--url", url),
        *("--metadata", "after:metadata"),
        answers={"table note": "y", "memo.title": "y"},
    )
    assert code == 0, shown
    # memo's columns compare only once note is memo: title -> heading is the next question
    assert asked[-1] == "Rename memo.title -> memo.heading? [y/N]:"
    written = script(project, "bbb222")
    assert 'op.rename_table("note", "memo")' in written and 'new_column_name="heading"' in written


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_rename_flags_answer_ahead_of_time(db, project):
    at_before_with_rows(project, db.url)
    after = ("--url", db.url, "--metadata", "after:metadata")
    flags = ("--rename", "account.name=full_name", "--rename-table", "note=memo")

    preview = run(project, "diff", *after, *flags)
    assert preview.returncode == 0, preview.stderr
    assert "~ column account.name renamed to full_name" in preview.stdout
    assert "~ table note renamed to memo" in preview.stdout
    assert NAME not in preview.stdout and EMAIL in preview.stdout
    sql = run(project, "diff", "--format", "sql", *after, *flags).stdout
    assert "memo" in sql and "DROP TABLE note" not in sql and "full_name" in sql

    # in a terminal, the flags' pairs are not asked about; the others are
    code, shown, asked = in_terminal(
        project, "generate", "-m", "renames", "--rev-id", "bbb222", *after, *flags
    )
    assert code == 0, shown
    assert asked == ["Rename account.email -> account.email_address? [y/N]:"]
    written = script(project, "bbb222")
    assert 'op.rename_table("note", "memo")' in written and 'new_column_name="full_name"' in written
    assert run(project, "upgrade", "--url", db.url).returncode == 0
    assert rows(db.url, "SELECT id, full_name FROM account") == [(1, "Ada")]
    assert rows(db.url, "SELECT id, title, body FROM memo") == [(7, "Hi", "Hello")]


def test_rename_flags_without_a_terminal(project):
    url = f"sqlite:///{project / 'app.db'}"
    at_before_with_rows(project, url)
    generate(project, url, "after", "bbb222", "--rename", "account.email=email_address")
    written = script(project, "bbb222")
    assert 'new_column_name="email_address"' in written
    assert 'op.drop_column("account", "name")' in written and NAME in written  # not asked
    assert not ESCAPE.search(written)


@pytest.mark.parametrize(
    "flags, fragments",
    [
        (("--rename", "account.name"), ("--rename 'account.name'", "[SCHEMA.]TABLE.OLD=NEW")),
        (("--rename-table", "a.b.c=d"), ("--rename-table 'a.b.c=d'", "[SCHEMA.]OLD=NEW")),
        (("--rename", "account.nmae=full_name"), ("the database has no column account.nmae",)),
        (("--rename", "account.name=fullname"), ("the models have no column account.fullname",)),
        (("--rename-table", "notes=memo"), ("--rename-table notes=memo", "no table notes")),
    ],
)
def test_rename_flags_that_are_malformed_or_name_nothing(project, flags, fragments):
    url = f"sqlite:///{project / 'app.db'}"
    at_before_with_rows(project, url)
    after = ("--url", url, "--metadata", "after:metadata")
    assert_one_line_error(run(project, "diff", *after, *flags), *fragments)
    assert_one_line_error(run(project, "generate", "-m", "x", *after, *flags), *fragments)
    assert not list((project / "migrations" / "versions").glob("*_x.py"))
