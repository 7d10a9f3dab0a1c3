"""Invariant 1: a database made by create_all(M) shows no difference from M."""

import pytest

from models import fixture_cases, fixture_metadata
from schemadiff.compare import compare

CASES = fixture_cases()


@pytest.mark.parametrize("db,fixture", CASES, indirect=["db"])
def test_fixture_set_has_no_false_differences(db, fixture):
    metadata = fixture_metadata(fixture)
    db.create_all(metadata)
    database, models = db.snapshots(metadata)
    assert compare(database, models) == []
    assert [t.key for t in database.tables] == [t.key for t in models.tables]
