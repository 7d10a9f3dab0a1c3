"""Comparator: build the database from models A, compare with models B, expect exactly B - A.

Every case runs on SQLite, PostgreSQL and MySQL/MariaDB. An expectation given per dialect says
where a database cannot hold the difference at all (SQLite has no comments, for one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

import pytest
import sqlalchemy as sa

from conftest import DIALECTS
from schemadiff.compare import compare
from schemadiff import ops as o
from schemadiff.api import Scope
from schemadiff.dialects import for_sa_dialect
from schemadiff.render import ScriptInfo, render_script
from scripting import load_script, record
from schemadiff.report import as_text, op_name

Expected = list[tuple]


def signature(op: o.Op) -> tuple:
    """What a test names of an op: its kind, table and the object it touches."""
    name = op_name(op)
    if isinstance(op, (o.CreateTable, o.DropTable)):
        return (name, op.table.name)
    if isinstance(op, (o.AddColumn, o.DropColumn)):
        return (name, op.table_name, op.column.name)
    if isinstance(op, o.AlterColumn):
        return (name, op.table_name, op.new.name, op.changes)
    if isinstance(op, (o.CreateIndex, o.DropIndex)):
        return (name, op.table_name, op.index.columns)
    if isinstance(op, (o.AddConstraint, o.DropConstraint)):
        c = op.constraint
        what = c.sqltext if isinstance(c, o.CheckConstraint) else c.columns
        return (name, op.table_name, o.CONSTRAINT_KINDS[type(c)], what)
    if isinstance(op, o.SetTableComment):
        return (name, op.table_name, op.comment)
    if isinstance(op, (o.CreateEnum, o.DropEnum)):
        return (name, op.enum.name)
    if isinstance(op, o.AlterEnum):
        return (name, op.new.name, op.new.values)
    raise AssertionError(op)


def account(md: sa.MetaData, *extra, comment=None, **columns) -> sa.Table:
    """A small table; keyword arguments replace (Column) or remove (None) its columns."""
    base = {
        "id": sa.Column("id", sa.Integer, primary_key=True),
        "name": sa.Column("name", sa.String(50), nullable=False),
        "email": sa.Column("email", sa.String(100)),
        "balance": sa.Column("balance", sa.Numeric(10, 2)),
    }
    base.update(columns)
    kept = [c for c in base.values() if c is not None]
    return sa.Table("account", md, *kept, *extra, comment=comment)


def owner(md: sa.MetaData, *extra) -> sa.Table:
    return sa.Table(
        "owner",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer),
        *extra,
    )


def ledger(md: sa.MetaData) -> sa.Table:
    return sa.Table("ledger", md, sa.Column("id", sa.Integer, primary_key=True))


@dataclass
class Case:
    id: str
    before: Callable[[sa.MetaData], object]
    after: Callable[[sa.MetaData], object]
    expected: Union[Expected, dict[str, Expected]] = field(default_factory=list)

    def expected_on(self, dialect: str) -> Expected:
        if isinstance(self.expected, dict):
            return self.expected.get(dialect, self.expected.get("default", []))
        return self.expected


ACCOUNT_FK = lambda md: owner(md, sa.ForeignKeyConstraint(["account_id"], ["account.id"]))  # noqa: E731

CASES = [
    Case("add table", lambda md: None, account, [("create_table", "account")]),
    # A ledger stays where tables go: models with no tables at all are refused as a setup mistake.
    Case("drop table", lambda md: (account(md), ledger(md)), ledger, [("drop_table", "account")]),
    Case(
        "add referencing table after its target",
        lambda md: None,
        lambda md: (ACCOUNT_FK(md), account(md)),
        [("create_table", "account"), ("create_table", "owner")],
    ),
    Case(
        "drop referencing table before its target",
        lambda md: (account(md), ACCOUNT_FK(md), ledger(md)),
        ledger,
        {
            "default": [("drop_table", "owner"), ("drop_table", "account")],
            # MySQL's implicit index on the FK column goes with the table.
        },
    ),
    Case("add column", account, lambda md: account(md, note=sa.Column("note", sa.Text)), [("add_column", "account", "note")]),
    Case(
        "add NOT NULL column with default",
        account,
        lambda md: account(md, kind=sa.Column("kind", sa.String(10), nullable=False, server_default="a")),
        [("add_column", "account", "kind")],
    ),
    Case("drop column", account, lambda md: account(md, email=None), [("drop_column", "account", "email")]),
    Case(
        "string length",
        account,
        lambda md: account(md, name=sa.Column("name", sa.String(80), nullable=False)),
        [("alter_column", "account", "name", ("type",))],
    ),
    Case(
        "numeric precision and scale",
        account,
        lambda md: account(md, balance=sa.Column("balance", sa.Numeric(12, 4))),
        [("alter_column", "account", "balance", ("type",))],
    ),
    Case(
        "integer to biginteger",
        lambda md: account(md, n=sa.Column("n", sa.Integer)),
        lambda md: account(md, n=sa.Column("n", sa.BigInteger)),
        [("alter_column", "account", "n", ("type",))],
    ),
    Case(
        "datetime gains a time zone",
        lambda md: account(md, at=sa.Column("at", sa.DateTime)),
        lambda md: account(md, at=sa.Column("at", sa.DateTime(timezone=True))),
        # Only PostgreSQL stores the difference; elsewhere both are DATETIME.
        {"postgresql": [("alter_column", "account", "at", ("type",))]},
    ),
    Case(
        "nullable to not null",
        account,
        lambda md: account(md, email=sa.Column("email", sa.String(100), nullable=False)),
        [("alter_column", "account", "email", ("nullable",))],
    ),
    Case(
        "server default added",
        account,
        lambda md: account(md, email=sa.Column("email", sa.String(100), server_default="none@x")),
        [("alter_column", "account", "email", ("default",))],
    ),
    Case(
        "server default changed",
        lambda md: account(md, n=sa.Column("n", sa.Integer, server_default=sa.text("1"))),
        lambda md: account(md, n=sa.Column("n", sa.Integer, server_default=sa.text("2"))),
        [("alter_column", "account", "n", ("default",))],
    ),
    Case(
        "server default dropped",
        lambda md: account(md, n=sa.Column("n", sa.Integer, server_default=sa.text("1"))),
        lambda md: account(md, n=sa.Column("n", sa.Integer)),
        [("alter_column", "account", "n", ("default",))],
    ),
    Case(
        "column comment",
        account,
        lambda md: account(md, email=sa.Column("email", sa.String(100), comment="where to write")),
        {"sqlite": [], "default": [("alter_column", "account", "email", ("comment",))]},
    ),
    Case(
        "table comment",
        account,
        lambda md: account(md, comment="customer accounts"),
        {"sqlite": [], "default": [("set_table_comment", "account", "customer accounts")]},
    ),
    Case(
        "add index",
        account,
        lambda md: account(md, sa.Index("ix_account_email", "email")),
        [("create_index", "account", ("email",))],
    ),
    Case(
        "drop index",
        lambda md: account(md, sa.Index("ix_account_email", "email")),
        account,
        [("drop_index", "account", ("email",))],
    ),
    Case(
        "index becomes unique",
        lambda md: account(md, sa.Index("ix_account_email", "email")),
        lambda md: account(md, sa.Index("ix_account_email", "email", unique=True)),
        {
            "default": [("drop_index", "account", ("email",)), ("create_index", "account", ("email",))],
            # MySQL cannot tell a unique index on plain columns from a unique constraint.
            "mysql": [("drop_index", "account", ("email",)), ("add_constraint", "account", "unique", ("email",))],
        },
    ),
    Case(
        "index gains a column",
        lambda md: account(md, sa.Index("ix_account_name", "name")),
        lambda md: account(md, sa.Index("ix_account_name", "name", "email")),
        [("drop_index", "account", ("name",)), ("create_index", "account", ("name", "email"))],
    ),
    Case(
        "add unnamed unique",
        account,
        lambda md: account(md, sa.UniqueConstraint("email")),
        [("add_constraint", "account", "unique", ("email",))],
    ),
    Case(
        "drop unnamed unique",
        lambda md: account(md, sa.UniqueConstraint("email")),
        account,
        [("drop_constraint", "account", "unique", ("email",))],
    ),
    Case(
        "add check",
        account,
        lambda md: account(md, sa.CheckConstraint("balance >= 0", name="ck_balance")),
        [("add_constraint", "account", "check", "balance >= 0")],
    ),
    Case(
        "drop check",
        lambda md: account(md, sa.CheckConstraint("balance >= 0", name="ck_balance")),
        account,
        [("drop_constraint", "account", "check", "balance >= 0")],
    ),
    Case(
        "add foreign key",
        lambda md: (account(md), owner(md)),
        lambda md: (account(md), ACCOUNT_FK(md)),
        {
            "default": [("add_constraint", "owner", "foreign key", ("account_id",))],
        },
    ),
    Case(
        "drop foreign key",
        lambda md: (account(md), ACCOUNT_FK(md)),
        lambda md: (account(md), owner(md, sa.Index("ix_owner_account_id", "account_id"))),
        {
            "default": [
                ("drop_constraint", "owner", "foreign key", ("account_id",)),
                ("create_index", "owner", ("account_id",)),
            ],
        },
    ),
    Case(
        "foreign key gains ON DELETE",
        lambda md: (account(md), ACCOUNT_FK(md)),
        lambda md: (
            account(md),
            owner(md, sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE")),
        ),
        [
            ("drop_constraint", "owner", "foreign key", ("account_id",)),
            ("add_constraint", "owner", "foreign key", ("account_id",)),
        ],
    ),
    Case(
        "primary key gains a column",
        lambda md: account(md, name=sa.Column("name", sa.String(50), nullable=False)),
        lambda md: account(md, name=sa.Column("name", sa.String(50), primary_key=True)),
        {
            "default": [
                ("drop_constraint", "account", "primary key", ("id",)),
                ("add_constraint", "account", "primary key", ("id", "name")),
            ],
            "mysql": [
                ("drop_constraint", "account", "primary key", ("id",)),
                ("alter_column", "account", "id", ("autoincrement",)),
                ("add_constraint", "account", "primary key", ("id", "name")),
            ],
            "postgresql": [
                ("drop_constraint", "account", "primary key", ("id",)),
                ("alter_column", "account", "id", ("autoincrement",)),
                ("add_constraint", "account", "primary key", ("id", "name")),
            ],
        },
    ),
    Case(
        "aliases of the same type are no change",
        lambda md: account(
            md,
            a=sa.Column("a", sa.Integer),
            b=sa.Column("b", sa.String(20)),
            c=sa.Column("c", sa.Numeric(8, 3)),
            d=sa.Column("d", sa.Boolean),
            e=sa.Column("e", sa.Text),
            f=sa.Column("f", sa.DateTime),
        ),
        lambda md: account(
            md,
            a=sa.Column("a", sa.INTEGER()),
            b=sa.Column("b", sa.VARCHAR(20)),
            c=sa.Column("c", sa.DECIMAL(8, 3)),
            d=sa.Column("d", sa.BOOLEAN()),
            e=sa.Column("e", sa.TEXT()),
            f=sa.Column("f", sa.DateTime(timezone=False)),
        ),
        [],
    ),
    Case(
        "unnamed constraints match whatever the database named them",
        lambda md: account(md, sa.UniqueConstraint("name", "email"), sa.CheckConstraint("balance > -100")),
        lambda md: account(md, sa.UniqueConstraint("name", "email"), sa.CheckConstraint("balance > -100")),
        [],
    ),
    Case(
        "enum gains a value",
        lambda md: account(md, mood=sa.Column("mood", sa.Enum("sad", "ok", name="mood"))),
        lambda md: account(md, mood=sa.Column("mood", sa.Enum("sad", "ok", "happy", name="mood"))),
        {
            "postgresql": [("alter_enum", "mood", ("sad", "ok", "happy"))],
            "mysql": [("alter_column", "account", "mood", ("type",))],
            # SQLite stores an enum as VARCHAR sized to its longest value.
            "sqlite": [("alter_column", "account", "mood", ("type",))],
        },
    ),
]


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_reports_exactly_the_change(db, case):
    before, after = sa.MetaData(), sa.MetaData()
    case.before(before)
    case.after(after)
    db.create_all(before)
    database, models = db.snapshots(after)
    ops = compare(database, models)
    assert [signature(op) for op in ops] == case.expected_on(db.dialect), as_text(ops)


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rendered_script_replays_the_ops_and_their_reverse(db, case):
    before, after = sa.MetaData(), sa.MetaData()
    case.before(before)
    case.after(after)
    db.create_all(before)
    database, models = db.snapshots(after)
    ops = compare(database, models)
    dialect = for_sa_dialect(sa.create_engine(db.url).dialect)
    source = render_script(ops, ScriptInfo(case.id, "0123456789ab"), dialect)
    script = load_script(source)

    upgraded, state = record(script, "upgrade", dialect, database)
    assert upgraded == ops
    assert compare(state, models) == []
    downgraded, state = record(script, "downgrade", dialect, state)
    assert downgraded == o.reverse_all(ops)
    assert compare(state, database) == []


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_excluded_and_version_tables_never_show(db):
    present = sa.MetaData()
    account(present)
    sa.Table("schemadiff_version", present, sa.Column("version_num", sa.String(32), primary_key=True))
    sa.Table("audit_2024", present, sa.Column("id", sa.Integer, primary_key=True))
    db.create_all(present)
    models = sa.MetaData()
    account(models)
    database, target = db.snapshots(models, Scope(exclude_tables=("audit_*",)))
    assert compare(database, target) == []


def test_created_tables_come_referenced_first_and_cycles_close_after():
    md = sa.MetaData()
    sa.Table("a", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("b_id", sa.Integer, sa.ForeignKey("b.id")))
    sa.Table("b", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("a_id", sa.Integer, sa.ForeignKey("a.id")))
    sa.Table("c", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("a_id", sa.Integer, sa.ForeignKey("a.id")))
    from schemadiff.dialects import for_sa_dialect
    from schemadiff.from_metadata import snapshot_metadata
    from sqlalchemy.dialects import sqlite

    target = snapshot_metadata(md, for_sa_dialect(sqlite.dialect()))
    ops = compare(type(target)(), target)
    kinds = [signature(op) for op in ops]
    assert kinds == [
        ("create_table", "b"),
        ("create_table", "a"),
        ("create_table", "c"),
        ("add_constraint", "b", "foreign key", ("a_id",)),
    ]
    undo = compare(target, type(target)())
    assert undo == o.reverse_all(ops)
