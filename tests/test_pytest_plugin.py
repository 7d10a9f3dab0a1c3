"""The pytest plugin, run by pytest itself (pytester) on a small temporary project.

The project has two revisions: 1a creates `author`, 2b adds `author.email`. Each test breaks it
in one way and checks that the matching ready-made test fails, naming what is wrong, and that the
others still pass.
"""

from __future__ import annotations

import shutil
import sys

import pytest

from conftest import FIXTURES, server_url
from schemadiff.config import load_config
from schemadiff.scratch import rebuild_head_snapshot

pytest_plugins = ["pytester"]

READY_MADE = [
    "test_single_head",
    "test_upgrade",
    "test_models_match_offline",
    "test_models_match_online",
    "test_stairway",
]

MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()

author = sa.Table(
    "author",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("email", sa.String(200)),
)
"""

REVISION = '''
"""{message}"""

from schemadiff import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = {down_revision!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''

CREATE_AUTHOR = """
    op.create_table(
        "author",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
    )
"""

ADD_EMAIL = '    op.add_column("author", sa.Column("email", sa.String(length=200)))'
DROP_EMAIL = '    op.drop_column("author", "email")'


@pytest.fixture(autouse=True)
def fresh_models_module(monkeypatch):
    """pytester runs pytest in this process: the project's `models` must not be the one that
    this suite imported already (tests/models.py)."""
    monkeypatch.delitem(sys.modules, "models", raising=False)


def write_revision(pytester, revision, down_revision, message, upgrade, downgrade):
    text = REVISION.format(
        revision=revision,
        down_revision=down_revision,
        message=message,
        upgrade=upgrade.strip("\n"),
        downgrade=downgrade.strip("\n"),
    )
    pytester.path.joinpath(
        "migrations", "versions", f"{revision}_{message.replace(' ', '_')}.py"
    ).write_text(text, encoding="utf-8")


def make_project(pytester, kind="sqlite", downgrade_email=DROP_EMAIL, turned_on=True, dev_url=None):
    """Writes the project into pytester's folder, with its head snapshot."""
    pytester.path.joinpath("migrations", "versions").mkdir(parents=True)
    where = 'url = "sqlite:///app.db"' if kind == "sqlite" else f'dialect = "{kind}"'
    pytest_section = "[tool.pytest.ini_options]\nschemadiff_tests = true\n" if turned_on else ""
    pytester.makepyprojecttoml(
        f'[tool.schemadiff]\n{where}\nmetadata = "models:metadata"\n\n{pytest_section}'
    )
    pytester.makepyfile(models=MODELS)
    write_revision(
        pytester, "1a", None, "create author", CREATE_AUTHOR, '    op.drop_table("author")'
    )
    write_revision(pytester, "2b", "1a", "add email", ADD_EMAIL, downgrade_email)
    rebuild_head_snapshot(load_config(pytester.path), dev_url)


def run(pytester, *args):
    result = pytester.runpytest("-p", "no:cacheprovider", "-rA", *args)
    # Failures are schemadiff's lines, not tracebacks through the plugin.
    assert "Traceback" not in result.stdout.str()
    assert not [line for line in result.stdout.lines if line.startswith("E ")]
    # A skip's summary line names where pytest.skip was called; no other line names the plugin.
    assert not [
        line
        for line in result.stdout.lines
        if "pytest_plugin.py" in line and not line.startswith("SKIPPED")
    ]
    return result


def outcomes(result) -> dict[str, str]:
    """Ready-made test name -> PASSED / FAILED / SKIPPED, from the -rA summary."""
    found = {}
    for line in result.stdout.lines:
        for name in READY_MADE:
            if f"schemadiff::{name}" in line and line.split()[0] in ("PASSED", "FAILED", "SKIPPED"):
                found[name] = line.split()[0]
    return found


def test_all_ready_made_tests_pass_on_a_good_project(pytester):
    make_project(pytester)
    result = run(pytester, "-v")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        ["*collected 5 items*", *(f"schemadiff::{name} PASSED*" for name in READY_MADE)]
    )


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_all_ready_made_tests_pass_on_a_server(pytester, monkeypatch, kind):
    server = server_url(kind)
    monkeypatch.setenv("SCHEMADIFF_DEV_URL", server)  # where the scratch databases are made
    make_project(pytester, kind, dev_url=server)
    result = run(pytester, "-v")
    result.assert_outcomes(passed=5)
    assert outcomes(result) == dict.fromkeys(READY_MADE, "PASSED")


@pytest.mark.parametrize("ci", ["false", "true"])
def test_without_a_server_the_database_tests_skip_or_fail_under_ci(pytester, monkeypatch, ci):
    monkeypatch.delenv("SCHEMADIFF_DEV_URL", raising=False)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{pytester.path}/no-docker.sock")
    monkeypatch.setenv("CI", ci)
    make_project(pytester, "postgresql", dev_url=server_url("postgresql"))
    result = run(pytester)
    # single head and the offline check need no database; the other three do
    if ci == "true":
        result.assert_outcomes(passed=2, failed=3)
    else:
        result.assert_outcomes(passed=2, skipped=3)
    result.stdout.fnmatch_lines(["*no postgresql server for a scratch database: set dev_url*"])


def test_stairway_fails_naming_the_revision_whose_downgrade_leaves_a_change(pytester):
    make_project(pytester, downgrade_email="    pass")
    result = run(pytester)
    assert outcomes(result) == {**dict.fromkeys(READY_MADE, "PASSED"), "test_stairway": "FAILED"}
    result.stdout.fnmatch_lines(
        [
            "*stairway: the downgrade of revision 2b (add email) does not undo its upgrade;*",
            "table author:",
            "  + column author.email VARCHAR(200)",
        ]
    )


def test_single_head_fails_on_two_heads(pytester):
    make_project(pytester)
    write_revision(
        pytester,
        "3c",
        "1a",
        "add bio",
        '    op.add_column("author", sa.Column("bio", sa.Text()))',
        "    pass",
    )
    result = run(pytester)
    assert outcomes(result)["test_single_head"] == "FAILED"
    result.stdout.fnmatch_lines(
        ["*the revision graph has 2 heads (2b, 3c): merge them: schemadiff merge*"]
    )


def test_models_match_fails_when_a_model_changes_without_a_revision(pytester):
    make_project(pytester)
    pytester.makepyfile(models=MODELS + '\nauthor.append_column(sa.Column("born", sa.Integer))\n')
    result = run(pytester)
    assert outcomes(result) == {
        **dict.fromkeys(READY_MADE, "PASSED"),
        "test_models_match_offline": "FAILED",
        "test_models_match_online": "FAILED",
    }
    result.stdout.fnmatch_lines(
        [
            "*the models differ from migrations/schema.sqlite.json: run schemadiff generate*",
            "  + column author.born INTEGER",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*the models differ from the schema the revisions build*",
            "  + column author.born INTEGER",
        ]
    )


def test_inert_when_not_turned_on(pytester):
    make_project(pytester, turned_on=False)
    pytester.makepyfile(test_app="def test_app():\n    assert True\n")
    result = run(pytester, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*collected 1 item*"])
    result.stdout.no_fnmatch_line("*schemadiff::*")


def test_a_run_of_chosen_files_leaves_the_ready_made_tests_out(pytester):
    make_project(pytester)
    pytester.makepyfile(test_app="def test_app():\n    assert True\n")
    run(pytester, "test_app.py").assert_outcomes(passed=1)
    run(pytester, "-k", "stairway").assert_outcomes(passed=1, deselected=5)


def test_fixtures_for_a_data_migration_test(pytester):
    make_project(pytester, turned_on=False)
    pytester.makepyfile(test_data_migration="""
        import sqlalchemy as sa

        def test_rows_survive_adding_email(schemadiff_runner, schemadiff_engine, schemadiff_config):
            assert schemadiff_config.metadata == "models:metadata"
            assert schemadiff_runner.current() == ()
            schemadiff_runner.upgrade("1a")
            with schemadiff_engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO author (id, name) VALUES (1, 'Ann')"))
            schemadiff_runner.upgrade()
            assert schemadiff_runner.current() == ("2b",)
            schemadiff_runner.check()
            with schemadiff_engine.connect() as conn:
                assert conn.execute(sa.text("SELECT name, email FROM author")).all() == [("Ann", None)]
            schemadiff_runner.downgrade("base")
            assert schemadiff_runner.schema().tables == ()

        def test_check_lists_the_differences(schemadiff_runner):
            schemadiff_runner.upgrade("1a")
            schemadiff_runner.check()
        """)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the database differs from the models:",
            "table author:",
            "  + column author.email VARCHAR(200)",
        ]
    )


def test_the_example_project_passes_its_ready_made_and_own_tests(pytester):
    shutil.copytree(
        FIXTURES / "example",
        pytester.path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.db"),
    )
    result = run(pytester, "-v")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*test_books_keep_their_rows_when_isbn_is_added PASSED*"])
    assert outcomes(result) == dict.fromkeys(READY_MADE, "PASSED")
