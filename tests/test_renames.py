"""Renames that keep every row: hints in the models turn a drop + add into a rename.

Each case starts from models A with rows in their tables, generates the revision for models B
(which say what they renamed), upgrades and checks every row under the new names, then downgrades
and checks every row under the old ones; on SQLite, PostgreSQL and MariaDB alike.
"""

from __future__ import annotations

import dataclasses
import subprocess
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from conftest import DIALECTS, server_url
from schemadiff import ops as o
from schemadiff.api import diff
from schemadiff.compare import compare
from schemadiff.config import Config
from schemadiff.dialects import offline_dialect
from schemadiff.errors import SchemadiffError
from schemadiff.from_metadata import snapshot_metadata
from schemadiff.hazards import assess
from schemadiff.head_snapshot import offline_changes
from schemadiff.renames import Renames, hinted
from schemadiff.report import as_text
from schemadiff.runtime import migrate
from schemadiff.snapshot import Snapshot
from schemadiff.scripts import generate_revision, init_project
from schemadiff.state import apply_all
from strategies import TableSpec, build, schema_specs


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

CASES.append(
    Case(
        "referenced-column",
        lambda md: (
            _users(md, sa.Column("name", sa.String(50))),
            _users(md, sa.Column("author_id", sa.ForeignKey("users.id")), name="posts"),
        ),
        lambda md: (
            sa.Table(
                "users",
                md,
                sa.Column("user_id", sa.Integer, primary_key=True, info=was("id")),
                sa.Column("name", sa.String(50)),
            ),
            _users(md, sa.Column("author_id", sa.ForeignKey("users.user_id")), name="posts"),
        ),
        {"users": USERS, "posts": [{"id": 1, "author_id": 3}, {"id": 2, "author_id": 1}]},
        columns={("users", "id"): "user_id"},
    )
)

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
    """Every row of every table of `metadata`, in key order."""
    with db.engine().connect() as conn:
        return {
            name: [
                dict(row._mapping)
                for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for name, table in metadata.tables.items()
        }


def start(db, tmp_path: Path, case: Case) -> Config:
    """A project whose first revision makes models A, its database upgraded to it, with the
    case's rows in it."""
    before = case.metadata(case.before)
    dev_url = None if db.dialect == "sqlite" else server_url(db.dialect)
    config = Config(root=tmp_path, url=db.url, dev_url=dev_url)
    init_project(config)
    with db.engine().connect() as conn:
        generate_revision(config, "start", conn, before, rev_id="a0a0a0a0a0a0")
    migrate(config, "upgrade", "head", lambda line: None)
    with db.engine().begin() as conn:
        for name, table in before.tables.items():  # sorted referenced-first
            if case.rows.get(name):
                conn.execute(sa.insert(table), case.rows[name])
    return config


def assert_matches(db, metadata: sa.MetaData) -> None:
    database, models = db.snapshots(metadata)
    assert compare(database, models) == [], as_text(compare(database, models))


def assert_hints_are_satisfied(db, config: Config, metadata: sa.MetaData) -> None:
    """Hints may stay in the models: once the renames ran, online and offline checks are clean."""
    with db.engine().connect() as conn:
        assert diff(conn, metadata) == []
    assert offline_changes(config, metadata) == []


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
    assert_hints_are_satisfied(db, config, after)
    expected = case.renamed_rows()
    assert {k: v for k, v in read_rows(db, after).items() if k in expected} == expected

    migrate(config, "downgrade", "-1", lambda line: None)
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


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_postgresql_sequences_take_the_new_names(db, tmp_path):
    """SERIAL's sequence, and an identity's, are named `<table>_<column>_seq`: they follow the
    renames of their table and column, and the numbering goes on where it was."""
    case = Case(
        "sequences",
        lambda md: _users(
            md, sa.Column("number", sa.Integer, sa.Identity()), sa.Column("name", sa.String(20))
        ),
        lambda md: sa.Table(
            "accounts",
            md,
            sa.Column("account_id", sa.Integer, primary_key=True, info=was("id")),
            sa.Column("number", sa.Integer, sa.Identity()),
            sa.Column("name", sa.String(20)),
            info=was("users"),
        ),
        {"users": []},
    )
    config = start(db, tmp_path, case)
    with db.engine().begin() as conn:
        conn.execute(sa.text("INSERT INTO users (name) VALUES ('ada'), ('grace')"))
    with db.engine().connect() as conn:
        generate_revision(config, "rename", conn, case.metadata(case.after), rev_id="a1a1a1a1a1a1")

    def sequences(table: str, *columns: str) -> list:
        with db.engine().begin() as conn:
            return [
                conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": c})
                .scalar()
                .split(".")[-1]
                for c in columns
            ]

    migrate(config, "upgrade", "head", lambda line: None)
    assert sequences("accounts", "account_id", "number") == [
        "accounts_account_id_seq",
        "accounts_number_seq",
    ]
    with db.engine().begin() as conn:
        conn.execute(sa.text("INSERT INTO accounts (name) VALUES ('edsger')"))
        rows = conn.execute(
            sa.text("SELECT account_id, number, name FROM accounts ORDER BY 1")
        ).all()
    assert [tuple(r) for r in rows] == [(1, 1, "ada"), (2, 2, "grace"), (3, 3, "edsger")]
    assert_matches(db, case.metadata(case.after))

    migrate(config, "downgrade", "-1", lambda line: None)
    assert sequences("users", "id", "number") == ["users_id_seq", "users_number_seq"]
    assert_matches(db, case.metadata(case.before))


HINT_TO_NOWHERE = """
import sqlalchemy as sa
metadata = sa.MetaData()
accounts = sa.Table(
    "accounts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    info={"renamed_from": "usres"},
)
"""


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_a_hint_that_names_nothing_is_one_line_of_error(db, tmp_path):
    db.create_all(CASES[1].metadata(CASES[1].before))  # the table is "users": the hint has a typo
    (tmp_path / "models.py").write_text(HINT_TO_NOWHERE)
    common = ["--url", db.url, "--metadata", "models:metadata"]
    assert schemadiff(tmp_path, "init", *common).returncode == 0
    for command in (["generate", "-m", "rename"], ["diff"], ["check"]):
        result = schemadiff(tmp_path, *command, *common)
        assert result.returncode == 2, result
        lines = result.stderr.strip().splitlines()
        assert lines == [
            "schemadiff: error: rename usres -> accounts: the database has neither table usres nor "
            "accounts (the models drop 'users': is the old name one of those?)"
        ]
    assert not list((tmp_path / "migrations" / "versions").glob("*.py"))


def schemadiff(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "schemadiff", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


# -- the state replay follows renames: a property over random schemas --------------------------


@st.composite
def renamed_specs(draw) -> tuple[tuple[TableSpec, ...], tuple[TableSpec, ...], Renames]:
    """A random schema, the same schema with some tables and columns renamed, and the renames."""
    spec = draw(schema_specs())
    tables = {t.name: f"new_{t.name.lower()}" for t in spec if draw(st.booleans())}
    columns = {
        (t.name, c.name): f"new_{c.name.lower()}"
        for t in spec
        for c in t.columns
        if draw(st.booleans())
    }
    renamed = tuple(_renamed_table(t, tables, columns) for t in spec)
    renames = Renames(
        tables=tuple((("", old), new) for old, new in tables.items()),
        columns=tuple((("", tables.get(t, t)), old, new) for (t, old), new in columns.items()),
    )
    return spec, renamed, renames


def _renamed_table(table: TableSpec, tables: dict, columns: dict) -> TableSpec:
    def col(name: str) -> str:
        return columns.get((table.name, name), name)

    def cols(names) -> tuple:
        return tuple(col(n) for n in names)

    return dataclasses.replace(
        table,
        name=tables.get(table.name, table.name),
        columns=tuple(dataclasses.replace(c, name=col(c.name)) for c in table.columns),
        indexes=tuple(
            dataclasses.replace(i, columns=cols(i.columns), include=i.include and col(i.include))
            for i in table.indexes
        ),
        uniques=tuple(cols(u) for u in table.uniques),
        checks=cols(table.checks),
        parent=table.parent and tables.get(table.parent, table.parent),
    )


@pytest.mark.parametrize("dialect", DIALECTS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=renamed_specs())
def test_replaying_the_renames_gives_the_target_and_their_reverse_the_start(dialect, case):
    before, after, renames = case
    offline = offline_dialect(dialect)
    current = snapshot_metadata(build(before), offline, offline.nominal_default_schema)
    target = snapshot_metadata(build(after), offline, offline.nominal_default_schema)
    ops = compare(current, target, renames)
    rebuilt = (
        o.DropTable,
        o.DropColumn,
        o.CreateTable,
        o.AddColumn,
        o.AddConstraint,
        o.DropConstraint,
    )
    assert not [op for op in ops if isinstance(op, rebuilt)], as_text(ops)
    # Index options that list columns (postgresql_include, mysql_length) are not followed: such
    # an index is made again.
    assert all(
        op.index.options for op in ops if isinstance(op, (o.DropIndex, o.CreateIndex))
    ), as_text(ops)
    assert len([op for op in ops if isinstance(op, o.RenameTable)]) == len(renames.tables)
    assert apply_all(current, ops) == target
    assert apply_all(target, o.reverse_all(ops)) == current


def test_hints_are_read_from_tables_columns_and_declarative_models():
    class Base(DeclarativeBase):
        pass

    class Account(Base):
        __tablename__ = "accounts"
        __table_args__ = {"info": was("users"), "schema": "app"}
        id: Mapped[int] = mapped_column(primary_key=True)
        full_name: Mapped[str] = mapped_column(sa.String(50), info=was("name"))

    sa.Table(
        "items",
        Base.metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(20), info=was("title")),
        sa.Column("kept", sa.String(20), info={"other": 1}),
        schema="public",
        info=was("things"),
    )
    assert hinted(Base.metadata, default_schema="public") == Renames(
        tables=((("app", "users"), "accounts"), (("", "things"), "items")),
        columns=((("app", "accounts"), "name", "full_name"), (("", "items"), "title", "label")),
    )
    # Keyed as the snapshots key them: the default schema is "".
    assert hinted(Base.metadata).tables[1] == (("public", "things"), "items")


def test_a_hint_asks_nothing_once_it_ran_and_fails_when_it_names_nothing():
    sqlite = offline_dialect("sqlite")
    before, after = (
        snapshot_metadata(CASES[0].metadata(m), sqlite) for m in (CASES[0].before, CASES[0].after)
    )
    hint = Renames(columns=((("", "users"), "name", "full_name"),))
    assert compare(after, after, hint) == []
    assert [op.changes for op in compare(before, after, hint)] == [("name",), ("type", "nullable")]
    typo = Renames(columns=((("", "users"), "nmae", "full_name"),))
    message = (
        "rename users.nmae -> full_name: table users in the database has neither column 'nmae' nor "
        "'full_name' (the models drop 'name': is the old name one of those?)"
    )
    with pytest.raises(SchemadiffError, match=f"^{re.escape(message)}$"):
        compare(before, after, typo)


def test_a_hint_on_a_database_behind_the_models_asks_nothing():
    """Where the database has not reached the hinted table or column yet, it comes new: nothing
    is lost, so the hint names nothing wrongly and `check` can say the database is behind."""
    sqlite = offline_dialect("sqlite")
    after = snapshot_metadata(CASES[0].metadata(CASES[0].after), sqlite)
    hints = Renames(
        tables=((("", "people"), "users"),), columns=((("", "users"), "name", "full_name"),)
    )
    assert compare(Snapshot(), after, hints) == compare(Snapshot(), after)
    users = after.table("users")
    without = dataclasses.replace(
        users, columns=tuple(c for c in users.columns if c.name != "full_name")
    )
    behind = dataclasses.replace(after, tables=(without,))
    assert compare(behind, after, hints) == compare(behind, after)


def test_hazards_of_the_renames_on_each_dialect():
    """Renames lose nothing. MySQL renames no foreign key or check: it adds them again, which
    checks every row while writes wait; SQLite rebuilds the table to rename a constraint."""
    current = snapshot_metadata(
        CONVENTION_CASE.metadata(_convention_before), offline_dialect("sqlite"), None
    )
    target = snapshot_metadata(
        CONVENTION_CASE.metadata(_convention_after), offline_dialect("sqlite"), None
    )
    ops = compare(current, target, hinted(CONVENTION_CASE.metadata(_convention_after)))
    found = {
        dialect: sorted(
            {h.code for hazards in assess(ops, offline_dialect(dialect), current) for h in hazards}
        )
        for dialect in ("sqlite", "postgresql", "mysql")
    }
    assert found == {
        "sqlite": ["sqlite-rebuild"],
        "postgresql": [],
        "mysql": ["validated-check", "validated-fk"],
    }
    assert sorted({h.code for hazards in assess(ops) for h in hazards}) == []
