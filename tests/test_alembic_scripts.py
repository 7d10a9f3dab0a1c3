"""Revision scripts written for Alembic run unchanged, with Alembic installed and without it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

#: `python -c` that runs schemadiff's CLI where `import alembic` fails, as without Alembic installed.
WITHOUT_ALEMBIC = (
    "import sys; sys.modules['alembic'] = None; from schemadiff.cli import main; main()"
)


@pytest.fixture(params=["with alembic", "without alembic"])
def alembic_installed(request) -> bool:
    if request.param == "with alembic":
        pytest.importorskip("alembic")
    return request.param == "with alembic"


def schemadiff(project: Path, alembic_installed: bool, *args: str) -> subprocess.CompletedProcess:
    command = ["-m", "schemadiff"] if alembic_installed else ["-c", WITHOUT_ALEMBIC]
    return subprocess.run(
        [sys.executable, *command, *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2 and one line on stderr that has each fragment (stdout may show progress before it)."""
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def write_script(
    project: Path, rev: str, down: str | None, header: str, upgrade: str, downgrade: str
) -> Path:
    path = project / "migrations" / "versions" / f"{rev}_step.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "\n\n".join(
        f"def {name}():\n" + textwrap.indent(textwrap.dedent(code).strip(), "    ")
        for name, code in (("upgrade", upgrade), ("downgrade", downgrade))
    )
    path.write_text(
        f'"""{rev} step"""\n{header}\nrevision = {rev!r}\ndown_revision = {down!r}\n\n\n{body}\n'
    )
    return path


def columns(db, table: str) -> list[str]:
    with db.engine().connect() as conn:
        return [c["name"] for c in sa.inspect(conn).get_columns(table)]


IMPORTS = {
    "from alembic import op": ("import sqlalchemy as sa\nfrom alembic import op", "op"),
    "import alembic": ("import sqlalchemy as sa\nimport alembic", "alembic.op"),
    "from alembic import op, context": (
        "import sqlalchemy as sa\nfrom alembic import op, context",
        "op",
    ),
}


@pytest.mark.parametrize("spelling", IMPORTS)
def test_plain_ops_run_under_each_spelling_of_the_import(db, tmp_path, alembic_installed, spelling):
    header, op = IMPORTS[spelling]
    write_script(
        tmp_path,
        "a1",
        None,
        header,
        f'{op}.create_table("account", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(40)))',
        f'{op}.drop_table("account")',
    )
    write_script(
        tmp_path,
        "a2",
        "a1",
        header,
        f'{op}.add_column("account", sa.Column("email", sa.String(80)))\n'
        f'{op}.create_index({op}.f("ix_account_email"), "account", ["email"])',
        f'{op}.drop_index("ix_account_email", "account")\n{op}.drop_column("account", "email")',
    )
    url = ["--url", db.url]
    ok(schemadiff(tmp_path, alembic_installed, "upgrade", "head", *url))
    assert columns(db, "account") == ["id", "name", "email"]
    ok(schemadiff(tmp_path, alembic_installed, "downgrade", "a1", *url))
    assert columns(db, "account") == ["id", "name"]
    sql = ok(schemadiff(tmp_path, alembic_installed, "upgrade", "a1:a2", "--sql", *url))
    assert "ix_account_email" in sql


def test_other_parts_of_alembic_without_alembic_are_one_line(tmp_path):
    path = write_script(
        tmp_path, "a1", None, "from alembic import op\nfrom alembic.ddl import impl", "pass", "pass"
    )
    result = schemadiff(tmp_path, False, "upgrade", "--url", "sqlite:///app.db")
    one_line_error(
        result, f"{path}: imports alembic.ddl, a part of Alembic itself, which is not installed"
    )


def test_a_project_folder_named_alembic_does_not_shadow_the_stand_in(tmp_path, alembic_installed):
    (tmp_path / "alembic").mkdir()
    (tmp_path / "alembic" / "__init__.py").write_text("raise RuntimeError('the real alembic')\n")
    write_script(
        tmp_path,
        "a1",
        None,
        "import sqlalchemy as sa\nfrom alembic import op",
        'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
        'op.drop_table("t")',
    )
    ok(schemadiff(tmp_path, alembic_installed, "upgrade", "--url", "sqlite:///app.db"))
