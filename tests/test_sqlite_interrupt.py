"""Ctrl-C during a long SQLite statement stops it at once, and the upgrade fails as any failure
does: one line that says where it stopped and that the revision was rolled back, exit 2."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from conftest import make_database
from test_runtime import new_project, spawn, table_names, version_rows, write_revision

# About a minute of work for SQLite: far longer than the test waits.
LONG = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) "
    "SELECT count(*) FROM c"
)


@pytest.fixture
def sqlite_db(tmp_path):
    database = make_database("sqlite", tmp_path)
    yield database
    database.close()


def test_ctrl_c_interrupts_a_long_statement_and_rolls_the_revision_back(sqlite_db, tmp_path):
    project = new_project(tmp_path / "interrupt", sqlite_db)
    write_revision(project, "r1", None, "quick", 'op.create_table("first", sa.Column("id", sa.Integer, primary_key=True))')
    started = tmp_path / "started"
    write_revision(
        project,
        "r2",
        "r1",
        "long",
        f"""
        op.create_table("second", sa.Column("id", sa.Integer, primary_key=True))
        open({str(started)!r}, "w").close()
        op.execute({LONG!r})
        """,
    )
    process = spawn(project, "upgrade", "head")
    deadline = time.monotonic() + 60
    while not started.exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the statement now
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    try:
        stdout, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("Ctrl-C did not stop the statement")
    assert time.monotonic() - sent < 10
    assert process.returncode == 2, stderr
    assert stdout == "Running upgrade  -> r1, quick\nRunning upgrade r1 -> r2, long\n"
    (line,) = stderr.splitlines()
    assert line.startswith("schemadiff: error: upgrade r2 (long) failed at `~ sql: WITH RECURSIVE c(x)")
    assert line.endswith("`: interrupted; it was rolled back; applied before it: r1")
    assert version_rows(sqlite_db) == ["r1"]
    assert "second" not in table_names(sqlite_db) and "first" in table_names(sqlite_db)

