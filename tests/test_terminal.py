"""Colour and wrapping of text reports: styled() as a function, and the CLI through a real
pseudo-terminal, a pipe and NO_COLOR."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from conftest import DIALECTS, FIXTURES
from models import load_fixture
from schemadiff.terminal import styled
from test_cli import run

ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

MODELS = """
import sqlalchemy as sa
metadata = sa.MetaData()
account = sa.Table(
    "account", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("email", sa.String(50)),
)
"""
# account.name goes, created_at comes, email gets longer: a drop, an addition and a change.
MODELS_CHANGED = """
import sqlalchemy as sa
metadata = sa.MetaData()
account = sa.Table(
    "account", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(100)),
    sa.Column("created_at", sa.DateTime),
)
"""


def in_terminal(
    cwd: Path, *args: str, env: Optional[dict] = None, answers: Optional[dict] = None
) -> tuple[int, str, list[str]]:
    """Runs the CLI with stdin, stdout and stderr on a pseudo-terminal; answers each `[y/N]`
    question with the answer of the first key of `answers` it contains.
    Returns (exit code, everything shown, the questions asked)."""
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "schemadiff", *args],
        cwd=cwd,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", **(env or {})},
        close_fds=True,
    )
    os.close(slave)
    shown, asked = b"", []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                raise AssertionError(f"no output for 60 s; so far: {shown!r}")
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other side closed: the process is done
                break
            if not chunk:
                break
            shown += chunk
            text = shown.decode()
            if text.count("[y/N]") > len(asked) and text.rstrip().endswith(":"):
                question = text.replace("\r\n", "\n").rsplit("\n", 1)[-1].strip()
                asked.append(question)
                answer = next((a for key, a in (answers or {}).items() if key in question), "n")
                os.write(master, answer.encode() + b"\n")
    finally:
        os.close(master)
    return process.wait(timeout=60), shown.decode().replace("\r\n", "\n"), asked


def test_styled_colours_each_kind_of_line():
    text = (
        "table account:\n  + column a\n  - column b\n  ~ column c\n    ! hazard(x/y): z\n1 change"
    )
    lines = styled(text, colour=True).split("\n")
    assert lines[0] == "table account:" and lines[-1] == "1 change"
    assert lines[1] == "\x1b[32m  + column a\x1b[0m"
    assert lines[2] == "\x1b[31m  - column b\x1b[0m"
    assert lines[3] == "\x1b[33m  ~ column c\x1b[0m"
    assert lines[4] == "\x1b[1;35m    ! hazard(x/y): z\x1b[0m"
    assert styled(text, colour=False) == text


def test_wrapping_breaks_between_words_under_a_hanging_indent():
    line = "    ! hazard(data-loss/drop-column): drops column account.name and its values"
    wrapped = styled(line, colour=False, width=36).split("\n")
    assert wrapped == [
        "    ! hazard(data-loss/drop-column):",
        "      drops column account.name and",
        "      its values",
    ]
    assert " ".join(part.strip() for part in wrapped) == line.strip()  # no word was cut
    # a word longer than the width stays whole, on a line of its own
    assert styled("  + a_very_long_identifier_indeed x", colour=False, width=10).split("\n") == [
        "  + a_very_long_identifier_indeed",
        "    x",
    ]
    coloured = styled(line, colour=True, width=36).split("\n")
    assert coloured[1] == "\x1b[1;35m      drops column account.name and\x1b[0m"


@pytest.fixture
def changed(db, tmp_path):
    """A database with account(id, name), models with account(id, created_at)."""
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "models2.py").write_text(MODELS_CHANGED)
    db.create_all(load_fixture("models", tmp_path).metadata)
    return tmp_path, ("--url", db.url, "--metadata", "models2:metadata")


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_colour_in_a_terminal_and_none_elsewhere(changed):
    project, args = changed
    code, shown, _ = in_terminal(project, "diff", *args)
    assert code == 0, shown
    assert "\x1b[32m  + column account.created_at " in shown
    assert "\x1b[33m  ~ column account.email: type VARCHAR(50) -> VARCHAR(100)\x1b[0m" in shown
    assert "\x1b[31m  - column account.name VARCHAR(50) NOT NULL\x1b[0m" in shown
    assert "\x1b[1;35m    ! hazard(data-loss/drop-column)" in shown

    code, checked, _ = in_terminal(project, "check", *args)
    assert code == 1 and "\x1b[31m  - column account.name" in checked

    code, plain, _ = in_terminal(project, "diff", *args, env={"NO_COLOR": "1"})
    assert code == 0 and not ESCAPE.search(plain)
    assert "  - column account.name VARCHAR(50) NOT NULL" in plain

    # NO_COLOR set but empty does not count (no-color.org)
    code, empty, _ = in_terminal(project, "diff", *args, env={"NO_COLOR": ""})
    assert ESCAPE.search(empty)

    piped = run(project, "diff", *args)
    assert piped.returncode == 0 and "- column account.name" in piped.stdout
    assert not ESCAPE.search(piped.stdout)
    # markdown and json are for tools: never coloured, even in a terminal
    code, markdown, _ = in_terminal(project, "diff", "--format", "markdown", *args)
    assert code == 0 and "- `- column account.name" in markdown and not ESCAPE.search(markdown)


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_narrow_terminal_wraps_between_words(changed):
    project, args = changed
    code, shown, _ = in_terminal(project, "diff", *args, env={"COLUMNS": "36", "NO_COLOR": "1"})
    assert code == 0, shown
    lines = shown.splitlines()
    # only a word longer than the width (after its mark) overflows it
    assert all(len(line) <= 36 or len(line.lstrip("+-~! ").split()) == 1 for line in lines), lines
    hazard = lines.index("    ! hazard(data-loss/drop-column):")
    assert lines[hazard + 1 : hazard + 3] == [
        "      drops column account.name and",
        "      its values",
    ]
    piped = run(project, "diff", *args, env={"COLUMNS": "36"}).stdout
    assert shown.split() == piped.split()  # the same words, not wrapped in a pipe
    assert "    ! hazard(data-loss/drop-column): drops column account.name and its values" in piped


def test_show_and_review_are_coloured_in_a_terminal(tmp_path):
    project = tmp_path / "example"
    shutil.copytree(
        FIXTURES / "example", project, ignore=shutil.ignore_patterns("*.db", "__pycache__")
    )
    for command in (["show", "9a8b"], ["review", "1c2d:9a8b"]):
        code, shown, _ = in_terminal(project, *command)
        assert code == 0, shown
        assert "\x1b[32m  + column book.isbn VARCHAR(13)\x1b[0m" in shown
        assert "\x1b[1;35m    ! hazard(may-fail/new-unique)" in shown
        code, plain, _ = in_terminal(project, *command, env={"NO_COLOR": "1"})
        assert code == 0 and not ESCAPE.search(plain) and "  + column book.isbn" in plain
