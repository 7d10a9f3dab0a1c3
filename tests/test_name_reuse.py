"""A name that moves to another definition: the old object goes before the new one takes it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from conftest import DIALECTS
from schemadiff import compare, snapshot_metadata
from schemadiff import ops as o
from schemadiff.dialects import for_sa_dialect
from test_roundtrip import round_trip


def gamma(unique_on: str, unnamed_on=None) -> sa.MetaData:
    md = sa.MetaData()
    items = [sa.UniqueConstraint(unique_on, name="uq_gamma")]
    items += [sa.UniqueConstraint(unnamed_on)] if unnamed_on else []
    sa.Table(
        "gamma",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner", sa.Integer),
        sa.Column("amount", sa.Integer),
        *items,
    )
    return md


def test_an_unnamed_target_does_not_keep_a_name_that_another_target_takes():
    dialect = for_sa_dialect(sa.create_engine("sqlite://").dialect)
    current = snapshot_metadata(gamma("owner"), dialect)
    target = snapshot_metadata(gamma("amount", unnamed_on="owner"), dialect)
    ops = compare(current, target)
    dropped = [op.constraint for op in ops if isinstance(op, o.DropConstraint)]
    added = [op.constraint for op in ops if isinstance(op, o.AddConstraint)]
    assert [(c.name, c.columns) for c in dropped] == [("uq_gamma", ("owner",))]
    assert sorted((c.name or "", c.columns) for c in added) == [
        ("", ("owner",)),
        ("uq_gamma", ("amount",)),
    ]


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_name_moved_to_another_definition_round_trips(db, tmp_path):
    round_trip(db, tmp_path, gamma("owner"), gamma("amount", unnamed_on="owner"))
