"""PostgreSQL fidelity: identity changes, domains, serial columns without OWNED BY, sequences that
follow their column's type, enum rebuilds around checks and indexes, default spellings, and a
pg_dump-style schema loaded from SQL against its sqlacodegen models.

Every case runs on a real PostgreSQL server; the round trips generate a revision, upgrade, check
that nothing is left to do, downgrade, and check again.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Optional

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings
from sqlalchemy.dialects import postgresql as pg

from conftest import FIXTURES
from models import fixture_metadata
from schemadiff import compare
from schemadiff.config import Config
from schemadiff.dialects import for_sa_dialect
from schemadiff.execute import script_sql
from schemadiff.hazards import assess
from schemadiff.ops import AlterDomain
from schemadiff.render import ScriptInfo, render_script
from schemadiff.report import as_text
from schemadiff.runtime import migrate
from schemadiff.scripts import generate_revision, init_project
from schemadiff.snapshot import Identity, Snapshot
from scripting import load_script, record
from strategies import build, schema_specs
from test_roundtrip import castable, round_trip

pytestmark = pytest.mark.parametrize("db", ["postgresql"], indirect=True)


def item(md: sa.MetaData, *columns) -> sa.Table:
    return sa.Table("item", md, sa.Column("id", sa.Integer, primary_key=True), *columns)


def models(*columns) -> sa.MetaData:
    """A fresh MetaData with one table `item` holding `columns` (built anew for each call)."""
    md = sa.MetaData()
    item(md, *[c() for c in columns])
    return md


def number(*identity):
    return lambda: sa.Column("number", sa.Integer, *identity, nullable=False)


IDENTITY_CHANGES = {
    "add": (number(), number(sa.Identity())),
    "add-always-with-options": (number(), number(sa.Identity(always=True, start=100, increment=5))),
    "drop": (number(sa.Identity(start=5)), number()),
    "drop-and-nullable": (number(sa.Identity()), lambda: sa.Column("number", sa.Integer)),
    "always": (number(sa.Identity()), number(sa.Identity(always=True))),
    "start": (number(sa.Identity(start=10)), number(sa.Identity(start=20))),
    "increment": (number(sa.Identity()), number(sa.Identity(increment=3))),
}


@pytest.mark.parametrize("change", IDENTITY_CHANGES)
def test_identity_changes_round_trip(db, change, tmp_path):
    before, after = IDENTITY_CHANGES[change]
    round_trip(db, tmp_path, models(before), models(after))


def test_alembic_spelling_of_an_identity_change_is_understood(db):
    """`server_default=sa.Identity(...)` is how Alembic scripts add an identity."""
    db.create_all(models(number()))
    database, _ = db.snapshots(models(number()))
    script = load_script(
        "import sqlalchemy as sa\nfrom schemadiff import op\n"
        "def upgrade():\n"
        "    op.alter_column('item', 'number', server_default=sa.Identity(start=7))\n"
    )
    dialect = for_sa_dialect(db.engine().dialect)
    (op,), state = record(script, "upgrade", dialect, database)
    assert op.changes == ("identity",)
    assert state.table("item").column("number").identity == Identity(start=7)


# -- serial columns -----------------------------------------------------------------------------

SERIAL_WITHOUT_OWNER = """
CREATE SEQUENCE item_id_seq;
CREATE TABLE item (id {type} NOT NULL DEFAULT nextval('item_id_seq'::regclass), PRIMARY KEY (id));
"""


def run_sql(db, sql: str) -> None:
    with db.engine().begin() as conn:
        conn.exec_driver_sql(sql)


def test_a_sequence_the_column_does_not_own_is_still_serial(db):
    """pg_dump output without OWNED BY: the model's Integer primary key matches it."""
    run_sql(db, SERIAL_WITHOUT_OWNER.format(type="integer"))
    database, models_ = db.snapshots(models())
    assert database.table("item").column("id").autoincrement
    assert compare(database, models_) == [], as_text(compare(database, models_))


def test_a_sequence_of_another_name_stays_a_default(db):
    """A shared sequence is no SERIAL: the model spells the default, and keeps the name."""
    run_sql(db, SERIAL_WITHOUT_OWNER.format(type="integer").replace("item_id_seq", "shared_ids"))
    default = sa.text("nextval('shared_ids'::regclass)")
    md = sa.MetaData()
    sa.Table("item", md, sa.Column("id", sa.Integer, primary_key=True, server_default=default))
    database, models_ = db.snapshots(md)
    assert not database.table("item").column("id").autoincrement
    assert compare(database, models_) == [], as_text(compare(database, models_))


def sequence_type(db) -> str:
    with db.engine().connect() as conn:
        return conn.exec_driver_sql(
            "SELECT format_type(seqtypid, NULL) FROM pg_sequence WHERE seqrelid = 'item_id_seq'::regclass"
        ).scalar()


def big_item() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("item", md, sa.Column("id", sa.BigInteger, primary_key=True))
    return md


@pytest.mark.parametrize("owned", [True, False], ids=["owned", "not-owned"])
def test_integer_to_bigint_widens_the_serial_sequence_and_back(db, owned, tmp_path):
    if not owned:
        run_sql(db, SERIAL_WITHOUT_OWNER.format(type="integer"))
    round_trip(db, tmp_path, models(), big_item())
    assert sequence_type(db) == "integer"
    migrate(Config(root=tmp_path, url=db.url), "upgrade", "head", print)
    assert sequence_type(db) == "bigint"
    with db.engine().begin() as conn:  # past INTEGER's range
        conn.exec_driver_sql("SELECT setval('item_id_seq', 3000000000)")
        conn.exec_driver_sql("INSERT INTO item DEFAULT VALUES")


# -- default spellings --------------------------------------------------------------------------

SPELLINGS = [
    (sa.Interval, "0"),
    (sa.Interval, sa.text("'0'")),
    (sa.Interval, sa.text("interval '0 seconds'")),
    (sa.Interval, "2 weeks 90 minutes"),
    (sa.Interval, "36 hours"),
    (sa.Interval, "1 year 2 months"),
    (sa.Interval, "1.5 seconds"),
    (sa.Boolean, "0"),
    (sa.Boolean, "1"),
    (sa.Boolean, sa.text("'t'")),
    (sa.Boolean, "off"),
]


@pytest.mark.parametrize("type_,default", SPELLINGS, ids=[f"{t.__name__}-{d}" for t, d in SPELLINGS])
def test_a_default_spelled_otherwise_compares_equal_to_what_postgresql_stored(db, type_, default):
    md = models(lambda: sa.Column("value", type_, server_default=default))
    db.create_all(md)
    database, models_ = db.snapshots(md)
    assert compare(database, models_) == [], as_text(compare(database, models_))


def test_interval_zero_in_the_database_matches_a_model_zero(db):
    run_sql(db, "CREATE TABLE item (id serial PRIMARY KEY, value interval DEFAULT '00:00:00'::interval)")
    database, models_ = db.snapshots(models(lambda: sa.Column("value", sa.Interval, server_default="0")))
    assert compare(database, models_) == [], as_text(compare(database, models_))


def test_a_changed_interval_default_is_still_seen(db):
    db.create_all(models(lambda: sa.Column("value", sa.Interval, server_default="1 hour")))
    database, models_ = db.snapshots(models(lambda: sa.Column("value", sa.Interval, server_default="61 minutes")))
    assert [op.changes for op in compare(database, models_)] == [("default",)]


# -- enum rebuilds ------------------------------------------------------------------------------


def ticket(*values: str) -> sa.MetaData:
    md = sa.MetaData()
    status = sa.Enum(*values, name="ticket_status")
    table = sa.Table(
        "ticket",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", status, nullable=False, server_default="open"),
        sa.Column("opened", sa.Date),
        sa.CheckConstraint("status <> 'spam'", name="ck_ticket_not_spam"),
    )
    sa.Index("ix_ticket_open", table.c.opened, postgresql_where=sa.text("status = 'open'"))
    sa.Index("ix_ticket_status_text", sa.text("(status::text)"))
    sa.Index("ix_ticket_status", table.c.status)
    return md


@pytest.mark.parametrize(
    "after",
    [("open", "closed", "spam"), ("spam", "closed", "open")],
    ids=["value-removed", "values-reordered"],
)
def test_an_enum_rebuild_carries_the_checks_and_indexes_that_use_it(db, after, tmp_path):
    before = ticket("open", "closed", "spam", "stale")
    db.create_all(before)
    with db.engine().begin() as conn:
        conn.exec_driver_sql("INSERT INTO ticket (status, opened) VALUES ('closed', now()), ('open', now())")
    round_trip(db, tmp_path, before, ticket(*after))
    with db.engine().connect() as conn:
        rows = conn.exec_driver_sql("SELECT status::text FROM ticket WHERE status = 'open'").all()
    assert rows == [("open",)]


# -- domains ------------------------------------------------------------------------------------


def email(**options) -> pg.DOMAIN:
    settings = dict(check="VALUE LIKE '%@%'", constraint_name="email_has_at")
    settings.update(options)
    return pg.DOMAIN("email", sa.String(200), **settings)


def customer(domain: Optional[pg.DOMAIN] = None, *more) -> sa.MetaData:
    md = sa.MetaData()
    columns = [sa.Column("address", domain)] if domain is not None else []
    sa.Table("customer", md, sa.Column("id", sa.Integer, primary_key=True), *columns, *more)
    return md


DOMAIN_MODELS = {
    "check": lambda: customer(email()),
    "unnamed-check": lambda: customer(email(constraint_name=None)),
    "not-null-default": lambda: customer(email(not_null=True, default="nobody@example.com")),
    "no-check": lambda: customer(pg.DOMAIN("email", sa.Text, default=sa.text("'x@y'"))),
    "positive": lambda: customer(pg.DOMAIN("positive", sa.Integer, check="VALUE > 0")),
}


@pytest.mark.parametrize("name", DOMAIN_MODELS)
def test_create_all_of_a_domain_reads_back_as_its_models(db, name):
    md = DOMAIN_MODELS[name]()
    db.create_all(md)
    database, models_ = db.snapshots(md)
    assert database.domains and database.domains == models_.domains
    assert compare(database, models_) == [], as_text(compare(database, models_))


def test_a_domain_survives_the_json_snapshot(db):
    _, models_ = db.snapshots(DOMAIN_MODELS["not-null-default"]())
    assert Snapshot.from_json(models_.to_json()) == models_


DOMAIN_CHANGES = {
    "added-with-its-column": (lambda: customer(), lambda: customer(email())),
    "check-changed": (lambda: customer(email()), lambda: customer(email(check="VALUE LIKE '%@%.%'"))),
    "check-added": (DOMAIN_MODELS["no-check"], lambda: customer(pg.DOMAIN("email", sa.Text, default=sa.text("'x@y'"), check="VALUE <> ''"))),
    "not-null-and-default": (lambda: customer(email()), lambda: customer(email(not_null=True, default="a@b"))),
    "base-type": (lambda: customer(email()), lambda: customer(pg.DOMAIN("email", sa.Text, check="VALUE LIKE '%@%'", constraint_name="email_has_at"))),
    "another-domain": (DOMAIN_MODELS["check"], DOMAIN_MODELS["positive"]),
}


@pytest.mark.parametrize("change", DOMAIN_CHANGES)
def test_domain_changes_round_trip(db, change, tmp_path):
    before, after = DOMAIN_CHANGES[change]
    round_trip(db, tmp_path, before(), after())


def test_a_domain_column_renders_as_a_domain_and_the_domain_comes_first(db):
    _, models_ = db.snapshots(DOMAIN_MODELS["check"]())
    dialect = for_sa_dialect(db.engine().dialect)
    ops = compare(Snapshot(), models_)
    assert [type(op).__name__ for op in ops] == ["CreateDomain", "CreateTable"]
    script = render_script(ops, ScriptInfo("domains", "d0d0d0d0d0d0"), dialect)
    assert "op.create_domain(" in script and "postgresql.DOMAIN(" in script
    assert "ENUM" not in script
    assert as_text(ops).splitlines()[:2] == [
        "domain email:",
        "  + domain email VARCHAR(200) CHECK email_has_at (value like '%@%')",
    ]


# -- random schemas with domains and identity columns -----------------------------------------


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(a=schema_specs(postgresql=True), b=schema_specs(postgresql=True))
def test_random_schemas_with_domains_and_identity_round_trip(db, a, b):
    assume(castable(a, b))
    db.reset()
    with tempfile.TemporaryDirectory() as root:
        round_trip(db, Path(root), build(a), build(b))


# -- a real-world schema loaded from SQL --------------------------------------------------------


def load_realworld_sql(db) -> None:
    with db.engine().begin() as conn:
        conn.exec_driver_sql((FIXTURES / "realworld_postgresql.sql").read_text())


def test_realworld_sql_matches_its_sqlacodegen_models(db):
    load_realworld_sql(db)
    database, models_ = db.snapshots(fixture_metadata("realworld_postgresql"))
    assert [d.name for d in database.domains] == ["year"]
    assert [e.name for e in database.enums] == ["mpaa_rating"]
    assert database.table("film").column("film_id").autoincrement  # no OWNED BY
    assert database.table("rental").column("rental_id").identity == Identity(always=True, start=1000)
    assert compare(database, models_) == [], as_text(compare(database, models_))


def test_realworld_models_from_empty_reproduce_the_sql_schema(db, tmp_path):
    load_realworld_sql(db)
    metadata = fixture_metadata("realworld_postgresql")
    loaded, _ = db.snapshots(metadata)
    db.reset()
    config = Config(root=tmp_path, url=db.url)
    init_project(config)
    with db.engine().connect() as conn:
        generate_revision(config, "realworld", conn, metadata, rev_id="e0e0e0e0e0e0")
    migrate(config, "upgrade", "head", print)
    upgraded, _ = db.snapshots(metadata)
    assert upgraded == loaded, as_text(compare(loaded, upgraded))
    migrate(config, "downgrade", "base", print)
    emptied, _ = db.snapshots(metadata)
    assert emptied == Snapshot()


def test_offline_sql_of_a_domain_shows_its_check_as_written(db):
    _, models_ = db.snapshots(DOMAIN_MODELS["check"]())
    dialect = for_sa_dialect(db.engine().dialect)
    sql = script_sql(compare(Snapshot(), models_), Snapshot(), dialect)
    assert sql[0] == "CREATE DOMAIN email AS VARCHAR(200) CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');\n"


def test_a_changed_domain_is_one_op_and_its_columns_stay_as_they_are(db):
    db.create_all(customer(email()))
    database, models_ = db.snapshots(customer(email(check="VALUE LIKE '%@%.%'")))
    (op,) = compare(database, models_)
    assert isinstance(op, AlterDomain) and op.changes == ("checks",)
    ((hazard,),) = assess([op], for_sa_dialect(db.engine().dialect), database)
    assert (hazard.kind, hazard.code) == ("may-fail", "new-check")
    assert op.reverse().reverse() == op
