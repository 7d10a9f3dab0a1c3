"""The rough edges a new user meets first, each driven through a real `schemadiff` process."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import DIALECTS
from test_cli import MODELS, assert_one_line_error, run

SERVERS = ("postgresql", "mysql")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    return tmp_path


def write_revision(project: Path, rev: str, down: str | None, upgrade: str, downgrade: str = "pass") -> Path:
    path = project / "migrations" / "versions" / f"{rev}.py"
    body = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    path.write_text(
        f'"""{rev} message"""\n'
        "import sqlalchemy as sa\n"
        "from pathlib import Path\n"
        "from schemadiff import op\n"
        f"revision = {rev!r}\ndown_revision = {down!r}\n\n"
        f"def upgrade():\n{body}\n\n"
        f"def downgrade():\n    {downgrade}\n"
    )
    return path


def table_names(db) -> set[str]:
    with db.engine().connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def assert_failed(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit 2 and one line on stderr (stdout may have the progress lines before the failure)."""
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


# -- file_template ---------------------------------------------------------------------------


def test_file_template_copied_from_alembic_ini_with_a_folder(project):
    # alembic.ini's own spelling: each % doubled, as its ini syntax wants; a folder per year.
    (project / "pyproject.toml").write_text(
        '[tool.schemadiff]\nfile_template = "%%(year)d/%%(month).2d_%%(rev)s_%%(slug)s"\n'
    )
    generated = ok(run(project, "generate", "--empty", "-m", "Add the users", "--rev-id", "aa11"))
    year, month = time.gmtime().tm_year, time.gmtime().tm_mon
    expected = f"migrations/versions/{year}/{month:02d}_aa11_add_the_users.py"
    assert generated.splitlines()[0] == f"Generated {expected}"
    assert (project / expected).is_file()
    assert ok(run(project, "heads")).strip() == "aa11 (head)"


def test_file_template_that_leaves_the_versions_folder(project):
    (project / "pyproject.toml").write_text('[tool.schemadiff]\nfile_template = "../%(rev)s"\n')
    result = run(project, "generate", "--empty", "-m", "x", "--rev-id", "aa11")
    assert_one_line_error(result, "file_template '../%(rev)s'", "must stay inside migrations/versions")
    (project / "pyproject.toml").write_text('[tool.schemadiff]\nfile_template = ".drafts/%(rev)s"\n')
    assert_one_line_error(run(project, "generate", "--empty", "-m", "x"), "no name starting with _ or .")


# -- history ranges that count from the database -----------------------------------------------


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_history_ranges_relative_to_current_read_the_database(db, project):
    for rev, down in (("r1", None), ("r2", "r1"), ("r3", "r2"), ("r4", "r3")):
        write_revision(project, rev, down, "pass")
    ok(run(project, "stamp", "r3", "--url", db.url))

    def revisions(rev_range: str) -> list[str]:
        lines = ok(run(project, "history", "-r", rev_range, "--url", db.url)).splitlines()
        return [line.split(" -> ")[1].split(",")[0].split(" ")[0] for line in lines]

    assert revisions("current:") == ["r4", "r3"]
    assert revisions("base:current") == ["r3", "r2", "r1"]
    assert revisions("-1:") == ["r4", "r3", "r2"]
    assert "(current)" not in ok(run(project, "history", "-r", "current:", "--url", db.url))
    assert "Rev: r3" in ok(run(project, "show", "current", "--url", db.url))


def test_history_relative_to_current_without_a_database_refuses(project):
    write_revision(project, "r1", None, "pass")
    assert_one_line_error(run(project, "history", "-r", "current:"), "no database URL")
    assert ok(run(project, "history", "-r", "base:r1")).strip() == "<base> -> r1 (head), r1 message"


# -- --debug -----------------------------------------------------------------------------------


def test_debug_shows_the_traceback_and_keeps_exit_code_2(project):
    result = run(project, "--debug", "upgrade", "nosuch", "--url", "sqlite:///app.db")
    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "schemadiff: error: unknown revision 'nosuch'"


# -- failures that leave part of a revision behind ------------------------------------------------

SLEEP = {"postgresql": "SELECT pg_sleep(60)", "mysql": "SELECT SLEEP(60)"}


@pytest.mark.parametrize("db", SERVERS, indirect=True)
def test_ctrl_c_during_an_upgrade_is_reported_as_a_failure(db, project):
    write_revision(project, "r1", None, 'op.create_table("t1", sa.Column("id", sa.Integer, primary_key=True))')
    write_revision(
        project,
        "r2",
        "r1",
        f"""
        op.create_table("t2", sa.Column("id", sa.Integer, primary_key=True))
        Path("started").write_text("")
        op.execute("{SLEEP[db.dialect]}")
        """,
    )
    ok(run(project, "upgrade", "r1", "--url", db.url))
    process = subprocess.Popen(
        [sys.executable, "-m", "schemadiff", "upgrade", "--url", db.url],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={"PATH": "/usr/bin:/bin"},
    )
    deadline = time.monotonic() + 60
    while not (project / "started").exists():
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.1)
    time.sleep(0.5)  # into the statement
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 2
    assert out == "Running upgrade r1 -> r2, r2 message\n"
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith(f"schemadiff: error: upgrade r2 (r2 message) failed at `~ sql: {SLEEP[db.dialect]}`: interrupted (Ctrl-C);")
    if db.dialect == "mysql":
        assert "1 of its ops ran and stay (mysql commits DDL at once): `+ table t2 (id)`" in err
        assert "`schemadiff stamp r2`" in err
        assert "t2" in table_names(db)
    else:
        assert "it was rolled back" in err
        assert "t2" not in table_names(db)
    assert ok(run(project, "current", "--url", db.url)).strip() == "r1"


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_failure_counts_only_the_ops_that_stay_and_the_rerun_says_how_to_recover(db, project):
    write_revision(project, "r1", None, 'op.create_table("t1", sa.Column("id", sa.Integer, primary_key=True))')
    write_revision(
        project,
        "r2",
        "r1",
        """
        op.create_table("t2", sa.Column("id", sa.Integer, primary_key=True))
        op.execute("INSERT INTO t1 (id) VALUES (1)")
        op.execute("INSERT INTO t1 (id) VALUES (1)")
        """,
    )
    first = run(project, "upgrade", "--url", db.url)
    assert first.returncode == 2
    error = first.stderr.strip()
    assert error.startswith("schemadiff: error: upgrade r2 (r2 message) failed at `~ sql: INSERT INTO t1 (id) VALUES (1)`")
    with db.engine().connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM t1")).scalar() == 0  # the first INSERT too
    if db.dialect != "mysql":
        assert error.endswith("; it was rolled back; applied before it: r1")
        assert "t2" not in table_names(db)
        return
    assert (
        "; 1 of its ops ran and stay (mysql commits DDL at once): `+ table t2 (id)`; the rest was rolled back; "
        "to recover, undo those by hand and run `schemadiff upgrade` again, "
        "or do the rest of r2 by hand and run `schemadiff stamp r2`; applied before it: r1"
    ) in error

    rerun = run(project, "upgrade", "--url", db.url)
    assert_failed(
        rerun,
        "table t2 exists already; it was rolled back",
        "an earlier run of r2 that failed halfway leaves its DDL behind on mysql",
        "bring it in line by hand and run `schemadiff upgrade` again",
        "run `schemadiff stamp r2`",
    )


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_database_made_before_schemadiff_is_pointed_to_stamp(db, project):
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE account (id INTEGER PRIMARY KEY)"))
    write_revision(project, "r1", None, 'op.create_table("account", sa.Column("id", sa.Integer, primary_key=True))')
    assert_failed(
        run(project, "upgrade", "--url", db.url),
        "table account exists already",
        "the database has tables but no revision recorded",
        "`schemadiff stamp head`",
    )
    ok(run(project, "stamp", "head", "--url", db.url))
    assert ok(run(project, "upgrade", "--url", db.url)) == "Nothing to do: the database is at r1 already\n"


# -- telling the user where things are ---------------------------------------------------------


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_nothing_to_do_and_a_new_database_say_so(db, project):
    assert ok(run(project, "current", "--url", db.url)) == "<base>: no revision is applied to this database yet\n"
    assert ok(run(project, "upgrade", "--url", db.url)) == "Nothing to do: the database is at base already\n"
    write_revision(project, "r1", None, "pass")
    assert ok(run(project, "upgrade", "--url", db.url)) == "Running upgrade  -> r1, r1 message\n"
    assert ok(run(project, "upgrade", "--url", db.url)) == "Nothing to do: the database is at r1 already\n"
    assert ok(run(project, "current", "--url", db.url)) == "r1 (head)\n"


# -- scripts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_empty_and_merge_scripts_import_sa(db, project):
    ok(run(project, "generate", "--empty", "-m", "base", "--rev-id", "r1"))
    for rev in ("r2", "r3"):
        write_revision(project, rev, "r1", "pass")
    ok(run(project, "merge", "-m", "join", "--rev-id", "r4", "heads"))
    for rev, table in (("r1_base", "t1"), ("r4_join", "t4")):
        path = project / "migrations" / "versions" / f"{rev}.py"
        source = path.read_text()
        assert "\nimport sqlalchemy as sa\n" in source
        # A hand-written body uses sa without adding the import.
        path.write_text(
            source.replace(
                "def upgrade() -> None:\n    pass",
                f'def upgrade() -> None:\n    op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True))',
            )
        )
    ok(run(project, "upgrade", "--url", db.url))
    assert {"t1", "t4"} <= table_names(db)


def test_generate_and_merge_refuse_an_empty_message(project):
    for message in ("", "  "):
        for command in (("generate", "--empty"), ("generate", "--url", "sqlite:///app.db"), ("merge", "heads")):
            result = run(project, *command, "-m", message)
            assert_one_line_error(result, "-m: the message is empty")
    assert list((project / "migrations" / "versions").iterdir()) == []


def test_revision_points_to_generate(project):
    autogenerate = run(project, "revision", "--autogenerate", "-m", "add users")
    assert_one_line_error(autogenerate, "no `revision` command: run `schemadiff generate -m 'add users'`")
    empty = run(project, "revision", "-m", "fix data")
    assert_one_line_error(empty, "run `schemadiff generate --empty -m 'fix data'`")
    commands = [line.split()[0] for line in ok(run(project, "--help")).split("Commands:")[1].strip().splitlines()]
    assert "generate" in commands and "revision" not in commands


# -- init --------------------------------------------------------------------------------------


def test_init_writes_url_metadata_and_dir_to_the_new_section(tmp_path):
    (tmp_path / "models.py").write_text(MODELS)
    said = ok(run(tmp_path, "init", "--url", "sqlite:///app.db", "--metadata", "models:metadata", "--dir", "db/migrations"))
    assert said.splitlines() == ["Created db/migrations/versions", "Created db/migrations/script.py.tmpl", "Created pyproject.toml"]
    # The later commands find all three without flags.
    assert "+ table account (id, name)" in ok(run(tmp_path, "diff"))
    assert ok(run(tmp_path, "generate", "-m", "create account", "--rev-id", "r1")).splitlines()[-2:] == [
        "Generated db/migrations/versions/r1_create_account.py",
        "Wrote db/migrations/schema.sqlite.json",
    ]


def test_init_in_a_configured_project_refuses_settings_it_would_not_keep(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.schemadiff]\nurl = "sqlite:///app.db"\n')
    assert_one_line_error(
        run(tmp_path, "init", "--dir", "db/migrations"),
        'with dir = "migrations"', 'set dir = "db/migrations" there first, then run `schemadiff init`',
    )
    assert_one_line_error(run(tmp_path, "init", "db/migrations"), 'set dir = "db/migrations" there first')
    assert_one_line_error(run(tmp_path, "init", "--url", "sqlite:///other.db"), 'with url = "sqlite:///app.db"')
    assert not (tmp_path / "db").exists() and not (tmp_path / "migrations").exists()
    # Settings that agree with the section are fine.
    assert ok(run(tmp_path, "init", "--url", "sqlite:///app.db")).splitlines() == [
        "Created migrations/versions", "Created migrations/script.py.tmpl"
    ]


def test_init_keeps_passwords_out_of_pyproject(tmp_path):
    result = run(tmp_path, "init", "--url", "postgresql+psycopg://app:s3cret@db/app")
    assert_one_line_error(result, "the URL has a password", "SCHEMADIFF_URL")
    assert "s3cret" not in result.stderr
    assert list(tmp_path.iterdir()) == []


# -- drivers and databases -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,fragments",
    [
        ("mysql+mysqldb://root@127.0.0.1/test", ["the mysqldb driver", "pip install mysqlclient", "mysql+pymysql://"]),
        ("mysql://root@127.0.0.1/test", ["the mysqldb driver", "pip install mysqlclient"]),
        ("postgresql+psycopg2://app:s3cret@h/app", ["the psycopg2 driver", "app:***@h", "pip install psycopg2-binary"]),
        ("postgresql+pg8000://h/app", ["pip install pg8000"]),
        ("oracle+oracledb://app:s3cret@h/app", ["schemadiff does not support oracle databases", "PostgreSQL, MySQL/MariaDB and SQLite"]),
        ("mssql+pyodbc://h/app", ["schemadiff does not support mssql databases"]),
        ("postgresql+asyncpg://h/app", ["asyncpg is an asyncio driver", "postgresql+psycopg://"]),
    ],
)
def test_driver_and_database_hints(project, url, fragments):
    result = run(project, "current", "--url", url)
    assert_one_line_error(result, *fragments)
    assert "s3cret" not in result.stderr


# -- help --------------------------------------------------------------------------------------


def test_help_names_the_settings_and_the_exit_codes(project):
    top = " ".join(ok(run(project, "--help")).split())
    assert "[tool.schemadiff]" in top and "SCHEMADIFF_URL" in top
    assert "Exit codes: 0 success (check: no drift), 1 check found drift or a tripped hazard gate, 2 any error." in top
    check = " ".join(ok(run(project, "check", "--help")).split())
    assert "Exit codes: 0 no drift, 1 drift or a tripped hazard gate (printed), 2 error." in check


NO_MODELS = "import sqlalchemy as sa\nmetadata = sa.MetaData()\n"


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_models_without_tables_are_refused_beside_a_schema_with_tables(db, project):
    """A models module that defines the MetaData but imports no model class is a setup mistake:
    check, diff and generate refuse it instead of dropping every table (Alembic drops them)."""
    url = ("--url", db.url)
    generated = ok(run(project, "generate", "-m", "account", *url, "--metadata", "models:metadata"))
    # On PostgreSQL, the replay's scratch database has the schema that the URL's search_path names.
    assert f"Wrote migrations/schema.{db.dialect}.json" in generated
    (project / "no_models.py").write_text(NO_MODELS)
    empty = ("--metadata", "no_models:metadata")
    # An empty database and no models yet: nothing to do, and no error.
    assert "No differences" in ok(run(project, "check", *url, *empty))
    ok(run(project, "upgrade", *url))
    scripts = sorted((project / "migrations" / "versions").iterdir())
    for command in (["check"], ["diff"], ["generate", "-m", "drop all"]):
        assert_failed(
            run(project, *command, *url, *empty),
            "the models have no tables, and the database has 1",
            "generate --empty",
        )
    assert_failed(
        run(project, "check", "--offline", *url, *empty),
        "the models have no tables, and the head snapshot has 1",
    )
    assert sorted((project / "migrations" / "versions").iterdir()) == scripts
    assert table_names(db) >= {"account"}
