"""Index dialect options (postgresql_using/include/ops/with, mysql_prefix/length) survive every
step: the snapshot of the models, reflection, compare, the rendered script, the replayed state
and the DDL that runs, on the databases that have them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from golden_render import SA_DIALECTS
from schemadiff import compare, snapshot_metadata
from schemadiff import ops as o
from schemadiff import snapshot as s
from schemadiff.config import Config
from schemadiff.dialects import for_sa_dialect
from schemadiff.operations import Operations
from schemadiff.render import ScriptInfo, render_script
from schemadiff.report import as_text
from schemadiff.runtime import migrate
from schemadiff.scripts import generate_revision, init_project
from scripting import load_script, record


def documents(md: sa.MetaData, **index_options) -> sa.Table:
    """A table whose columns every option below can index; `index_options` name its indexes."""
    table = sa.Table(
        "document",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("data", postgresql.JSONB().with_variant(sa.JSON(), "mysql", "sqlite")),
        sa.Column("span", postgresql.INT4RANGE().with_variant(sa.String(20), "mysql", "sqlite")),
        sa.Column("rank", sa.Integer),
    )
    for name, (columns, options) in index_options.items():
        sa.Index(name, *(table.c[c] for c in columns), **options)
    return table


# name -> (indexed columns, options) for each database; an index with options on one database
# is a plain index on the others.
POSTGRESQL = {
    "ix_data": (["data"], {"postgresql_using": "gin"}),
    "ix_span": (["span"], {"postgresql_using": "gist"}),
    "ix_rank_brin": (["rank"], {"postgresql_using": "brin"}),
    "ix_title_hash": (["title"], {"postgresql_using": "hash"}),
    "ix_rank": (["rank"], {"postgresql_include": ["title"], "postgresql_with": {"fillfactor": 70}}),
    "ix_title": (["title"], {"postgresql_ops": {"title": "text_pattern_ops"}}),
}
MYSQL = {
    "ix_body": (["body", "title"], {"mysql_prefix": "FULLTEXT"}),
    "ix_body_start": (["body"], {"mysql_length": 40}),
    "ix_title": (["title", "rank"], {"mysql_length": {"title": 12}}),
    "ix_words": (["title"], {"mysql_prefix": "FULLTEXT"}),
}
OPTIONS = {"postgresql": POSTGRESQL, "mysql": MYSQL}


def plain(indexes: dict) -> dict:
    return {name: (columns, {}) for name, (columns, _) in indexes.items()}


def option_models(dialect: str, with_options: bool, only=None) -> sa.MetaData:
    md = sa.MetaData()
    indexes = OPTIONS.get(dialect, POSTGRESQL)
    indexes = {n: i for n, i in indexes.items() if only is None or n in only}
    documents(md, **(indexes if with_options else plain(indexes)))
    return md


@pytest.mark.parametrize("db", ["postgresql", "mysql", "sqlite"], indirect=True)
def test_create_all_with_options_reads_back_clean_and_with_its_options(db):
    """Invariant 1 with options, and reflection really sees them (a GIN index is GIN)."""
    models = option_models(db.dialect, with_options=True)
    db.create_all(models)
    database, target = db.snapshots(models)
    assert compare(database, target) == []
    found = {i.name: i.keywords() for i in database.table("document").indexes}
    if db.dialect == "postgresql":
        assert found["ix_data"] == {"postgresql_using": "gin"}
        assert found["ix_span"] == {"postgresql_using": "gist"}
        assert found["ix_rank_brin"] == {"postgresql_using": "brin"}
        assert found["ix_title_hash"] == {"postgresql_using": "hash"}
        assert found["ix_rank"] == {
            "postgresql_include": ["title"],
            "postgresql_with": {"fillfactor": "70"},
        }
        assert found["ix_title"] == {"postgresql_ops": {"title": "text_pattern_ops"}}
    elif db.dialect == "mysql":
        assert found["ix_body"] == {"mysql_prefix": "FULLTEXT"}
        assert found["ix_body_start"] == {"mysql_length": {"body": 40}}
        assert found["ix_title"] == {"mysql_length": {"title": 12}}
    else:  # SQLite has none of them: create_all ignores them, and so does the snapshot
        assert all(options == {} for options in found.values())
    assert s.Snapshot.from_json(database.to_json()) == database


@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_plain_indexes_differ_from_indexes_with_options(db):
    """A btree index where the models want GIN (or a plain one where they want FULLTEXT) is drift:
    each such index is dropped and created again."""
    # MySQL cannot index a whole TEXT column: those indexes stay out of this comparison.
    changed = {n for n, (columns, _) in OPTIONS[db.dialect].items() if "body" not in columns}
    db.create_all(option_models(db.dialect, with_options=False, only=changed))
    database, target = db.snapshots(option_models(db.dialect, with_options=True, only=changed))
    ops = compare(database, target)
    assert {op.index.name for op in ops if isinstance(op, o.DropIndex)} == changed
    assert {op.index.name for op in ops if isinstance(op, o.CreateIndex)} == changed
    assert len(ops) == 2 * len(changed)


def bare_models(dialect: str) -> sa.MetaData:
    """The table with plain indexes; without them on MySQL, whose TEXT keys need a length."""
    md = sa.MetaData()
    documents(md, **({} if dialect == "mysql" else plain(POSTGRESQL)))
    return md


@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_generated_revision_gives_and_takes_options_with_rows_in_place(db, tmp_path):
    """generate + upgrade gives the indexes their options (MariaDB failed with error 1071 when a
    FULLTEXT index lost its prefix; PostgreSQL built GIN as btree), downgrade takes them away."""
    before, after = bare_models(db.dialect), option_models(db.dialect, with_options=True)
    db.create_all(before)
    with db.engine().begin() as conn:
        rows = [
            {"id": n, "title": f"title {n}", "body": "some words " * n, "rank": n}
            for n in range(1, 6)
        ]
        conn.execute(before.tables["document"].insert(), rows)
    config = Config(root=tmp_path, url=db.url)
    init_project(config)
    with db.engine().connect() as conn:
        generate_revision(config, "options", conn, after, rev_id="0a0a0a0a0a0a")

    migrate(config, "upgrade", "head", lambda line: None)
    database, models = db.snapshots(after)
    assert compare(database, models) == [], as_text(compare(database, models))
    options = {i.name: i.options for i in database.table("document").indexes}
    assert all(options[name] for name in OPTIONS[db.dialect])

    migrate(config, "downgrade", "base", lambda line: None)
    database, models = db.snapshots(before)
    assert compare(database, models) == [], as_text(compare(database, models))


@pytest.mark.parametrize("dialect_name", ["postgresql", "mysql"])
def test_script_renders_options_as_create_index_keywords(dialect_name):
    dialect = for_sa_dialect(SA_DIALECTS[dialect_name])
    current = snapshot_metadata(option_models(dialect_name, with_options=False), dialect)
    target = snapshot_metadata(option_models(dialect_name, with_options=True), dialect)
    ops = compare(current, target)
    source = render_script(ops, ScriptInfo("options", "0123456789ab"), dialect)
    if dialect_name == "postgresql":
        assert 'postgresql_using="gin"' in source
        assert 'postgresql_include=["title"]' in source
        assert 'postgresql_ops={"title": "text_pattern_ops"}' in source
        assert 'postgresql_with={"fillfactor": "70"}' in source
    else:
        assert 'mysql_prefix="FULLTEXT"' in source
        assert 'mysql_length={"title": 12}' in source
    # The script's op calls replay to exactly the ops it was rendered from, options and all.
    script = load_script(source)
    upgrade_ops, state = record(script, "upgrade", dialect, current)
    assert upgrade_ops == ops
    assert compare(state, target) == []
    _, state = record(script, "downgrade", dialect, state)
    assert compare(state, current) == []


def test_hand_written_create_and_drop_index_keep_options_in_the_state():
    dialect = for_sa_dialect(postgresql.dialect())
    state = snapshot_metadata(option_models("postgresql", with_options=False), dialect)
    recorded: list = []
    operations = Operations(dialect, state, recorded.append)
    operations.create_index(
        "ix_data_path",
        "document",
        ["data"],
        postgresql_using="GIN",
        postgresql_ops={"data": "jsonb_path_ops"},
    )
    created = operations.state.table("document").indexes
    index = next(i for i in created if i.name == "ix_data_path")
    assert index.keywords() == {
        "postgresql_ops": {"data": "jsonb_path_ops"},
        "postgresql_using": "gin",
    }
    operations.drop_index("ix_data_path", "document")
    assert recorded[-1] == o.DropIndex("document", index)
    assert recorded[-1].reverse() == recorded[0]


@pytest.mark.parametrize(
    "dialect_name,foreign",
    [("sqlite", "postgresql"), ("mysql", "postgresql"), ("postgresql", "mysql")],
)
def test_options_of_other_databases_are_not_part_of_the_snapshot(dialect_name, foreign):
    """create_all ignores them there, so they must not make drift either."""
    dialect = for_sa_dialect(SA_DIALECTS[dialect_name])
    models = snapshot_metadata(option_models(foreign, with_options=True), dialect)
    assert all(i.options == () for i in models.table("document").indexes)


def test_default_methods_equal_no_option():
    """btree is the default on both PostgreSQL and MySQL; InnoDB builds USING HASH as a B-tree."""
    for sa_dialect, options in (
        (postgresql.dialect(), {"postgresql_using": "BTREE"}),
        (mysql.dialect(), {"mysql_using": "btree"}),
        (mysql.dialect(), {"mysql_using": "hash"}),
    ):
        md = sa.MetaData()
        documents(md, ix_rank=(["rank"], options))
        snap = snapshot_metadata(md, for_sa_dialect(sa_dialect))
        assert snap.table("document").indexes[0].options == ()
