"""Invariant 2, round trip: a database at schema A, models at B. `generate` then `upgrade` reads back
as B; `downgrade` reads back as A. Through the library, as the CLI does it, on every dialect."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings

from conftest import DIALECTS
from models import fixture_cases, fixture_metadata
from schemadiff.compare import compare
from schemadiff.config import Config
from schemadiff.report import as_text
from schemadiff.runtime import migrate
from schemadiff.scripts import generate_revision, init_project
from strategies import TYPES, TableSpec, build, schema_specs
from test_compare import CASES


def round_trip(db, root: Path, before: sa.MetaData, after: sa.MetaData) -> None:
    """A by create_all, a revision generated for B, then upgrade to head and downgrade to base."""
    db.create_all(before)
    config = Config(root=root, url=db.url)
    init_project(config)
    with db.engine().connect() as conn:
        generated = generate_revision(config, "to b", conn, after, rev_id="b0b0b0b0b0b0")
    ran: list[str] = []

    migrate(config, "upgrade", "head", ran.append)
    database, models = db.snapshots(after)
    assert compare(database, models) == [], as_text(compare(database, models))

    migrate(config, "downgrade", "base", ran.append)
    database, models = db.snapshots(before)
    assert compare(database, models) == [], as_text(compare(database, models))

    expected = [
        "Running upgrade  -> b0b0b0b0b0b0, to b",
        "Running downgrade b0b0b0b0b0b0 -> , to b",
    ]
    nothing = ["Nothing to do: the database is at base already"] * 2
    assert ran == (expected if generated.path else nothing)


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_generate_upgrade_downgrade_round_trip(db, case, tmp_path):
    before, after = sa.MetaData(), sa.MetaData()
    case.before(before)
    case.after(after)
    round_trip(db, tmp_path, before, after)


FIXTURE_CASES = fixture_cases()


@pytest.mark.parametrize("db,fixture", FIXTURE_CASES, indirect=["db"])
def test_every_fixture_set_round_trips_from_an_empty_database(db, fixture, tmp_path):
    round_trip(db, tmp_path, sa.MetaData(), fixture_metadata(fixture))


# Pairs of types with no cast between them (or none that every database applies by itself).
UNRELATED = [
    ("bigint", "binary"),
    ("uuid", "bigint"),
    ("integer", "uuid"),
    ("boolean", "date"),
    ("date", "integer"),
    ("text", "integer"),
]


def one_column(type_name: str) -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "thing",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("value", TYPES[type_name][0]()),
    )
    return metadata


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
@pytest.mark.parametrize("old,new", UNRELATED, ids=[f"{a}->{b}" for a, b in UNRELATED])
def test_type_change_without_a_cast_on_an_empty_table(db, old, new, tmp_path):
    """No row stands in the way, so nothing stops the database from taking the new type."""
    round_trip(db, tmp_path, one_column(old), one_column(new))


# Types that every database casts between by itself, on empty tables at least.
CASTABLE = [
    {"integer", "bigint", "smallint", "numeric", "float"},
    {"string", "string_long", "unicode", "text"},
]


def castable(a: tuple[TableSpec, ...], b: tuple[TableSpec, ...]) -> bool:
    """Whether each column that A and B share keeps its type, or moves within a CASTABLE family."""
    before = {(t.name, c.name): c.type for t in a for c in t.columns}
    return all(
        before.get((t.name, c.name), c.type) == c.type
        or any({before[(t.name, c.name)], c.type} <= family for family in CASTABLE)
        for t in b
        for c in t.columns
    )


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(a=schema_specs(), b=schema_specs())
def test_random_schemas_round_trip(db, a, b):
    # Unrelated type changes have a test of their own (above), so they do not hide other failures.
    assume(castable(a, b))
    db.reset()
    with tempfile.TemporaryDirectory() as root:
        round_trip(db, Path(root), build(a), build(b))
