"""PostgreSQL fidelity: identity changes, domains, serial columns without OWNED BY, sequences that
follow their column's type, enum rebuilds around checks and indexes, and default spellings.

Every case runs on a real PostgreSQL server: generate a revision, upgrade, check that nothing is
left to do, downgrade, and check again.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from schemadiff import compare
from schemadiff.dialects import for_sa_dialect
from schemadiff.report import as_text
from schemadiff.snapshot import Identity
from scripting import load_script, record
from test_roundtrip import round_trip

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
