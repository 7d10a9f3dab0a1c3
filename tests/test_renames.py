"""Renames that keep every row: hints in the models turn a drop + add into a rename.

Each case starts from models A with rows in their tables, generates the revision for models B
(which say what they renamed), upgrades and checks every row under the new names, then downgrades
and checks every row under the old ones; on SQLite, PostgreSQL and MariaDB alike.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DIALECTS
from schemadiff import ops as o
from schemadiff.compare import compare
from schemadiff.config import Config
from schemadiff.dialects import offline_dialect
from schemadiff.errors import SchemadiffError
from schemadiff.from_metadata import snapshot_metadata
from schemadiff.renames import Renames, hinted
from schemadiff.report import as_text
from schemadiff.runtime import migrate
from schemadiff.scripts import generate_revision, init_project
from schemadiff.state import apply_all
from strategies import ColumnSpec, TableSpec, build, schema_specs


def was(old: str) -> dict:
    """The hint a renamed table or column carries."""
    return {"renamed_from": old}


@dataclass
class Case:
    id: str
    before: Callable[[sa.MetaData], None]
    after: Callable[[sa.MetaData], None]
    #: Rows per table of `before`, ids included.
    rows: dict[str, list[dict]]
    #: old table -> new table, and (old table, old column) -> new column.
    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[tuple[str, str], str] = field(default_factory=dict)
    naming_convention: dict = field(default_factory=dict)

    def metadata(self, build_with: Callable[[sa.MetaData], None]) -> sa.MetaData:
        metadata = sa.MetaData(naming_convention=self.naming_convention or None)
        build_with(metadata)
        return metadata

    def renamed_rows(self) -> dict[str, list[dict]]:
        """The rows of `rows` under the new names."""
        return {
            self.tables.get(table, table): [
                {self.columns.get((table, k), k): v for k, v in row.items()} for row in rows
            ]
            for table, rows in self.rows.items()
        }


def _users(md, *columns, name="users", **kw):
    return sa.Table(name, md, sa.Column("id", sa.Integer, primary_key=True), *columns, **kw)


USERS = [{"id": 1, "name": "ada"}, {"id": 2, "name": "grace"}, {"id": 3, "name": "edsger"}]

CASES = [
    Case(
        "column",
        lambda md: _users(md, sa.Column("name", sa.String(50), nullable=False)),
        # Widened and made nullable in the same revision: those changes follow the rename.
        lambda md: _users(md, sa.Column("full_name", sa.String(80), info=was("name"))),
        {"users": USERS},
        columns={("users", "name"): "full_name"},
    ),
    Case(
        "table",
        lambda md: _users(md, sa.Column("name", sa.String(50), index=True)),
        lambda md: _users(
            md, sa.Column("name", sa.String(50), index=True), name="accounts", info=was("users")
        ),
        {"users": USERS},
        tables={"users": "accounts"},
    ),
    Case(
        "referenced-table",
        lambda md: (
            _users(md, sa.Column("name", sa.String(50)), name="orgs"),
            _users(md, sa.Column("org_id", sa.ForeignKey("orgs.id"), nullable=False)),
        ),
        lambda md: (
            _users(md, sa.Column("name", sa.String(50)), name="organizations", info=was("orgs")),
            _users(md, sa.Column("org_id", sa.ForeignKey("organizations.id"), nullable=False)),
        ),
        {
            "orgs": USERS,
            "users": [{"id": 7, "org_id": 1}, {"id": 8, "org_id": 3}, {"id": 9, "org_id": 1}],
        },
        tables={"orgs": "organizations"},
    ),
    Case(
        "column-with-fk-and-index",
        lambda md: (
            _users(md, sa.Column("name", sa.String(50))),
            _users(md, sa.Column("author_id", sa.ForeignKey("users.id"), index=True), name="posts"),
        ),
        lambda md: (
            _users(md, sa.Column("name", sa.String(50))),
            _users(
                md,
                sa.Column(
                    "writer_id", sa.ForeignKey("users.id"), index=True, info=was("author_id")
                ),
                name="posts",
            ),
        ),
        {
            "users": USERS,
            "posts": [
                {"id": 1, "author_id": 2},
                {"id": 2, "author_id": 2},
                {"id": 3, "author_id": None},
            ],
        },
        columns={("posts", "author_id"): "writer_id"},
    ),
]

CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _convention_before(md):
    _users(
        md,
        sa.Column("name", sa.String(50), index=True),
        sa.Column("email", sa.String(100), unique=True),
        sa.CheckConstraint("name <> ''", name="name_not_blank"),
    )
    _users(md, sa.Column("user_id", sa.ForeignKey("users.id")), name="posts")


def _convention_after(md):
    _users(
        md,
        sa.Column("full_name", sa.String(50), index=True, info=was("name")),
        sa.Column("email", sa.String(100), unique=True),
        sa.CheckConstraint("full_name <> ''", name="name_not_blank"),
        name="accounts",
        info=was("users"),
    )
    _users(md, sa.Column("user_id", sa.ForeignKey("accounts.id")), name="posts")


CONVENTION_CASE = Case(
    "naming-convention",
    _convention_before,
    _convention_after,
    {
        "users": [
            {"id": 1, "name": "ada", "email": "a@x"},
            {"id": 2, "name": "grace", "email": "g@x"},
        ],
        "posts": [{"id": 5, "user_id": 2}, {"id": 6, "user_id": 1}],
    },
    tables={"users": "accounts"},
    columns={("users", "name"): "full_name"},
    naming_convention=CONVENTION,
)


def read_rows(db, metadata: sa.MetaData) -> dict[str, list[dict]]:
    """Every row of every table of `metadata`, in id order."""
    with db.engine().connect() as conn:
        return {
            name: [
                dict(row._mapping) for row in conn.execute(sa.select(table).order_by(table.c.id))
            ]
            for name, table in metadata.tables.items()
        }


def start(db, tmp_path: Path, case: Case) -> Config:
    """The database at models A with the case's rows in it, and a project to migrate it."""
    before = case.metadata(case.before)
    db.create_all(before)
    with db.engine().begin() as conn:
        for name, table in before.tables.items():  # sorted referenced-first
            if case.rows.get(name):
                conn.execute(sa.insert(table), case.rows[name])
    config = Config(root=tmp_path, url=db.url)
    init_project(config)
    return config


def assert_matches(db, metadata: sa.MetaData) -> None:
    database, models = db.snapshots(metadata)
    assert compare(database, models) == [], as_text(compare(database, models))


def run_case(db, tmp_path: Path, case: Case) -> list[o.Op]:
    config = start(db, tmp_path, case)
    before, after = case.metadata(case.before), case.metadata(case.after)
    with db.engine().connect() as conn:
        generated = generate_revision(config, "rename", conn, after, rev_id="a1a1a1a1a1a1")
    assert not [op for op in generated.ops if isinstance(op, (o.DropTable, o.DropColumn))], as_text(
        list(generated.ops)
    )

    migrate(config, "upgrade", "head", lambda line: None)
    assert_matches(db, after)
    expected = case.renamed_rows()
    assert {k: v for k, v in read_rows(db, after).items() if k in expected} == expected

    migrate(config, "downgrade", "base", lambda line: None)
    assert_matches(db, before)
    assert {k: v for k, v in read_rows(db, before).items() if k in case.rows} == case.rows
    return list(generated.ops)


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_hinted_rename_keeps_every_row_up_and_down(db, case, tmp_path):
    ops = run_case(db, tmp_path, case)
    renames = [op for op in ops if isinstance(op, o.RenameTable)]
    assert [(op.old_name, op.new_name) for op in renames] == list(case.tables.items())
    column_renames = [op for op in ops if isinstance(op, o.AlterColumn) and "name" in op.changes]
    assert [((op.table_name, op.existing.name), op.new.name) for op in column_renames] == [
        ((case.tables.get(t, t), c), new) for (t, c), new in case.columns.items()
    ]


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_the_renamed_column_changes_after_the_rename(db, tmp_path):
    """The rename is an op of its own and comes first; the widening names the new column."""
    ops = run_case(db, tmp_path, CASES[0])
    assert [op.changes for op in ops] == [("name",), ("type", "nullable")]
    assert ops[1].existing.name == ops[1].new.name == "full_name"


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_names_from_the_naming_convention_are_renamed_not_rebuilt(db, tmp_path):
    ops = run_case(db, tmp_path, CONVENTION_CASE)
    rebuilt = (o.CreateIndex, o.DropIndex, o.AddConstraint, o.DropConstraint)
    assert not [op for op in ops if isinstance(op, rebuilt)], as_text(ops)
    renamed = {
        (type(op).__name__, op.old_name, op.new_name) for op in ops if hasattr(op, "old_name")
    }
    expected = {
        ("RenameTable", "users", "accounts"),
        ("RenameIndex", "ix_users_name", "ix_accounts_full_name"),
        ("RenameConstraint", "uq_users_email", "uq_accounts_email"),
        ("RenameConstraint", "ck_users_name_not_blank", "ck_accounts_name_not_blank"),
        ("RenameConstraint", "fk_posts_user_id_users", "fk_posts_user_id_accounts"),
    }
    if db.dialect != "mysql":  # MySQL's primary key is always named PRIMARY
        expected.add(("RenameConstraint", "pk_users", "pk_accounts"))
    assert renamed == expected
