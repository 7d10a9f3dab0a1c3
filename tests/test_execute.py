"""Executing ops: after running the comparator's ops on database A, it reads back as models B."""

import pytest
import sqlalchemy as sa

from conftest import DIALECTS
from schemadiff import compare, reflect
from schemadiff import ops as o
from schemadiff.dialects import for_sa_dialect
from schemadiff.execute import run_op
from schemadiff.state import apply
from test_compare import CASES


def run_all(conn, ops, state, dialect):
    for op in ops:
        run_op(conn, op, state, dialect)
        state = apply(state, op)
    return state


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_ops_take_the_database_there_and_back(db, case):
    before, after = sa.MetaData(), sa.MetaData()
    case.before(before)
    case.after(after)
    db.create_all(before)
    start, target = db.snapshots(after)
    ops = compare(start, target)
    with db.engine().begin() as conn:
        dialect = for_sa_dialect(conn.dialect)
        run_all(conn, ops, start, dialect)
    there, models = db.snapshots(after)
    assert compare(there, models) == []
    with db.engine().begin() as conn:
        run_all(conn, o.reverse_all(ops), reflect(conn, dialect=dialect), dialect)
    back, _ = db.snapshots(before)
    assert compare(back, start) == []
