"""Revision scripts written for Alembic run unchanged, with Alembic installed and without it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import FIXTURES

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


def test_other_parts_of_alembic_come_from_alembic_or_are_one_line(tmp_path, alembic_installed):
    header = (
        "import sqlalchemy as sa\nfrom alembic import op\nfrom alembic.ddl.impl import DefaultImpl"
    )
    body = 'assert DefaultImpl.__module__ == "alembic.ddl.impl"\nop.create_table("t", sa.Column("id", sa.Integer, primary_key=True))'
    path = write_script(tmp_path, "a1", None, header, body, "pass")
    result = schemadiff(tmp_path, alembic_installed, "upgrade", "--url", "sqlite:///app.db")
    if alembic_installed:
        ok(result)
    else:
        message = f"{path}: imports alembic.ddl, a part of Alembic itself, which is not installed"
        one_line_error(result, message)


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


# -- the Alembic-style history in fixtures/alembic_style ------------------------------------------

HISTORY = FIXTURES / "alembic_style"
HEAD = "0011"
#: 0010 and 0011 use what Alembic cannot run on SQLite or MariaDB (their docstrings say what).
ALEMBIC_RUNS_TO = "0009"
PYPROJECT = """\
[tool.schemadiff]
metadata = "models:metadata"
setup = "history_setup"
include_name = "history_filters:include_name"
include_object = "history_filters:include_object"
"""


def history_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(HISTORY, project)
    (project / "pyproject.toml").write_text(PYPROJECT)
    return project


def rows(db, sql: str) -> list[tuple]:
    with db.engine().connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(sql)]


def tables(db) -> set[str]:
    with db.engine().connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def assert_history_data(db) -> None:
    # bulk_insert, then the bound parameters of op.execute (an IN list, text() bindparams) and
    # inline_literal; the Slug type from the setup's path lower-cased the plan codes.
    assert rows(db, "SELECT id, code, price FROM plan ORDER BY id") == [
        (1, "basic", Decimal("9.50")),
        (2, "pro", Decimal("29.00")),
    ]
    assert rows(db, "SELECT id, name, status, plan_id, display_name FROM account ORDER BY id") == [
        (1, "alice", "active", 1, "Alice"),
        (2, "bob", "active", 2, "Bob"),
        (3, "carol", "active", 1, "Carol"),
        (
            4,
            "dave o'hara",
            "closed",
            None,
            "Dave O'Hara",
        ),  # the data migration through op.get_bind()
    ]
    note = (
        f"{db.dialect} offline=False bind={db.dialect} version_table_schema=None url={db.dialect}"
    )
    assert rows(db, "SELECT id, note FROM history_note") == [(1, note)]
    # 0007's batch: the new scope took its server default; batch_op.execute changed a value.
    assert rows(db, "SELECT id, name, scope, note, value FROM setting ORDER BY id") == [
        (1, "theme", "global", None, "dark"),
        (2, "beta", "global", None, "on"),
    ]
    if db.dialect == "sqlite":  # only a rebuild places columns: insert_after/_before, reordering
        assert columns(db, "setting") == ["id", "name", "scope", "note", "value"]
        assert columns(db, "audit_log") == ["id", "at", "what"]


def assert_invoices(db) -> None:
    """0010's rows, kept through the rebuilds that its plain ops and 0011's drop_column made."""
    assert rows(db, "SELECT id, account_id, last_payment_id FROM invoice") == [(1, 1, 1)]
    assert rows(db, "SELECT id, invoice_id, reference FROM payment") == [(1, 1, "PAY-1")]
    assert columns(db, "invoice") == ["id", "account_id", "last_payment_id"]


def test_alembic_style_history_up_down_up(db, tmp_path, alembic_installed):
    project = history_project(tmp_path)
    url = ("--url", db.url)
    ok(schemadiff(project, alembic_installed, "upgrade", "head", *url))
    assert_history_data(db)
    assert_invoices(db)
    # The hand-made audit_log and legacy index: the project's filters keep them out of check.
    assert {"audit_log", "plan", "account", "history_note"} < tables(db)
    ok(schemadiff(project, alembic_installed, "check", *url))
    ok(schemadiff(project, alembic_installed, "downgrade", "base", *url))
    assert tables(db) == {"schemadiff_version"}
    ok(schemadiff(project, alembic_installed, "upgrade", "head", *url))
    assert_history_data(db)
    assert_invoices(db)
    assert ok(schemadiff(project, alembic_installed, "current", *url)).split()[0] == HEAD


MAINTENANCE = {
    "sqlite": "VACUUM;",
    "postgresql": "VACUUM account;",
    "mysql": "ANALYZE TABLE account;",
}


def test_alembic_style_history_as_sql(db, tmp_path, alembic_installed):
    project = history_project(tmp_path)
    sql = ok(
        schemadiff(project, alembic_installed, "upgrade", "base:head", "--sql", "--url", db.url)
    )
    # Values written in: bulk_insert's rows, the IN list, text()'s parameters, inline_literal.
    assert "'dave o''hara', 'new', NULL)" in sql
    assert "IN ('new', 'trial')" in sql
    assert "UPDATE account SET plan_id = 2 WHERE name = 'bob'" in sql
    assert "SET status='closed'" in sql and "POSTCOMPILE" not in sql
    # Offline, the data migration takes its op.execute() branch (context.is_offline_mode()).
    assert "SET display_name=account.name" in sql
    note = f"{db.dialect} offline=True bind={db.dialect} version_table_schema=None url={db.dialect}"
    assert note in sql
    # op.get_bind().dialect offline: the dialect, as under Alembic's --sql.
    json_type = {"postgresql": "JSONB", "mysql": "JSON"}.get(db.dialect, "TEXT")
    assert f"CREATE TABLE audit_log (id INTEGER PRIMARY KEY, what {json_type});" in sql
    # autocommit_block(): COMMIT before, BEGIN after, where the dialect's SQL has transactions.
    maintenance = MAINTENANCE[db.dialect]
    around = "COMMIT;\n\n{}\n\nBEGIN;\n" if db.dialect != "mysql" else "{}\n\nUPDATE"
    assert around.format(maintenance) in sql


SCRIPT_USES_THE_BIND = {
    "execute": 'conn.execute(sa.text("UPDATE account SET name = upper(name)"))',
    "inspect": 'assert not sa.inspect(conn).has_table("account")',
}


@pytest.mark.parametrize("use", SCRIPT_USES_THE_BIND)
def test_get_bind_under_sql_names_the_script_and_line(tmp_path, alembic_installed, use):
    project = history_project(tmp_path)
    body = (
        f"conn = op.get_bind()\nif conn.dialect.name == 'sqlite':\n    {SCRIPT_USES_THE_BIND[use]}"
    )
    path = write_script(
        project, "extra", HEAD, "import sqlalchemy as sa\nfrom alembic import op", body, "pass"
    )
    line = path.read_text().splitlines().index(f"        {SCRIPT_USES_THE_BIND[use]}") + 1
    args = ("upgrade", f"{HEAD}:extra", "--sql", "--url", "sqlite:///app.db")
    message = one_line_error(
        schemadiff(project, alembic_installed, *args), f"{path}, line {line}: "
    )
    if use == "execute":
        assert "op.get_bind() has no live database connection under --sql" in message
    else:  # SQLAlchemy's own error, about the same object
        assert "NoInspectionAvailable" in message and "OfflineBind" in message


def test_a_setup_that_does_not_import_is_one_line(tmp_path):
    project = history_project(tmp_path)
    (project / "pyproject.toml").write_text(PYPROJECT.replace('"history_setup"', '"no_such.setup"'))
    result = schemadiff(project, True, "upgrade", "--url", "sqlite:///app.db")
    one_line_error(
        result, "setup 'no_such.setup': cannot import 'no_such.setup': No module named 'no_such'"
    )


@pytest.mark.parametrize(
    "key, spec, message",
    [
        (
            "include_name",
            "history_filters",
            "include_name 'history_filters': expected the form module:function",
        ),
        (
            "include_object",
            "history_filters:nothing",
            "include_object 'history_filters:nothing': 'history_filters' has no function 'nothing'",
        ),
        ("include_name", "nowhere:f", "include_name 'nowhere:f': cannot import 'nowhere'"),
    ],
)
def test_a_filter_that_does_not_import_is_one_line(tmp_path, key, spec, message):
    project = history_project(tmp_path)
    pyproject = [line for line in PYPROJECT.splitlines() if not line.startswith(key)]
    (project / "pyproject.toml").write_text("\n".join(pyproject + [f'{key} = "{spec}"']) + "\n")
    one_line_error(schemadiff(project, True, "check", "--url", "sqlite:///app.db"), message)


# -- in process --------------------------------------------------------------------------------


def alembic_entries() -> dict:
    return {
        name: module for name, module in sys.modules.items() if name.partition(".")[0] == "alembic"
    }


@pytest.mark.parametrize("before", ["absent", "imported", "unimportable"])
def test_the_stand_in_is_there_only_while_a_script_runs(monkeypatch, before):
    from schemadiff import op as schemadiff_op
    from schemadiff.alembic_shim import alembic_names

    if before == "imported":
        pytest.importorskip("alembic.op")
    for name in alembic_entries():
        if before != "imported":
            monkeypatch.delitem(sys.modules, name)
    if before == "unimportable":
        monkeypatch.setitem(sys.modules, "alembic", None)
    saved = alembic_entries()
    with alembic_names():
        import alembic
        from alembic import context, op

        assert op is schemadiff_op and alembic.op is op and alembic.context is context
        # Scripts choose Alembic's behaviour by its version (mlflow: `>= Version("1.7.0")`).
        assert tuple(int(p) for p in alembic.__version__.split(".")) >= (1, 7, 0)
    assert alembic_entries() == saved
    if before == "absent":
        assert "alembic" not in sys.modules  # never imported for the stand-in


def test_filters_see_alembics_arguments_and_snapshot_values():
    from schemadiff import snapshot as s
    from schemadiff.filters import ObjectFilters

    def table(*columns: str, index: str) -> s.Table:
        return s.Table(
            "t",
            tuple(s.Column(c, "INTEGER") for c in columns),
            schema="app",
            indexes=(s.Index(index, (s.IndexElement("a"),)),),
        )

    database = s.Snapshot(tables=(table("a", "b", "skip_me", index="ix_old"),))
    models = s.Snapshot(tables=(table("a", "b", index="ix_new"),))
    names: list = []
    objects: list = []

    def include_name(name, type_, parent_names):
        names.append((name, type_, parent_names))
        return not name.startswith("skip_")

    def include_object(obj, name, type_, reflected, compare_to):
        objects.append((obj, name, type_, reflected, compare_to))
        return not (type_ == "index" and reflected and compare_to is None)

    filtered = ObjectFilters(include_name, include_object).apply(database, models, reflected=True)
    assert [c.name for c in filtered.tables[0].columns] == ["a", "b"]
    assert filtered.tables[0].indexes == ()
    parents = {"schema_name": "app", "table_name": "t", "schema_qualified_table_name": "app.t"}
    assert names[:3] == [
        ("app", "schema", {}),
        ("t", "table", {"schema_name": "app"}),
        ("a", "column", parents),
    ]
    assert objects[0] == (database.tables[0], "t", "table", True, models.tables[0])
    assert (
        database.tables[0].column("a"),
        "a",
        "column",
        True,
        models.tables[0].column("a"),
    ) in objects
    assert objects[-1][1:] == ("ix_old", "index", True, None)


def test_bulk_insert_of_many_rows(db, tmp_path):
    header = "import sqlalchemy as sa\nfrom alembic import op"
    write_script(
        tmp_path,
        "a1",
        None,
        header,
        """
        t = op.create_table("item", sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.String(10)), sa.Column("b", sa.Integer))
        op.bulk_insert(t, [{"id": i, "a": f"n{i}", "b": i % 7} for i in range(1, 1001)])
        op.bulk_insert(t, [{"id": 1001, "a": "x"}, {"id": 1002, "b": 2}])
        """,
        'op.drop_table("item")',
    )
    ok(schemadiff(tmp_path, True, "upgrade", "--url", db.url))
    assert rows(db, "SELECT count(*), sum(b), max(a) FROM item") == [
        (1002, sum(i % 7 for i in range(1, 1001)) + 2, "x")
    ]
    sql = ok(schemadiff(tmp_path, True, "upgrade", "--sql", "--url", db.url))
    # 333 rows of 3 values in each multi-row INSERT; rows that name other columns, one each.
    assert sql.count("INSERT INTO item") == 4 + 2
    assert "(1000, 'n1000', 6);" in sql and "VALUES (1001, 'x');" in sql


def test_a_failure_after_an_autocommit_block_says_what_stays(db, tmp_path):
    write_script(
        tmp_path,
        "a1",
        None,
        "import sqlalchemy as sa\nfrom alembic import op",
        """
        op.create_table("kept", sa.Column("id", sa.Integer, primary_key=True))
        with op.get_context().autocommit_block():
            op.execute("SELECT 1")
        op.create_table("lost", sa.Column("id", sa.Integer, primary_key=True))
        op.execute("SELECT no_such_column FROM kept")
        """,
        "pass",
    )
    message = one_line_error(
        schemadiff(tmp_path, True, "upgrade", "--url", db.url), "upgrade a1 (a1 step) failed"
    )
    assert "ran and stay" in message and "`+ table kept (id)`" in message
    assert "kept" in tables(db) and "schemadiff_version" in tables(db)
    if db.dialect != "mysql":  # MySQL's CREATE TABLE commits by itself
        assert "autocommit_block() committed them" in message and "`+ table lost" not in message
        assert "lost" not in tables(db)


def test_alembic_itself_runs_the_history_alike(db, tmp_path):
    """The fixture is a real Alembic history: Alembic's own upgrade leaves the same rows, as far
    as Alembic can go on every database."""
    pytest.importorskip("alembic")
    project = history_project(tmp_path)
    ini = project / "alembic.ini"
    url = db.url.replace("%", "%%")  # an ini value
    ini.write_text(ini.read_text().replace("sqlite:///alembic_style.db", url))
    upgrade = [sys.executable, "-m", "alembic", "upgrade", ALEMBIC_RUNS_TO]
    ran = subprocess.run(upgrade, cwd=project, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    assert_history_data(db)
    assert rows(db, "SELECT version_num FROM alembic_version") == [(ALEMBIC_RUNS_TO,)]


def test_module_level_code_may_use_op_and_context(tmp_path, alembic_installed):
    header = (
        "import sqlalchemy as sa\nfrom alembic import op, context\n\n"
        'INDEX = op.f("ix_t_name")\nOFFLINE = context.is_offline_mode()\n'
    )
    write_script(
        tmp_path,
        "a1",
        None,
        header,
        """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(20)))
        op.create_index(INDEX, "t", ["name"])
        op.execute(f"INSERT INTO t (id, name) VALUES (1, '{OFFLINE}')")
        """,
        'op.drop_table("t")',
    )
    url = ("--url", f"sqlite:///{tmp_path / 'app.db'}")
    assert "VALUES (1, 'True')" in ok(
        schemadiff(tmp_path, alembic_installed, "upgrade", "--sql", *url)
    )
    ok(schemadiff(tmp_path, alembic_installed, "upgrade", *url))
    engine = sa.create_engine(url[1])
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name FROM t").all() == [("False",)]
        assert [i["name"] for i in sa.inspect(conn).get_indexes("t")] == ["ix_t_name"]
    engine.dispose()


def test_a_value_that_sql_text_cannot_hold(tmp_path):
    """Bound online; --sql names the script instead of printing a placeholder."""
    write_script(
        tmp_path,
        "a1",
        None,
        "import sqlalchemy as sa\nfrom alembic import op",
        """
        t = op.create_table("doc", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.JSON))
        op.bulk_insert(t, [{"id": 1, "body": {"a": [1, 2]}}])
        """,
        'op.drop_table("doc")',
    )
    url = ("--url", f"sqlite:///{tmp_path / 'app.db'}")
    result = schemadiff(tmp_path, True, "upgrade", "--sql", *url)
    one_line_error(result, "a1_step.py: --sql cannot write out its SQL: No literal value renderer")
    ok(schemadiff(tmp_path, True, "upgrade", *url))
    engine = sa.create_engine(url[1])
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT body FROM doc").all() == [('{"a": [1, 2]}',)]
    engine.dispose()
