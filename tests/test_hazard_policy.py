"""The hazard gate of `check` (--fail-on, fail_on, --base, --range), its report formats, and the
hazards that --sql output shows: run as CI runs them, a real process on a real database."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import DIALECTS
from schemadiff.config import load_config
from schemadiff.hazard_policy import gate, parse_policy
from test_cli import MODELS, assert_one_line_error, run

# The models after a change that loses data: account.name goes.
MODELS_WITHOUT_NAME = MODELS.replace('    sa.Column("name", sa.String(50), nullable=False),\n', "")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "models2.py").write_text(MODELS_WITHOUT_NAME)
    assert run(tmp_path, "init").returncode == 0
    return tmp_path


def pending_drop(project: Path, url: str) -> None:
    """The database at aaa111 (account with name), and bbb222 (drops name) written, not applied."""
    first = run(
        project,
        "generate",
        "-m",
        "create account",
        "--rev-id",
        "aaa111",
        "--url",
        url,
        "--metadata",
        "models:metadata",
    )
    assert first.returncode == 0, first.stderr
    assert run(project, "upgrade", "--url", url).returncode == 0
    second = run(
        project,
        "generate",
        "-m",
        "drop name",
        "--rev-id",
        "bbb222",
        "--url",
        url,
        "--metadata",
        "models2:metadata",
    )
    assert second.returncode == 0, second.stderr


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_fail_on_gates_the_pending_revisions(db, project):
    pending_drop(project, db.url)
    args = ("--url", db.url, "--metadata", "models:metadata")  # the models match the database

    clean = run(project, "check", *args)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    tripped = run(project, "check", "--fail-on", "data-loss,locking", *args)
    assert tripped.returncode == 1, tripped.stderr
    assert "No differences" in tripped.stdout
    assert (
        "fail_on data-loss, locking: 1 hazard trips it in 1 revision pending: bbb222"
        in tripped.stdout
    )
    assert (
        "bbb222 (drop name): - column account.name VARCHAR(50) NOT NULL: hazard(data-loss/drop-column)"
        in tripped.stdout
    )

    by_code = run(project, "check", "--fail-on", "drop-column", *args)
    assert by_code.returncode == 1 and "hazard(data-loss/drop-column)" in by_code.stdout

    other_class = run(project, "check", "--fail-on", "locking", *args)
    assert other_class.returncode == 0, other_class.stdout
    assert "fail_on locking: nothing trips it in 1 revision pending: bbb222" in other_class.stdout

    assert run(project, "upgrade", "--url", db.url).returncode == 0
    applied = run(
        project,
        "check",
        "--fail-on",
        "data-loss",
        "--url",
        db.url,
        "--metadata",
        "models2:metadata",
    )
    assert applied.returncode == 0, applied.stdout
    assert "nothing trips it in 0 revisions pending" in applied.stdout


def test_fail_on_from_the_config_and_the_flag_beating_it(project):
    url = f"sqlite:///{project / 'app.db'}"
    pending_drop(project, url)
    with (project / "pyproject.toml").open("a") as f:
        f.write('fail_on = ["data-loss"]\n')
    args = ("--url", url, "--metadata", "models:metadata")
    from_config = run(project, "check", *args)
    assert from_config.returncode == 1
    assert "hazard(data-loss/drop-column)" in from_config.stdout
    assert run(project, "check", "--fail-on", "may-fail", *args).returncode == 0


def test_bad_policies_are_one_line_errors(project):
    url = f"sqlite:///{project / 'app.db'}"
    args = ("--url", url, "--metadata", "models:metadata")
    assert_one_line_error(
        run(project, "check", "--fail-on", "data-loss,explosions", *args),
        "--fail-on",
        "'explosions'",
        "classes: data-loss",
    )
    assert_one_line_error(
        run(project, "check", "--base", "main", *args), "--base and --range", "--fail-on"
    )
    with (project / "pyproject.toml").open("a") as f:
        f.write('fail_on = ["lokcing"]\n')
    assert_one_line_error(run(project, "check", *args), "fail_on in [tool.schemadiff]", "'lokcing'")


def test_format_and_output(project):
    url = f"sqlite:///{project / 'app.db'}"
    pending_drop(project, url)
    args = ("check", "--fail-on", "data-loss", "--url", url, "--metadata", "models2:metadata")

    to_file = run(project, *args, "--format", "json", "--output", "report.json")
    assert to_file.returncode == 1  # drift (name is still there) and the gate both fail it
    assert to_file.stdout == ""
    report = json.loads((project / "report.json").read_text())
    assert [c["op"] for c in report["changes"]] == ["drop_column"]
    assert report["changes"][0]["hazards"] == [
        {
            "class": "data-loss",
            "code": "drop-column",
            "message": "drops column account.name and its values",
        }
    ]
    assert report["summary"] == "1 change in 1 table, 1 hazard (1 data-loss)"
    assert report["gate"]["fail_on"] == ["data-loss"]
    assert report["gate"]["revisions"] == ["bbb222"]
    assert report["gate"]["scope"] == "pending"
    assert [(t["revision"], t["code"], t["class"]) for t in report["gate"]["tripped"]] == [
        ("bbb222", "drop-column", "data-loss")
    ]

    markdown = run(project, *args, "--format", "markdown")
    assert markdown.returncode == 1
    lines = markdown.stdout.splitlines()
    assert lines[0] == "**1 change in 1 table**; hazards: 1 data-loss, 0 table-rewrite, 0 locking, 0 may-fail"
    assert lines.index("### Hazards") < lines.index("### table account")
    assert "- **data-loss** `drop-column`: drops column account.name and its values" in lines
    assert "### Hazard gate" in markdown.stdout
    assert (
        "- `bbb222` drop name: `- column account.name VARCHAR(50) NOT NULL`: **data-loss** `drop-column`"
        in markdown.stdout
    )

    text = run(project, *args, "--output", "report.txt")
    assert text.returncode == 1 and text.stdout == ""
    assert "! hazard(data-loss/drop-column)" in (project / "report.txt").read_text()

    assert_one_line_error(
        run(project, *args, "--output", "no/such/folder/report.txt"), "--output", "cannot write"
    )


def git(cwd: Path, *args: str) -> str:
    identity = [
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "-c",
        "init.defaultBranch=main",
    ]
    return subprocess.run(
        ["git", *identity, *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def test_base_gates_the_scripts_new_against_it(project):
    url = f"sqlite:///{project / 'app.db'}"
    (project / ".gitignore").write_text("*.db\n__pycache__/\n")
    assert (
        run(
            project,
            "generate",
            "-m",
            "create account",
            "--rev-id",
            "aaa111",
            "--url",
            url,
            "--metadata",
            "models:metadata",
        ).returncode
        == 0
    )
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-qm", "start")
    git(project, "checkout", "-qb", "feature")
    assert run(project, "upgrade", "--url", url).returncode == 0
    assert (
        run(
            project,
            "generate",
            "-m",
            "drop name",
            "--rev-id",
            "bbb222",
            "--url",
            url,
            "--metadata",
            "models2:metadata",
        ).returncode
        == 0
    )
    args = ("check", "--fail-on", "data-loss", "--url", url, "--metadata", "models:metadata")

    untracked = run(project, *args, "--base", "main")
    assert untracked.returncode == 1, untracked.stderr
    assert "1 hazard trips it in 1 revision new against main: bbb222" in untracked.stdout

    git(project, "add", ".")
    git(project, "commit", "-qm", "drop name")
    committed = run(project, *args, "--base", "main")
    assert committed.returncode == 1 and "new against main: bbb222" in committed.stdout
    assert run(project, *args, "--base", "feature").returncode == 0  # nothing new against itself

    with (project / "pyproject.toml").open("a") as f:
        f.write(f'review_base = "main"\nurl = "{url}"\n')
    offline = gate(load_config(project), parse_policy(["data-loss"]))  # no connection: review_base
    assert (offline.scope, [r.id for r in offline.revisions]) == ("new against main", ["bbb222"])
    assert [(t.revision.id, t.hazard.code) for t in offline.tripped] == [("bbb222", "drop-column")]

    assert run(project, *args, "--range", "base:aaa111").returncode == 0
    ranged = run(project, *args, "--range", "aaa111:bbb222")
    assert ranged.returncode == 1 and "in 1 revision in aaa111:bbb222: bbb222" in ranged.stdout

    assert_one_line_error(
        run(project, *args, "--base", "no-such-branch"),
        "cannot compare with git base 'no-such-branch'",
    )


def test_base_outside_a_git_repository(project):
    url = f"sqlite:///{project / 'app.db'}"
    args = ("check", "--fail-on", "data-loss", "--url", url, "--metadata", "models:metadata")
    assert_one_line_error(run(project, *args, "--base", "main"), "not a git repository")


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_sql_output_shows_each_hazard_above_its_statements(db, project):
    pending_drop(project, db.url)
    upgrade = run(project, "upgrade", "aaa111:bbb222", "--sql", "--url", db.url)
    assert upgrade.returncode == 0, upgrade.stderr
    lines = upgrade.stdout.splitlines()
    at = lines.index("-- hazard(data-loss/drop-column): drops column account.name and its values")
    assert lines[at + 1] == "ALTER TABLE account DROP COLUMN name;"

    diff = run(
        project, "diff", "--format", "sql", "--url", db.url, "--metadata", "models2:metadata"
    )
    assert diff.returncode == 0, diff.stderr
    lines = diff.stdout.splitlines()
    at = lines.index("-- hazard(data-loss/drop-column): drops column account.name and its values")
    assert lines[at + 1] == "ALTER TABLE account DROP COLUMN name;"
    assert not any(line.startswith("--") and line.endswith(";") for line in lines)
