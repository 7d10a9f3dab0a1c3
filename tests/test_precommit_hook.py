"""The `schemadiff-check` pre-commit hook, run as pre-commit runs it: its entry, with no file
names, at the root of a git repository that holds a SQLite project."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TABLE = """
account = sa.Table(
    "account",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
)
"""
MODELS = "import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n\n" + TABLE
PYPROJECT = '[tool.schemadiff]\nurl = "sqlite:///app.db"\nmetadata = "models:metadata"\n'


def hook() -> dict[str, str]:
    """The schemadiff-check entry of .pre-commit-hooks.yaml (flat `key: value` lines)."""
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    fields = dict(re.findall(r"^\s*-?\s*(\w+): (.*)$", text, re.MULTILINE))
    assert fields["id"] == "schemadiff-check"
    return fields


def test_hook_definition_runs_the_offline_check_on_the_project_files():
    fields = hook()
    assert fields["entry"] == "schemadiff check --offline"
    assert fields["language"] == "python"
    assert fields["pass_filenames"] == "false"
    files = re.compile(fields["files"])
    for path in ("app/models.py", "migrations/versions/ab12_add.py", "migrations/schema.sqlite.json", "pyproject.toml"):
        assert files.search(path), path
    for path in ("README.md", "package.json", "data/schema.csv"):
        assert not files.search(path), path


def sh(repo: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(repo.parent),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    result = subprocess.run(args, cwd=repo, capture_output=True, text=True, env=env, timeout=120)
    if ok:
        assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def run_hook(repo: Path) -> subprocess.CompletedProcess:
    return sh(repo, *shlex.split(hook()["entry"]), ok=False)


def commit(repo: Path, message: str) -> None:
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "-m", message)


def add_table(repo: Path, name: str, at_top: bool) -> None:
    """A new table in models.py: at the top or the bottom, so two branches' edits merge cleanly."""
    table = f'\n{name} = sa.Table("{name}", metadata, sa.Column("id", sa.Integer, primary_key=True))\n'
    models = (repo / "models.py").read_text()
    head, sep, rest = models.partition("metadata = sa.MetaData()\n")
    (repo / "models.py").write_text(head + sep + table + rest if at_top else models + table)


def revise(repo: Path, message: str) -> str:
    """A fresh database at head, then `schemadiff generate`, as a developer does it."""
    (repo / "app.db").unlink(missing_ok=True)
    sh(repo, "schemadiff", "upgrade")
    return sh(repo, "schemadiff", "generate", "-m", message).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "models.py").write_text(MODELS)
    (repo / "pyproject.toml").write_text(PYPROJECT)
    (repo / ".gitignore").write_text("app.db\n__pycache__/\n")
    sh(repo, "git", "init", "-q", "-b", "main")
    sh(repo, "schemadiff", "init")
    assert "Wrote migrations/schema.sqlite.json" in revise(repo, "create account")
    commit(repo, "account")
    return repo


def test_hook_fails_on_a_model_edit_and_passes_after_generate(repo):
    assert run_hook(repo).returncode == 0
    models = (repo / "models.py").read_text()
    (repo / "models.py").write_text(models.replace(
        'nullable=False),', 'nullable=False),\n    sa.Column("email", sa.String(100)),'
    ))
    failed = run_hook(repo)
    assert failed.returncode == 1
    assert "+ column account.email VARCHAR(100)" in failed.stdout
    assert "run schemadiff generate" in failed.stdout

    revise(repo, "add email")
    passed = run_hook(repo)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_hook_fails_when_a_generated_upgrade_is_edited_by_hand(repo):
    script = next((repo / "migrations" / "versions").glob("*_create_account.py"))
    script.write_text(script.read_text().replace('sa.String(length=50)', 'sa.String(length=80)'))
    failed = run_hook(repo)
    assert failed.returncode == 2
    assert failed.stderr.strip() == (
        f"schemadiff: error: {script.name} changed after migrations/schema.sqlite.json was written: "
        "run schemadiff snapshot"
    )
    sh(repo, "schemadiff", "snapshot")
    assert run_hook(repo).returncode == 1  # the snapshot now has the hand edit: the models differ


def test_hook_fails_on_two_heads_after_a_git_merge_until_schemadiff_merge(repo):
    for branch, table, at_top in (("one", "invoice", True), ("two", "payment", False)):
        sh(repo, "git", "checkout", "-q", "-b", branch, "main")
        add_table(repo, table, at_top)
        revise(repo, f"add {table}")
        assert run_hook(repo).returncode == 0
        commit(repo, table)
    sh(repo, "git", "checkout", "-q", "main")
    sh(repo, "git", "merge", "-q", "one")
    conflicted = sh(repo, "git", "merge", "-q", "two", ok=False)
    # Both branches rewrote the head snapshot: either side will do, `schemadiff merge` rewrites it.
    assert "schema.sqlite.json" in conflicted.stdout
    sh(repo, "git", "checkout", "--theirs", "migrations/schema.sqlite.json")
    commit(repo, "merge two")

    failed = run_hook(repo)
    assert failed.returncode == 2
    assert re.fullmatch(
        r"schemadiff: error: several heads \(\w+, \w+\): merge them: schemadiff merge\n", failed.stderr
    )
    merged = sh(repo, "schemadiff", "merge", "-m", "join", "heads").stdout
    assert "Wrote migrations/schema.sqlite.json" in merged
    passed = run_hook(repo)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout == "No differences: the models match the head snapshot.\n"
