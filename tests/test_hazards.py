"""Each hazard class on each dialect where it applies: real databases at schema A, models at B.

The ops come from reflecting the database and comparing it with the models, the hazards from
`assess` on that dialect. A may-fail or data-loss hazard is also shown to be real: with the rows
it warns about in the table, running the ops fails; where a dialect reports none, they run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from conftest import DIALECTS
from golden_render import SA_DIALECTS
from schemadiff import ops as o
from schemadiff import snapshot_metadata
from schemadiff.compare import compare
from schemadiff.dialects import for_sa_dialect
from schemadiff.execute import run_op
from schemadiff.hazards import CLASSES, CODES, assess
from schemadiff.render import ScriptInfo, render_script
from schemadiff.state import apply
from strategies import build, schema_specs


def table(metadata: sa.MetaData, *columns, name: str = "item") -> sa.Table:
    return sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True), *columns)


def models(
    *columns, extra: Callable[[sa.MetaData], None] = lambda m: None
) -> Callable[[], sa.MetaData]:
    """A factory of fresh MetaData: table `item` with `columns`, plus whatever `extra` adds."""

    def make() -> sa.MetaData:
        metadata = sa.MetaData()
        table(metadata, *[c._copy() for c in columns])
        extra(metadata)
        return metadata

    return make


def pair_keyed(*key: str) -> Callable[[sa.MetaData], None]:
    def make(metadata: sa.MetaData) -> None:
        columns = [sa.Column(name, sa.Integer, nullable=False) for name in ("a", "b")]
        sa.Table("pair", metadata, *columns, sa.PrimaryKeyConstraint(*key, name="pk_pair"))

    return make


def parent(metadata: sa.MetaData) -> None:
    table(metadata, name="parent")


def child(with_fk: bool) -> Callable[[sa.MetaData], None]:
    def make(metadata: sa.MetaData) -> None:
        parent(metadata)
        fk = [sa.ForeignKey("parent.id", name="fk_child_parent")] if with_fk else []
        table(metadata, sa.Column("parent_id", sa.Integer, *fk), name="child")

    return make


def mood(*values: str) -> sa.Column:
    return sa.Column("mood", sa.Enum(*values, name="mood"))


@dataclass
class Case:
    id: str
    before: Callable[[], sa.MetaData]
    after: Callable[[], sa.MetaData]
    #: Hazard codes per dialect; a dialect that is missing does not apply.
    expected: dict[str, set[str]]
    #: Rows put in table `item` before the ops run, which make them fail.
    failing_rows: list[dict] = field(default_factory=list)


NAME = sa.Column("name", sa.String(50))
CASES = [
    Case(
        "drop-table",
        models(extra=parent),
        models(),
        {"sqlite": {"drop-table"}, "postgresql": {"drop-table"}, "mysql": {"drop-table"}},
    ),
    Case(
        "drop-column",
        models(NAME),
        models(),
        {"sqlite": {"drop-column"}, "postgresql": {"drop-column"}, "mysql": {"drop-column"}},
    ),
    Case(
        "possible-rename",  # name is full_name now, but nothing says so: drop + add
        models(NAME),
        models(sa.Column("full_name", sa.String(80))),
        {
            dialect: {"drop-column", "possible-rename"}
            for dialect in ("sqlite", "postgresql", "mysql")
        },
    ),
    Case(
        "narrow-type",
        models(NAME),
        models(sa.Column("name", sa.String(20))),
        {
            "sqlite": {"sqlite-rebuild"},  # SQLite keeps any value in any column
            "postgresql": {
                "narrow-type"
            },  # VARCHAR shares TEXT's storage: only a check, no rewrite
            "mysql": {"narrow-type", "type-rewrite"},
        },
        failing_rows=[{"id": 1, "name": "x" * 40}],
    ),
    Case(
        "text-to-varchar",
        models(sa.Column("name", sa.Text)),
        models(sa.Column("name", sa.String(20))),
        {
            "sqlite": {"sqlite-rebuild"},
            "postgresql": {"text-to-varchar"},
            "mysql": {"text-to-varchar", "type-rewrite"},
        },
        failing_rows=[{"id": 1, "name": "x" * 40}],
    ),
    Case(
        "drop-enum-value",
        models(mood("happy", "sad", "meh")),
        models(mood("happy", "sad")),
        {"postgresql": {"drop-enum-value"}, "mysql": {"drop-enum-value", "type-rewrite"}},
        failing_rows=[{"id": 1, "mood": "meh"}],
    ),
    Case(
        "enum-gains-a-value",
        models(mood("happy", "sad")),
        models(mood("happy", "sad", "meh")),
        {"postgresql": set(), "mysql": set()},  # in place on both
    ),
    Case(
        "type-rewrite",
        models(sa.Column("n", sa.Integer)),
        models(sa.Column("n", sa.BigInteger)),
        {"sqlite": {"sqlite-rebuild"}, "postgresql": {"type-rewrite"}, "mysql": {"type-rewrite"}},
    ),
    Case(
        "longer-varchar",
        models(sa.Column("name", sa.String(20))),
        models(NAME),
        {"sqlite": {"sqlite-rebuild"}, "postgresql": set(), "mysql": set()},
    ),
    Case(
        "type-cast",
        models(NAME),
        models(sa.Column("name", sa.Integer)),
        {
            "sqlite": {"sqlite-rebuild"},
            "postgresql": {"type-cast", "type-rewrite"},
            "mysql": {"type-cast", "type-rewrite"},
        },
        failing_rows=[{"id": 1, "name": "not a number"}],
    ),
    Case(
        "index-lock",
        models(NAME),
        models(NAME, extra=lambda m: sa.Index("ix_item_name", m.tables["item"].c.name)),
        {"sqlite": set(), "postgresql": {"index-lock"}, "mysql": set()},
    ),
    Case(
        "new-table-with-index",
        models(),
        models(
            extra=lambda m: sa.Index(
                "ix_parent_id",
                table(
                    m,
                    sa.Column("x", sa.Integer, nullable=False),
                    sa.UniqueConstraint("x"),
                    name="parent",
                ).c.x,
            )
        ),
        {"sqlite": set(), "postgresql": set(), "mysql": set()},
    ),
    Case(
        "set-not-null",
        models(NAME),
        models(sa.Column("name", sa.String(50), nullable=False)),
        {
            "sqlite": {"existing-nulls", "sqlite-rebuild"},
            "postgresql": {"existing-nulls", "set-not-null"},
            "mysql": {"existing-nulls"},
        },
        failing_rows=[{"id": 1, "name": None}],
    ),
    Case(
        "validated-fk",
        models(extra=child(False)),
        models(extra=child(True)),
        {
            "sqlite": {"new-foreign-key", "sqlite-rebuild"},
            "postgresql": {"new-foreign-key", "validated-fk"},
            "mysql": {"new-foreign-key", "validated-fk"},
        },
    ),
    Case(
        "validated-check",
        models(sa.Column("n", sa.Integer)),
        models(
            sa.Column("n", sa.Integer),
            extra=lambda m: m.tables["item"].append_constraint(
                sa.CheckConstraint("n > 0", name="ck_item_n")
            ),
        ),
        {
            "sqlite": {"new-check", "sqlite-rebuild"},
            "postgresql": {"new-check", "validated-check"},
            "mysql": {"new-check", "validated-check"},
        },
        failing_rows=[{"id": 1, "n": -1}],
    ),
    Case(
        "not-null-no-default",
        models(),
        models(sa.Column("n", sa.Integer, nullable=False)),
        {
            "sqlite": {"not-null-no-default", "sqlite-rebuild"},
            "postgresql": {"not-null-no-default"},
            "mysql": set(),  # the rows get an implicit 0
        },
        failing_rows=[{"id": 1}],
    ),
    Case(
        "new-unique",
        models(NAME),
        models(
            NAME,
            extra=lambda m: m.tables["item"].append_constraint(
                sa.UniqueConstraint("name", name="uq_item_name")
            ),
        ),
        {
            "sqlite": {"new-unique", "sqlite-rebuild"},
            "postgresql": {"new-unique", "index-lock"},
            "mysql": {"new-unique"},
        },
        failing_rows=[{"id": 1, "name": "a"}, {"id": 2, "name": "a"}],
    ),
    Case(
        # The key's columns in another order (mlflow's trace_tags): no row can break it.
        "primary key reordered",
        models(extra=pair_keyed("a", "b")),
        models(extra=pair_keyed("b", "a")),
        {
            "sqlite": {"sqlite-rebuild"},
            "postgresql": {"index-lock"},
            "mysql": set(),
        },
    ),
    Case(
        "drop-default",
        models(sa.Column("n", sa.Integer, nullable=False, server_default="0")),
        models(sa.Column("n", sa.Integer, nullable=False)),
        {
            "sqlite": {"drop-default", "sqlite-rebuild"},
            "postgresql": {"drop-default"},
            "mysql": {"drop-default"},
        },
    ),
]


def applicable():
    return [
        pytest.param(case, dialect, id=f"{case.id}-{dialect}")
        for case in CASES
        for dialect in DIALECTS
        if dialect in case.expected
    ]


def test_every_code_and_class_has_a_case():
    covered = set().union(*(codes for case in CASES for codes in case.expected.values()))
    missing = set(CODES) - covered - {"new-primary-key"}  # a table without a key is not a model
    assert not missing
    assert {CODES[c] for c in covered} == set(CLASSES)


@pytest.mark.parametrize("case, dialect", applicable())
def test_hazards_of_a_change(case, dialect, tmp_path):
    from conftest import make_database

    db = make_database(dialect, tmp_path)
    try:
        db.create_all(case.before())
        database, target = db.snapshots(case.after())
        ops = compare(database, target)
        assert ops, "the case must change something"
        engine = db.engine()
        with engine.connect() as conn:
            found = assess(ops, for_sa_dialect(conn.dialect), database)
        codes = {h.code for hazards in found for h in hazards}
        assert codes == case.expected[dialect], found
        assert all(h.kind == CODES[h.code] for hazards in found for h in hazards)
        if case.failing_rows:
            failing = {"may-fail", "data-loss"} & {CODES[c] for c in case.expected[dialect]}
            assert _runs_with(engine, ops, database, case.failing_rows) == (not failing)
    finally:
        db.close()


def _runs_with(engine: sa.Engine, ops, database, rows) -> bool:
    """Whether the ops run on a table holding `rows`: a may-fail hazard must be real, and where
    the dialect reports none, the ops must go through."""
    with engine.begin() as conn:
        item = sa.Table("item", sa.MetaData(), autoload_with=conn)
        conn.execute(item.insert(), rows)
    dialect = for_sa_dialect(engine.dialect)
    try:
        with engine.begin() as conn:
            state = database
            for op in ops:
                run_op(conn, op, state, dialect)
                state = apply(state, op)
            dialect.check_integrity(conn)
    except sa.exc.DBAPIError:
        return False
    return True


@pytest.mark.parametrize("dialect_name", sorted(SA_DIALECTS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=schema_specs(), after=schema_specs())
def test_nothing_is_lost_silently(dialect_name, before, after):
    """Invariant 4: each drop in a script, upgrade or downgrade, carries its data-loss hazard."""
    dialect = for_sa_dialect(SA_DIALECTS[dialect_name])
    start = snapshot_metadata(build(before), dialect)
    ops = compare(start, snapshot_metadata(build(after), dialect))
    source = render_script(ops, ScriptInfo("generated", "rev"), dialect, start=start)
    upgrade, downgrade = source.split("def downgrade() -> None:")
    for text, side in ((upgrade, ops), (downgrade, o.reverse_all(ops))):
        for kind, code in ((o.DropTable, "drop-table"), (o.DropColumn, "drop-column")):
            assert text.count(f"# hazard(data-loss/{code}):") == sum(
                isinstance(op, kind) for op in side
            )
