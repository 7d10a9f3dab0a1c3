"""Which drop + add pairs look like renames, and the possible-rename hazard they carry: pure,
over snapshots and ops, the same on every dialect."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemadiff import ops as o
from schemadiff import snapshot as s
from schemadiff.compare import compare
from schemadiff.hazards import CODES, assess
from schemadiff.rename_answers import parse_flags, require_known, settle
from schemadiff.rename_candidates import Candidate, candidates, type_family
from schemadiff.renames import Renames
from schemadiff.state import apply_all
from schemadiff.errors import SchemadiffError


def table(name, *columns, schema=None):
    return s.Table(name=name, columns=tuple(s.Column(n, t) for n, t in columns), schema=schema)


ID = ("id", "INTEGER")
USERS = table("users", ID, ("name", "VARCHAR(50)"), ("bio", "TEXT"), ("age", "INTEGER"))


def test_a_renamed_column_of_the_same_family_is_a_candidate():
    target = table("users", ID, ("full_name", "VARCHAR(80)"), ("bio", "TEXT"), ("age", "INTEGER"))
    ops = compare(s.Snapshot(tables=(USERS,)), s.Snapshot(tables=(target,)))
    assert candidates(ops) == [Candidate(("", "users"), "name", "full_name")]
    found = dict(zip(ops, assess(ops)))
    drop = next(op for op in ops if isinstance(op, o.DropColumn))
    assert [h.code for h in found[drop]] == ["drop-column", "possible-rename"]
    hazard = found[drop][1]
    assert hazard.kind == "data-loss" and CODES["possible-rename"] == "data-loss"
    assert hazard.message == (
        "users.name may be renamed to full_name: to keep its values, pass "
        '--rename users.name=full_name or set info={"renamed_from": "name"} on full_name'
    )


def test_other_families_and_unalike_names_are_not_candidates():
    # age INTEGER -> born DATE: another kind of value; bio -> notes: names unalike, two adds
    target = table("users", ID, ("name", "VARCHAR(50)"), ("born", "DATE"), ("notes", "TEXT"))
    ops = compare(s.Snapshot(tables=(USERS,)), s.Snapshot(tables=(target,)))
    assert candidates(ops) == []
    assert all(h.code != "possible-rename" for hs in assess(ops) for h in hs)


def test_the_only_add_of_a_family_pairs_even_with_an_unalike_name():
    target = table("users", ID, ("name", "VARCHAR(50)"), ("about", "TEXT"), ("age", "INTEGER"))
    ops = compare(s.Snapshot(tables=(USERS,)), s.Snapshot(tables=(target,)))
    assert candidates(ops) == [Candidate(("", "users"), "bio", "about")]


def test_the_most_alike_add_wins_and_each_add_pairs_once():
    current = table("users", ID, ("email", "VARCHAR(50)"), ("name", "VARCHAR(50)"))
    target = table("users", ID, ("full_name", "VARCHAR(50)"), ("email_address", "VARCHAR(90)"))
    ops = compare(s.Snapshot(tables=(current,)), s.Snapshot(tables=(target,)))
    assert candidates(ops) == [
        Candidate(("", "users"), "email", "email_address"),
        Candidate(("", "users"), "name", "full_name"),
    ]
    declined = [Candidate(("", "users"), "email", "email_address")]
    # declined, email has no other alike add; name still pairs
    assert candidates(ops, declined) == [Candidate(("", "users"), "name", "full_name")]


def test_a_table_with_most_columns_alike_is_a_candidate():
    accounts = table("accounts", ID, ("name", "VARCHAR(90)"), ("bio", "TEXT"), ("age", "BIGINT"))
    other = table("logs", ID, ("line", "TEXT"))
    ops = compare(s.Snapshot(tables=(USERS,)), s.Snapshot(tables=(accounts, other)))
    assert candidates(ops) == [Candidate(("", "users"), "users", "accounts", is_table=True)]
    hazards = {h.code: h for hs in assess(ops) for h in hs}
    assert hazards["possible-rename"].message == (
        "table users may be renamed to accounts: to keep its rows, pass "
        '--rename-table users=accounts or set info={"renamed_from": "users"} on accounts'
    )


def test_tables_pair_within_their_schema_only():
    moved = table("accounts", *((c.name, c.type) for c in USERS.columns), schema="archive")
    ops = compare(s.Snapshot(tables=(USERS,)), s.Snapshot(tables=(moved,)))
    assert candidates(ops) == []


def test_the_downgrade_of_a_drop_and_add_pairs_back():
    target = table("users", ID, ("full_name", "VARCHAR(80)"), ("bio", "TEXT"), ("age", "INTEGER"))
    ops = compare(s.Snapshot(tables=(USERS,)), s.Snapshot(tables=(target,)))
    assert candidates(o.reverse_all(ops)) == [Candidate(("", "users"), "full_name", "name")]


def test_a_new_table_has_no_possible_rename():
    # ops on a table the list created hold no rows: no hazard, even if they look like a rename
    created = table("users", ID, ("name", "TEXT"))
    ops = [
        o.CreateTable(created),
        o.AddColumn("users", s.Column("full_name", "TEXT")),
        o.DropColumn("users", s.Column("name", "TEXT")),
    ]
    assert assess(ops) == [(), (), ()]


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("VARCHAR(20)", "TEXT", True),
        ("CHARACTER VARYING(20)", "CLOB", True),
        ("INTEGER", "BIGINT", True),
        ("TIMESTAMP WITH TIME ZONE", "DATETIME", True),
        ("DOUBLE PRECISION", "NUMERIC(10, 2)", True),
        ("INTEGER", "NUMERIC(10, 2)", False),
        ("VARCHAR(20)", "INTEGER", False),
        ("UUID", "UUID", True),
        ("BYTEA", "TEXT", False),
    ],
)
def test_type_families(a, b, same):
    assert (type_family(a) == type_family(b)) is same


NAMES = st.sampled_from(["name", "full_name", "email", "email_address", "bio", "about", "age", "n"])
TYPES = st.sampled_from(["INTEGER", "BIGINT", "VARCHAR(20)", "TEXT", "DATE", "NUMERIC(5, 1)"])
COLUMNS = st.lists(st.tuples(NAMES, TYPES), max_size=6, unique_by=lambda c: c[0])


@settings(max_examples=200, deadline=None)
@given(COLUMNS, COLUMNS)
def test_candidates_are_one_to_one_and_match_the_hazards(before, after):
    current = s.Snapshot(tables=(table("t", ID, *before),))
    target = s.Snapshot(tables=(table("t", ID, *after),))
    ops = compare(current, target)
    found = candidates(ops)
    dropped = {op.column.name for op in ops if isinstance(op, o.DropColumn)}
    added = {op.column.name for op in ops if isinstance(op, o.AddColumn)}
    assert len({c.old for c in found}) == len(found) and {c.old for c in found} <= dropped
    assert len({c.new for c in found}) == len(found) and {c.new for c in found} <= added
    types = {n: t for n, t in before} | {n: t for n, t in after}
    assert all(type_family(types[c.old]) == type_family(types[c.new]) for c in found)
    # the hazards, found op by op as `upgrade --sql` finds them, name the same pairs
    flagged = [h for hs in assess(ops) for h in hs if h.code == "possible-rename"]
    assert [h.message.split(" may be")[0] for h in flagged] == [f"t.{c.old}" for c in found]
    assert candidates(ops) == found  # deterministic


def test_flags_parse_into_renames():
    renames = parse_flags(
        ["users.name=full_name", "app.users.email=mail"], ["notes=memos", "app.logs=events"]
    )
    assert renames == Renames(
        tables=((("", "notes"), "memos"), (("app", "logs"), "events")),
        columns=((("", "users"), "name", "full_name"), (("app", "users"), "email", "mail")),
    )


@pytest.mark.parametrize(
    "columns, tables, fragment",
    [
        (["users.name"], [], "--rename 'users.name': expected [SCHEMA.]TABLE.OLD=NEW"),
        (["name=full_name"], [], "--rename 'name=full_name': expected"),
        (["a.b.c.d=e"], [], "--rename 'a.b.c.d=e'"),
        (["users.name="], [], "--rename 'users.name='"),
        (["users..x=y"], [], "--rename 'users..x=y'"),
        ([], ["a.b.c=d"], "--rename-table 'a.b.c=d': expected [SCHEMA.]OLD=NEW"),
        ([], ["old"], "--rename-table 'old'"),
        ([], ["old=app.new"], "--rename-table 'old=app.new'"),
    ],
)
def test_malformed_flags(columns, tables, fragment):
    with pytest.raises(SchemadiffError) as e:
        parse_flags(columns, tables)
    assert fragment in str(e.value)


@pytest.mark.parametrize(
    "flag, fragment",
    [
        (
            Renames(columns=((("", "users"), "nme", "full_name"),)),
            "--rename users.nme=full_name: the database has no column users.nme",
        ),
        (
            Renames(columns=((("", "users"), "name", "fullname"),)),
            "the models have no column users.fullname",
        ),
        (
            Renames(columns=((("", "people"), "name", "full_name"),)),
            "the models have no column people.full_name",
        ),
        (
            Renames(tables=((("", "usrs"), "accounts"),)),
            "--rename-table usrs=accounts: the database has no table usrs",
        ),
        (Renames(tables=((("", "users"), "acounts"),)), "the models have no table acounts"),
    ],
)
def test_flags_that_name_nothing(flag, fragment):
    current = s.Snapshot(tables=(USERS,))
    target = s.Snapshot(tables=(table("users", ID, ("full_name", "TEXT")), table("accounts", ID)))
    with pytest.raises(SchemadiffError) as e:
        require_known(flag, current, target)
    assert fragment in str(e.value)
    require_known(Renames(columns=((("", "users"), "name", "full_name"),)), current, target)


def test_a_column_flag_finds_its_table_under_a_hinted_old_name():
    current = s.Snapshot(tables=(USERS,))
    target = s.Snapshot(tables=(table("people", ID, ("full_name", "TEXT")),))
    flag = Renames(columns=((("", "people"), "name", "full_name"),))
    with pytest.raises(SchemadiffError, match="the database has no column people.name"):
        require_known(flag, current, target)
    require_known(flag, current, target, hints=Renames(tables=((("", "users"), "people"),)))


@settings(max_examples=150, deadline=None)
@given(COLUMNS, COLUMNS, st.booleans())
def test_answered_renames_still_reach_the_target(before, after, answer):
    """Whatever the answers, the ops take the database to the models, and each pair is asked once;
    saying yes to all leaves no pair to ask about."""
    current = s.Snapshot(tables=(table("t", ID, *before),))
    target = s.Snapshot(tables=(table("t", ID, *after),))
    asked = []

    def ask(candidate):
        asked.append(candidate)
        return answer

    ops = settle(current, target, ask=ask)
    reached = apply_all(current, ops).tables[0]
    assert set(reached.columns) == set(target.tables[0].columns)  # compare keeps a column's place
    assert len(set(asked)) == len(asked)
    if answer:
        assert candidates(ops) == []
        assert not any(
            isinstance(op, o.DropColumn) and op.column.name in {c.old for c in asked} for op in ops
        )
    else:
        assert ops == compare(current, target)
