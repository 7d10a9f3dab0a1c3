"""Executing ops: after running the comparator's ops on database A, it reads back as models B."""

import pytest
import sqlalchemy as sa

from conftest import DIALECTS
from schemadiff.reflect import reflect
from schemadiff.compare import compare
from schemadiff import ops as o
from schemadiff.dialects import for_sa_dialect
from schemadiff.execute import run_op
from schemadiff.snapshot import CheckConstraint
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


def test_sqlite_rebuild_keeps_rows_indexes_and_triggers(tmp_path):
    """SQLite-only: its rebuild drops the old table, and with it the triggers, which come back."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'rebuild.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, changed INTEGER DEFAULT 0)")
        conn.exec_driver_sql("CREATE INDEX ix_t_n ON t (n)")
        conn.exec_driver_sql(
            "CREATE TRIGGER t_touch AFTER UPDATE OF n ON t "
            "BEGIN UPDATE t SET changed = changed + 1 WHERE id = NEW.id; END"
        )
        conn.exec_driver_sql("INSERT INTO t (id, n) VALUES (1, 1)")
        dialect = for_sa_dialect(conn.dialect)
        state = reflect(conn, dialect=dialect)
        check = o.AddConstraint("t", CheckConstraint("ck_t_n", dialect.normalize_expression("n >= 0")))
        run_all(conn, [check], state, dialect)
        conn.exec_driver_sql("UPDATE t SET n = 5 WHERE id = 1")
        assert conn.exec_driver_sql("SELECT id, n, changed FROM t").fetchall() == [(1, 5, 1)]
        after = reflect(conn, dialect=dialect).table("t")
    assert [c.name for c in after.checks] == ["ck_t_n"]
    assert [i.name for i in after.indexes] == ["ix_t_n"]
    assert len(after.triggers) == 1 and "t_touch" in after.triggers[0]
