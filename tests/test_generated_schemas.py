"""Invariant 1 on random schemas, and the JSON round trip of what they snapshot to."""

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import DIALECTS
from schemadiff import Snapshot
from schemadiff.compare import compare
from strategies import build, schema_specs

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
@SETTINGS
@given(spec=schema_specs())
def test_random_schema_has_no_false_differences(db, spec):
    db.reset()
    metadata = build(spec)
    db.create_all(metadata)
    database, models = db.snapshots(metadata)
    assert compare(database, models) == []
    assert Snapshot.from_json(database.to_json()) == database
    assert Snapshot.from_json(models.to_json()) == models
    assert hash(database) == hash(Snapshot.from_json(database.to_json()))
